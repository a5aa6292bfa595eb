"""Parse throughput and peak memory of the report importers (no store).

    .venv/bin/python benchmarks/bench_import_parse.py [--count 200000] [--kinds trivy,grype,sarif]

Generates each report with gen_reports.py into a temporary directory, then parses it in a
fresh process (so peak RSS is the parser's own) and prints findings per second, MB per
second (of CPU time: wall time depends on what else the machine runs) and peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import gen_reports

CHILD = """
import json, resource, sys, time
from cnsmm.importers import open_report
t, c = time.perf_counter(), time.process_time()
report = open_report(sys.argv[1])
n = 0
for _ in report.findings:
    n += 1
elapsed, cpu = time.perf_counter() - t, time.process_time() - c
print(json.dumps({"findings": n, "seconds": elapsed, "cpu": cpu,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    """Run the benchmark and print one line per report kind."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--kinds", default="trivy,grype,sarif")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.kinds.split(","):
            path = Path(tmp) / f"{kind}.json"
            t = time.perf_counter()
            gen_reports.WRITERS[kind](path, args.count)
            gen = time.perf_counter() - t
            size_mb = path.stat().st_size / 1e6
            out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True,
                                 check=True)
            r = json.loads(out.stdout)
            print(f"{kind:6} {r['findings']:>9,} findings {size_mb:8.1f} MB  wall {r['seconds']:6.2f} s  "
                  f"CPU {r['cpu']:6.2f} s = {r['findings'] / r['cpu']:>8,.0f} findings/s, "
                  f"{size_mb / r['cpu']:5.1f} MB/s  peak RSS {r['peak_rss_mb']:5.0f} MB  (generated in {gen:.1f} s)")


if __name__ == "__main__":
    main()
