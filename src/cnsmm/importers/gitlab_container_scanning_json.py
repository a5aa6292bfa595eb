"""GitLab container scanning report (``scan.type`` container_scanning); see :mod:`cnsmm.importers._gitlab`."""

from __future__ import annotations

from typing import IO

from cnsmm.importers import _gitlab
from cnsmm.importers.interface import ImportedReport

FORMAT = "gitlab-container-scanning-json"
VERSIONS = _gitlab.VERSIONS
sniff = _gitlab.sniffer("container_scanning")


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a GitLab container scanning report."""
    return _gitlab.parse(stream, source, FORMAT, "container_scanning")
