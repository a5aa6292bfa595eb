"""RBAC bindings: cluster-admin and other powerful roles, anonymous callers, default accounts.

Kubernetes system principals (``system:`` users and groups such as ``system:masters`` or
``system:kube-controller-manager``) are exempt, except the groups that stand for many callers
(``system:authenticated``, ``system:unauthenticated``, ``system:serviceaccounts[:ns]``).
Bindings created by the API server itself (``kubernetes.io/bootstrapping: rbac-defaults``)
are not judged.
"""

from __future__ import annotations

from collections.abc import Iterator

from cnsmm.findings import Severity
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._rbac import (
    ANONYMOUS_USER,
    BINDING_KINDS,
    DISCOVERY_ROLES,
    NSA_RBAC,
    RBAC_GOOD_PRACTICES,
    RBAC_REQUIREMENTS,
    Subject,
    is_default_role,
    role_ref,
    subjects,
)
from cnsmm.sources.k8s import K8sObject

PUBLIC_GROUPS = frozenset({"system:unauthenticated", "system:authenticated"})


def _is_public(s: Subject) -> bool:
    return (s.kind == "Group" and s.name in PUBLIC_GROUPS) or (s.kind == "User" and s.name == ANONYMOUS_USER)


def _binding_text(obj: K8sObject) -> str:
    return f'{obj.kind} "{obj.name}"'


@rule(RuleMeta(
    id="K8S-052",
    name="cluster-admin-binding",
    title="cluster-admin bound to a non-system subject",
    severity=Severity.CRITICAL,
    scope=Scope.OBJECT,
    targets=BINDING_KINDS,
    requirements=RBAC_REQUIREMENTS,
    what=(
        "Flags RoleBindings and ClusterRoleBindings to the `cluster-admin` ClusterRole for any "
        "subject other than a Kubernetes system principal (anonymous and all-users groups are "
        "reported by K8S-060)."
    ),
    why=(
        "cluster-admin can do anything to any resource; a leaked token of the subject gives away "
        "the cluster (or, through a RoleBinding, full control of the namespace including its RBAC "
        "and secrets)."
    ),
    fix="Bind a role with the permissions the subject needs; keep cluster-admin for break-glass access.",
    bad=(
        "kind: ClusterRoleBinding\nroleRef: {kind: ClusterRole, name: cluster-admin}\nsubjects:\n"
        "- {kind: ServiceAccount, name: deployer, namespace: ci}"
    ),
    good="kind: RoleBinding\nroleRef: {kind: Role, name: deployer}\nsubjects:\n- {kind: ServiceAccount, name: ci}",
    references=("CIS Kubernetes 5.1.1", NSA_RBAC, RBAC_GOOD_PRACTICES, "CWE-250", "CWE-269"),
))
def cluster_admin_binding(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    kind, name = role_ref(obj)
    if is_default_role(obj) or kind != "ClusterRole" or name != "cluster-admin":
        return
    where = "cluster-wide" if obj.kind == "ClusterRoleBinding" else f'in namespace "{obj.namespace or "(unset)"}"'
    for s in subjects(obj):
        if not s.is_system and not _is_public(s):
            yield Hit(f"{_binding_text(obj)} grants cluster-admin {where} to {s.text}", s.path)


@rule(RuleMeta(
    id="K8S-053",
    name="admin-edit-cluster-wide-binding",
    title="admin or edit ClusterRole bound cluster-wide",
    severity=Severity.HIGH,
    scope=Scope.OBJECT,
    targets=("ClusterRoleBinding",),
    requirements=RBAC_REQUIREMENTS,
    what=(
        "Flags ClusterRoleBindings of the built-in `admin` or `edit` ClusterRoles to non-system "
        "subjects. These roles are meant to be bound per namespace with a RoleBinding."
    ),
    why=(
        "Bound cluster-wide, `admin` and `edit` read every secret and can create workloads under "
        "any service account in every namespace, kube-system included, which amounts to cluster "
        "administration."
    ),
    fix="Replace the ClusterRoleBinding with RoleBindings in the namespaces the subject works in.",
    bad="kind: ClusterRoleBinding\nroleRef: {kind: ClusterRole, name: edit}\nsubjects:\n- {kind: Group, name: devs}",
    good=(
        "kind: RoleBinding\nmetadata: {namespace: shop}\nroleRef: {kind: ClusterRole, name: edit}\n"
        "subjects:\n- {kind: Group, name: devs}"
    ),
    references=("CIS Kubernetes 5.1.1", NSA_RBAC, RBAC_GOOD_PRACTICES, "CWE-269"),
))
def admin_edit_cluster_wide(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    kind, name = role_ref(obj)
    if is_default_role(obj) or kind != "ClusterRole" or name not in ("admin", "edit"):
        return
    for s in subjects(obj):
        if not s.is_system and not _is_public(s):
            yield Hit(f'{_binding_text(obj)} grants ClusterRole "{name}" in every namespace to {s.text}', s.path)


@rule(RuleMeta(
    id="K8S-060",
    name="rbac-unauthenticated-binding",
    title="Role bound to anonymous or to all authenticated users",
    severity=Severity.CRITICAL,
    scope=Scope.OBJECT,
    targets=BINDING_KINDS,
    requirements=(*RBAC_REQUIREMENTS, "APP.GEN.L1.1"),
    what=(
        "Flags bindings whose subjects include the `system:anonymous` user, the "
        "`system:unauthenticated` group or the `system:authenticated` group, except bindings to "
        "the discovery roles the API server grants them by default "
        f"({', '.join(sorted(DISCOVERY_ROLES))})."
    ),
    why=(
        "Anyone who can reach the API server is `system:anonymous`; on managed clusters "
        "`system:authenticated` can include every account of the identity provider (for example "
        "any Google account). A role bound to them is granted to strangers."
    ),
    fix="Bind the role to the specific users, groups or service accounts that need it.",
    bad=(
        "kind: ClusterRoleBinding\nroleRef: {kind: ClusterRole, name: view}\nsubjects:\n"
        "- {kind: Group, name: system:unauthenticated}"
    ),
    good="kind: ClusterRoleBinding\nroleRef: {kind: ClusterRole, name: view}\nsubjects:\n- {kind: Group, name: sre}",
    references=(NSA_RBAC, RBAC_GOOD_PRACTICES, "CWE-306", "CWE-284"),
))
def rbac_unauthenticated_binding(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    kind, name = role_ref(obj)
    if is_default_role(obj) or (kind == "ClusterRole" and name in DISCOVERY_ROLES):
        return
    for s in subjects(obj):
        if _is_public(s):
            who = "every authenticated user" if s.name == "system:authenticated" else "anyone reaching the API server"
            yield Hit(f'{_binding_text(obj)} grants {kind} "{name}" to {s.text} ({who})', s.path)


@rule(RuleMeta(
    id="K8S-061",
    name="rbac-default-sa-bound",
    title="Role bound to a namespace's default service account",
    severity=Severity.MEDIUM,
    scope=Scope.OBJECT,
    targets=BINDING_KINDS,
    requirements=(*RBAC_REQUIREMENTS, "APP.GEN.L1.1"),
    what="Flags bindings whose subjects include a ServiceAccount named `default`.",
    why=(
        "Every pod that does not name a service account runs as `default`; permissions bound to "
        "it go to all of them, including pods added later by other teams."
    ),
    fix="Create a dedicated service account for the workload that needs the role and bind the role to it.",
    bad="kind: RoleBinding\nroleRef: {kind: Role, name: reader}\nsubjects:\n- {kind: ServiceAccount, name: default}",
    good="kind: RoleBinding\nroleRef: {kind: Role, name: reader}\nsubjects:\n- {kind: ServiceAccount, name: catalog}",
    references=("CIS Kubernetes 5.1.5", NSA_RBAC, RBAC_GOOD_PRACTICES, "CWE-250"),
))
def rbac_default_sa_bound(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    if is_default_role(obj):
        return
    kind, name = role_ref(obj)
    for s in subjects(obj):
        if s.kind == "ServiceAccount" and s.name == "default":
            yield Hit(f'{_binding_text(obj)} grants {kind} "{name}" to the default {s.text}', s.path)
