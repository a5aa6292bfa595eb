"""Registration of detectors: metadata (data) next to a detect function (logic).

Each theme module declares its detectors with :func:`detector`; the package gathers them
into the sorted :data:`cnsmm.capabilities.CATALOGUE`. A bad registration (duplicate id,
malformed id, a requirement the model does not have) raises at import time; the checks are
those of every plugin family (:class:`cnsmm.plugins.Registry`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from cnsmm.capabilities.index import Index
from cnsmm.capabilities.model import (
    DETECTOR_ID_RE,
    REQUIREMENT_ID_RE,
    CapabilityEvidence,
    Detector,
    Outcome,
    Status,
    Support,
)
from cnsmm.plugins import Registry, RegistryError

DetectFn = Callable[[Index], Outcome | None]
"""A detector's logic: an outcome when the capability is present, else None."""

REGISTRY: Registry[tuple[Detector, DetectFn]] = Registry(
    "detector", DETECTOR_ID_RE, example="falco", id_rule="is not kebab-case"
)
"""Every registered detector by id, with its function."""


def detector(
    *,
    id: str,
    name: str,
    category: str,
    supports: Sequence[tuple[str, str]],
    how: str,
    conditions: str,
) -> Callable[[DetectFn], DetectFn]:
    """Register the decorated function as the logic of a detector with this metadata."""
    for req, why in supports:
        if not REQUIREMENT_ID_RE.match(req):
            raise RegistryError(f"detector {id!r}: requirement {req!r} is not of the form SUBITEM.L<level>.<n>")
        if not why.strip():
            raise RegistryError(f"detector {id!r}: requirement {req} has no reason")
    meta = Detector(id, name, category, tuple(Support(r, w) for r, w in supports), how, conditions)
    REGISTRY.check(id, requirements=meta.requirements)

    def register(fn: DetectFn) -> DetectFn:
        REGISTRY.register(id, (meta, fn), requirements=meta.requirements)
        return fn

    return register


def outcome(
    status: Status,
    en: str,
    zh: str,
    evidence: Iterable[CapabilityEvidence],
    *,
    effective: Iterable[str] | None = None,
    partial: Iterable[str] | None = None,
) -> Outcome:
    """Build an :class:`Outcome` (lists become tuples)."""
    return Outcome(
        status,
        en,
        zh,
        tuple(evidence),
        None if effective is None else tuple(effective),
        None if partial is None else tuple(partial),
    )


def collect(value: Any, key: str, depth: int = 10) -> list[Any]:
    """Every value stored under ``key`` anywhere below ``value`` (bounded depth)."""
    found: list[Any] = []
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        current, level = stack.pop()
        if level > depth:
            continue
        if isinstance(current, dict):
            for k, v in current.items():
                if k == key:
                    found.append(v)
                stack.append((v, level + 1))
        elif isinstance(current, list):
            stack.extend((v, level + 1) for v in current)
    return found
