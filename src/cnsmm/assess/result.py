"""What an assessment produces, and the options that steer it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cnsmm.assess.evidence import STATUSES
from cnsmm.model.types import Text

SCHEMA_VERSION = "1.2"
"""Version of the JSON output schema (docs/assessment.md)."""

LEVEL_MODES: tuple[str, ...] = ("largely", "strict", "threshold")
"""How a practice passes a level: every gate requirement fully or largely implemented (default),
every one met/NA (strict), or a credit share (threshold)."""

RATINGS: tuple[str, ...] = ("fully", "largely", "partially", "not")
"""How far a requirement is implemented (CMMI appraisal: FI, LI, PI, NI)."""


@dataclass(frozen=True)
class Target:
    """The level the gap analysis aims at: overall, and per domain."""

    overall: int | None = None
    """``None``: one level above the current overall level."""
    domains: dict[str, int] = field(default_factory=dict)

    def display(self) -> str:
        """``L3`` or ``L3, DEV=L4``."""
        parts = [f"L{self.overall}"] if self.overall else []
        parts += [f"{d}=L{n}" for d, n in sorted(self.domains.items())]
        return ", ".join(parts) or "next level"


@dataclass(frozen=True)
class AssessOptions:
    """Knobs of the assessment (all documented in docs/assessment.md)."""

    threshold: float = 100.0
    """Share (percent) of relevant objects that must pass the rules for a requirement to be met."""
    report_max_age_days: int = 90
    """Imported reports older than this do not count."""
    level_mode: str = "largely"
    """``largely`` (default), ``strict`` or ``threshold``."""
    level_share: float = 80.0
    """Percent: in ``largely`` mode the severity-weighted passing share of objects that makes a
    requirement largely implemented; in ``threshold`` mode the credit share a level needs."""
    target: Target = field(default_factory=Target)
    max_listed: int = 20
    """Failing objects listed per rule."""


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    """One piece of evidence for or against a requirement."""

    source: str
    """check, capability, report, pipeline or attestation."""
    verdict: str
    """met, partial, not-met, not-applicable, or ``ignored`` (seen but not counted)."""
    ref: str
    """Rule id, detector id, report path, pipeline file or attestation file."""
    text: Text
    where: tuple[str, ...] = ()
    """Locations: ``file:line``, resources, failing objects."""
    accepted_exception: bool = False
    """True for an expected exception shown as evidence (accepted, not a failure)."""


@dataclass(frozen=True, slots=True)
class RequirementResult:
    """The status of one requirement and why."""

    id: str
    level: int
    status: str
    evidence: tuple[EvidenceItem, ...]
    summary: Text
    coverage: tuple[int, int] | None = None
    """(passing, evaluated) objects, when rules apply."""
    settle: tuple[Text, ...] = ()
    """What evidence would settle it (for unknown and partial statuses)."""
    automated: str | None = None
    """Status from automated evidence alone."""
    attested: str | None = None
    """Status from a valid attestation."""
    disagreement: Text | None = None
    rating: str = "not"
    """fully, largely, partially or not implemented (:data:`RATINGS`)."""
    weighted: float | None = None
    """Severity-weighted passing share of the objects (0-1), when rules measured it."""
    blocking: tuple[str, ...] = ()
    """Why it is not largely implemented although most objects pass (critical failures)."""


@dataclass(frozen=True, slots=True)
class PracticeResult:
    """The level of one practice item."""

    id: str
    level: int
    progress: int
    """Percent (floored) of the next level's requirements met; 100 at L5."""
    score: float
    """``level + progress/100``."""
    fallback_levels: tuple[int, ...] = ()
    """Levels where the practice has no requirement of its own and the sub-item's apply."""
    blockers: tuple[str, ...] = ()
    """Requirement ids that hold the next level, most actionable first."""


@dataclass(frozen=True, slots=True)
class LevelResult:
    """Level and average score of a sub-item, a domain or the whole estate."""

    id: str
    level: int
    score: float
    target: int | None = None
    coverage: int = 0
    """Percent (floored) of the requirements up to the target that have any evidence."""
    level_if_answered: int = 0
    """The level if every open question (requirement without any evidence) were answered met."""
    blockers: tuple[str, ...] = ()
    """Requirement ids that hold the next level, most actionable first."""


@dataclass(frozen=True, slots=True)
class Action:
    """One step of the improvement plan."""

    id: str
    kind: str
    """fix-rules, scan-inputs, configure-component, deploy-component, make-blocking,
    add-pipeline-stage, import-report, implement-and-attest, provide-attestation."""
    phase: int
    """The level it unlocks (the lowest level among its requirements)."""
    effort: float
    """Estimated person-days (docs/assessment.md, "Effort")."""
    requirements: tuple[str, ...]
    practices: tuple[str, ...]
    text: Text
    detail: tuple[str, ...] = ()
    """Rules and failing objects, components, pipeline files."""


@dataclass(frozen=True, slots=True)
class PhaseEffort:
    """The actions of one phase of the plan and their summed estimate."""

    phase: int
    """The level the phase unlocks."""
    actions: int
    effort: float
    """Person-days, rounded to two decimals."""


@dataclass(frozen=True, slots=True)
class Gap:
    """A practice below its target and what it misses."""

    practice: str
    level: int
    target: int
    missing: tuple[str, ...]
    actions: tuple[str, ...]
    """Ids of the plan actions that close it."""


@dataclass(frozen=True)
class Assessment:
    """The full result."""

    model_version: str
    generated_at: datetime
    options: AssessOptions
    requirements: dict[str, RequirementResult]
    practices: dict[str, PracticeResult]
    sub_items: dict[str, LevelResult]
    domains: dict[str, LevelResult]
    overall: LevelResult
    gaps: tuple[Gap, ...]
    plan: tuple[Action, ...]
    inputs: dict[str, object] = field(default_factory=dict)
    """Counts and paths of what was looked at, and problems with the inputs."""

    def status_counts(self) -> dict[str, int]:
        """Number of requirements per status, every status present, best first."""
        counts = dict.fromkeys(STATUSES, 0)
        for r in self.requirements.values():
            counts[r.status] += 1
        return counts
