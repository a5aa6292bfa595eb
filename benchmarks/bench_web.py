"""Latency of the web service over 1,000,000 findings in PostgreSQL under 20 concurrent clients.

    export CNSMM_TEST_PG_URL="$(scripts/start-postgres.sh)"
    .venv/bin/python benchmarks/bench_web.py [--db URL] [--findings 1000000] [--clients 20]

The script creates (or reuses, when already filled) the database ``cnsmm_bench_web`` on the
server of ``--db``/``$CNSMM_TEST_PG_URL``, fills one project with realistic findings straight
into the store's tables with COPY (import speed is not measured here), starts
``cnsmm serve --workers 2`` on 127.0.0.1 and drives ``--clients`` threads against the
findings list (first page, filtered, deep page) and the overview, a bounded number of
requests each. It prints p50/p95/p99 per endpoint; the target is p95 < 200 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx2
from sqlalchemy import create_engine, text

from cnsmm.accounts.service import Role, create_token
from cnsmm.tracking.store import Store
from cnsmm.web.db import open_web_store

REPO = Path(__file__).resolve().parent.parent
PROJECT = "bench"
DB_NAME = "cnsmm_bench_web"
SEVERITIES = [("critical", 4, 2), ("high", 3, 15), ("medium", 2, 40), ("low", 1, 30), ("info", 0, 13)]
STATUSES = [("open", 60), ("triaged", 10), ("in_progress", 5), ("fixed", 20), ("risk_accepted", 3),
            ("false_positive", 2)]
TOOLS = ["trivy", "grype", "cnsmm", "semgrep", "checkov"]
PACKAGES = ["openssl", "zlib", "glibc", "curl", "libxml2", "busybox", "log4j-core", "jackson-databind", "lodash",
            "requests", "urllib3", "golang.org/x/net", "spring-web", "netty-codec", "expat", "sqlite", "pcre2"]
SORT_INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_findings_project_severity_id ON findings (project_id, severity_rank, id)",
    "CREATE INDEX IF NOT EXISTS ix_findings_project_first_seen_id ON findings (project_id, first_seen, id)",
)
# (name, path): the filters use values the generator is known to produce
ENDPOINTS = [
    ("list first page", f"/api/v1/projects/{PROJECT}/findings"),
    ("list filtered", f"/api/v1/projects/{PROJECT}/findings?severity=critical&severity=high&status=open"),
    ("list by tool", f"/api/v1/projects/{PROJECT}/findings?tool=grype&status=open"),
    ("list deep page, number", f"/api/v1/projects/{PROJECT}/findings?page=2000&per_page=50"),
    ("list owner, by due", f"/api/v1/projects/{PROJECT}/findings?owner=team-07&sort=due"),
    ("overview", f"/api/v1/projects/{PROJECT}/overview"),
    ("findings page (HTML)", f"/p/{PROJECT}/findings?severity=high&status=open"),
]
# measured in a second phase, outside the target: a substring search over six text columns,
# which no index serves (it reads every finding of the project)
EXTRA = [
    ("list text search", f"/api/v1/projects/{PROJECT}/findings?status=open&q=log4j"),
]


def _weighted(pairs: list[tuple[str, int]], n: int, rng: random.Random) -> list[str]:
    names, weights = zip(*pairs, strict=True)
    return rng.choices(list(names), weights=list(weights), k=n)


def _database(base: str) -> str:
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": DB_NAME}):
            conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    admin.dispose()
    return base.rsplit("/", 1)[0] + "/" + DB_NAME


def fill(store: Store, count: int, seed: int = 7) -> None:
    """Insert ``count`` findings (and one source each) into project ``bench``, unless already there."""
    with store.read() as conn:
        have = conn.scalar(text("SELECT count(*) FROM findings f JOIN projects p ON p.id = f.project_id "
                                "WHERE p.name = :p"), {"p": PROJECT})
    if have == count:
        print(f"reusing {have:,} findings already in {DB_NAME}", file=sys.stderr)
        return
    rng = random.Random(seed)
    now = datetime(2026, 11, 27, 9, 0, 0)
    started = time.monotonic()
    with store.write() as conn:
        # flushed at commit even on a test server with synchronous_commit=off: VACUUM cannot mark
        # the pages of rows whose commit is not yet flushed all-visible, and then every index-only
        # walk (a deep page) fetches each row from the table
        conn.execute(text("SET LOCAL synchronous_commit = on"))
        conn.execute(text("DELETE FROM projects WHERE name = :p"), {"p": PROJECT})
        pid = conn.scalar(text("INSERT INTO projects (name, settings, created_at) VALUES (:p, '{}', :t) "
                               "RETURNING id"), {"p": PROJECT, "t": now})
        streams = {}
        for i, tool in enumerate(TOOLS):
            streams[tool] = conn.scalar(text(
                "INSERT INTO scan_streams (project_id, tool, scope, last_scan_id, last_seen) "
                "VALUES (:p, :t, :s, :i, :n) RETURNING id"), {"p": pid, "t": tool, "s": f"scope-{tool}", "i": i + 1,
                                                             "n": now})
        first_id = conn.scalar(text("SELECT coalesce(max(id), 0) + 1 FROM findings"))
        raw = conn.connection.driver_connection
        assert raw is not None
        cols = ("id, project_id, fingerprint, kind, severity, severity_rank, title, message, category, rule, "
                "component, installed_version, fixed_version, file, line, image, owner, due, status, regression, "
                "first_seen")
        sev_by_name = {n: r for n, r, _ in SEVERITIES}
        sevs = _weighted([(n, w) for n, _, w in SEVERITIES], count, rng)
        stats = _weighted(STATUSES, count, rng)
        tools = rng.choices(TOOLS, k=count)
        with raw.cursor() as cur:
            with cur.copy(f"COPY findings ({cols}) FROM STDIN") as copy:
                for n in range(count):
                    fid = first_id + n
                    pkg = PACKAGES[n % len(PACKAGES)]
                    cve = f"CVE-{2018 + n % 8}-{10000 + n % 90000}"
                    is_vuln = tools[n] in ("trivy", "grype")
                    copy.write_row((
                        fid, pid, f"{fid:064x}", "vulnerability" if is_vuln else "misconfiguration", sevs[n],
                        sev_by_name[sevs[n]], f"{cve} in {pkg}" if is_vuln else f"{pkg} setting allows escalation",
                        f"{pkg} {n % 7}.{n % 13}.{n % 5} is affected by {cve}",
                        "vulnerability" if is_vuln else "config",
                        cve if is_vuln else f"K8S-{n % 97:03d}", pkg, f"{n % 7}.{n % 13}.{n % 5}",
                        f"{n % 7}.{n % 13}.{n % 5 + 1}", None if is_vuln else f"deploy/app-{n % 500}.yaml",
                        None if is_vuln else 1 + n % 300, f"registry.example.com/svc-{n % 300}:1.{n % 40}",
                        f"team-{n % 40:02d}" if n % 9 else None, (now - timedelta(days=rng.randint(-90, 120))).date(),
                        stats[n], n % 50 == 0, now - timedelta(minutes=rng.randint(0, 525_600)),
                    ))
            with cur.copy("COPY finding_sources (finding_id, stream_id, active, first_scan_id, first_seen) "
                          "FROM STDIN") as copy:
                for n in range(count):
                    copy.write_row((first_id + n, streams[tools[n]], stats[n] != "fixed", 1, now))
        conn.execute(text("SELECT setval(pg_get_serial_sequence('findings', 'id'), :m)"), {"m": first_id + count})
    print(f"inserted {count:,} findings in {time.monotonic() - started:.0f} s", file=sys.stderr)


def vacuum(store: Store) -> str:
    """VACUUM ANALYZE (as autovacuum would have by the time anyone looks; quick when nothing
    changed); returns the share of the big tables' pages marked all-visible, which decides
    whether index-only walks read the table too."""
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        rows = conn.execute(text("SELECT relname, relpages, relallvisible FROM pg_class "
                                 "WHERE relname IN ('findings', 'finding_sources') ORDER BY relname")).all()
    return "pages all-visible after VACUUM ANALYZE: " + ", ".join(
        f"{name} {visible / max(pages, 1):.0%} of {pages:,}" for name, pages, visible in rows)


def _indexes(store: Store, wanted: bool) -> None:
    """Make sure the sort indexes (store migration 0002) exist, or drop them to compare."""
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for ddl in SORT_INDEXES:
            name = ddl.split("EXISTS ", 1)[1].split()[0]
            conn.execute(text(ddl if wanted else f"DROP INDEX IF EXISTS {name}"))
        conn.execute(text("ANALYZE"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _serve(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    cnsmm = REPO / ".venv" / "bin" / "cnsmm"
    cmd = [str(cnsmm) if cnsmm.exists() else "cnsmm", "serve", "--db", url, "--port", str(port),
           "--workers", str(workers)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx2.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx2.HTTPError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise SystemExit("cnsmm serve did not answer /healthz within 60 s")


def drive(base: str, token: str, clients: int, requests: int, seconds: float,
          endpoints: list[tuple[str, str]] = ENDPOINTS, pace: float = 0.0) -> dict[str, list[float]]:
    """``clients`` threads, each sending up to ``requests`` requests round-robin over the endpoints."""
    samples: dict[str, list[float]] = {name: [] for name, _ in endpoints}
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    cookies = _login_cookie(base)
    port = int(base.rsplit(":", 1)[1])

    def client(k: int) -> None:
        # the standard library's client: the least CPU on the client side, which shares the 2 cores
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        rng = random.Random(k)
        api = {"Authorization": f"Bearer {token}"}
        page = {"Cookie": f"cnsmm_session={cookies['cnsmm_session']}"}
        try:
            for i in range(requests):
                if time.monotonic() > stop_at:
                    return
                name, path = endpoints[(k + i) % len(endpoints)]
                started = time.perf_counter()
                try:
                    conn.request("GET", path, headers=page if path.startswith("/p/") else api)
                    r = conn.getresponse()
                    r.read()
                    problem = None if r.status == 200 else f"{name}: {r.status}"
                except (OSError, http.client.HTTPException) as exc:
                    problem = f"{name}: {type(exc).__name__}"
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                took = (time.perf_counter() - started) * 1000
                with lock:
                    if problem:
                        errors.append(problem)
                    samples[name].append(took)
                if pace:  # one request per client every `pace` seconds, like people clicking
                    time.sleep(max(0.0, pace - took / 1000) * (0.5 + rng.random()))
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if errors:
        print(f"{len(errors)} non-200 answers, e.g. {errors[:3]}", file=sys.stderr)
    return samples


def _deep_cursor_path(base: str, token: str) -> str:
    """The list page after page 1999 asked for by cursor, as a client walking the list gets it."""
    with httpx2.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {token}"}) as http:
        r = http.get(f"/api/v1/projects/{PROJECT}/findings", params={"page": 1999, "per_page": 50})
        r.raise_for_status()
        return f"/api/v1/projects/{PROJECT}/findings?per_page=50&after={r.json()['next_cursor']}"


def _login_cookie(base: str) -> dict[str, str]:
    with httpx2.Client(base_url=base, timeout=30) as http:
        page = http.get("/login")
        csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        r = http.post("/login", data={"csrf_token": csrf, "username": "bench-admin",
                                      "password": "bench password 1234", "next": "/"})
        if r.status_code != 303:
            raise SystemExit(f"login failed: {r.status_code}")
        return {"cnsmm_session": http.cookies["cnsmm_session"]}


def _row(name: str, values: list[float]) -> None:
    if values:
        print(f"{name:24} {len(values):5d} {_percentile(values, 50):8.1f} {_percentile(values, 95):8.1f} "
              f"{_percentile(values, 99):8.1f} {statistics.fmean(values):8.1f}")


def _cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU time used so far by the service's processes, the store's server backends and this script."""
    tick = os.sysconf("SC_CLK_TCK")
    totals = {"service": 0.0, "postgres": 0.0}
    children: dict[int, list[int]] = {}
    stats: dict[int, tuple[int, float, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = raw.rsplit(")", 1)[1].split()
        ppid, cpu = int(fields[1]), (int(fields[11]) + int(fields[12])) / tick
        stats[int(entry.name)] = (ppid, cpu, cmd)
        children.setdefault(ppid, []).append(int(entry.name))
    stack = [server_pid]
    while stack:
        pid = stack.pop()
        totals["service"] += stats.get(pid, (0, 0.0, ""))[1]
        stack += children.get(pid, [])
    # the whole PostgreSQL server: the postmaster with its exited children (parallel workers, old
    # backends) and its live children; only meaningful on a server that runs nothing else
    postmasters = {ppid for ppid, _, cmd in stats.values() if f"postgres: cnsmm {DB_NAME}" in cmd}
    for pm in postmasters:
        try:
            fields = (Path("/proc") / str(pm) / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        totals["postgres"] += sum(int(f) for f in fields[11:15]) / tick
        totals["postgres"] += sum(stats[c][1] for c in children.get(pm, []))
    own = os.times()
    totals["client"] = own.user + own.system
    with contextlib.suppress(OSError, ValueError):  # every process of the machine: user+nice+system+irq+softirq
        cpu = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        totals["machine"] = sum(int(cpu[i]) for i in (0, 1, 2, 5, 6)) / tick
    return totals


def machine(url: str) -> list[str]:
    """What the figures were measured on: CPU, cores, memory, load, PostgreSQL and its settings
    (figures from two machines differ; print them with every run)."""
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError, IndexError, ValueError):
        kib = int(Path("/proc/meminfo").read_text().split("MemTotal:", 1)[1].split()[0])
        mem = f", {kib / 1024 / 1024:.1f} GiB memory"
    lines = [f"machine: {cpu}, {os.cpu_count()} cores{mem}, load average before the run "
             f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}"]
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar()
            settings = {name: conn.execute(text(f"SHOW {name}")).scalar()
                        for name in ("shared_buffers", "work_mem", "effective_cache_size", "random_page_cost",
                                     "max_parallel_workers_per_gather", "jit")}
    finally:
        engine.dispose()
    lines.append(f"PostgreSQL {version}: " + ", ".join(f"{k}={v}" for k, v in settings.items()))
    return lines


def plans(url: str) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the statements behind the deep page by number (the first
    request, which finds its starting row, and a later one) and by cursor, as the service runs them."""
    from sqlalchemy import event

    from cnsmm.tracking.listing import FindingFilter, list_page
    from cnsmm.tracking.projects import project_id

    store = open_web_store(url)
    out: list[str] = []
    try:
        with store.read() as conn:
            pid = project_id(conn, PROJECT)
        seen: list[tuple[str, object]] = []

        def capture(conn: object, cursor: object, statement: str, parameters: object, *rest: object) -> None:
            if not statement.lstrip().upper().startswith("EXPLAIN"):
                seen.append((statement, parameters))

        cases = [("deep page by number, first request", FindingFilter(page=2000, per_page=50)),
                 ("deep page by number, later request", FindingFilter(page=2001, per_page=50))]
        first = list_page(store, pid, FindingFilter(page=1999, per_page=50))
        cases.append(("deep page by cursor", FindingFilter(after=first.next_cursor, per_page=50)))
        store.memo.clear()
        for name, flt in cases:
            seen.clear()
            event.listen(store.engine, "before_cursor_execute", capture)
            try:
                list_page(store, pid, flt)
            finally:
                event.remove(store.engine, "before_cursor_execute", capture)
            for statement, parameters in seen:
                with store.engine.connect() as conn:
                    rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).all()
                out.append(f"-- {name}")
                out.extend(str(r[0]) for r in rows)
    finally:
        store.dispose()
    return out


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    """Fill, serve, measure, print."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default=os.environ.get("CNSMM_TEST_PG_URL"), help="PostgreSQL server URL")
    ap.add_argument("--findings", type=int, default=1_000_000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=400, help="requests per client")
    ap.add_argument("--seconds", type=float, default=120, help="stop sending after this long")
    ap.add_argument("--workers", type=int, default=2, help="cnsmm serve --workers")
    ap.add_argument("--pace", type=float, default=0.0,
                    help="seconds between one client's requests on average (0: send the next at once, saturating)")
    ap.add_argument("--plans", action="store_true", help="also print the query plans of the deep pages")
    ap.add_argument("--drop-sort-indexes", action="store_true",
                    help="drop the store's sort indexes (migration 0002) first, to measure without them")
    args = ap.parse_args()
    if not args.db or not args.db.startswith("postgresql"):
        raise SystemExit("needs a PostgreSQL URL: --db or $CNSMM_TEST_PG_URL (scripts/start-postgres.sh)")
    url = _database(args.db)
    store = open_web_store(url)
    fill(store, args.findings)
    _indexes(store, not args.drop_sort_indexes)
    visibility = vacuum(store)
    from cnsmm.accounts.service import AuthError, create_user

    with contextlib.suppress(AuthError):  # already there from an earlier run
        create_user(store, "bench-admin", "bench password 1234", admin=True)
    token, _ = create_token(store, PROJECT, Role.VIEWER, name="bench", created_by="bench", days=1)
    store.dispose()
    for line in [*machine(url), visibility]:
        print(line)
    port = _free_port()
    proc = _serve(url, port, args.workers)
    try:
        base = f"http://127.0.0.1:{port}"
        endpoints = [*ENDPOINTS, ("list deep page, cursor", _deep_cursor_path(base, token))]
        # warm up: every endpoint a few times on both workers (pools open, overview counted once)
        drive(base, token, 4, 3 * len(endpoints), 120, endpoints)
        cpu_before = _cpu_seconds(proc.pid)
        started = time.monotonic()
        samples = drive(base, token, args.clients, args.requests, args.seconds, endpoints, args.pace)
        wall = time.monotonic() - started
        cpu_after = _cpu_seconds(proc.pid)
        extra = drive(base, token, args.clients, max(1, args.requests // 10), args.seconds, EXTRA, args.pace)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
    total = sum(len(v) for v in samples.values())
    print(f"{args.findings:,} findings, {args.clients} clients, {total} requests in {wall:.1f} s "
          f"({total / wall:.0f} req/s), pace {args.pace:g} s, cnsmm serve --workers {args.workers}, sort indexes: "
          f"{'no' if args.drop_sort_indexes else 'yes'}")
    used = {k: cpu_after[k] - cpu_before[k] for k in cpu_before}
    machine_cpu = used.pop("machine", None)
    print("CPU per request: " + ", ".join(f"{k} {v / total * 1000:.1f} ms" for k, v in used.items())
          + f"; load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if machine_cpu is not None:  # what else ran on the machine meanwhile (other users' work)
        others = max(0.0, machine_cpu - sum(used.values()))
        print(f"CPU of the machine during the run: {machine_cpu / wall:.2f} of {os.cpu_count()} cores busy, "
              f"{others / wall:.2f} of them by processes other than the service, PostgreSQL and the clients")
    print(f"{'endpoint':24} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    worst = 0.0
    for name, values in samples.items():
        if not values:
            continue
        p95 = _percentile(values, 95)
        worst = max(worst, p95)
        _row(name, values)
    print("not in the target (measured afterwards, same clients; no index serves a substring search):")
    for name, values in extra.items():
        _row(name, values)
    verdict = "met" if worst < 200 else "MISSED"
    print(f"worst p95 of the targeted endpoints: {worst:.1f} ms (target < 200 ms): {verdict}")
    if args.plans:
        print("\n".join(plans(url)))


if __name__ == "__main__":
    main()
