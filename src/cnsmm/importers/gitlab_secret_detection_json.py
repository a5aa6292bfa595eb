"""GitLab secret detection report (``scan.type`` secret_detection); see :mod:`cnsmm.importers._gitlab`."""

from __future__ import annotations

from typing import IO

from cnsmm.importers import _gitlab
from cnsmm.importers.interface import ImportedReport

FORMAT = "gitlab-secret-detection-json"
VERSIONS = _gitlab.VERSIONS
sniff = _gitlab.sniffer("secret_detection")


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a GitLab secret detection report."""
    return _gitlab.parse(stream, source, FORMAT, "secret_detection")
