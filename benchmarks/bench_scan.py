"""cnsmm scan vs Checkov (kubernetes framework) on the same folder: wall time and peak memory.

Usage:
    python benchmarks/bench_scan.py [FOLDER] [--checkov PATH] [--runs N]

FOLDER defaults to ../shared/corpus. Checkov is not a dependency of cnsmm: install it in its
own virtualenv (`python3 -m venv /tmp/checkov-venv && /tmp/checkov-venv/bin/pip install checkov`)
and pass `--checkov /tmp/checkov-venv/bin/checkov` (default: `checkov` on PATH). Checkov runs
with `--skip-download` so that it does not go to the network at start-up.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from measure import Measurement, measure

REPO = Path(__file__).resolve().parent.parent


def best(runs: list[Measurement]) -> Measurement:
    """Median time, and the highest memory seen."""
    seconds = statistics.median(m.seconds for m in runs)
    return Measurement(seconds, max(m.peak_tree_mib for m in runs), max(m.peak_single_mib for m in runs),
                       runs[-1].returncode)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", default=str(REPO.parent / "shared" / "corpus"))
    parser.add_argument("--checkov", default=shutil.which("checkov") or "/tmp/checkov-venv/bin/checkov")
    parser.add_argument("--cnsmm", default=str(Path(sys.executable).parent / "cnsmm"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    folder = args.folder
    cnsmm_cmd = [args.cnsmm, "scan", folder, "--format", "json", "--output", "/dev/null", "--fail-on", "never",
                 "--no-progress", "--no-render"]
    checkov_cmd = [args.checkov, "-d", folder, "--framework", "kubernetes", "--skip-download", "--quiet",
                   "-o", "json", "--soft-fail"]
    print(f"folder: {folder}")
    ours = best([measure(cnsmm_cmd) for _ in range(args.runs)])
    print(f"cnsmm   {ours.seconds:8.2f} s  peak {ours.peak_tree_mib:8.1f} MiB (process tree)"
          f"  {ours.peak_single_mib:8.1f} MiB (largest process)  exit {ours.returncode}")
    if not Path(args.checkov).exists():
        print(f"checkov not found at {args.checkov}; install it in its own venv (see --help)")
        return
    theirs = best([measure(checkov_cmd) for _ in range(max(1, args.runs - 2))])
    print(f"checkov {theirs.seconds:8.2f} s  peak {theirs.peak_tree_mib:8.1f} MiB (process tree)"
          f"  {theirs.peak_single_mib:8.1f} MiB (largest process)  exit {theirs.returncode}")
    print(f"ratio: cnsmm is {theirs.seconds / ours.seconds:.1f}x faster and uses "
          f"{ours.peak_tree_mib / theirs.peak_tree_mib:.2f}x the peak memory of checkov")


if __name__ == "__main__":
    main()
