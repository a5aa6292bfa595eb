"""Finding identity and image references: cost as the input grows.

Usage:
    python benchmarks/bench_identity.py [--max N]

Times, for inputs of doubling length up to N characters (default 160,000), the steps a
fingerprint runs on text from reports: the content anchor of a message that is one long word,
of a message with a long run of blanks after "line", and of one with many ``file.ext:N`` words;
and the parse of an image reference with a very long name. Each step is linear, so the time
per 1,000 characters stays flat as the length doubles (before the one-pass rewrite the first
two grew with the square of the length: 1.8 s for 40,000 characters).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from cnsmm.identity import content_anchor
from cnsmm.imageref import parse_image

CASES: dict[str, Callable[[int], str]] = {
    "anchor: one word": lambda n: "a" * n,
    "anchor: blanks after 'line'": lambda n: "line" + " " * n + "x",
    "anchor: file.ext:N words": lambda n: "a.py:1 " * (n // 7),
    "image: long name": lambda n: "registry.example.com/" + "a" * n + ":1.0",
}


def _time(step: Callable[[str], object], text: str, runs: int = 3) -> float:
    """Median seconds of ``runs`` calls (the machine may be busy)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        step(text)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max", type=int, default=160_000)
    args = parser.parse_args()
    print(f"{'case':32} {'length':>9} {'ms':>9} {'µs/1000 chars':>14}")
    for name, build in CASES.items():
        step: Callable[[str], object] = content_anchor if name.startswith("anchor") else parse_image
        length = 10_000
        while length <= args.max:
            text = build(length)
            seconds = _time(step, text)
            print(f"{name:32} {len(text):>9,} {seconds * 1000:>9.2f} {seconds * 1e9 / len(text):>14.2f}")
            length *= 2


if __name__ == "__main__":
    main()
