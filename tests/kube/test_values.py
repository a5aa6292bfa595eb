"""Scalars, truthy settings and typed booleans, and where an object's namespace is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from cnsmm.kube import api_bool, applied_namespace, declared_namespace, falsy, label_value, namespace_of, text, truthy


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True), (False, False), (1, True), (2, True), (0, False),
        ("true", True), ("True", True), (" TRUE ", True), ("'true'", True), ('"yes"', True),
        ("yes", True), ("on", True), ("1", True), ("y", True),
        ("false", False), ("no", False), ("off", False), ("0", False), ("", False), ("enabled", False),
        (None, False), ([True], False), ({"true": 1}, False), (1.0, False),
    ],
)
def test_truthy(value: object, expected: bool) -> None:
    assert truthy(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (False, True), (True, False), (0, True), (1, False),
        ("false", True), ("False", True), (" FALSE ", True), ("'false'", True), ('"no"', True),
        ("no", True), ("off", True), ("0", True), ("n", True),
        ("true", False), ("yes", False), ("1", False), ("disabled", False),
        ("", False), (None, False), ([False], False), ({}, False), (0.0, False),
    ],
)
def test_falsy_is_written_off_not_merely_not_on(value: object, expected: bool) -> None:
    assert falsy(value) is expected
    if expected:
        assert not truthy(value)


@pytest.mark.parametrize(("value", "expected"), [(True, True), ("true", False), (1, False), (None, False)])
def test_api_bool_takes_only_a_real_true(value: object, expected: bool) -> None:
    assert api_bool(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("api", "api"), (True, "true"), (False, "false"), (3, "3"), (1.5, "1.5"), (None, ""), ([1], ""), ({}, "")],
)
def test_text_and_label_values(value: object, expected: str) -> None:
    assert text(value) == expected
    assert label_value(value) == expected


@dataclass
class Obj:
    kind: str
    group: str = ""
    cluster_scoped: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)
    doc: dict[str, Any] = field(default_factory=dict)

    def get(self, *keys: Any) -> Any:
        return self.doc.get(keys[0]) if len(keys) == 1 else None


@pytest.mark.parametrize(
    ("namespace", "expected"),
    [("shop", "shop"), ("", None), (None, None), (True, None), (["a"], None), (7, "7")],
)
def test_declared_namespace(namespace: object, expected: str | None) -> None:
    assert declared_namespace({"namespace": namespace}) == expected


def test_namespace_defaulting() -> None:
    kustomization = Obj("Kustomization", "kustomize.config.k8s.io", doc={"namespace": "shop"})
    pod, named = Obj("Pod"), Obj("Pod", metadata={"namespace": "db"})
    node = Obj("Node", cluster_scoped=True, metadata={"namespace": "shop"})
    applied = applied_namespace([kustomization, pod, named, node])
    assert applied == "shop"
    assert [namespace_of(o, applied) for o in (pod, named, node)] == ["shop", "db", None]
    # no kustomization, or two that disagree: the implicit namespace (None), never "default"
    assert applied_namespace([pod]) is None
    other = Obj("Kustomization", "kustomize.config.k8s.io", doc={"namespace": "web"})
    assert applied_namespace([kustomization, other]) is None
    assert namespace_of(pod) is None
