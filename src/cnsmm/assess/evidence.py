"""The evidence an assessment is computed from: plain data, gathered by the CLI or built by hand."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cnsmm.vocab import STATUS_VALUES, Verdict

STATUSES: tuple[str, ...] = STATUS_VALUES
"""Requirement statuses, best first (``unknown`` counts as not met for levels)."""

ATTESTABLE: tuple[str, ...] = tuple(s for s in STATUS_VALUES if s != Verdict.UNKNOWN)
"""Statuses an attestation may give."""


@dataclass(frozen=True, slots=True)
class CheckEvidence:
    """Coverage of one rule: the subjects it evaluated and those that failed."""

    rule: str
    requirements: tuple[str, ...]
    evaluated: tuple[str, ...]
    """Unique subjects (``set::Kind/ns/name`` or a file) the rule was applied to."""
    failed: tuple[str, ...]
    """The subset that failed."""
    title: str = ""
    where: tuple[tuple[str, str], ...] = ()
    """(failed subject, ``file:line``) pairs, where the findings say."""
    severity: str = "medium"
    """Severity of the rule's findings (the most severe seen); weighs failing objects."""
    accepted: tuple[tuple[str, str], ...] = ()
    """(failed subject, reason) of failures that are expected exceptions (a node agent's host
    access, a namespace that enforces Pod Security ``privileged``, a documented exception): shown
    as accepted, counted as passing."""


@dataclass(frozen=True, slots=True)
class CapabilityEvidence:
    """A security component detected among the scanned objects."""

    detector: str
    name: str
    category: str
    status: str
    """``effective`` or ``partial``."""
    requirements_effective: tuple[str, ...]
    requirements_partial: tuple[str, ...]
    reason_en: str
    reason_zh: str
    where: str = ""
    """``file:line`` or resource of the evidence."""
    why: tuple[tuple[str, str], ...] = ()
    """(requirement id, how the component helps meet it), from the detector's catalogue entry."""


@dataclass(frozen=True, slots=True)
class ReportEvidence:
    """An imported scanner report."""

    path: str
    format: str
    tool: str
    kind: str
    scope: str = ""
    generated_at: datetime | None = None
    dated_by_file: bool = False
    """True when the report has no date and the file's modification time stands in."""
    severities: tuple[tuple[str, int], ...] = ()
    """(severity, count) of its findings."""

    @property
    def findings(self) -> int:
        """Number of findings in the report."""
        return sum(n for _, n in self.severities)

    def count(self, *severities: str) -> int:
        """Findings of the given severities."""
        return sum(n for s, n in self.severities if s in severities)


@dataclass(frozen=True, slots=True)
class PipelineEvidence:
    """A security activity found in a CI pipeline file."""

    category: str
    tool: str
    blocking: bool
    file: str
    line: int | None = None
    job: str = ""

    def display(self) -> str:
        """``file:line``."""
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True, slots=True)
class Attestation:
    """A signed-off answer for one requirement."""

    requirement: str
    status: str
    owner: str
    date: dt.date
    file: str
    line: int
    evidence: tuple[str, ...] = ()
    expires: dt.date | None = None
    note: str = ""

    def display(self) -> str:
        """``file:line``."""
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class AttestationProblem:
    """An attestation answer that does not count, and why."""

    file: str
    line: int
    requirement: str | None
    message: str
    whole_document: bool = False
    """The document as a whole is unusable (not YAML, empty, not an ``attestations:`` list), as
    opposed to one answer that does not count."""

    def display(self) -> str:
        """``file:line: [id] message``."""
        rid = f"{self.requirement}: " if self.requirement else ""
        return f"{self.file}:{self.line}: {rid}{self.message}"


@dataclass(frozen=True)
class EvidenceBundle:
    """Everything an assessment looks at. ``now`` fixes the clock for ages and expiry."""

    checks: tuple[CheckEvidence, ...] = ()
    capabilities: tuple[CapabilityEvidence, ...] = ()
    reports: tuple[ReportEvidence, ...] = ()
    pipelines: tuple[PipelineEvidence, ...] = ()
    attestations: tuple[Attestation, ...] = ()
    attestation_problems: tuple[AttestationProblem, ...] = ()
    inputs: tuple[str, ...] = ()
    """Paths that were scanned."""
    input_errors: tuple[str, ...] = ()
    """Inputs that could not be read, as ``file:line: message``."""
    files: int = 0
    objects: int = 0
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
