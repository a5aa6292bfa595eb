"""One registry for every plugin family: ids, uniqueness, requirement ids, stable order."""

from __future__ import annotations

import re
from collections.abc import Iterable

import pytest

from cnsmm.capabilities.registry import REGISTRY as DETECTORS
from cnsmm.capabilities.registry import detector
from cnsmm.findings import Severity
from cnsmm.importers import FORMATS
from cnsmm.plugins import Registry, RegistryError
from cnsmm.rules import all_rules
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, registered, rule
from cnsmm.sources.k8s import K8sObject


def _meta(rule_id: str, requirements: tuple[str, ...]) -> RuleMeta:
    return RuleMeta(
        id=rule_id, name="test-only", title="Test", severity=Severity.LOW, scope=Scope.OBJECT, targets=("Pod",),
        requirements=requirements, what="x", why="x", fix="Fix it.", bad="x", good="x",
    )


def _check(obj: K8sObject, ctx: RuleContext) -> Iterable[Hit]:
    return ()


def test_a_rule_naming_a_requirement_the_model_lacks_fails_at_registration() -> None:
    all_rules()
    with pytest.raises(RegistryError, match=re.escape(
            "rule K8S-998: requirement 'PLT.RUN.L2.99' is not in the maturity model (did you mean PLT.RUN.L2.")):
        rule(_meta("K8S-998", ("PLT.RUN.L2.99",)))(_check)
    assert "K8S-998" not in registered()


@pytest.mark.parametrize(("rule_id", "message"), [
    ("K8S-1", r"rule id 'K8S-1' does not match \^\(K8S\|DKR\|CI\)-\\d\{3\}\$ \(expected e.g. 'K8S-001'\)"),
    ("K8S-001", "rule id 'K8S-001' is registered twice"),
])
def test_rule_ids_are_checked_at_registration(rule_id: str, message: str) -> None:
    all_rules()
    with pytest.raises(RegistryError, match=message):
        rule(_meta(rule_id, ("PLT.RUN.L2.1",)))(_check)


def test_a_detector_naming_a_requirement_the_model_lacks_fails_at_registration() -> None:
    with pytest.raises(RegistryError, match=re.escape("detector brand-new: requirement 'PLT.RUN.L2.99' is not in the maturity")):
        detector(id="brand-new", name="x", category="x", how="x", conditions="x",
                 supports=(("PLT.RUN.L2.99", "reason."),))
    assert "brand-new" not in DETECTORS


def test_every_family_lists_in_a_stable_order() -> None:
    assert list(registered()) == sorted(registered()) == [r.id for r in all_rules()]
    assert list(DETECTORS) == sorted(DETECTORS)
    assert list(FORMATS)[:2] == ["cnsmm-json", "sarif"]  # detection order: the most specific first
    assert all(name == FORMATS[name].FORMAT for name in FORMATS)


def test_a_registry_is_a_read_only_mapping_in_its_order() -> None:
    reg: Registry[int] = Registry("widget", re.compile(r"^[a-z]+$"), example="abc", sort=False)
    reg.register("b", 2)
    reg.register("a", 1)
    assert list(reg) == ["b", "a"] and reg["a"] == 1 and len(reg) == 2 and reg.get("c") is None
    with pytest.raises(RegistryError, match="widget id 'b' is registered twice"):
        reg.register("b", 3)
    with pytest.raises(RegistryError, match=r"widget id 'B1' does not match \^\[a-z\]\+\$ \(expected e.g. 'abc'\)"):
        reg.register("B1", 3)
    with pytest.raises(RegistryError, match="widget c: requirement 'nope' is not in the maturity model"):
        reg.register("c", 3, requirements=("nope",))
    assert list(reg) == ["b", "a"]
