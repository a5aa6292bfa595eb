"""A separate OS process that imports generated findings (used by the concurrency tests).

    python -m tests.tracking.store_worker URL PROJECT SCOPE START COUNT [--repeat N]
        [--hold-in-merge MARKER | --hold-at-item N MARKER]

``--hold-in-merge`` does every write of the merge, then creates MARKER and sleeps before the
commit; ``--hold-at-item`` creates MARKER and sleeps while staging item N. The test kills
the process with SIGKILL at that point.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers.interface import ImportedReport
from cnsmm.tracking import importer
from cnsmm.tracking.store import open_store


def findings(start: int, count: int, hold_at: int | None, marker: Path | None) -> Iterator[Finding]:
    """``count`` distinct vulnerabilities numbered from ``start`` (same image, so they overlap)."""
    for n in range(start, start + count):
        if hold_at is not None and n - start + 1 == hold_at and marker is not None:
            marker.touch()
            time.sleep(120)
        yield Finding(
            rule=f"CVE-2024-{n:05d}",
            severity=list(Severity)[n % 5],
            title=f"CVE-2024-{n:05d} in pkg-{n % 97}",
            message="vulnerable",
            location=Location(image="registry.example.com/shop/web:1.8.2"),
            tool="trivy",
            category="vulnerability",
            component=f"pkg-{n % 97}",
            installed_version="1.0.0",
        )


def main() -> None:
    """Parse the arguments and import."""
    parser = argparse.ArgumentParser()
    for name in ("url", "project", "scope"):
        parser.add_argument(name)
    parser.add_argument("start", type=int)
    parser.add_argument("count", type=int)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--hold-in-merge", type=Path)
    parser.add_argument("--hold-at-item", nargs=2)
    args = parser.parse_args()
    if args.hold_in_merge:
        real = importer._merge

        def held(*a: Any, **kw: Any) -> importer.ImportSummary:
            summary = real(*a, **kw)
            args.hold_in_merge.touch()
            time.sleep(120)
            return summary

        importer._merge = held  # type: ignore[assignment]
    hold_at, marker = (int(args.hold_at_item[0]), Path(args.hold_at_item[1])) if args.hold_at_item else (None, None)
    store = open_store(args.url)
    for _ in range(args.repeat):
        report = ImportedReport(
            format="trivy-json",
            tool="trivy",
            tool_version="0.67.2",
            scope=args.scope,
            findings=findings(args.start, args.count, hold_at, marker),
        )
        importer.import_report(
            store,
            report,
            project=args.project,
            source_name="worker.json",
            source_sha256=hashlib.sha256(f"{args.start}:{args.count}".encode()).hexdigest(),
            actor="worker",
        )


if __name__ == "__main__":
    main()
