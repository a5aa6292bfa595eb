"""Data types of the capability catalogue: what a detector is, and what it reports.

Everything here is a frozen dataclass with slots and only plain values inside, so that
detections can cross process boundaries (pickle) and be compared and hashed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Status = Literal["effective", "partial"]
"""``effective``: present and configured so that it does its job; ``partial``: present but
not (provably) configured to do it fully."""

STATUSES: tuple[Status, ...] = ("effective", "partial")

REQUIREMENT_ID_RE = re.compile(r"^[A-Z]{3}\.[A-Z]{3}\.L[1-5]\.[1-9][0-9]*$")
"""CNMM-TAS requirement ids: ``SUBITEM.L<level>.<n>`` (e.g. ``PLT.RUN.L2.1``)."""

MAX_EVIDENCE = 12
"""Most evidence items kept per detection (the first ones, in the detector's order)."""

DETECTOR_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
"""Detector ids are kebab-case and stable (``falco``, ``pod-security-admission``)."""


@dataclass(frozen=True, slots=True)
class Support:
    """One requirement a capability supports, and why it does."""

    requirement: str
    """Requirement id, ``SUBITEM.L<level>.<n>``."""
    why: str
    """One line: how the capability helps meet the requirement."""


@dataclass(frozen=True, slots=True)
class Detector:
    """Metadata of one capability detector. The docs page is generated from it."""

    id: str
    """Stable kebab-case id (``falco``)."""
    name: str
    """Display name (``Falco``)."""
    category: str
    """Theme such as ``runtime-detection`` or ``backup``."""
    supports: tuple[Support, ...]
    """Requirements the capability supports, each with its reason."""
    how: str
    """How the component is recognised among the deployed objects."""
    conditions: str
    """What configuration makes it count fully (``effective``) rather than ``partial``."""

    @property
    def requirements(self) -> tuple[str, ...]:
        """Ids of the requirements the capability supports, in catalogue order."""
        return tuple(s.requirement for s in self.supports)

    def why(self, requirement: str) -> str:
        """The reason given for ``requirement``; an empty string when it is not supported."""
        for s in self.supports:
            if s.requirement == requirement:
                return s.why
        return ""


@dataclass(frozen=True, slots=True)
class CapabilityEvidence:
    """One object (or field) that shows the capability is there or how it is configured."""

    file: str
    line: int
    resource: str
    """``Kind/namespace/name`` (``Kind/name`` when cluster-scoped or without namespace)."""
    detail: str
    """What this object shows, as a short phrase."""


@dataclass(frozen=True, slots=True)
class Detection:
    """A capability found among one set of deployed objects."""

    detector: str
    """Detector id."""
    name: str
    category: str
    status: Status
    requirements_effective: tuple[str, ...]
    """Requirements this detection fully supports."""
    requirements_partial: tuple[str, ...]
    """Requirements this detection supports only in part."""
    reason_en: str
    """One sentence: what was found and why it does or does not fully count."""
    reason_zh: str
    """The same sentence in Chinese."""
    evidence: tuple[CapabilityEvidence, ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a detector function returns; :func:`cnsmm.capabilities.detect` completes it.

    ``effective`` and ``partial`` default from ``status``: every supported requirement is
    effective for an effective outcome and partial for a partial one. A detector narrows
    them when only some requirements are met (e.g. Istio with access policies but without
    strict mTLS).
    """

    status: Status
    reason_en: str
    reason_zh: str
    evidence: tuple[CapabilityEvidence, ...]
    effective: tuple[str, ...] | None = None
    partial: tuple[str, ...] | None = None
