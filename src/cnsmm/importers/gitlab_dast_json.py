"""GitLab dast report (``scan.type`` dast); see :mod:`cnsmm.importers._gitlab`."""

from __future__ import annotations

from typing import IO

from cnsmm.importers import _gitlab
from cnsmm.importers.interface import ImportedReport

FORMAT = "gitlab-dast-json"
VERSIONS = _gitlab.VERSIONS
sniff = _gitlab.sniffer("dast")


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a GitLab dast report."""
    return _gitlab.parse(stream, source, FORMAT, "dast")
