"""RBAC roles: wildcards and read access to secrets.

Built-in roles (label ``kubernetes.io/bootstrapping: rbac-defaults``, found in cluster dumps)
and aggregated ClusterRoles (their written ``rules`` are replaced by the aggregation
controller; the roles they aggregate are checked instead) are not judged.
"""

from __future__ import annotations

from collections.abc import Iterator

from cnsmm.findings import Severity
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._rbac import (
    NSA_RBAC,
    RBAC_GOOD_PRACTICES,
    RBAC_REQUIREMENTS,
    READ_VERBS,
    ROLE_KINDS,
    checked_roles,
)
from cnsmm.sources.k8s import K8sObject


def role_text(obj: K8sObject) -> str:
    """``ClusterRole "viewer"`` for messages."""
    return f'{obj.kind} "{obj.name}"'


@rule(RuleMeta(
    id="K8S-050",
    name="rbac-wildcard-verbs",
    title="Role grants every verb (*)",
    severity=Severity.HIGH,
    scope=Scope.OBJECT,
    targets=ROLE_KINDS,
    requirements=RBAC_REQUIREMENTS,
    what="Flags Role and ClusterRole rules whose `verbs` contain `*`.",
    why=(
        "`*` grants every verb that exists today and every verb added later, including "
        "`escalate`, `bind`, `impersonate`, `delete` and `deletecollection`; the holder can usually "
        "widen its own access. Least privilege needs the verbs listed one by one."
    ),
    fix="List the verbs the subject needs (for example `get`, `list`, `watch`) instead of `*`.",
    bad='rules:\n- apiGroups: ["apps"]\n  resources: ["deployments"]\n  verbs: ["*"]',
    good='rules:\n- apiGroups: ["apps"]\n  resources: ["deployments"]\n  verbs: ["get", "list", "watch", "patch"]',
    references=("CIS Kubernetes 5.1.3", NSA_RBAC, RBAC_GOOD_PRACTICES, "CWE-250", "CWE-269"),
))
def rbac_wildcard_verbs(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    for r in checked_roles(obj):
        if "*" in r.verbs:
            target = "non-resource URLs" if r.non_resource_urls and not r.resources else r.label
            yield Hit(f"{role_text(obj)} grants every verb (*) in {target}", r.at(obj, "verbs", "*"))


@rule(RuleMeta(
    id="K8S-051",
    name="rbac-wildcard-resources",
    title="Role grants access to every resource or API group (*)",
    severity=Severity.HIGH,
    scope=Scope.OBJECT,
    targets=ROLE_KINDS,
    requirements=RBAC_REQUIREMENTS,
    what=(
        "Flags Role and ClusterRole rules whose `resources` contain `*` (every resource, "
        "secrets and subresources such as `pods/exec` included) or whose `apiGroups` contain `*` "
        "(the named resources in every API group, including custom resources installed later)."
    ),
    why=(
        "A wildcard grants access to resources that did not exist when the role was written and "
        "that nobody reviewed, such as secrets or a newly installed operator's custom resources."
    ),
    fix="Name the API groups and resources the subject needs instead of `*`.",
    bad='rules:\n- apiGroups: ["*"]\n  resources: ["*"]\n  verbs: ["get", "list"]',
    good='rules:\n- apiGroups: [""]\n  resources: ["configmaps", "services"]\n  verbs: ["get", "list"]',
    references=("CIS Kubernetes 5.1.3", NSA_RBAC, RBAC_GOOD_PRACTICES, "CWE-250", "CWE-269"),
))
def rbac_wildcard_resources(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    for r in checked_roles(obj):
        if "*" in r.resources:
            groups = ", ".join(f'"{g}"' for g in r.api_groups)
            scope = "in every API group" if "*" in r.api_groups else f"in API groups [{groups}]"
            # secrets are in the core group: only say so when the rule reaches it
            included = "secrets and subresources" if {"", "*"} & set(r.api_groups) else "subresources"
            yield Hit(
                f"{role_text(obj)} grants {', '.join(r.verbs) or 'no verbs'} on every resource (*) {scope}, "
                f"{included} included",
                r.at(obj, "resources", "*"),
            )
        elif "*" in r.api_groups and r.resources:
            yield Hit(
                f"{role_text(obj)} grants [{', '.join(r.resources)}] in every API group (*), including "
                "custom resources installed later",
                r.at(obj, "apiGroups", "*"),
            )


@rule(RuleMeta(
    id="K8S-054",
    name="rbac-secrets-read",
    title="Role can read secrets",
    severity=Severity.HIGH,
    scope=Scope.OBJECT,
    targets=ROLE_KINDS,
    requirements=("INF.CMP.L2.2", "PLT.ORC.L3.2"),
    what=(
        "Flags Role and ClusterRole rules that grant `get`, `list` or `watch` on `secrets` by name "
        "(a rule limited with `resourceNames` passes; `resources: [\"*\"]` is reported by K8S-051)."
    ),
    why=(
        "Secrets hold credentials, TLS keys and service account tokens. `list` and `watch` return "
        "every secret's content, not only names; a ClusterRole bound cluster-wide reads the secrets "
        "of every namespace, often including tokens of more powerful service accounts."
    ),
    fix=(
        "Remove read access to secrets, or restrict it to the secrets needed with `resourceNames` "
        "and the `get` verb only."
    ),
    bad='rules:\n- apiGroups: [""]\n  resources: ["secrets"]\n  verbs: ["get", "list", "watch"]',
    good='rules:\n- apiGroups: [""]\n  resources: ["secrets"]\n  resourceNames: ["app-tls"]\n  verbs: ["get"]',
    references=("CIS Kubernetes 5.1.2", NSA_RBAC, RBAC_GOOD_PRACTICES, "CWE-522", "CWE-269"),
))
def rbac_secrets_read(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    for r in checked_roles(obj):
        if r.resource_names:
            continue
        verbs = [v for v in READ_VERBS if r.allows(v, "", "secrets", explicit=True)]
        if verbs:
            yield Hit(f"{role_text(obj)} can {'/'.join(verbs)} secrets ({r.label})", r.at(obj, "resources", "secrets"))
