"""Trivy Operator ConfigAuditReport objects (kubectl get -o json/yaml)."""

from __future__ import annotations

from typing import IO

from cnsmm.importers import _trivy_operator
from cnsmm.importers.interface import ImportedReport

FORMAT = "trivy-operator-config-audit"
VERSIONS = _trivy_operator.VERSIONS
sniff = _trivy_operator.sniffer("ConfigAuditReport")


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a list of ConfigAuditReport objects."""
    return _trivy_operator.parse(stream, source, FORMAT, "ConfigAuditReport")
