"""Manifest hygiene: duplicate keys, workloads in the default namespace, removed API versions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cnsmm.findings import Severity
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._common import NSA, WORKLOADS
from cnsmm.sources.k8s import K8sObject
from cnsmm.sources.yamlload import YList, YMap

DEPRECATION_GUIDE = "https://kubernetes.io/docs/reference/using-api/deprecation-guide/"


def _key_lines(value: Any, out: set[int]) -> None:
    if isinstance(value, YMap):
        out.update(value.key_lines.values())
        for v in value.values():
            _key_lines(v, out)
    elif isinstance(value, YList):
        for v in value:
            _key_lines(v, out)


@rule(RuleMeta(
    id="K8S-097",
    name="duplicate-key",
    title="Mapping key given twice",
    severity=Severity.MEDIUM,
    scope=Scope.OBJECT,
    targets=("*",),
    requirements=("DEV.DEV.L2.1",),
    what="Flags every mapping key that appears twice in the same mapping, at the repeated key's line.",
    why=(
        "YAML forbids duplicate keys but most parsers keep the last value silently: a reviewer reads "
        "the first (say `privileged: false`) while the cluster gets the second. kubectl's strict "
        "decoding rejects the file, other tools disagree on which value wins, and policy checks may "
        "see a different object than the cluster."
    ),
    fix="Delete one of the two keys so that the manifest says one thing.",
    bad="securityContext:\n  privileged: false\n  privileged: true",
    good="securityContext:\n  privileged: false",
    references=("YAML 1.2 specification, 3.2.1.1 (mapping keys are unique)", "CWE-694"),
))
def duplicate_key(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    if not obj.duplicates:
        return
    mine: set[int] | None = None
    if obj.item is not None:
        # an item of a List: the document's duplicates include its siblings'
        mine = set()
        _key_lines(obj.doc, mine)
    for dup in obj.duplicates:
        if mine is not None and dup.line not in mine:
            continue
        yield Hit(
            f'key "{dup.key}" is given again (first on line {dup.first_line}); this last value wins here, '
            "and kubectl's strict decoding rejects the file",
            line=dup.line,
        )


@rule(RuleMeta(
    id="K8S-098",
    name="workload-in-default-namespace",
    title="Workload deployed to the default namespace",
    severity=Severity.LOW,
    scope=Scope.OBJECT,
    targets=WORKLOADS,
    requirements=("INF.CMP.L2.1",),
    what=(
        "Flags workloads with an explicit `metadata.namespace: default`. Manifests without a "
        "namespace are not flagged: they go where they are applied."
    ),
    why=(
        "The default namespace is shared by everything nobody placed: RBAC, quotas and network "
        "policies cannot be scoped to one application there, and anyone with a default context "
        "deploys next to it."
    ),
    fix="Create a namespace per application or team and deploy the workload there.",
    bad="metadata:\n  name: api\n  namespace: default",
    good="metadata:\n  name: api\n  namespace: shop",
    references=("CIS Kubernetes 5.7.1", "CIS Kubernetes 5.7.4", f"{NSA}: Network separation and hardening - Namespaces",
                "CWE-653"),
))
def workload_in_default_namespace(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    if obj.metadata.get("namespace") == "default":
        yield Hit(f'{obj.kind} "{obj.name}" is deployed to the default namespace', ("metadata", "namespace"))


# (apiVersion, kind or "*") -> (removed in, replacement apiVersion or "")
REMOVED_APIS: dict[tuple[str, str], tuple[str, str]] = {
    ("extensions/v1beta1", "Deployment"): ("1.16", "apps/v1"),
    ("extensions/v1beta1", "DaemonSet"): ("1.16", "apps/v1"),
    ("extensions/v1beta1", "ReplicaSet"): ("1.16", "apps/v1"),
    ("extensions/v1beta1", "NetworkPolicy"): ("1.16", "networking.k8s.io/v1"),
    ("extensions/v1beta1", "PodSecurityPolicy"): ("1.16", ""),
    ("extensions/v1beta1", "Ingress"): ("1.22", "networking.k8s.io/v1"),
    ("apps/v1beta1", "*"): ("1.16", "apps/v1"),
    ("apps/v1beta2", "*"): ("1.16", "apps/v1"),
    ("networking.k8s.io/v1beta1", "*"): ("1.22", "networking.k8s.io/v1"),
    ("rbac.authorization.k8s.io/v1beta1", "*"): ("1.22", "rbac.authorization.k8s.io/v1"),
    ("rbac.authorization.k8s.io/v1alpha1", "*"): ("1.22", "rbac.authorization.k8s.io/v1"),
    ("apiextensions.k8s.io/v1beta1", "*"): ("1.22", "apiextensions.k8s.io/v1"),
    ("admissionregistration.k8s.io/v1beta1", "*"): ("1.22", "admissionregistration.k8s.io/v1"),
    ("apiregistration.k8s.io/v1beta1", "*"): ("1.22", "apiregistration.k8s.io/v1"),
    ("certificates.k8s.io/v1beta1", "*"): ("1.22", "certificates.k8s.io/v1"),
    ("coordination.k8s.io/v1beta1", "*"): ("1.22", "coordination.k8s.io/v1"),
    ("scheduling.k8s.io/v1beta1", "*"): ("1.22", "scheduling.k8s.io/v1"),
    ("scheduling.k8s.io/v1alpha1", "*"): ("1.17", "scheduling.k8s.io/v1"),
    ("storage.k8s.io/v1beta1", "CSIStorageCapacity"): ("1.27", "storage.k8s.io/v1"),
    ("storage.k8s.io/v1beta1", "*"): ("1.22", "storage.k8s.io/v1"),
    ("batch/v1beta1", "CronJob"): ("1.25", "batch/v1"),
    ("batch/v2alpha1", "CronJob"): ("1.21", "batch/v1"),
    ("policy/v1beta1", "PodDisruptionBudget"): ("1.25", "policy/v1"),
    ("policy/v1beta1", "PodSecurityPolicy"): ("1.25", ""),
    ("autoscaling/v2beta1", "*"): ("1.25", "autoscaling/v2"),
    ("autoscaling/v2beta2", "*"): ("1.26", "autoscaling/v2"),
    ("discovery.k8s.io/v1beta1", "*"): ("1.25", "discovery.k8s.io/v1"),
    ("events.k8s.io/v1beta1", "*"): ("1.25", "events.k8s.io/v1"),
    ("node.k8s.io/v1beta1", "*"): ("1.25", "node.k8s.io/v1"),
    ("flowcontrol.apiserver.k8s.io/v1beta1", "*"): ("1.26", "flowcontrol.apiserver.k8s.io/v1"),
    ("flowcontrol.apiserver.k8s.io/v1beta2", "*"): ("1.29", "flowcontrol.apiserver.k8s.io/v1"),
    ("flowcontrol.apiserver.k8s.io/v1beta3", "*"): ("1.32", "flowcontrol.apiserver.k8s.io/v1"),
}
"""API versions removed from Kubernetes, from the official deprecation guide."""


def removed_api(obj: K8sObject) -> tuple[str, str] | None:
    """(removed in, replacement) when the object's apiVersion/kind no longer exists."""
    version = obj.api_version.strip()
    return REMOVED_APIS.get((version, obj.kind)) or REMOVED_APIS.get((version, "*"))


@rule(RuleMeta(
    id="K8S-099",
    name="deprecated-api-version",
    title="API version removed from Kubernetes",
    severity=Severity.MEDIUM,
    scope=Scope.OBJECT,
    targets=("*",),
    requirements=("DEV.DEV.L3.2",),
    what=(
        "Flags objects whose `apiVersion` was removed from Kubernetes (for example "
        "extensions/v1beta1 Deployment and Ingress, policy/v1beta1 PodSecurityPolicy and "
        "PodDisruptionBudget, batch/v1beta1 CronJob, autoscaling/v2beta2), per the deprecation guide."
    ),
    why=(
        "Current clusters reject these manifests, so the security settings they carry are not "
        "applied; objects kept alive on old clusters block upgrades that bring security fixes, and "
        "PodSecurityPolicy no longer exists at all (its protection silently vanished in 1.25)."
    ),
    fix=(
        "Migrate the object to the replacement API version (kubectl convert helps); replace "
        "PodSecurityPolicy with Pod Security admission."
    ),
    bad="apiVersion: extensions/v1beta1\nkind: Ingress",
    good="apiVersion: networking.k8s.io/v1\nkind: Ingress",
    references=(DEPRECATION_GUIDE, "CWE-477", "CWE-1104"),
))
def deprecated_api_version(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    found = removed_api(obj)
    if found is None:
        return
    removed, replacement = found
    instead = f"; use {replacement}" if replacement else "; it has no replacement (use Pod Security admission)"
    yield Hit(f"{obj.api_version} {obj.kind} was removed in Kubernetes {removed}{instead}", ("apiVersion",))
