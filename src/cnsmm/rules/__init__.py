"""The rule registry: every rule of every target, sorted by id.

Rule modules live in ``k8s/``, ``docker/`` and ``ci/``; each registers its rules with the
:func:`~cnsmm.rules.base.rule` decorator when imported. :func:`all_rules` imports every
module of those packages once, so adding a rule needs no edit here.
"""

from __future__ import annotations

import importlib
import pkgutil

from cnsmm.rules.base import Hit, Rule, RuleContext, RuleMeta, Scope, registered, rule

__all__ = ["Hit", "Rule", "RuleContext", "RuleMeta", "Scope", "all_rules", "get_rule", "rule"]

_PACKAGES = ("cnsmm.rules.k8s", "cnsmm.rules.docker", "cnsmm.rules.ci")
_loaded = False


def _load() -> None:
    global _loaded  # noqa: PLW0603 - import-once guard
    if _loaded:
        return
    for package_name in _PACKAGES:
        package = importlib.import_module(package_name)
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            if not info.name.startswith("_"):
                importlib.import_module(f"{package_name}.{info.name}")
    _loaded = True


def all_rules() -> list[Rule]:
    """Every registered rule, sorted by id."""
    _load()
    return list(registered().values())


def get_rule(rule_id: str) -> Rule | None:
    """The rule with ``rule_id`` (any letter case), or None."""
    _load()
    return registered().get(rule_id.strip().upper())
