"""What every report importer produces."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from cnsmm.findings import Finding


@dataclass(frozen=True, slots=True)
class Component:
    """An inventory entry (a package in an SBOM or scanned image)."""

    name: str
    version: str | None = None
    purl: str | None = None
    type: str | None = None
    licenses: tuple[str, ...] = ()


@dataclass
class ImportedReport:
    """One parsed report: who produced it, about what, and what it found.

    ``findings`` is an iterator so that very large reports can be streamed into the store
    without holding every finding in memory; consume it once.
    """

    format: str
    """Importer name, e.g. ``trivy-json``."""
    tool: str
    """Tool that produced the report (``trivy``, ``semgrep``, ...)."""
    tool_version: str | None
    scope: str
    """What was scanned (image reference, repository path, URL, cluster); a finding that a
    later scan of the same tool and scope no longer reports is closed as fixed."""
    findings: Iterator[Finding]
    generated_at: datetime | None = None
    components: list[Component] = field(default_factory=list)
    kind: str = "scan"
    """What the report evidences for the assessment: image-scan, sca, sast, dast, iac-scan,
    secret-scan, sbom, compliance, runtime, pentest."""
