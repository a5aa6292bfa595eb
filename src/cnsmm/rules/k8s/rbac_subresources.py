"""RBAC roles granting permissions that lead to more privilege: escalate/bind/impersonate,
exec and attach, the kubelet proxy, token minting and workload creation.

Only permissions granted by name are reported here (``pods/exec``, or ``*/exec`` for the
subresource of every resource); ``*`` in verbs or resources is reported by K8S-050 and
K8S-051. ``pods/*`` grants nothing (the API server compares it literally). Built-in and
aggregated roles are skipped (see :mod:`.rbac`).
"""

from __future__ import annotations

from collections.abc import Iterator

from cnsmm.findings import Severity
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._rbac import NSA_RBAC, RBAC_GOOD_PRACTICES, RBAC_REQUIREMENTS, ROLE_KINDS, checked_roles
from cnsmm.rules.k8s.rbac import role_text
from cnsmm.sources.k8s import K8sObject

WORKLOAD_RESOURCES = (
    ("", "pods"), ("", "replicationcontrollers"), ("apps", "deployments"), ("apps", "statefulsets"),
    ("apps", "daemonsets"), ("apps", "replicasets"), ("batch", "jobs"), ("batch", "cronjobs"),
)


@rule(RuleMeta(
    id="K8S-055",
    name="rbac-escalate-bind-impersonate",
    title="Role grants escalate, bind or impersonate",
    severity=Severity.HIGH,
    scope=Scope.OBJECT,
    targets=ROLE_KINDS,
    requirements=RBAC_REQUIREMENTS,
    what="Flags Role and ClusterRole rules that list the `escalate`, `bind` or `impersonate` verbs.",
    why=(
        "`escalate` lets a subject write roles with permissions it does not hold, `bind` lets it "
        "bind any role (cluster-admin included) to itself, and `impersonate` lets it act as any "
        "user, group or service account. Each bypasses RBAC's privilege-escalation prevention."
    ),
    fix=(
        "Remove these verbs; where a controller truly needs `bind`, restrict it with `resourceNames` "
        "to the roles it may bind."
    ),
    bad='rules:\n- apiGroups: [""]\n  resources: ["users", "groups"]\n  verbs: ["impersonate"]',
    good='rules:\n- apiGroups: ["rbac.authorization.k8s.io"]\n  resources: ["rolebindings"]\n  verbs: ["get", "list"]',
    references=("CIS Kubernetes 5.1.8", NSA_RBAC, RBAC_GOOD_PRACTICES, "CWE-269"),
))
def rbac_escalate_bind_impersonate(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    for r in checked_roles(obj):
        verbs = [v for v in ("escalate", "bind", "impersonate") if v in r.verbs]
        if verbs:
            limited = f" (limited to {', '.join(r.resource_names)})" if r.resource_names else ""
            yield Hit(f"{role_text(obj)} grants {', '.join(verbs)} in {r.label}{limited}", r.at(obj, "verbs", *verbs))


@rule(RuleMeta(
    id="K8S-056",
    name="rbac-pods-exec-attach",
    title="Role can exec or attach into pods",
    severity=Severity.HIGH,
    scope=Scope.OBJECT,
    targets=ROLE_KINDS,
    requirements=RBAC_REQUIREMENTS,
    what=(
        "Flags Role and ClusterRole rules that grant `create` or `get` on `pods/exec` or "
        "`pods/attach`, or on `*/exec` / `*/attach` (WebSocket clients, including recent kubectl "
        "versions, open exec sessions with `get`)."
    ),
    why=(
        "Exec runs arbitrary commands inside the pods: the holder reads their mounted secrets and "
        "service account tokens and acts with the pods' identity and network access."
    ),
    fix=(
        "Remove exec and attach from roles used by applications; grant them to people only through "
        "short-lived, audited access."
    ),
    bad='rules:\n- apiGroups: [""]\n  resources: ["pods/exec"]\n  verbs: ["create"]',
    good='rules:\n- apiGroups: [""]\n  resources: ["pods", "pods/log"]\n  verbs: ["get", "list"]',
    references=(NSA_RBAC, RBAC_GOOD_PRACTICES, "https://github.com/kubernetes/kubernetes/issues/78741", "CWE-269"),
))
def rbac_pods_exec_attach(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    for r in checked_roles(obj):
        subs = [s for s in ("pods/exec", "pods/attach")
                if r.allows("create", "", s, explicit=True) or r.allows("get", "", s, explicit=True)]
        if subs:
            text = f"{role_text(obj)} can open {' and '.join(subs)} sessions ({r.label})"
            yield Hit(text, r.at(obj, "resources", *r.resource_items(*subs)))


@rule(RuleMeta(
    id="K8S-057",
    name="rbac-nodes-proxy",
    title="Role grants nodes/proxy (direct kubelet API)",
    severity=Severity.HIGH,
    scope=Scope.OBJECT,
    targets=ROLE_KINDS,
    requirements=RBAC_REQUIREMENTS,
    what="Flags Role and ClusterRole rules that grant any verb on `nodes/proxy` or `*/proxy`.",
    why=(
        "`nodes/proxy` reaches the kubelet API of every node through the API server, bypassing "
        "admission control and most audit logging; with `get` alone a WebSocket client can run "
        "commands in any container of the node."
    ),
    fix=(
        "Remove `nodes/proxy`; monitoring agents should read `nodes/metrics` and `nodes/stats` "
        "instead."
    ),
    bad='rules:\n- apiGroups: [""]\n  resources: ["nodes/proxy"]\n  verbs: ["get"]',
    good='rules:\n- apiGroups: [""]\n  resources: ["nodes/metrics", "nodes/stats"]\n  verbs: ["get"]',
    references=("CIS Kubernetes 5.1.10", NSA_RBAC, RBAC_GOOD_PRACTICES, "CWE-269"),
))
def rbac_nodes_proxy(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    for r in checked_roles(obj):
        if any(r.allows(v, "", "nodes/proxy", explicit=True) for v in (*r.verbs, "get")):
            text = f"{role_text(obj)} grants {', '.join(r.verbs)} on nodes/proxy ({r.label})"
            yield Hit(text, r.at(obj, "resources", *r.resource_items("nodes/proxy")))


@rule(RuleMeta(
    id="K8S-058",
    name="rbac-token-create",
    title="Role can create service account tokens",
    severity=Severity.HIGH,
    scope=Scope.OBJECT,
    targets=ROLE_KINDS,
    requirements=RBAC_REQUIREMENTS,
    what="Flags Role and ClusterRole rules that grant `create` on `serviceaccounts/token` or `*/token`.",
    why=(
        "The holder can mint tokens for any service account in scope and act as it, including "
        "service accounts with far more permissions than its own."
    ),
    fix="Remove `create` on `serviceaccounts/token`, or restrict it with `resourceNames` to the accounts needed.",
    bad='rules:\n- apiGroups: [""]\n  resources: ["serviceaccounts/token"]\n  verbs: ["create"]',
    good='rules:\n- apiGroups: [""]\n  resources: ["serviceaccounts"]\n  verbs: ["get"]',
    references=("CIS Kubernetes 5.1.13", NSA_RBAC, RBAC_GOOD_PRACTICES, "CWE-269"),
))
def rbac_token_create(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    for r in checked_roles(obj):
        if r.allows("create", "", "serviceaccounts/token", explicit=True) and not r.resource_names:
            text = f"{role_text(obj)} can create tokens for service accounts ({r.label})"
            yield Hit(text, r.at(obj, "resources", *r.resource_items("serviceaccounts/token")))


@rule(RuleMeta(
    id="K8S-059",
    name="rbac-workload-create",
    title="Role can create pods or workloads",
    severity=Severity.MEDIUM,
    scope=Scope.OBJECT,
    targets=ROLE_KINDS,
    requirements=("INF.CMP.L2.2",),
    what=(
        "Flags Role and ClusterRole rules that grant `create` on pods, replication controllers, "
        "deployments, statefulsets, daemonsets, replicasets, jobs or cronjobs."
    ),
    why=(
        "Whoever can create a pod can run it as any service account of the namespace and mount any "
        "secret, config map or volume there, so the role is worth the union of all of them (and, "
        "without admission control, of the node)."
    ),
    fix=(
        "Grant workload creation only to deployment pipelines and controllers that need it, in the "
        "namespaces they manage, and enforce Pod Security admission there."
    ),
    bad='rules:\n- apiGroups: [""]\n  resources: ["pods"]\n  verbs: ["create", "delete"]',
    good='rules:\n- apiGroups: [""]\n  resources: ["pods"]\n  verbs: ["get", "list", "watch"]',
    references=("CIS Kubernetes 5.1.4", NSA_RBAC, RBAC_GOOD_PRACTICES, "CWE-269"),
))
def rbac_workload_create(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    for r in checked_roles(obj):
        kinds = [res for group, res in WORKLOAD_RESOURCES if r.allows("create", group, res, explicit=True)]
        if kinds:
            yield Hit(f"{role_text(obj)} can create {', '.join(kinds)} ({r.label})", r.at(obj, "resources", *kinds))
