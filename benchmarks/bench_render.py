"""Rendered scans (Kustomize, Helm) vs the renderers' own cost vs Checkov's kustomize/helm frameworks.

Usage:
    python benchmarks/bench_render.py [--corpus DIR] [--charts DIR] [--checkov PATH] [--skip-checkov]

For each input (default ../shared/corpus for Kustomize, ../shared/corpus-helm for Helm) it
measures, one run each (the machine is shared; keep runs few):

- ``cnsmm scan --no-render`` (files as they are);
- ``cnsmm scan`` with an empty render cache (every root or chart built);
- ``cnsmm scan`` again with the cache filled (nothing rebuilt);
- the renderer alone: ``kubectl kustomize ROOT`` / ``helm template release CHART`` for every root
  or chart cnsmm builds, one after another (the cost no tool can avoid without a cache);
- Checkov with ``--framework kustomize`` / ``--framework helm`` (``--skip-download``), when
  installed in its own virtualenv (``python3 -m venv /work/bench-venv &&
  /work/bench-venv/bin/pip install checkov``).

Wall time and peak memory of the whole process tree (see ``measure.py``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from measure import Measurement, measure

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from cnsmm.render.build import read_file  # noqa: E402
from cnsmm.render.plan import make_plan  # noqa: E402


def files_under(folder: str) -> list[str]:
    """Every file below ``folder`` (what a scan would discover, without excludes)."""
    out = []
    for base, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in (".git", "node_modules", "vendor")]
        out += [os.path.join(base, n) for n in names]
    return out


def renderer_alone(folder: str, tool: str, timeout: float = 120) -> tuple[float, int, int]:
    """Wall seconds to build every root (tool == kustomize) or chart (helm) one after another,
    with the number of builds and of failures."""
    plan = make_plan(files_under(folder), read_file)
    builds = [b for b in plan.builds if b.tool == tool]
    failed = 0
    start = time.perf_counter()
    for b in builds:
        argv = (["kubectl", "kustomize", b.root] if tool == "kustomize"
                else ["helm", "template", "release", b.root, "--include-crds"])
        try:
            done = subprocess.run(argv, capture_output=True, timeout=timeout, check=False)
            failed += done.returncode != 0
        except subprocess.TimeoutExpired:
            failed += 1
    return time.perf_counter() - start, len(builds), failed


def show(label: str, m: Measurement) -> None:
    """One line of results."""
    print(f"  {label:34} {m.seconds:8.2f} s  peak {m.peak_tree_mib:8.1f} MiB  exit {m.returncode}")


def bench(folder: str, tool: str, cnsmm: str, checkov: str | None) -> None:
    """All measurements for one input."""
    print(f"{tool}: {folder}")
    base = [cnsmm, "scan", folder, "--format", "json", "--output", "/dev/null", "--fail-on", "never", "--no-progress"]
    show("cnsmm --no-render", measure([*base, "--no-render"]))
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, XDG_CACHE_HOME=cache)
        show("cnsmm (render, empty cache)", measure(base, env=env))
        show("cnsmm (render, cache filled)", measure(base, env=env))
    seconds, builds, failed = renderer_alone(folder, tool)
    print(f"  {'renderer alone, sequential':34} {seconds:8.2f} s  ({builds} builds, {failed} failed)")
    if checkov:
        cmd = [checkov, "-d", folder, "--framework", tool, "--skip-download", "--quiet", "-o", "json",
               "--soft-fail"]
        show(f"checkov --framework {tool}", measure(cmd))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=str(REPO.parent / "shared" / "corpus"))
    parser.add_argument("--charts", default=str(REPO.parent / "shared" / "corpus-helm"))
    parser.add_argument("--checkov", default=shutil.which("checkov") or "/work/bench-venv/bin/checkov")
    parser.add_argument("--skip-checkov", action="store_true")
    parser.add_argument("--only", choices=["kustomize", "helm"])
    parser.add_argument("--cnsmm", default=str(Path(sys.executable).parent / "cnsmm"))
    args = parser.parse_args()
    checkov = None if args.skip_checkov or not Path(args.checkov).exists() else args.checkov
    if args.only != "kustomize":
        bench(args.charts, "helm", args.cnsmm, checkov)
    if args.only != "helm":
        bench(args.corpus, "kustomize", args.cnsmm, checkov)


if __name__ == "__main__":
    main()
