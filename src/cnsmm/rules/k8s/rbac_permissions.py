"""RBAC roles granting specific permissions that lead to more privilege or hide an attack:
port-forward, CSR approval, admission webhook changes, PersistentVolume creation, cluster DNS
changes, deleting events or critical objects, node status, ephemeral containers.

Matching follows the API server (see :mod:`._rbac`); only permissions granted by name count
(``*`` in resources is reported by K8S-051). Built-in and aggregated roles are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator

from cnsmm.findings import Severity
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._rbac import (
    NSA_RBAC,
    RBAC_GOOD_PRACTICES,
    RBAC_REQUIREMENTS,
    ROLE_KINDS,
    PolicyRule,
    checked_roles,
)
from cnsmm.rules.k8s.rbac import role_text
from cnsmm.sources.k8s import K8sObject

WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")


def _meta(
    id: str, name: str, title: str, severity: Severity, requirements: tuple[str, ...] = RBAC_REQUIREMENTS, *,
    what: str, why: str, fix: str, bad: str, good: str, references: tuple[str, ...],
) -> RuleMeta:
    return RuleMeta(id=id, name=name, title=title, severity=severity, scope=Scope.OBJECT, targets=ROLE_KINDS,
                    requirements=requirements, references=(*references, NSA_RBAC, RBAC_GOOD_PRACTICES),
                    what=what, why=why, fix=fix, bad=bad, good=good)


def _granted(r: PolicyRule, verbs: tuple[str, ...], group: str, resource: str) -> list[str]:
    return [v for v in verbs if r.allows(v, group, resource, explicit=True)]


def _hits(obj: K8sObject, verbs: tuple[str, ...], group: str, resource: str, what: str) -> Iterator[Hit]:
    for r in checked_roles(obj):
        granted = _granted(r, verbs, group, resource)
        if granted:
            limited = f", limited to {', '.join(r.resource_names)}" if r.resource_names else ""
            yield Hit(f"{role_text(obj)} can {'/'.join(granted)} {resource}: {what} ({r.label}{limited})",
                      r.at(obj, "resources", *r.resource_items(resource)))


@rule(_meta(
    "K8S-144", "rbac-pods-port-forward", "Role can port-forward into pods", Severity.MEDIUM,
    what="Flags Role and ClusterRole rules granting `create` or `get` on `pods/portforward` (or `*/portforward`).",
    why="Port-forward opens a tunnel from the caller to any port of the pods, bypassing NetworkPolicies and "
        "Services: databases and admin ports bound only inside the pod network become reachable.",
    fix="Remove port-forward from application roles; grant it to people only through audited, short-lived access.",
    bad='rules:\n- apiGroups: [""]\n  resources: ["pods/portforward"]\n  verbs: ["create"]',
    good='rules:\n- apiGroups: [""]\n  resources: ["pods"]\n  verbs: ["get", "list"]',
    references=("CWE-284",),
))
def rbac_port_forward(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    yield from _hits(obj, ("create", "get"), "", "pods/portforward", "tunnels past network policies")


@rule(_meta(
    "K8S-145", "rbac-csr-approval", "Role can approve certificate signing requests", Severity.HIGH,
    what="Flags Role and ClusterRole rules granting `update` or `patch` on "
         "`certificatesigningrequests/approval` (group certificates.k8s.io).",
    why="Whoever approves CSRs (with `approve` on a signer) can issue client certificates for any user or group, "
        "`system:masters` included, through the kube-apiserver-client signer: cluster-admin that RBAC cannot "
        "revoke until the certificate expires.",
    fix="Leave approval to the controller manager's built-in approvers; if a controller must approve, restrict "
        "its `approve` verb on `signers` to the signer it handles with `resourceNames`.",
    bad='rules:\n- apiGroups: ["certificates.k8s.io"]\n  resources: ["certificatesigningrequests/approval"]\n'
        '  verbs: ["update"]',
    good='rules:\n- apiGroups: ["certificates.k8s.io"]\n  resources: ["certificatesigningrequests"]\n'
         '  verbs: ["get", "list"]',
    references=("CIS Kubernetes 5.1.11", "CWE-269"),
))
def rbac_csr_approval(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    yield from _hits(obj, ("update", "patch"), "certificates.k8s.io", "certificatesigningrequests/approval",
                     "may issue certificates for any identity")


WEBHOOK_RESOURCES = ("validatingwebhookconfigurations", "mutatingwebhookconfigurations",
                     "validatingadmissionpolicies", "validatingadmissionpolicybindings")


@rule(_meta(
    "K8S-146", "rbac-admission-webhook-write", "Role can change admission webhooks or policies", Severity.HIGH,
    what="Flags Role and ClusterRole rules granting create, update, patch or delete on validating or mutating "
         "webhook configurations or ValidatingAdmissionPolicies (group admissionregistration.k8s.io).",
    why="Admission control is where Pod Security, image signing and policy engines act; whoever can change it "
        "can switch those checks off, or register a mutating webhook that sees (and alters) every object "
        "written to the cluster, secrets included.",
    fix="Grant webhook changes only to the policy engine that owns them, limited with `resourceNames` to its "
        "own configurations.",
    bad='rules:\n- apiGroups: ["admissionregistration.k8s.io"]\n  resources: ["mutatingwebhookconfigurations"]\n'
        '  verbs: ["create", "update"]',
    good='rules:\n- apiGroups: ["admissionregistration.k8s.io"]\n  resources: ["mutatingwebhookconfigurations"]\n'
         '  resourceNames: ["my-operator-webhook"]\n  verbs: ["get", "update"]',
    references=("CIS Kubernetes 5.1.12", "CWE-284"),
))
def rbac_webhook_write(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    for r in checked_roles(obj):
        if r.resource_names:
            continue
        found = [res for res in WEBHOOK_RESOURCES if _granted(r, WRITE_VERBS, "admissionregistration.k8s.io", res)]
        if found:
            yield Hit(f"{role_text(obj)} can change {', '.join(found)}: admission checks can be turned off "
                      f"({r.label})", r.at(obj, "resources", *found))


@rule(_meta(
    "K8S-147", "rbac-persistentvolume-create", "Role can create PersistentVolumes", Severity.HIGH,
    what="Flags Role and ClusterRole rules granting `create` on `persistentvolumes`.",
    why="A PersistentVolume can be a hostPath on the node: whoever creates one and a claim bound to it mounts "
        "the node's file system into a pod, bypassing Pod Security's hostPath ban.",
    fix="Leave PersistentVolume creation to storage provisioners (dynamic provisioning through StorageClasses).",
    bad='rules:\n- apiGroups: [""]\n  resources: ["persistentvolumes"]\n  verbs: ["create"]',
    good='rules:\n- apiGroups: [""]\n  resources: ["persistentvolumeclaims"]\n  verbs: ["create"]',
    references=("CIS Kubernetes 5.1.9", "CWE-269"),
))
def rbac_pv_create(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    yield from _hits(obj, ("create",), "", "persistentvolumes", "a hostPath volume reaches the node's files")


DNS_CONFIGMAPS = ("coredns", "kube-dns", "coredns-custom", "nodelocaldns")


@rule(_meta(
    "K8S-148", "rbac-cluster-dns-write", "Role can change the cluster DNS configuration", Severity.HIGH,
    ("PLT.ORC.L1.1", "INF.CMP.L2.2", "PLT.NET.L2.2"),
    what="Flags Roles in kube-system granting update or patch on `configmaps` (unrestricted, or naming a DNS "
         "ConfigMap), and any role whose `resourceNames` name the CoreDNS/kube-dns ConfigMaps for update or patch.",
    why="Whoever edits the CoreDNS configuration can redirect any service name to an address they control and "
        "capture the traffic of every pod, credentials included.",
    fix="Keep DNS configuration changes with cluster administrators; do not grant write access to ConfigMaps "
        "in kube-system.",
    bad='kind: Role\nmetadata: {namespace: kube-system}\nrules:\n- apiGroups: [""]\n  resources: ["configmaps"]\n'
        '  verbs: ["patch"]',
    good='kind: Role\nmetadata: {namespace: kube-system}\nrules:\n- apiGroups: [""]\n  resources: ["configmaps"]\n'
         '  verbs: ["get"]',
    references=("CWE-350",),
))
def rbac_dns_write(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    in_system = obj.kind == "Role" and obj.namespace == "kube-system"
    for r in checked_roles(obj):
        granted = _granted(r, ("update", "patch"), "", "configmaps")
        if not granted:
            continue
        named = [n for n in r.resource_names if n in DNS_CONFIGMAPS]
        if named or (in_system and not r.resource_names):
            target = ", ".join(named) if named else "every ConfigMap of kube-system, CoreDNS's included"
            yield Hit(f"{role_text(obj)} can {'/'.join(granted)} {target} ({r.label})",
                      r.at(obj, "resources", "configmaps"))


@rule(_meta(
    "K8S-149", "rbac-events-delete", "Role can delete events", Severity.MEDIUM,
    ("PLT.ORC.L1.1", "OPS.MGT.L2.2"),
    what="Flags Role and ClusterRole rules granting `delete` or `deletecollection` on `events` (core or "
         "events.k8s.io).",
    why="Events record scheduling, image pulls, probe failures and policy denials; deleting them hides an "
        "attacker's activity from responders.",
    fix="Remove delete on events; the API server expires them on its own.",
    bad='rules:\n- apiGroups: [""]\n  resources: ["events"]\n  verbs: ["delete", "deletecollection"]',
    good='rules:\n- apiGroups: [""]\n  resources: ["events"]\n  verbs: ["create", "patch"]',
    references=("CWE-223",),
))
def rbac_events_delete(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    for r in checked_roles(obj):
        granted = [v for v in ("delete", "deletecollection")
                   if r.allows(v, "", "events", explicit=True) or r.allows(v, "events.k8s.io", "events", explicit=True)]
        if granted:
            yield Hit(f"{role_text(obj)} can {'/'.join(granted)} events and cover its tracks ({r.label})",
                      r.at(obj, "resources", "events"))


CRITICAL_OBJECTS = (("", "namespaces"), ("", "nodes"), ("", "persistentvolumes"),
                    ("apiextensions.k8s.io", "customresourcedefinitions"))


@rule(_meta(
    "K8S-150", "rbac-critical-object-delete", "Role can delete namespaces, nodes, volumes or CRDs", Severity.MEDIUM,
    ("PLT.ORC.L1.1", "INF.CMP.L2.2"),
    what="Flags Role and ClusterRole rules granting `delete` or `deletecollection` on namespaces, nodes, "
         "persistentvolumes or customresourcedefinitions.",
    why="Deleting a namespace deletes everything in it; deleting a CRD deletes every custom resource of its kind "
        "(certificates, policies, backups); deleting nodes or volumes destroys capacity and data. A leaked "
        "token with this permission is a cluster-wide outage.",
    fix="Limit these deletes to cluster administrators, or restrict them with `resourceNames`.",
    bad='rules:\n- apiGroups: [""]\n  resources: ["namespaces"]\n  verbs: ["delete"]',
    good='rules:\n- apiGroups: [""]\n  resources: ["namespaces"]\n  verbs: ["get", "list"]',
    references=("CWE-284",),
))
def rbac_critical_delete(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    for r in checked_roles(obj):
        if r.resource_names:
            continue
        found = [res for g, res in CRITICAL_OBJECTS if _granted(r, ("delete", "deletecollection"), g, res)]
        if found:
            yield Hit(f"{role_text(obj)} can delete {', '.join(found)} ({r.label})", r.at(obj, "resources", *found))


@rule(_meta(
    "K8S-151", "rbac-node-status-write", "Role can change node status", Severity.MEDIUM,
    what="Flags Role and ClusterRole rules granting update or patch on `nodes/status` (or `*/status` with nodes).",
    why="A node's status holds its addresses, capacity and conditions: changing it can steer the API server's "
        "kubelet traffic to another address or attract (or repel) pods, which is how a compromised node "
        "pulls sensitive workloads to itself.",
    fix="Leave node status to kubelets (the Node authorizer and NodeRestriction scope each to its own node).",
    bad='rules:\n- apiGroups: [""]\n  resources: ["nodes/status"]\n  verbs: ["patch"]',
    good='rules:\n- apiGroups: [""]\n  resources: ["nodes"]\n  verbs: ["get", "list"]',
    references=("CWE-284",),
))
def rbac_node_status(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    yield from _hits(obj, ("update", "patch"), "", "nodes/status", "node addresses and conditions can be forged")


@rule(_meta(
    "K8S-152", "rbac-ephemeral-containers", "Role can add ephemeral containers to pods", Severity.HIGH,
    what="Flags Role and ClusterRole rules granting update or patch on `pods/ephemeralcontainers`.",
    why="An ephemeral container joins a running pod with any image and command: it is exec by another name, "
        "with the pod's service account token, volumes and network identity.",
    fix="Treat ephemeral containers like exec: grant them only to people through short-lived, audited access.",
    bad='rules:\n- apiGroups: [""]\n  resources: ["pods/ephemeralcontainers"]\n  verbs: ["patch"]',
    good='rules:\n- apiGroups: [""]\n  resources: ["pods", "pods/log"]\n  verbs: ["get"]',
    references=("CWE-269",),
))
def rbac_ephemeral(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    yield from _hits(obj, ("update", "patch"), "", "pods/ephemeralcontainers", "a debug container runs inside the pod")
