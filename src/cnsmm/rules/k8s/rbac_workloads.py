"""Workloads whose service account is bound, in the same set, to a powerful role."""

from __future__ import annotations

from collections.abc import Iterator

from cnsmm.findings import Severity
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._common import WORKLOADS
from cnsmm.rules.k8s._rbac import (
    BINDING_KINDS,
    BUILTIN_POWERFUL,
    NSA_RBAC,
    RBAC_GOOD_PRACTICES,
    bindings_for_service_account,
    binds_service_account,
    effective_rules,
    powers,
    resolve_role,
    role_ref,
)
from cnsmm.rules.k8s._selectors import SYSTEM_NAMESPACES_OPTION, index, workloads
from cnsmm.rules.k8s.rbac_serviceaccounts import sa_path, service_account
from cnsmm.sources.k8s import K8sObject, ObjectSet


def _grants(binding: K8sObject, objs: ObjectSet) -> list[str]:
    kind, name = role_ref(binding)
    if kind == "ClusterRole" and name in BUILTIN_POWERFUL:
        return [BUILTIN_POWERFUL[name]]
    role = resolve_role(binding, objs)
    if role is None:
        return []
    return powers(effective_rules(role, objs), cluster_wide=binding.kind == "ClusterRoleBinding")


@rule(RuleMeta(
    id="K8S-096",
    name="workload-sa-bound-powerful-role",
    title="Workload runs as a service account bound to a powerful role",
    severity=Severity.HIGH,
    scope=Scope.SET,
    targets=WORKLOADS,
    requirements=("PLT.ORC.L1.1", "INF.CMP.L2.2"),
    what=(
        "Relates workloads, their service accounts and the bindings and roles in the same set: "
        "flags a workload whose service account (directly, or through the "
        "`system:serviceaccounts` groups) is bound to cluster-admin, admin or edit, or to a role "
        "in the set that grants every verb on every resource, reads secrets, escalates, binds, "
        "impersonates, execs into pods, reaches nodes/proxy, mints tokens or (bound cluster-wide) "
        "creates pods. Service accounts named as `User` subjects "
        "(`system:serviceaccount:<namespace>:<name>`) count. Roles outside the set are not guessed at."
    ),
    why=(
        "The workload's token is mounted in every one of its pods: a remote code execution in the "
        "application becomes these permissions, often enough to take over the namespace or the "
        "cluster. This is the path most container escapes to cluster-admin take."
    ),
    fix=(
        "Give the workload a role with only the verbs and resources it uses, or move the powerful "
        "permissions to a separate, smaller component; never run applications as cluster-admin."
    ),
    bad=(
        "kind: ClusterRoleBinding\nroleRef: {kind: ClusterRole, name: cluster-admin}\nsubjects:\n"
        "- {kind: ServiceAccount, name: web, namespace: shop}\n---\nkind: Deployment\n...\n"
        "      serviceAccountName: web"
    ),
    good=(
        "kind: RoleBinding\nroleRef: {kind: Role, name: web-config-reader}\nsubjects:\n"
        "- {kind: ServiceAccount, name: web, namespace: shop}"
    ),
    references=("CIS Kubernetes 5.1.1", "CIS Kubernetes 5.1.3", NSA_RBAC, RBAC_GOOD_PRACTICES, "CWE-250"),
    options={"system_namespaces": SYSTEM_NAMESPACES_OPTION},
))
def workload_sa_bound_powerful_role(objs: ObjectSet, ctx: RuleContext) -> Iterator[Hit]:
    if not index(objs).of_kind(*BINDING_KINDS):
        return
    for obj, pod in workloads(objs, ctx):
        if pod.get("automountServiceAccountToken") is False:
            continue
        name, ns = service_account(pod), obj.namespace
        reasons: list[str] = []
        for b in bindings_for_service_account(objs, name, ns):
            if b.kind == "RoleBinding" and b.namespace != ns:
                continue
            subject = binds_service_account(b, name, ns)
            if subject is None:
                continue
            grants = _grants(b, objs)
            if grants:
                _, role = role_ref(b)
                reason = f'{b.kind} "{b.name}" -> "{role}" ({", ".join(grants)})'
                if reason not in reasons:
                    reasons.append(reason)
        if reasons:
            yield Hit(
                f'{obj.kind} "{obj.name}" runs as service account "{name}", bound by {"; ".join(reasons)}',
                sa_path(pod),
                obj=obj,
            )
