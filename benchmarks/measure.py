"""Run a command and measure wall time and peak memory of its whole process tree.

Peak memory is the highest sum of resident set sizes of the command and all its
descendants, sampled every 20 ms from /proc (so worker processes count), and, as a
cross-check, the largest single-process peak reported by the kernel (ru_maxrss).
"""

from __future__ import annotations

import contextlib
import os
import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Measurement:
    """Result of one run."""

    seconds: float
    peak_tree_mib: float
    peak_single_mib: float
    returncode: int


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out += [int(c) for c in (task / "children").read_text().split()]
    return out


def _tree_rss_kib(root: int) -> int:
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            continue
        stack += _children(pid)
    return total


def measure(cmd: list[str], env: dict[str, str] | None = None, cwd: str | None = None) -> Measurement:
    """Run ``cmd`` with output discarded; return time and memory."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, **(env or {})}, cwd=cwd)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kib(proc.pid))
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    single = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return Measurement(seconds, peak / 1024, max(single, before) / 1024, proc.returncode)
