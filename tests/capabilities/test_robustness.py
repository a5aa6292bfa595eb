"""Hostile and malformed manifests never crash detection.

Every value of every fixture is replaced, one at a time, by values of the wrong shape
(null, a list, a mapping, a number, a long string); detection must still return a list.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.capabilities.helpers_capabilities import FIXTURES, load_fixture, load_objects

from cnsmm.capabilities import detect
from cnsmm.sources.k8s import K8sObject

HOSTILE: tuple[Any, ...] = (None, ["x", 1], {"k": ["v"]}, 7, "\u202e" + "A" * 300)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path below ``value``."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield (*prefix, i)
            yield from paths(item, (*prefix, i))


def swap(obj: K8sObject, path: tuple[Any, ...], value: Any) -> Any:
    """Put ``value`` at ``path`` and return what was there."""
    target: Any = obj.doc
    for step in path[:-1]:
        target = target[step]
    old = target[path[-1]]
    target[path[-1]] = value
    return old


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*/effective*.yaml")), ids=lambda p: p.parent.name)
def test_mutated_fixture_never_crashes(path: Path) -> None:
    objects = load_fixture(path)
    expected = detect(objects)
    for obj in objects:
        for field in list(paths(obj.doc)):
            if len(field) == 1 and field[0] in ("apiVersion", "kind"):
                continue
            for hostile in HOSTILE:
                old = swap(obj, field, hostile)
                assert isinstance(detect(objects), list)
                swap(obj, field, old)
    assert detect(objects) == expected, "the mutations were undone"


def test_wrong_shapes_at_the_top_level() -> None:
    objects = load_objects("""
apiVersion: apps/v1
kind: DaemonSet
metadata: [not, a, mapping]
spec: falco
---
apiVersion: v1
kind: ConfigMap
metadata: {name: falco}
data: [1, 2]
---
apiVersion: v1
kind: Namespace
metadata:
  name: x
  labels: "pod-security.kubernetes.io/enforce=restricted"
---
apiVersion: velero.io/v1
kind: Schedule
metadata: {name: s}
spec: null
---
apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: d}
    spec:
      template:
        spec:
          containers: "falcosecurity/falco"
""")
    assert {d.detector for d in detect(objects)} <= {"velero"}


def test_embedded_configuration_alias_bomb_is_bounded() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)
    )
    indented = "\n".join("    " + line for line in bomb.splitlines())
    objects = load_objects(f"""
apiVersion: v1
kind: ConfigMap
metadata: {{name: falco, namespace: falco}}
data:
  falco.yaml: |
{indented}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: falco, namespace: falco}}
spec:
  template:
    spec:
      containers: [{{name: falco, image: falcosecurity/falco:0.38.0}}]
""")
    (falco,) = detect(objects)
    assert falco.detector == "falco" and falco.status == "effective"


def test_many_objects_keep_evidence_bounded() -> None:
    text = "\n---\n".join(
        f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: np{i}, namespace: ns{i}}}\n"
        "spec: {podSelector: {}, policyTypes: [Ingress]}"
        for i in range(500)
    )
    (found,) = detect(load_objects(text))
    assert found.status == "effective"
    assert len(found.evidence) <= 12


def test_hostile_names_are_shortened_in_reasons() -> None:
    name = "x" * 5000
    objects = load_objects(f"""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: db, namespace: shop}}
spec: {{podSelector: {{matchLabels: {{app: db}}}}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: "{name}", namespace: shop}}
spec:
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers: [{{name: web, image: shop/web:1.0}}]
""")
    (found,) = detect(objects)
    assert found.status == "partial"
    assert len(found.reason_en) < 400
    assert found.evidence[-1].resource.endswith(name)
