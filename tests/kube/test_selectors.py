"""Label selectors: one table per question, the answers the Kubernetes API gives.

Every rule and every capability detector matches selectors through :mod:`cnsmm.kube`, so these
tables are the only place the semantics are tested.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnsmm.kube import (
    EVERYTHING,
    LabelIndex,
    aggregation_selectors,
    label_selector,
    map_selector,
    network_policy_selector,
    pdb_selector,
    policy_types,
    service_selector,
    workload_selector,
)
from cnsmm.kube.selectors import SMALL

LABELS = {"app": "api", "tier": "backend", "canary": True}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ({}, True),
        ({"matchLabels": {}}, True),
        ({"matchLabels": None, "matchExpressions": None}, True),
        ({"matchExpressions": []}, True),
        ({"matchLabels": {"app": "api"}}, True),
        ({"matchLabels": {"app": "web"}}, False),
        ({"matchLabels": {"canary": "true"}}, True),
        ({"matchLabels": {"canary": True}}, True),
        ({"matchLabels": {"zone": None}}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["backend", "data"]}]}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front"]}]}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["front"]}]}, True),
        ({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["backend"]}]}, False),
        ({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, True),
        ({"matchExpressions": [{"key": "zone", "operator": "Exists"}]}, False),
        ({"matchExpressions": [{"key": "zone", "operator": "DoesNotExist"}]}, True),
        ({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, False),
        ({"matchExpressions": [{"key": "canary", "operator": "In", "values": [True]}]}, True),
        # matchLabels AND matchExpressions
        ({"matchLabels": {"app": "api"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["x"]}]},
         False),
    ],
)
def test_label_selector_terms(selector: dict[str, Any], expected: bool) -> None:
    assert label_selector(selector).matches(LABELS) is expected


@pytest.mark.parametrize(
    ("selector", "problem"),
    [
        ("app=api", "the selector is not a mapping"),
        (["app"], "the selector is not a mapping"),
        ({"matchLabels": "broken"}, "matchLabels is not a mapping"),
        ({"matchExpressions": {"key": "app"}}, "matchExpressions is not a list"),
        ({"matchExpressions": ["broken"]}, "matchExpressions[0]: not a mapping"),
        ({"matchExpressions": [{"operator": "Exists"}]}, "matchExpressions[0]: no key"),
        ({"matchExpressions": [{"key": "app", "operator": "Matches", "values": ["api"]}]},
         "matchExpressions[0]: unknown operator 'Matches'"),
        ({"matchExpressions": [{"key": "app", "operator": "Bogus"}]}, "matchExpressions[0]: unknown operator 'Bogus'"),
        ({"matchExpressions": [{"key": "app", "operator": ["In"], "values": ["api"]}]},
         "matchExpressions[0]: unknown operator ['In']"),
        ({"matchExpressions": [{"key": "app", "operator": "in", "values": ["api"]}]},
         "matchExpressions[0]: unknown operator 'in'"),
        ({"matchExpressions": [{"key": "zone", "operator": "NotIn"}]}, "matchExpressions[0]: NotIn needs values"),
        ({"matchExpressions": [{"key": "app", "operator": "In", "values": []}]}, "matchExpressions[0]: In needs values"),
        ({"matchExpressions": [{"key": "app", "operator": "In", "values": "api"}]},
         "matchExpressions[0]: values is not a list"),
        ({"matchExpressions": [{"key": "app", "operator": "Exists", "values": ["api"]}]},
         "matchExpressions[0]: Exists takes no values"),
        ({"matchExpressions": [{"key": "app", "operator": "Exists"}, "broken"]}, "matchExpressions[1]: not a mapping"),
    ],
)
def test_malformed_label_selector_selects_nothing(selector: object, problem: str) -> None:
    """The API server refuses these; a controller that cannot convert a selector selects nothing."""
    parsed = label_selector(selector)
    assert parsed.problem == problem
    assert parsed.nothing and not parsed.matches(LABELS) and not parsed.matches({})


@pytest.mark.parametrize(
    ("selector", "template", "expected"),
    [
        # a template never carries the labels its controller adds to the pods
        ({"matchLabels": {"app": "api", "pod-template-hash": "5d8f7c"}}, True, True),
        ({"matchLabels": {"app": "web", "pod-template-hash": "5d8f7c"}}, True, False),
        ({"matchExpressions": [{"key": "controller-revision-hash", "operator": "Exists"}]}, True, True),
        ({"matchLabels": {"statefulset.kubernetes.io/pod-name": "api-0"}}, True, True),
        # real labels (a Pod of a cluster dump, a ClusterRole): every term counts
        ({"matchLabels": {"app": "api", "pod-template-hash": "5d8f7c"}}, False, False),
        ({"matchExpressions": [{"key": "controller-revision-hash", "operator": "Exists"}]}, False, False),
    ],
)
def test_runtime_labels_are_undecided_on_templates_only(selector: object, template: bool, expected: bool) -> None:
    assert label_selector(selector).matches(LABELS, template=template) is expected


def test_runtime_label_a_template_does_carry_is_compared() -> None:
    labels = {**LABELS, "pod-template-hash": "abc"}
    assert not label_selector({"matchLabels": {"pod-template-hash": "5d8f7c"}}).matches(labels, template=True)


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ({"app": "api"}, True),
        ({"app": "api", "canary": "true"}, True),
        ({"app": "api", "zone": "a"}, False),
        ({}, False),
        (None, False),
        ("app=api", False),
    ],
)
def test_map_selector(selector: object, expected: bool) -> None:
    """Service and ReplicationController selectors are plain maps; none or ``{}`` selects nothing."""
    assert map_selector(selector).matches(LABELS, template=True) is expected


def test_service_selector_ignores_runtime_labels_on_templates() -> None:
    selector = map_selector({"app": "api", "statefulset.kubernetes.io/pod-name": "api-0"})
    assert selector.matches(LABELS, template=True)


# What an absent, null or empty selector means, field by field.
@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("networkpolicy", "absent", True),
        ("networkpolicy", None, True),
        ("networkpolicy", {}, True),
        ("networkpolicy", {"matchLabels": {"app": "web"}}, False),
        ("networkpolicy", "broken", False),
        ("pdb/v1", "absent", False),
        ("pdb/v1", None, False),
        ("pdb/v1", {}, True),
        ("pdb/v1", {"matchLabels": {"app": "api"}}, True),
        ("pdb/v1beta1", None, False),
        ("pdb/v1beta1", {}, False),
        ("pdb/v1beta1", {"matchLabels": {"app": "api"}}, True),
        ("service", "absent", False),
        ("service", None, False),
        ("service", {}, False),
        ("service", {"app": "api"}, True),
        ("service-externalname", {"app": "api"}, False),
        ("deployment/apps/v1", "absent", False),
        ("deployment/apps/v1", {}, False),
        ("deployment/apps/v1", {"matchLabels": {"app": "api"}}, True),
        ("deployment/apps/v1", {"matchLabels": {"app": "web"}}, False),
        ("deployment/extensions/v1beta1", "absent", True),
        ("deployment/extensions/v1beta1", {}, True),
        ("replicationcontroller", "absent", True),
        ("replicationcontroller", {"app": "web"}, False),
        ("job", "absent", True),
    ],
)
def test_null_and_empty_selectors_per_field(field: str, value: object, expected: bool) -> None:
    spec: dict[str, Any] = {}
    if value != "absent":
        spec["selector"] = value
    if field == "networkpolicy":
        if value != "absent":
            spec = {"podSelector": value}
        selector = network_policy_selector(spec)
    elif field.startswith("pdb/"):
        selector = pdb_selector(f"policy/{field[4:]}", spec)
    elif field.startswith("service"):
        if field.endswith("externalname"):
            spec["type"] = "ExternalName"
        selector = service_selector(spec)
    else:
        kind, _, version = field.partition("/")
        kinds = {"deployment": "Deployment", "replicationcontroller": "ReplicationController", "job": "Job"}
        selector = workload_selector(kinds[kind], version or "v1", spec, LABELS)
    assert selector.matches(LABELS, template=True) is expected


def test_aggregation_selectors() -> None:
    selectors = aggregation_selectors([{"matchLabels": {"rbac.example.com/aggregate-to-view": "true"}}, {}])
    assert [s.matches({"rbac.example.com/aggregate-to-view": "true"}) for s in selectors] == [True, True]
    assert [s.matches({}) for s in selectors] == [False, True]
    assert aggregation_selectors("broken") == ()


@pytest.mark.parametrize(
    ("spec", "types"),
    [
        ({"podSelector": {}}, {"Ingress"}),
        ({"podSelector": {}, "egress": []}, {"Ingress", "Egress"}),
        ({"podSelector": {}, "policyTypes": ["Egress"]}, {"Egress"}),
        ({"podSelector": {}, "policyTypes": [], "egress": [{}]}, {"Ingress", "Egress"}),
        (None, {"Ingress"}),
    ],
)
def test_policy_types_default(spec: object, types: set[str]) -> None:
    assert policy_types(spec) == types


_KEYS = ["app", "tier", "pod-template-hash", "zone"]
_VALUES = ["a", "b", "c", 1, True]
_LABELS = st.dictionaries(st.sampled_from(_KEYS), st.sampled_from(_VALUES), max_size=4)
_EXPRESSION = st.fixed_dictionaries({
    "key": st.sampled_from(_KEYS),
    "operator": st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]),
}, optional={"values": st.lists(st.sampled_from(["a", "b", "c", "1", "true"]), max_size=3)})
_SELECTOR = st.one_of(
    st.none(),
    st.fixed_dictionaries({}, optional={"matchLabels": _LABELS, "matchExpressions": st.lists(_EXPRESSION, max_size=3)}),
)


@settings(max_examples=300, deadline=None)
@given(labelled=st.lists(_LABELS, max_size=8), raw=st.lists(_SELECTOR, max_size=4), template=st.booleans())
def test_indexes_find_exactly_what_trying_every_pair_finds(
    labelled: list[dict[str, Any]], raw: list[Any], template: bool
) -> None:
    """The label index of the cross-object rules gives, in input order, exactly what trying every
    pair gives: the objects each selector selects, and the objects any selector selects."""
    _check_index(labelled, raw, template)


@settings(max_examples=40, deadline=None)
@given(labelled=st.lists(_LABELS, min_size=SMALL, max_size=3 * SMALL), raw=st.lists(_SELECTOR, max_size=6),
       template=st.booleans())
def test_indexes_are_exact_on_bit_sets_too(labelled: list[dict[str, Any]], raw: list[Any], template: bool) -> None:
    """More objects than an anchor is checked one by one: selectors are evaluated on bit sets."""
    _check_index(labelled, raw, template)


def _check_index(labelled: list[dict[str, Any]], raw: list[Any], template: bool) -> None:
    selectors = [label_selector(r, null=EVERYTHING) for r in raw]
    objects = LabelIndex(enumerate(labelled), template=lambda _i: template)
    for s in selectors:
        expected = [i for i, labels in enumerate(labelled) if s.matches(labels, template=template)]
        assert [i for i, _labels in objects.candidates(s)] == expected
    expected_any = {i for i, labels in enumerate(labelled) if any(s.matches(labels, template=template)
                                                                  for s in selectors)}
    assert objects.covered(selectors) == expected_any


def test_pods_and_templates_differ_on_runtime_labels() -> None:
    """A term on a label controllers add (pod-template-hash) is met by a template that does not
    carry it, not by a Pod without it; the bit sets judge each object by its own kind."""
    labelled = [{"app": "a"}] * (2 * SMALL)
    objects = LabelIndex(enumerate(labelled), template=lambda i: i % 2 == 0)
    selector = label_selector({"matchLabels": {"app": "a", "pod-template-hash": "x"}})
    assert [i for i, _ in objects.candidates(selector)] == list(range(0, 2 * SMALL, 2))
    absent = label_selector({"matchExpressions": [{"key": "pod-template-hash", "operator": "Exists"}]})
    assert objects.covered([absent]) == set(range(0, 2 * SMALL, 2))
