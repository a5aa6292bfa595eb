"""Start-up time of the command line: `cnsmm --version`, `cnsmm rules` and a scan of a small folder.

Each command runs ``--runs`` times in a fresh process (output discarded); the script prints the
median and the fastest wall time, and which heavy packages each command imported.

    .venv/bin/python benchmarks/bench_startup.py --runs 10
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
    - name: web
      image: nginx:1.25
"""
HEAVY = ("sqlalchemy", "fastapi", "starlette", "uvicorn", "psycopg", "jinja2", "alembic")


def _time(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def _heavy(cmd: list[str]) -> list[str]:
    proc = subprocess.run([sys.executable, "-X", "importtime", *cmd[1:]], capture_output=True, text=True, check=False)
    found = {line.rsplit("|", 1)[1].strip().split(".")[0] for line in proc.stderr.splitlines() if "|" in line}
    return sorted(found & set(HEAVY))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp)
        for i in range(5):
            (small / f"pod{i}.yaml").write_text(POD.replace("web", f"web{i}"), encoding="utf-8")
        base = [sys.executable, "-m", "cnsmm"]
        commands = {
            "cnsmm --version": [*base, "--version"],
            "cnsmm rules": [*base, "rules"],
            "cnsmm scan (5 manifests)": [*base, "scan", str(small), "--fail-on", "never", "--no-progress"],
        }
        print(f"{'command':28} {'median':>8} {'fastest':>8}  heavy imports")
        for name, cmd in commands.items():
            times = [_time(cmd) for _ in range(args.runs)]
            heavy = ", ".join(_heavy(cmd)) or "none"
            print(f"{name:28} {statistics.median(times):7.3f}s {min(times):7.3f}s  {heavy}")


if __name__ == "__main__":
    main()
