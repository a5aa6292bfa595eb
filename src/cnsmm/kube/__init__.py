"""Kubernetes API semantics shared by the rules, the capability detectors and the assessment.

One answer per question, so that a scan and an assessment never disagree about one object:

- :mod:`cnsmm.kube.selectors` - label selectors, field by field (null, empty, malformed,
  labels added at run time);
- :mod:`cnsmm.kube.owners` - owner references and controllers;
- :mod:`cnsmm.kube.namespaces` - the namespace an object lands in;
- :mod:`cnsmm.kube.values` - scalars, truthy settings and typed booleans.

This package depends on nothing else in cnsmm.
"""

from __future__ import annotations

from cnsmm.kube.namespaces import applied_namespace, declared_namespace, namespace_of
from cnsmm.kube.owners import Controllers, OwnerRef, controller_ref, created_by, owner_refs
from cnsmm.kube.selectors import (
    EVERYTHING,
    NOTHING,
    RUNTIME_LABELS,
    LabelIndex,
    Requirement,
    Selector,
    aggregation_selectors,
    label_selector,
    map_selector,
    network_policy_selector,
    pdb_selector,
    policy_types,
    service_selector,
    workload_selector,
)
from cnsmm.kube.values import api_bool, falsy, items, label_value, mapping, text, truthy

__all__ = [
    "EVERYTHING",
    "NOTHING",
    "RUNTIME_LABELS",
    "Controllers",
    "LabelIndex",
    "OwnerRef",
    "Requirement",
    "Selector",
    "aggregation_selectors",
    "api_bool",
    "applied_namespace",
    "controller_ref",
    "created_by",
    "declared_namespace",
    "falsy",
    "items",
    "label_selector",
    "label_value",
    "map_selector",
    "mapping",
    "namespace_of",
    "network_policy_selector",
    "owner_refs",
    "pdb_selector",
    "policy_types",
    "service_selector",
    "text",
    "truthy",
    "workload_selector",
]
