"""The capability detector catalogue: security components found among deployed objects.

Public API:

- :data:`CATALOGUE` — every :class:`Detector` (metadata only), sorted by id.
- :func:`detect` — the :class:`Detection` values for one set of objects deployed together.
- :func:`render_catalogue_markdown` — docs/capabilities.md, generated from the catalogue.

A detection is ``effective`` when the component is present and configured to do its job,
``partial`` when it is present but not (provably) configured so; each names the
requirements it supports fully and in part, says why in English and Chinese, and points
at the objects that show it.
"""

from __future__ import annotations

from collections.abc import Sequence

from cnsmm.capabilities import (  # noqa: F401 - importing a theme module registers its detectors
    availability,
    delivery,
    identity,
    logs,
    mesh,
    network,
    observability,
    platform,
    policy,
    protection,
    runtime,
    scanning,
    secrets,
    signing,
    tracing,
    waf,
)
from cnsmm.capabilities.docs import render_catalogue_markdown
from cnsmm.capabilities.gitops import Release
from cnsmm.capabilities.index import Index
from cnsmm.capabilities.model import (
    MAX_EVIDENCE,
    CapabilityEvidence,
    Detection,
    Detector,
    Outcome,
    Status,
    Support,
)
from cnsmm.capabilities.registry import REGISTRY
from cnsmm.sources.k8s import K8sObject

__all__ = [
    "CATALOGUE",
    "MAX_EVIDENCE",
    "CapabilityEvidence",
    "Detection",
    "Detector",
    "Status",
    "Support",
    "detect",
    "render_catalogue_markdown",
]

CATALOGUE: tuple[Detector, ...] = tuple(REGISTRY[k][0] for k in sorted(REGISTRY))
"""Every detector, sorted by id."""


def _complete(meta: Detector, result: Outcome) -> Detection:
    supported = meta.requirements
    if result.effective is None and result.partial is None:
        effective = supported if result.status == "effective" else ()
        partial = supported if result.status == "partial" else ()
    else:
        effective = tuple(r for r in supported if r in (result.effective or ()))
        partial = tuple(r for r in supported if r in (result.partial or ()) and r not in effective)
    evidence: list[CapabilityEvidence] = []
    for item in result.evidence:
        if item not in evidence:
            evidence.append(item)
            if len(evidence) == MAX_EVIDENCE:
                break
    return Detection(
        detector=meta.id,
        name=meta.name,
        category=meta.category,
        status=result.status,
        requirements_effective=effective,
        requirements_partial=partial,
        reason_en=result.reason_en,
        reason_zh=result.reason_zh,
        evidence=tuple(evidence),
    )


def detect(objects: Sequence[K8sObject], releases: Sequence[Release] = ()) -> list[Detection]:
    """Capabilities present among ``objects`` (one set deployed together), in catalogue order;
    ``releases`` adds components installed by files that hold no objects (helmfiles).

    Pure: reads the objects only. One pass builds the lookups, then each detector runs.
    """
    if not objects and not releases:
        return []
    ix = Index(objects, releases)
    out: list[Detection] = []
    for meta in CATALOGUE:
        result = REGISTRY[meta.id][1](ix)
        if result is not None:
            out.append(_complete(meta, result))
    return out
