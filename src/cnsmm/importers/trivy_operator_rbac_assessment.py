"""Trivy Operator RbacAssessmentReport objects (kubectl get -o json/yaml)."""

from __future__ import annotations

from typing import IO

from cnsmm.importers import _trivy_operator
from cnsmm.importers.interface import ImportedReport

FORMAT = "trivy-operator-rbac-assessment"
VERSIONS = _trivy_operator.VERSIONS
sniff = _trivy_operator.sniffer("RbacAssessmentReport")


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a list of RbacAssessmentReport objects."""
    return _trivy_operator.parse(stream, source, FORMAT, "RbacAssessmentReport")
