"""Evidence paths of the shipped rules and capability detectors.

The model (:mod:`cnsmm.model.paths`) says how paths combine; this module supplies what the
rule registry and the capability catalogue declare, so the model stays below both. They are
imported when first asked for, so that importing the assessment does not load every rule.
"""

from __future__ import annotations

from functools import cache

from cnsmm.model.paths import DetectorRef, EvidencePaths, build_paths
from cnsmm.model.types import Model


def registry_rules() -> list[tuple[str, tuple[str, ...]]]:
    """(rule id, requirements) of every registered rule."""
    from cnsmm.rules import all_rules

    return [(r.meta.id, tuple(r.meta.requirements)) for r in all_rules()]


def catalogue_detectors() -> list[tuple[DetectorRef, tuple[str, ...]]]:
    """(detector, requirements) of every detector in the capability catalogue."""
    from cnsmm.capabilities import CATALOGUE

    return [
        (DetectorRef(det.id, det.name, det.category), tuple(det.requirements)) for det in CATALOGUE
    ]


def default_paths(model: Model) -> EvidencePaths:
    """Evidence paths from the rule registry, the capability catalogue and the model table."""
    return build_paths(model, registry_rules(), catalogue_detectors())


@cache
def rule_requires() -> dict[str, tuple[str, ...]]:
    """The options each shipped rule needs before it is evaluated (rules without are left out)."""
    from cnsmm.rules import all_rules

    return {r.meta.id: tuple(r.meta.requires) for r in all_rules() if r.meta.requires}
