"""Benchmark `cnsmm import` into SQLite (or PostgreSQL with --pg): first import, re-import,
and parsing alone.

    .venv/bin/python benchmarks/bench_import.py [--count 1000000] [--kind trivy] [--vulns 20000]
        [--workdir DIR] [--pg URL]

Generates a report with benchmarks/gen_reports.py (kept in --workdir for later runs), then
runs, each as its own process measured by benchmarks/measure.py (wall time, CPU time of the
process tree, peak resident memory):

1. parse only: iterate the report's findings, no store (the importer's share of the time);
2. first import into an empty SQLite store (every finding new);
3. re-import of the same file: recognised by its SHA-256 as the latest scan of its tool and
   scope, so its findings are not read again (same result as a full merge);
4. re-import of the same file with ``--full``: parsed and merged finding by finding (every
   finding seen again, none new or fixed) - the cost of a report that changed a little.

Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_reports import WRITERS
from measure import measure

REPO = Path(__file__).resolve().parent.parent
PARSE_ONLY = (
    "import sys\n"
    "from cnsmm.importers import open_report\n"
    "n = sum(1 for _ in open_report(sys.argv[1]).findings)\n"
    "print(n)\n"
)


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(label: str, cmd: list[str], rows: list[str]) -> None:
    """Measure ``cmd`` and add a table row."""
    cpu = _cpu_children()
    m = measure(cmd, env=dict(os.environ), cwd=str(REPO))
    cpu = _cpu_children() - cpu
    if m.returncode != 0:
        raise SystemExit(f"{label}: exit code {m.returncode}: {' '.join(cmd)}")
    rows.append(f"| {label} | {m.seconds:.1f} s | {cpu:.1f} s | {m.peak_tree_mib:.0f} MiB |")
    print(rows[-1], flush=True)


def _fresh_pg_database(server: str) -> str:
    """An empty database ``cnsmm_bench_import`` on ``server``; its URL."""
    from sqlalchemy import create_engine, text

    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "cnsmm_bench_import" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "cnsmm_bench_import"'))
    admin.dispose()
    return server.rsplit("/", 1)[0] + "/cnsmm_bench_import"


def _store_mib(db: str) -> float:
    if not db.startswith("postgresql"):
        return Path(db).stat().st_size / 2**20
    from sqlalchemy import create_engine, text

    engine = create_engine(db)
    with engine.connect() as conn:
        size = conn.scalar(text("SELECT pg_database_size(current_database())"))
    engine.dispose()
    return float(size or 0) / 2**20


def main() -> None:
    """Generate the report if needed and run the four measurements."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--kind", choices=sorted(WRITERS), default="trivy")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "cnsmm-bench")
    parser.add_argument("--pg", metavar="URL", help="a PostgreSQL server (e.g. $CNSMM_TEST_PG_URL): import into "
                        "a new database cnsmm_bench_import there instead of SQLite")
    parser.add_argument("--vulns", type=int, default=20_000,
                        help="distinct vulnerabilities in the report (trivy, grype); 0: one per finding")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    vulns = args.vulns if args.kind in ("trivy", "grype") else None
    report = args.workdir / f"{args.kind}-{args.count}{'' if vulns is None else f'-v{vulns}'}.json"
    if not report.exists():
        print(f"generating {report} ...", flush=True)
        WRITERS[args.kind](report, args.count, **({} if vulns is None else {"vulns": vulns}))
    if args.pg:
        db = _fresh_pg_database(args.pg)
    else:
        sqlite_file = args.workdir / "bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
        db = str(sqlite_file)
    python = sys.executable
    cnsmm = [python, "-m", "cnsmm", "import", str(report), "--project", "bench", "--db", db]
    size = report.stat().st_size / 2**20
    distinct = "" if vulns is None else f", {vulns or args.count:,} distinct vulnerabilities"
    print(f"report: {report} ({size:.0f} MiB, {args.count:,} findings{distinct}); store: {db}", flush=True)
    rows = ["| step | wall | CPU | peak memory |", "|---|---:|---:|---:|"]
    run("parse only (no store)", [python, "-c", PARSE_ONLY, str(report)], rows)
    run("first import (all new)", cnsmm, rows)
    run("re-import, same file (all seen again)", cnsmm, rows)
    run("re-import, same file, --full merge", [*cnsmm, "--full"], rows)
    print(f"store size: {_store_mib(db):.0f} MiB")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
