"""Reading RBAC objects: policy rules, bindings, subjects and what a role really grants.

Grants are read as the RBAC authorizer reads them: a rule allows a request when its
``apiGroups`` and ``verbs`` each contain the request's value or ``*``, and its ``resources``
contain ``*``, the exact resource (``pods``, ``pods/exec``) or, for a subresource,
``*/<subresource>`` (``*/exec`` is exec into every resource that has it). ``pods/*`` is not a
pattern: the API server compares it literally and it grants nothing. A ``User`` named
``system:serviceaccount:<namespace>:<name>`` is that service account (the name its tokens
authenticate as), and is read as a ServiceAccount subject. A ClusterRole with an
``aggregationRule`` gets its rules from the ClusterRoles its
selectors match (the controller overwrites whatever ``rules`` the manifest holds).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cnsmm.kube import LabelIndex, aggregation_selectors
from cnsmm.rules.k8s._selectors import index
from cnsmm.sources.k8s import K8sObject, ObjectSet

ROLE_KINDS = ("Role", "ClusterRole")
BINDING_KINDS = ("RoleBinding", "ClusterRoleBinding")
RBAC_GOOD_PRACTICES = "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"
NSA_RBAC = "NSA-CISA Kubernetes Hardening Guide: Authentication and authorization"
RBAC_REQUIREMENTS = ("PLT.ORC.L1.1", "INF.CMP.L2.2")
"""编排组件访问控制; 基于用户角色的访问控制."""
READ_VERBS = ("get", "list", "watch")
BROAD_GROUPS = frozenset({"system:authenticated", "system:unauthenticated", "system:serviceaccounts"})
"""System groups that stand for many principals (every user, anyone, every service account)."""
UNAUTHENTICATED = frozenset({"system:unauthenticated"})
ANONYMOUS_USER = "system:anonymous"
SA_USER_PREFIX = "system:serviceaccount:"
"""User names of service accounts: ``system:serviceaccount:<namespace>:<name>``."""
DISCOVERY_ROLES = frozenset({"system:public-info-viewer", "system:discovery", "system:basic-user"})
"""Default roles bound to every (even anonymous) caller by the API server itself."""
BUILTIN_POWERFUL = {
    "cluster-admin": "full control of every resource",
    "admin": "read secrets, exec into pods and manage RBAC of a namespace",
    "edit": "read secrets and create workloads running as any service account",
}


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """One entry of a role's ``rules``."""

    index: int
    api_groups: tuple[str, ...]
    resources: tuple[str, ...]
    verbs: tuple[str, ...]
    non_resource_urls: tuple[str, ...]
    resource_names: tuple[str, ...]

    @property
    def path(self) -> tuple[Any, ...]:
        """Path of the rule in its role."""
        return ("rules", self.index)

    def at(self, obj: K8sObject, field: str, *values: str) -> tuple[Any, ...]:
        """Path of the first item of ``field`` equal to one of ``values`` (else of ``field``)."""
        items = obj.get("rules", self.index, field)
        if isinstance(items, list):
            for i, item in enumerate(items):
                if str(item).lower() in values or str(item) in values:
                    return (*self.path, field, i)
        return (*self.path, field)

    @property
    def label(self) -> str:
        """``rule 2 (apiGroups [""], resources [secrets])`` for messages."""
        groups = ", ".join(f'"{g}"' for g in self.api_groups) or "-"
        return f"rule {self.index + 1} (apiGroups [{groups}], resources [{', '.join(self.resources) or '-'}])"

    def allows(self, verb: str, group: str, resource: str, *, explicit: bool = False) -> bool:
        """Whether the rule allows ``verb`` on ``group``/``resource`` (``pods/exec`` for a subresource).

        Matching is the API server's: ``*``, the exact resource, or ``*/<subresource>``. With
        ``explicit`` the bare ``*`` resource does not count (the wildcard rules report it);
        ``*/<subresource>`` does, as it names the subresource.
        """
        if verb not in self.verbs and "*" not in self.verbs:
            return False
        if group not in self.api_groups and "*" not in self.api_groups:
            return False
        return self.matches_resource(resource, explicit=explicit)

    def matches_resource(self, resource: str, *, explicit: bool = False) -> bool:
        """Whether ``resources`` cover ``resource`` as the RBAC authorizer decides."""
        if resource in self.resources:
            return True
        if "/" in resource and f"*/{resource.split('/', 1)[1]}" in self.resources:
            return True
        return not explicit and "*" in self.resources

    def resource_items(self, *resources: str) -> tuple[str, ...]:
        """The written ``resources`` entries that grant one of ``resources`` by name."""
        subs = {f"*/{r.split('/', 1)[1]}" for r in resources if "/" in r}
        return tuple(r for r in self.resources if r in resources or r in subs)


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v) for v in value if v is not None)
    return ()


def is_default_role(obj: K8sObject) -> bool:
    """Roles and bindings the API server creates itself (``kubernetes.io/bootstrapping``)."""
    return str(obj.labels.get("kubernetes.io/bootstrapping") or "") == "rbac-defaults"


def is_aggregated(obj: K8sObject) -> bool:
    """A ClusterRole whose rules the aggregation controller fills."""
    return obj.kind == "ClusterRole" and isinstance(obj.get("aggregationRule"), dict)


def policy_rules(obj: K8sObject) -> Iterator[PolicyRule]:
    """The policy rules written in a Role or ClusterRole."""
    rules = obj.get("rules")
    if not isinstance(rules, list):
        return
    for i, raw in enumerate(rules):
        if isinstance(raw, dict):
            yield PolicyRule(
                i,
                _strings(raw.get("apiGroups")),
                _strings(raw.get("resources")),
                tuple(v.lower() for v in _strings(raw.get("verbs"))),
                _strings(raw.get("nonResourceURLs")),
                _strings(raw.get("resourceNames")),
            )


def checked_roles(obj: K8sObject) -> Iterator[PolicyRule]:
    """Policy rules of a role the permission rules should judge: not a built-in default role
    and not an aggregated ClusterRole (its written rules are replaced by the aggregation)."""
    if is_default_role(obj) or is_aggregated(obj):
        return
    yield from policy_rules(obj)


def effective_rules(role: K8sObject, objs: ObjectSet) -> list[PolicyRule]:
    """Rules a role grants, resolving one level of ClusterRole aggregation within the set."""
    if not is_aggregated(role):
        return list(policy_rules(role))
    memo = index(objs).memo
    known: dict[int, list[PolicyRule]] = memo.setdefault("rbac-effective-rules", {})
    if id(role) in known:
        return list(known[id(role)])
    selectors = aggregation_selectors(role.get("aggregationRule", "clusterRoleSelectors"))
    out: list[PolicyRule] = []
    if selectors:
        labelled: LabelIndex[K8sObject] | None = memo.get("rbac-clusterroles")
        if labelled is None:
            plain = [o for o in index(objs).of_kind("ClusterRole") if not is_aggregated(o)]
            labelled = memo["rbac-clusterroles"] = LabelIndex((o, o.labels) for o in plain)
        chosen: set[int] = set()
        for s in selectors:
            chosen.update(i for i in labelled.positions(s) if s.matches(labelled.items[i][1]))
        for i in sorted(chosen):
            other = labelled.items[i][0]
            if other is not role:
                out.extend(policy_rules(other))
    known[id(role)] = out
    return list(out)


@dataclass(frozen=True, slots=True)
class Subject:
    """One subject of a binding."""

    index: int
    kind: str
    name: str
    namespace: str | None
    """Namespace of a ServiceAccount subject (a RoleBinding's own when left out)."""

    @property
    def path(self) -> tuple[Any, ...]:
        """Path of the subject in its binding."""
        return ("subjects", self.index)

    @property
    def text(self) -> str:
        """``ServiceAccount "ns/name"``, ``Group "dev"``."""
        if self.kind == "ServiceAccount":
            return f'ServiceAccount "{self.namespace or "(no namespace)"}/{self.name}"'
        return f'{self.kind} "{self.name}"'

    @property
    def is_system(self) -> bool:
        """A Kubernetes system principal (``system:`` user or group) that is not a broad group."""
        if self.kind == "Group":
            return self.name.startswith("system:") and not is_broad_group(self.name)
        return self.kind == "User" and self.name.startswith("system:") and self.name != ANONYMOUS_USER


def is_broad_group(name: str) -> bool:
    """``system:authenticated``, ``system:unauthenticated``, every service account (of a namespace)."""
    return name in BROAD_GROUPS or name.startswith("system:serviceaccounts:")


def subjects(binding: K8sObject) -> Iterator[Subject]:
    """Subjects of a RoleBinding or ClusterRoleBinding."""
    raw = binding.get("subjects")
    if not isinstance(raw, list):
        return
    own_ns = binding.namespace if binding.kind == "RoleBinding" else None
    for i, s in enumerate(raw):
        if not isinstance(s, dict):
            continue
        kind, name = str(s.get("kind") or ""), str(s.get("name") or "")
        ns = s.get("namespace")
        namespace = str(ns) if ns else own_ns if kind == "ServiceAccount" else None
        if kind == "User" and name.startswith(SA_USER_PREFIX):
            parts = name[len(SA_USER_PREFIX):].split(":")
            if len(parts) == 2 and all(parts):
                kind, namespace, name = "ServiceAccount", parts[0], parts[1]
        yield Subject(i, kind, name, namespace)


def role_ref(binding: K8sObject) -> tuple[str, str]:
    """``(kind, name)`` of a binding's ``roleRef`` (empty strings when missing)."""
    ref = binding.get("roleRef")
    if not isinstance(ref, dict):
        return "", ""
    return str(ref.get("kind") or ""), str(ref.get("name") or "")


def resolve_role(binding: K8sObject, objs: ObjectSet) -> K8sObject | None:
    """The Role or ClusterRole a binding refers to, when it is in the set (the first of that
    kind and name, in the binding's namespace for a Role)."""
    kind, name = role_ref(binding)
    memo = index(objs).memo
    roles: dict[tuple[str, str, str | None], K8sObject] | None = memo.get("rbac-roles")
    if roles is None:
        roles = memo["rbac-roles"] = {}
        for k in ("Role", "ClusterRole"):
            for role in index(objs).of_kind(k):
                roles.setdefault((k, role.name, role.namespace if k == "Role" else None), role)
    return roles.get((kind, name, binding.namespace if kind == "Role" else None))


def bindings_for_service_account(objs: ObjectSet, sa: str, namespace: str | None) -> list[K8sObject]:
    """The bindings of the set that may apply to service account ``namespace/sa`` (naming it,
    or a group it belongs to), in input order: a superset to check with
    :func:`binds_service_account`, found through an index built once per set."""
    memo = index(objs).memo
    found: tuple[list[K8sObject], dict[tuple[str, str | None], list[int]], list[int]] | None = memo.get(
        "rbac-bindings-by-subject")
    if found is None:
        bindings = index(objs).of_kind(*BINDING_KINDS)
        by_subject: dict[tuple[str, str | None], list[int]] = {}
        every: list[int] = []
        for i, b in enumerate(bindings):
            keys: set[tuple[str, str | None]] = set()
            for s in subjects(b):
                if s.kind == "ServiceAccount":
                    keys.add((s.name, s.namespace))
                elif s.kind == "Group" and s.name == "system:serviceaccounts":
                    every.append(i)
                    break
                elif s.kind == "Group" and s.name.startswith("system:serviceaccounts:"):
                    keys.add(("system:serviceaccounts:", s.name[len("system:serviceaccounts:"):]))
            else:
                for key in keys:
                    by_subject.setdefault(key, []).append(i)
        found = memo["rbac-bindings-by-subject"] = (bindings, by_subject, every)
    bindings, by_subject, every = found
    group = ("system:serviceaccounts:", f"{namespace}")
    positions = {*every, *by_subject.get((sa, namespace), ()), *by_subject.get(group, ())}
    return [bindings[i] for i in sorted(positions)]


def binds_service_account(binding: K8sObject, sa: str, namespace: str | None) -> Subject | None:
    """The subject through which ``binding`` applies to service account ``namespace/sa``."""
    for s in subjects(binding):
        if s.kind == "ServiceAccount" and s.name == sa and s.namespace == namespace:
            return s
        if s.kind == "Group" and s.name in ("system:serviceaccounts", f"system:serviceaccounts:{namespace}"):
            return s
    return None


def powers(rules: list[PolicyRule], *, cluster_wide: bool = False) -> list[str]:
    """Dangerous permissions among ``rules``, as short phrases (empty when none).

    With ``cluster_wide`` (a ClusterRoleBinding), creating pods counts too: a pod created in
    kube-system can run as any of its service accounts and mount their tokens.
    """
    found: list[str] = []

    def add(text: str) -> None:
        if text not in found:
            found.append(text)

    for r in rules:
        if "*" in r.verbs and "*" in r.resources:
            add("every verb on every resource")
        if not r.resource_names and any(r.allows(v, "", "secrets") for v in READ_VERBS):
            add("read secrets")
        for verb in ("escalate", "bind", "impersonate"):
            if verb in r.verbs:
                add(verb)
        if r.allows("create", "", "pods/exec") or r.allows("get", "", "pods/exec"):
            add("exec into pods")
        if r.allows("get", "", "nodes/proxy") or r.allows("create", "", "nodes/proxy"):
            add("nodes/proxy (kubelet API)")
        if r.allows("create", "", "serviceaccounts/token"):
            add("create service account tokens")
        if cluster_wide and r.allows("create", "", "pods"):
            add("create pods in every namespace")
    return found
