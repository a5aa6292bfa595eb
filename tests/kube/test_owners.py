"""Owner references: which Pods and ReplicaSets of a dump are checked through their controller."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from cnsmm.kube import Controllers, controller_ref, created_by, owner_refs


@dataclass
class Obj:
    kind: str
    name: str
    namespace: str | None = "shop"
    group: str = "apps"
    metadata: dict[str, Any] = field(default_factory=dict)


DEPLOYMENT = Obj("Deployment", "web", metadata={"uid": "u-1"})
PROMETHEUS_SS = Obj("StatefulSet", "prometheus-main")


def _ref(**ref: Any) -> Obj:
    return Obj("ReplicaSet", "web-5d8", metadata={"ownerReferences": [ref]})


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "controller": True}, True),
        ({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "controller": True, "uid": "u-1"}, True),
        # a different object of the same name (re-created Deployment)
        ({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "controller": True, "uid": "u-2"}, False),
        # without controller: true the owner only ties lifetimes, it does not write the spec
        ({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, False),
        ({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "controller": "true"}, False),
        ({"apiVersion": "apps/v1", "kind": "Deployment", "name": "api", "controller": True}, False),
        ({"apiVersion": "apps.kruise.io/v1alpha1", "kind": "Deployment", "name": "web", "controller": True}, False),
        ({"kind": "Deployment", "name": "web", "controller": True}, True),
        ({"kind": ["Deployment"], "name": "web", "controller": True}, False),
        # the owner is not a pod-bearing object of the set
        ({"apiVersion": "monitoring.coreos.com/v1", "kind": "Prometheus", "name": "main", "controller": True}, False),
    ],
)
def test_controlled_in_set(ref: dict[str, Any], expected: bool) -> None:
    controllers = Controllers([DEPLOYMENT, PROMETHEUS_SS])
    assert controllers.controlled(_ref(**ref)) is expected


def test_owner_in_another_namespace_is_not_the_controller() -> None:
    rs = _ref(kind="Deployment", name="web", controller=True)
    rs.namespace = "other"
    assert not Controllers([DEPLOYMENT]).controlled(rs)


@pytest.mark.parametrize(
    "refs",
    ["x", [None, 5, "a"], [{"kind": "Deployment"}], [{"name": "web"}], [{"kind": "", "name": "web"}]],
)
def test_malformed_owner_references_are_ignored(refs: object) -> None:
    assert owner_refs({"ownerReferences": refs}) == []
    assert controller_ref({"ownerReferences": refs}) is None


def test_controller_ref_is_the_one_with_controller_true() -> None:
    meta = {"ownerReferences": [
        {"apiVersion": "v1", "kind": "ConfigMap", "name": "lock"},
        {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent", "controller": True, "uid": "d"},
    ]}
    ref = controller_ref(meta)
    assert ref is not None and (ref.kind, ref.name, ref.group, ref.uid) == ("DaemonSet", "agent", "apps", "d")
    assert created_by(Obj("Pod", "agent-x", metadata=meta), "DaemonSet")
    lifetime_only = {"ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent"}]}
    assert not created_by(Obj("Pod", "agent-x", metadata=lifetime_only), "DaemonSet")
