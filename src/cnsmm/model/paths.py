"""Which evidence can show each requirement: rules, capability detectors, reports, pipeline steps.

Rules declare their requirements in ``RuleMeta.requirements``; capability detectors in the
catalogue's ``requirements``; report kinds and pipeline categories are in the model file. This
module only combines them (:func:`build_paths`); collecting the rules and detectors is the
assessment's job (:func:`cnsmm.assess.paths.default_paths`), so the model imports neither. Any
requirement can also be answered by an attestation; those with no automated path go into the
questionnaire (``cnsmm attest init``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from cnsmm.model.types import Model
from cnsmm.vocab import EVIDENCE_SOURCE_VALUES, EvidenceSource

EVIDENCE_KINDS: tuple[str, ...] = EVIDENCE_SOURCE_VALUES
"""The evidence paths, in the order they are listed."""


@dataclass(frozen=True, slots=True)
class DetectorRef:
    """A capability detector that can evidence a requirement."""

    id: str
    name: str
    category: str = ""


@dataclass(frozen=True, slots=True)
class RequirementPaths:
    """How one requirement can be evidenced."""

    rules: tuple[str, ...] = ()
    detectors: tuple[DetectorRef, ...] = ()
    reports: tuple[tuple[str, str], ...] = ()
    pipeline: tuple[tuple[str, str], ...] = ()

    @property
    def automated(self) -> bool:
        """True when some file, cluster dump, report or pipeline can show it."""
        return bool(self.rules or self.detectors or self.reports or self.pipeline)

    @property
    def can_meet(self) -> bool:
        """True when automated evidence alone can make it met (not only partial): a rule, a
        detector, or a report kind or pipeline category that is not marked ``partial``."""
        return bool(
            self.rules
            or self.detectors
            or any(s != "partial" for _, s in self.reports)
            or any(s != "partial" for _, s in self.pipeline)
        )

    def kinds(self) -> tuple[str, ...]:
        """The evidence paths available, a subset of :data:`EVIDENCE_KINDS`; attestation always."""
        have: dict[str, bool] = {
            EvidenceSource.CHECK: bool(self.rules),
            EvidenceSource.CAPABILITY: bool(self.detectors),
            EvidenceSource.REPORT: bool(self.reports),
            EvidenceSource.PIPELINE: bool(self.pipeline),
            EvidenceSource.ATTESTATION: True,
        }
        return tuple(k for k in EVIDENCE_KINDS if have[k])


@dataclass(frozen=True)
class EvidencePaths:
    """Evidence paths of every requirement of a model."""

    by_requirement: dict[str, RequirementPaths] = field(default_factory=dict)
    unknown_references: tuple[str, ...] = ()
    """``source: id`` of rules or detectors naming requirement ids the model does not have."""

    def of(self, requirement_id: str) -> RequirementPaths:
        """The paths of one requirement (empty when none)."""
        return self.by_requirement.get(requirement_id, RequirementPaths())

    def automated_share(self) -> tuple[int, int]:
        """(requirements with an automated path, all requirements)."""
        total = len(self.by_requirement)
        return sum(1 for p in self.by_requirement.values() if p.automated), total


def build_paths(
    model: Model,
    rules: Iterable[tuple[str, tuple[str, ...]]],
    detectors: Iterable[tuple[DetectorRef, tuple[str, ...]]],
) -> EvidencePaths:
    """Combine (rule id, requirements) and (detector, requirements) with the model's own table."""
    rule_map: dict[str, list[str]] = {r: [] for r in model.requirements}
    det_map: dict[str, list[DetectorRef]] = {r: [] for r in model.requirements}
    unknown: list[str] = []
    for rule_id, reqs in rules:
        for req in reqs:
            if req in rule_map:
                rule_map[req].append(rule_id)
            else:
                unknown.append(f"rule {rule_id}: {req}")
    for det, reqs in detectors:
        for req in reqs:
            if req in det_map:
                if det not in det_map[req]:
                    det_map[req].append(det)
            else:
                unknown.append(f"detector {det.id}: {req}")
    by_req = {
        rid: RequirementPaths(tuple(sorted(set(rule_map[rid]))), tuple(det_map[rid]), req.reports, req.pipeline)
        for rid, req in model.requirements.items()
    }
    return EvidencePaths(by_req, tuple(unknown))
