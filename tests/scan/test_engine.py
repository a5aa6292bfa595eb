"""The rule engine: a rule that raises, in any scope, is one internal error; the scan goes on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cnsmm.config import Config
from cnsmm.findings import Severity
from cnsmm.rules import all_rules
from cnsmm.rules.base import Hit, RegistryError, Rule, RuleContext, RuleMeta, Scope, rule
from cnsmm.scan import orchestrate, scan_paths
from cnsmm.sources.dockerfile_model import Dockerfile
from cnsmm.sources.k8s import Container, K8sObject, ObjectSet, PodSpec
from cnsmm.sources.pipelines.model import Pipeline
from cnsmm.vocab import InputErrorKind

MANIFEST = """\
# two workloads: one privileged, one fine
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    spec:
      containers:
        - name: api
          image: registry.example/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
          securityContext: {privileged: true}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers:
        - name: web
          image: registry.example/web:1.2.3
"""
DOCKERFILE = "FROM alpine:3.20\nUSER root\n"
WORKFLOW = """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: curl -fsSL https://get.example.com/install.sh | bash
"""


def _meta(rule_id: str, scope: Scope, targets: tuple[str, ...]) -> RuleMeta:
    return RuleMeta(id=rule_id, name="raises", title="Raises", severity=Severity.LOW, scope=scope,
                    targets=targets, requirements=(), what="x", why="x", fix="x.", bad="x", good="x")


def _object(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    raise KeyError(obj.name)


def _pod(pod: PodSpec, ctx: RuleContext) -> Iterator[Hit]:
    raise ValueError("pod")


def _container(c: Container, ctx: RuleContext) -> Iterator[Hit]:
    yield Hit("partial hit, dropped with the failure")
    raise TypeError("container")


def _set(objs: ObjectSet, ctx: RuleContext) -> Iterator[Hit]:
    raise RuntimeError("set")


def _dockerfile(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    raise IndexError("dockerfile")


def _pipeline(p: Pipeline, ctx: RuleContext) -> Iterator[Hit]:
    raise AttributeError("pipeline")


RAISING = [
    Rule(_meta("K8S-990", Scope.OBJECT, ("Deployment",)), _object),
    Rule(_meta("K8S-991", Scope.POD, ("Deployment",)), _pod),
    Rule(_meta("K8S-992", Scope.CONTAINER, ("Deployment",)), _container),
    Rule(_meta("K8S-993", Scope.SET, ("*",)), _set),
    Rule(_meta("DKR-999", Scope.DOCKERFILE, ("Dockerfile",)), _dockerfile),
    Rule(_meta("CI-999", Scope.PIPELINE, ("github-actions",)), _pipeline),
]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "deploy.yaml").write_text(MANIFEST)
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW)
    return tmp_path


def test_a_raising_rule_in_every_scope_is_one_internal_error(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = Config(workers=1)  # the patched rule list lives in this process
    clean = scan_paths([str(tree)], config)
    assert clean.complete
    assert {"K8S-001", "DKR-005", "CI-008"} <= {f.rule for f in clean.findings}

    monkeypatch.setattr(orchestrate, "enabled_rules", lambda config: [*all_rules(), *RAISING])
    broken = scan_paths([str(tree)], config)

    internal = [e for e in broken.errors if e.kind == InputErrorKind.INTERNAL]
    assert sorted(e.rule or "" for e in internal) == sorted(r.id for r in RAISING)
    assert [e for e in broken.errors if e.kind != InputErrorKind.INTERNAL] == clean.errors
    for e in internal:
        assert f"rule {e.rule} failed on " in e.message and "please report it" in e.message
    by_rule = {e.rule: e for e in internal}
    assert by_rule["K8S-990"].file.endswith("deploy.yaml") and by_rule["K8S-990"].line == 2
    assert "and 1 other subject(s)" in by_rule["K8S-990"].message  # two Deployments, one entry
    assert "KeyError: 'api'" in by_rule["K8S-990"].message
    assert by_rule["DKR-999"].file.endswith("Dockerfile")
    assert by_rule["CI-999"].file.endswith("ci.yml")
    # every other rule's findings are still there, and no partial hit of a raising rule
    assert broken.findings == clean.findings
    assert not broken.complete
    # a raising rule evaluated nothing: it does not make anything look covered
    assert all(r.id not in broken.coverage for r in RAISING)


def test_the_same_rule_raising_in_several_sets_is_reported_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "deploy.yaml").write_text(MANIFEST)
    monkeypatch.setattr(orchestrate, "enabled_rules", lambda config: [RAISING[0]])
    result = scan_paths([str(tmp_path)], Config(workers=1))
    (error,) = result.errors
    assert error.rule == "K8S-990" and "and 5 other subject(s)" in error.message
    assert error.file == str(tmp_path / "a" / "deploy.yaml")


def test_a_rule_that_raises_on_one_object_still_checks_the_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def picky(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
        if obj.name == "api":
            raise ValueError("cannot read api")
        yield Hit(f"{obj.name} flagged", ("metadata", "name"))

    picky_rule = Rule(_meta("K8S-994", Scope.OBJECT, ("Deployment",)), picky)
    (tmp_path / "deploy.yaml").write_text(MANIFEST)
    monkeypatch.setattr(orchestrate, "enabled_rules", lambda config: [picky_rule])
    result = scan_paths([str(tmp_path)], Config(workers=1))
    assert [(f.rule, f.location.resource, f.location.line) for f in result.findings] == [
        ("K8S-994", "Deployment/shop/web", 15)
    ]
    assert [e.rule for e in result.errors] == ["K8S-994"]
    coverage = result.coverage["K8S-994"]
    assert coverage.evaluated == [f"{tmp_path}::Deployment/shop/web"] and coverage.passed_share == 0


def test_a_check_for_another_scope_is_refused_at_registration() -> None:
    with pytest.raises(RegistryError, match="a pod rule checks a PodSpec"):
        rule(_meta("K8S-995", Scope.POD, ("Deployment",)))(_container)
