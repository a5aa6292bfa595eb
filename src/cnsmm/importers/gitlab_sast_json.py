"""GitLab sast report (``scan.type`` sast); see :mod:`cnsmm.importers._gitlab`."""

from __future__ import annotations

from typing import IO

from cnsmm.importers import _gitlab
from cnsmm.importers.interface import ImportedReport

FORMAT = "gitlab-sast-json"
VERSIONS = _gitlab.VERSIONS
sniff = _gitlab.sniffer("sast")


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a GitLab sast report."""
    return _gitlab.parse(stream, source, FORMAT, "sast")
