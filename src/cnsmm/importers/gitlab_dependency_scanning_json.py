"""GitLab dependency scanning report (``scan.type`` dependency_scanning); see :mod:`cnsmm.importers._gitlab`."""

from __future__ import annotations

from typing import IO

from cnsmm.importers import _gitlab
from cnsmm.importers.interface import ImportedReport

FORMAT = "gitlab-dependency-scanning-json"
VERSIONS = _gitlab.VERSIONS
sniff = _gitlab.sniffer("dependency_scanning")


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a GitLab dependency scanning report."""
    return _gitlab.parse(stream, source, FORMAT, "dependency_scanning")
