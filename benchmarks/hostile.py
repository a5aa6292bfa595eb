"""The hostile inputs of the hardening review, end to end, as a user meets them: the command line and a
running `cnsmm serve`. Every case must finish within seconds, with the valid input beside it
still reported; the script prints one row per case (wall time, peak memory of the cnsmm
process where it matters, verdict) and exits 1 if any case fails its check.

Usage:
    python benchmarks/hostile.py [--pg URL] [--only NAME ...] [--keep]

Without ``--pg`` (or ``$CNSMM_TEST_PG_URL``) the service cases run on SQLite and the NUL case
says so; with it, the service runs on that PostgreSQL server (a fresh database is created and
dropped). Inputs are generated in a temporary folder (about 30 MB); ``--keep`` leaves it.

Cases:
    docker-word     Dockerfile ``RUN echo <one 10 MB word>`` beside a privileged Pod
    deep-trivy      Trivy report with one field nested 20,000 deep (and 100,000 deep; a 600 KB
                    SARIF of the same shape), then a valid report into the same project
    alias-docs      3 MB of YAML re-using anchors over 200 documents, beside a privileged Pod
    links           links to / and to a Secret outside the tree, one to a folder inside it
    escapes         terminal escape sequences in a manifest: `scan` text, `findings list/show`
    csv-formula     ``x\\r=cmd|...`` in a finding, exported as CSV by the CLI and the service
    stdin-password  `user create --password-stdin` fed an endless stream
    long-image      import of a scan of a 100,000-character image name through the service,
                    with another project's small import sent right after it, timed
    nul             NUL in a scope, tool, upload name, filter, job id and the login form
    multipart-login 1 GB multipart body sent to /login and to a settings form without a session
    login-timing    login answers for an existing and an unknown user (medians)
    upload-redirect `cnsmm import --upload` to a server that redirects to another origin,
                    and to a plain http address of another machine
"""

from __future__ import annotations

import argparse
import csv
import http.client
import http.cookiejar
import http.server
import io
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "tests" / "importers" / "samples"
PASSWORD = "hostile-bench-password"
POD = """\
apiVersion: v1
kind: Pod
metadata: {name: valid, namespace: apps}
spec:
  containers:
    - name: app
      image: registry.example/app:1.0
      securityContext: {privileged: true}
"""


class Failed(Exception):
    """A case's check did not hold."""


def cnsmm(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None,
          timeout: float = 300) -> tuple[int, str, str, float, float]:
    """Run ``cnsmm ARGS``: exit code, stdout, stderr, wall seconds, peak memory (MiB)."""
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "cnsmm", *args], stdin=subprocess.PIPE if stdin is not None
                            else subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})})
    result: dict[str, bytes] = {}

    def read(name: str, stream: Any) -> None:
        result[name] = stream.read()

    def write() -> None:
        assert proc.stdin is not None
        try:
            proc.stdin.write(stdin or b"")
            proc.stdin.close()
        except BrokenPipeError:
            pass

    threads = [threading.Thread(target=read, args=("out", proc.stdout)),
               threading.Thread(target=read, args=("err", proc.stderr))]
    if stdin is not None:
        threads.append(threading.Thread(target=write))
    for thread in threads:
        thread.start()
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    _pid, status, usage = os.wait4(proc.pid, 0)
    timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    for thread in threads:
        thread.join()
    wall = time.monotonic() - start
    return (proc.returncode, result.get("out", b"").decode(errors="replace"),
            result.get("err", b"").decode(errors="replace"), wall, usage.ru_maxrss / 1024)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise Failed(message)


def findings_of(out: str) -> list[dict[str, Any]]:
    return list(json.loads(out)["findings"])


# ---------------------------------------------------------------- command line


def case_docker_word(tmp: Path, _svc: Service | None) -> str:
    folder = tmp / "docker-word"
    folder.mkdir()
    (folder / "Dockerfile").write_text("FROM alpine:3.20\nRUN echo " + "A" * 10_000_000 + "\n")
    (folder / "pod.yaml").write_text(POD)
    code, out, err, wall, mem = cnsmm("scan", str(folder), "-f", "json", "--no-render", "--fail-on", "never")
    rules = {(Path(f["file"]).name, f["rule"]) for f in findings_of(out)}
    check(("pod.yaml", "K8S-001") in rules, f"the Pod's finding is missing ({err[-300:]})")
    check(wall < 60, f"took {wall:.1f} s")
    return f"{wall:.1f} s, {mem:.0f} MiB; exit {code}; Pod K8S-001 reported; {len(rules)} findings"


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def case_deep_trivy(tmp: Path, _svc: Service | None) -> str:
    folder = tmp / "deep-trivy"
    folder.mkdir()
    db = f"sqlite:///{folder / 'store.db'}"
    rows = []
    for depth in (20_000, 100_000):
        report = folder / f"trivy-{depth}.json"
        report.write_text('{"SchemaVersion": 2, "ArtifactName": "x", "Results": [{"Target": "t", "Vulnerabilities": '
                          '[{"VulnerabilityID": "CVE-2024-1", "PkgName": "p", "InstalledVersion": "1", '
                          f'"Severity": "HIGH", "Extra": {_nested(depth)}}}]}}]}}')
        code, _out, err, wall, mem = cnsmm("import", str(report), "--project", "deep", "--db", db)
        check(code == 2 and "Traceback" not in err, f"depth {depth}: exit {code}: {err[-300:]}")
        check(wall < 30 and mem < 500, f"depth {depth}: {wall:.1f} s, {mem:.0f} MiB")
        rows.append(f"{depth:,} deep ({report.stat().st_size // 1024} KB): refused in {wall:.1f} s, {mem:.0f} MiB "
                    f"({err.strip().splitlines()[0][:90]})")
    sarif = folder / "deep.sarif"
    sarif.write_text('{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": '
                     f'{{"text": "m"}}, "properties": {_nested(300_000)}}}]}}]}}')
    code, _out, err, wall, mem = cnsmm("import", str(sarif), "--project", "deep", "--db", db)
    check(code == 2 and "Traceback" not in err and wall < 30 and mem < 500, f"SARIF: exit {code}, {wall:.1f} s")
    rows.append(f"SARIF {sarif.stat().st_size // 1024} KB: refused in {wall:.1f} s, {mem:.0f} MiB")
    code, _out, err, wall, _mem = cnsmm("import", str(SAMPLES / "trivy-json" / "image.json"), "--project", "deep",
                                        "--db", db)
    check(code == 0, f"the valid report beside them failed: {err[-300:]}")
    rows.append(f"valid report then imported in {wall:.1f} s")
    return "; ".join(rows)


def case_alias_docs(tmp: Path, _svc: Service | None) -> str:
    folder = tmp / "alias-docs"
    folder.mkdir()
    doc = "a: &a [" + ",".join(["xxxx"] * 1000) + "]\nb: [" + ",".join(["*a"] * 5000) + "]\n"
    (folder / "bomb.yaml").write_text("---\n".join([doc] * 200))
    (folder / "pod.yaml").write_text(POD)
    size = (folder / "bomb.yaml").stat().st_size
    code, out, _err, wall, mem = cnsmm("scan", str(folder), "-f", "json", "--no-render", "--fail-on", "never")
    doc_out = json.loads(out)
    kinds = {Path(e["file"]).name: e["kind"] for e in doc_out["errors"]}
    check(kinds.get("bomb.yaml") == "alias-bomb", f"errors: {kinds}")
    check(any(f["rule"] == "K8S-001" and f["file"].endswith("pod.yaml") for f in doc_out["findings"]), "Pod missing")
    check(wall < 30 and mem < 1024, f"{wall:.1f} s, {mem:.0f} MiB")
    report = len(out)
    return (f"{size / 1e6:.1f} MB file: {wall:.1f} s, {mem:.0f} MiB, refused as alias-bomb; Pod reported; "
            f"report {report / 1024:.0f} KB, exit {code}")


def case_links(tmp: Path, _svc: Service | None) -> str:
    repo, outside = tmp / "links" / "repo", tmp / "links" / "home"
    (repo / "base").mkdir(parents=True)
    outside.mkdir()
    (repo / "base" / "pod.yaml").write_text(POD)
    (outside / "secret.yaml").write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: stolen}\n"
                                         "stringData: {password: hunter2-from-outside}\n")
    (repo / "everything").symlink_to("/")
    (repo / "secret.yaml").symlink_to(outside / "secret.yaml")
    (repo / "overlay").symlink_to(repo / "base")
    code, out, _err, wall, _mem = cnsmm("scan", str(repo), "-f", "json", "--no-render", "--fail-on", "never")
    doc = json.loads(out)
    check("hunter2-from-outside" not in out and "stolen" not in out, "content from outside the tree was read")
    check(doc["complete"] and not doc["errors"], f"errors: {doc['errors']}")
    check({f["file"] for f in doc["findings"]} == {str(repo / "base" / "pod.yaml")}, "the Pod is reported once")
    skipped = {Path(s["file"]).name: s["reason"] for s in doc["skipped"]}
    check(set(skipped) >= {"everything", "secret.yaml", "overlay"}, f"skipped: {skipped}")
    check(wall < 30, f"{wall:.1f} s")
    return (f"{wall:.1f} s; exit {code}; / and the Secret not followed, the folder link skipped "
            f"({skipped['overlay'][:60]}...); Pod reported once; complete")


ESCAPED = POD.replace("name: valid,", 'name: "evil\\e]0;pwned\\a\\e[31mred",').replace(
    "registry.example/app:1.0", '"registry.example/app:1.0\\e[2J"')


def case_escapes(tmp: Path, _svc: Service | None) -> str:
    folder = tmp / "escapes"
    folder.mkdir()
    (folder / "pod.yaml").write_text(ESCAPED)
    _code, text, _err, wall, _mem = cnsmm("scan", str(folder), "--no-render", "--fail-on", "never",
                                          env={"NO_COLOR": "1"})
    check("\x1b" not in text and "\x07" not in text, "raw escape in `scan` output")
    check("K8S-001" in text, "the finding is missing from the text output")
    db = f"sqlite:///{folder / 'store.db'}"
    report = folder / "scan.json"
    cnsmm("scan", str(folder), "--no-render", "-f", "json", "-o", str(report), "--fail-on", "never")
    code, _out, err, _wall, _mem = cnsmm("import", str(report), "--project", "esc", "--db", db)
    check(code == 0, f"import: {err[-300:]}")
    _code, listed, _err, _w, _m = cnsmm("findings", "list", "--project", "esc", "--db", db)
    check("\x1b" not in listed and "\x07" not in listed, "raw escape in `findings list`")
    named = re.search(r"^\s*(\d+)\s.*K8S-065", listed, re.M)  # its message names the Pod
    check(named is not None, f"K8S-065 not listed: {listed[:300]}")
    assert named is not None
    _code, shown, _err, _w, _m = cnsmm("findings", "show", named.group(1), "--db", db)
    check("evil" in shown, f"`findings show` does not show the name: {shown[:300]}")
    check("\x1b" not in shown and "\x07" not in shown, "raw escape in `findings show`")
    return f"scan {wall:.1f} s; no ESC or BEL in `scan`, `findings list`, `findings show` (shown escaped)"


CSV_POD = POD.replace("name: valid,", 'name: "x\\r=cmd|\' /C calc\'!A0",')


def _formula_after_break(text: str) -> bool:
    """Whether a spreadsheet would start a row or a cell with a formula: a carriage return
    outside a quoted cell that is not a record end, or a cell that begins with = + - @."""
    outside = re.sub(r'"(?:[^"]|"")*"', "", text)
    if re.search(r"\r(?!\n)", outside):  # records end in \n or \r\n; a lone \r starts a row
        return True
    return any(cell[:1] in ("=", "+", "-", "@") for row in csv.reader(io.StringIO(text, newline="")) for cell in row)


def case_csv_formula(tmp: Path, svc: Service | None) -> str:
    folder = tmp / "csv"
    folder.mkdir()
    (folder / "x\r=cmd|' -C calc'!A0.yaml").write_text(CSV_POD)  # the file name reaches the CSV's location
    _code, scan_csv, _err, _w, _m = cnsmm("scan", str(folder), "--no-render", "-f", "csv", "--fail-on", "never")
    check("calc" in scan_csv and not _formula_after_break(scan_csv), "`scan -f csv` starts a row with a formula")
    report = folder / "scan.json"
    cnsmm("scan", str(folder), "--no-render", "-f", "json", "-o", str(report), "--fail-on", "never")
    db = f"sqlite:///{folder / 'store.db'}"
    cnsmm("import", str(report), "--project", "csvp", "--db", db)
    _code, listed, _err, _w, _m = cnsmm("findings", "list", "--project", "csvp", "--format", "csv", "--db", db)
    check("calc" in listed and not _formula_after_break(listed), "`findings list --format csv` starts a formula row")
    parts = ["CLI `scan -f csv` and `findings list --format csv`: the cell is quoted/neutralised"]
    if svc is not None:
        token = svc.token("csvp")
        svc.import_and_wait("csvp", token, report.read_bytes(), "scan.json")
        status, body = svc.raw("GET", "/api/v1/projects/csvp/findings.csv", token=token)
        text = body.decode(errors="replace")
        check(status == 200 and "calc" in text and not _formula_after_break(text), "service CSV starts a formula")
        parts.append("service findings.csv: the same")
    return "; ".join(parts)


def case_stdin_password(tmp: Path, _svc: Service | None) -> str:
    db = f"sqlite:///{tmp / 'stdin.db'}"
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "cnsmm", "user", "create", "mallory", "--password-stdin", "--db",
                             db], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None
    sent = 0
    try:
        while proc.poll() is None and sent < 2 * 1024**3:
            proc.stdin.write(b"y" * (1 << 20))
            sent += 1 << 20
    except BrokenPipeError:
        pass
    _out, err = proc.communicate(timeout=60)
    wall = time.monotonic() - start
    check(proc.returncode == 2 and "longer than 4,096 bytes" in err.decode(), f"exit {proc.returncode}: {err!r}")
    return (f"refused after {wall:.1f} s having taken at most {sent / 1024**2:.0f} MiB of the stream: "
            f"{err.decode().strip()[:80]}")


# ---------------------------------------------------------------- service


class Service:
    """A `cnsmm serve` on a free port, its store, and an admin session."""

    def __init__(self, tmp: Path, db: str) -> None:
        self.db = db
        self.tmp = tmp / "serve-tmp"
        self.tmp.mkdir()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        code, _o, err, _w, _m = cnsmm("user", "create", "admin", "--admin", "--password-stdin", "--db", db,
                                      stdin=(PASSWORD + "\n").encode())
        if code != 0:
            raise Failed(f"user create: {err}")
        self.log = (tmp / "serve.log").open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "cnsmm", "serve", "--db", db, "--port", str(self.port),
                                      "--job-workers", "2"], stdout=self.log, stderr=subprocess.STDOUT,
                                     env={**os.environ, "TMPDIR": str(self.tmp)})
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if self.raw("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            raise Failed("the service did not start")
        self._tokens: dict[str, str] = {}

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()

    def raw(self, method: str, path: str, body: bytes | None = None, token: str | None = None,
            headers: dict[str, str] | None = None, opener: urllib.request.OpenerDirector | None = None,
            ) -> tuple[int, bytes]:
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=headers or {})
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with (opener or urllib.request.build_opener()).open(request, timeout=120) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def token(self, project: str) -> str:
        if project not in self._tokens:
            code, out, err, _w, _m = cnsmm("token", "create", "--project", project, "--db", self.db)
            if code != 0:
                raise Failed(f"token create: {err}")
            self._tokens[project] = out.strip()
        return self._tokens[project]

    def upload(self, project: str, token: str, data: bytes, name: str, scope: str | None = None) -> str:
        query = urllib.parse.urlencode({"name": name, **({"scope": scope} if scope else {})})
        status, body = self.raw("POST", f"/api/v1/projects/{project}/imports?{query}", data, token)
        if status != 202:
            raise Failed(f"upload to {project}: {status} {body[:300]!r}")
        return str(json.loads(body)["job"])

    def wait(self, project: str, token: str, job: str, timeout: float = 300) -> tuple[str, float]:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            status, body = self.raw("GET", f"/api/v1/projects/{project}/jobs/{job}", token=token)
            state = json.loads(body).get("status") if status == 200 else None
            if state in ("done", "failed"):
                return str(state), time.monotonic() - start
            time.sleep(0.1)
        raise Failed(f"job {job} of {project} not finished after {timeout} s")

    def import_and_wait(self, project: str, token: str, data: bytes, name: str) -> float:
        job = self.upload(project, token, data, name)
        state, seconds = self.wait(project, token, job)
        if state != "done":
            raise Failed(f"import into {project}: {state}")
        return seconds

    def session(self) -> tuple[urllib.request.OpenerDirector, str]:
        """A cookie-keeping client with the login form's CSRF token."""
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        _status, page = self.raw("GET", "/login", opener=opener)
        found = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        if found is None:
            raise Failed("no CSRF token on the login page")
        return opener, found.group(1).decode()


def case_long_image(tmp: Path, svc: Service | None) -> str:
    assert svc is not None
    folder = tmp / "long-image"
    folder.mkdir()
    image = "registry.example/" + "a" * 100_000 + ":1"
    (folder / "pod.yaml").write_text(POD.replace("registry.example/app:1.0", image))
    report = folder / "scan.json"
    cnsmm("scan", str(folder), "--no-render", "-f", "json", "-o", str(report), "--fail-on", "never")
    big_token, small_token = svc.token("long-a"), svc.token("long-b")
    small = (SAMPLES / "trivy-json" / "image.json").read_bytes()
    start = time.monotonic()
    big_job = svc.upload("long-a", big_token, report.read_bytes(), "scan.json")
    small_job = svc.upload("long-b", small_token, small, "image.json")
    small_state, _ = svc.wait("long-b", small_token, small_job)
    small_done = time.monotonic() - start
    big_state, _ = svc.wait("long-a", big_token, big_job)
    big_done = time.monotonic() - start
    check(small_state == "done" and big_state == "done", f"states {small_state}, {big_state}")
    check(small_done < 15 and big_done < 30, f"small {small_done:.1f} s, large {big_done:.1f} s")
    return (f"{report.stat().st_size // 1024} KB upload done {big_done:.1f} s after it was sent; another project's "
            f"{len(small) // 1024} KB import sent right after it done in {small_done:.1f} s")


def case_nul(_tmp: Path, svc: Service | None) -> str:
    assert svc is not None
    token = svc.token("nulp")
    small = (SAMPLES / "trivy-json" / "image.json").read_bytes()
    svc.import_and_wait("nulp", token, small, "image.json")
    probes = {
        "upload scope": ("POST", "/api/v1/projects/nulp/imports?name=r.json&scope=a%00b", small),
        "upload name": ("POST", "/api/v1/projects/nulp/imports?name=r%00.json", small),
        "tool filter": ("GET", "/api/v1/projects/nulp/findings?tool=tri%00vy", None),
        "text filter": ("GET", "/api/v1/projects/nulp/findings?q=a%00b", None),
        "job id": ("GET", "/api/v1/projects/nulp/jobs/ab%00cd", None),
    }
    results = {}
    for what, (method, path, body) in probes.items():
        status, answer = svc.raw(method, path, body, token)
        results[what] = status
        check(status < 500 and b"Traceback" not in answer, f"{what}: {status} {answer[:200]!r}")
    opener, csrf = svc.session()
    form = urllib.parse.urlencode({"username": "ad\x00min", "password": "x", "csrf_token": csrf}).encode()
    status, answer = svc.raw("POST", "/login", form, opener=opener,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    results["login form"] = status
    check(status < 500, f"login form: {status}")
    store = "PostgreSQL" if svc.db.startswith("postgresql") else "SQLite (no --pg given)"
    return f"{store}: " + ", ".join(f"{k} {v}" for k, v in results.items())


def _flood(svc: Service, chunked: bool, path: str = "/login", total: int = 1024**3) -> tuple[int, float, int]:
    """Send a ``total``-byte multipart body with a file part to ``path``, with its length
    announced or in chunks: the status (0: the connection was closed), seconds, bytes sent."""
    conn = http.client.HTTPConnection("127.0.0.1", svc.port, timeout=60)
    start = time.monotonic()
    conn.putrequest("POST", path)
    conn.putheader("Content-Type", "multipart/form-data; boundary=xyz")
    conn.putheader(*(("Transfer-Encoding", "chunked") if chunked else ("Content-Length", str(total))))
    conn.endheaders()
    head = b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n'
    chunk = b"\0" * (1 << 20)
    sent = 0
    try:
        for piece in (head, *(chunk for _ in range(total // len(chunk)))):
            conn.send(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            sent += len(piece)
    except OSError:
        pass
    try:
        status = conn.getresponse().status
    except (OSError, http.client.HTTPException):
        status = 0
    conn.close()
    return status, time.monotonic() - start, sent


def case_multipart_login(_tmp: Path, svc: Service | None) -> str:
    assert svc is not None
    before = sum(f.stat().st_size for f in svc.tmp.rglob("*") if f.is_file())
    rows = []
    for path, chunked in (("/login", False), ("/login", True), ("/p/shop/settings", False)):
        status, wall, sent = _flood(svc, chunked, path)
        check(status in (0, 303, 400, 403, 413), f"{path}: status {status}")
        check(wall < 30, f"{path}: {wall:.1f} s")
        rows.append(f"{path} {'chunked' if chunked else 'with Content-Length'}: answered {status or 'by closing'} "
                    f"after {wall:.1f} s, {sent / 1024**2:.0f} MiB of 1,024 sent")
    after = sum(f.stat().st_size for f in svc.tmp.rglob("*") if f.is_file())
    check(after - before < 1024**2, f"{(after - before) / 1024**2:.0f} MiB written to the service's temporary folder")
    return "; ".join(rows) + f"; {(after - before) // 1024} KiB written to the temporary folder"


def case_login_timing(_tmp: Path, svc: Service | None) -> str:
    assert svc is not None
    times: dict[str, list[float]] = {"admin": [], f"nobody-{uuid.uuid4().hex[:6]}": []}
    for _ in range(4):
        for name, values in times.items():
            opener, csrf = svc.session()
            form = urllib.parse.urlencode({"username": name, "password": "wrong-password-123", "csrf_token": csrf})
            start = time.monotonic()
            svc.raw("POST", "/login", form.encode(), opener=opener,
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
            values.append(time.monotonic() - start)
    known, unknown = (statistics.median(v) * 1000 for v in times.values())
    check(unknown > known / 3, f"existing {known:.0f} ms, unknown {unknown:.0f} ms")
    return f"median of 4 wrong logins: existing user {known:.0f} ms, unknown user {unknown:.0f} ms"


def case_upload_redirect(tmp: Path, _svc: Service | None) -> str:
    seen_elsewhere: list[str | None] = []

    class Elsewhere(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen_elsewhere.append(self.headers.get("Authorization"))
            self.send_response(202)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with _http_server(Elsewhere) as other:
        class Redirect(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(307)
                self.send_header("Location", other.replace("127.0.0.1", "localhost") + self.path)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        with _http_server(Redirect) as base:
            code, _out, err, wall, _m = cnsmm("import", str(SAMPLES / "trivy-json" / "image.json"), "--project", "p",
                                              "--upload", base, "--token", "cnsmm_secret_token")
    check(code == 2 and "another origin" in err and not seen_elsewhere, f"exit {code}: {err[-300:]}")
    code2, _out, err2, _w, _m = cnsmm("import", str(SAMPLES / "trivy-json" / "image.json"), "--project", "p",
                                      "--upload", "http://cnsmm.invalid", "--token", "cnsmm_secret_token")
    check("plain http" in err2, f"no warning for plain http: {err2[-300:]}")
    return (f"redirect refused in {wall:.1f} s (exit {code}), the other origin got no request; plain http to "
            f"another machine warned (exit {code2})")


@contextmanager
def _http_server(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


CLI_CASES: dict[str, Callable[[Path, Service | None], str]] = {
    "docker-word": case_docker_word,
    "deep-trivy": case_deep_trivy,
    "alias-docs": case_alias_docs,
    "links": case_links,
    "escapes": case_escapes,
    "stdin-password": case_stdin_password,
    "upload-redirect": case_upload_redirect,
}
SERVICE_CASES: dict[str, Callable[[Path, Service | None], str]] = {
    "csv-formula": case_csv_formula,
    "long-image": case_long_image,
    "nul": case_nul,
    "multipart-login": case_multipart_login,
    "login-timing": case_login_timing,
}


@contextmanager
def _database(pg: str | None, tmp: Path) -> Iterator[str]:
    if not pg:
        yield f"sqlite:///{tmp / 'service.db'}"
        return
    from sqlalchemy import create_engine, text

    name = "cnsmm_hostile_" + uuid.uuid4().hex[:8]
    admin = create_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield pg.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=os.environ.get("CNSMM_TEST_PG_URL"), help="PostgreSQL server URL")
    parser.add_argument("--only", action="append", choices=[*CLI_CASES, *SERVICE_CASES])
    parser.add_argument("--keep", action="store_true", help="keep the generated inputs")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cnsmm-hostile-"))
    failures = 0
    print("| case | wall | result |\n|---|---:|---|")

    def run(name: str, case: Callable[[Path, Service | None], str], svc: Service | None) -> None:
        nonlocal failures
        start = time.monotonic()
        try:
            detail, verdict = case(tmp, svc), "ok"
        except Failed as exc:
            detail, verdict = str(exc), "FAILED"
            failures += 1
        print(f"| {name} | {time.monotonic() - start:.1f} s | {verdict}: {detail} |", flush=True)

    try:
        for name, case in CLI_CASES.items():
            if not args.only or name in args.only:
                run(name, case, None)
        wanted = [n for n in SERVICE_CASES if not args.only or n in args.only]
        if wanted:
            with _database(args.pg, tmp) as db:
                svc = Service(tmp, db)
                try:
                    for name in wanted:
                        run(name, SERVICE_CASES[name], svc)
                finally:
                    svc.close()
    finally:
        if args.keep:
            print(f"inputs kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
