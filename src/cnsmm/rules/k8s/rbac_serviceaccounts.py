"""Service accounts: the default account, and API tokens mounted where nothing uses them.

A pod gets its service account's API token mounted unless ``automountServiceAccountToken``
is false on the pod or, when the pod does not say, on the ServiceAccount object. These rules
look for the ServiceAccount objects and bindings in the same set (folder, file or stream).
"""

from __future__ import annotations

from collections.abc import Iterator

from cnsmm.findings import Severity
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._common import NSA, WORKLOADS
from cnsmm.rules.k8s._rbac import RBAC_REQUIREMENTS, bindings_for_service_account, binds_service_account
from cnsmm.rules.k8s._selectors import SYSTEM_NAMESPACES_OPTION, index, namespace_text, workloads
from cnsmm.sources.k8s import K8sObject, ObjectSet, PodSpec

NSA_TOKENS = f"{NSA}: Kubernetes Pod security - Protecting Pod service account tokens"
SA_REQUIREMENTS = (*RBAC_REQUIREMENTS, "APP.GEN.L1.1")
CLOUD_IDENTITY_ANNOTATIONS = frozenset({
    "eks.amazonaws.com/role-arn", "iam.gke.io/gcp-service-account", "azure.workload.identity/client-id",
})
"""A service account with a cloud workload identity uses its token outside the Kubernetes API."""


def service_account(pod: PodSpec) -> str:
    """The pod's service account name (``default`` when none is named)."""
    return str(pod.get("serviceAccountName") or pod.get("serviceAccount") or "default")


def sa_path(pod: PodSpec) -> tuple[object, ...]:
    """Path of the field naming the service account, or of the pod spec."""
    for key in ("serviceAccountName", "serviceAccount"):
        if pod.get(key) is not None:
            return (*pod.path, key)
    return pod.path


def find_service_account(objs: ObjectSet, name: str, namespace: str | None) -> K8sObject | None:
    """The ServiceAccount object ``namespace/name`` in the set."""
    for sa in index(objs).of_kind("ServiceAccount"):
        if sa.name == name and sa.namespace == namespace:
            return sa
    return None


def token_mounted(pod: PodSpec, sa: K8sObject | None) -> bool:
    """Whether Kubernetes mounts the service account token into the pod."""
    own = pod.get("automountServiceAccountToken")
    if own is not None:
        return own is not False
    return sa is None or sa.get("automountServiceAccountToken") is not False


def explicit_bindings(objs: ObjectSet, name: str, namespace: str | None) -> list[K8sObject]:
    """Bindings in the set naming the service account itself (not a group it belongs to)."""
    found = []
    for b in bindings_for_service_account(objs, name, namespace):
        if b.kind == "RoleBinding" and b.namespace != namespace:
            # a RoleBinding grants only in its own namespace
            continue
        s = binds_service_account(b, name, namespace)
        if s is not None and s.kind == "ServiceAccount":
            found.append(b)
    return found


@rule(RuleMeta(
    id="K8S-062",
    name="default-service-account-used",
    title="Workload runs as the default service account with a token or permissions",
    severity=Severity.MEDIUM,
    scope=Scope.SET,
    targets=WORKLOADS,
    requirements=("INF.CMP.L2.2", "APP.GEN.L1.1"),
    what=(
        "Flags workloads that name no service account (or name `default`) when the token is "
        "mounted (neither the pod nor the default ServiceAccount in the set sets "
        "`automountServiceAccountToken: false`) or a binding in the set grants the default account "
        "a role. A pod without a token and without permissions is not reported."
    ),
    why=(
        "All pods of a namespace share the default account: its token in one compromised pod gives "
        "the attacker whatever any of them was granted, and permissions cannot be scoped to one "
        "workload."
    ),
    fix=(
        "Create a service account per workload, set `serviceAccountName`, and set "
        "`automountServiceAccountToken: false` where the pod does not call the API."
    ),
    bad="spec:\n  containers:\n  - name: app\n    image: registry.example.com/app:1.4.2",
    good="spec:\n  serviceAccountName: app\n  automountServiceAccountToken: false\n  containers:\n  - name: app",
    references=("CIS Kubernetes 5.1.5", "CIS Kubernetes 5.1.6", NSA_TOKENS, "CWE-250"),
    options={"system_namespaces": SYSTEM_NAMESPACES_OPTION},
))
def default_service_account_used(objs: ObjectSet, ctx: RuleContext) -> Iterator[Hit]:
    for obj, pod in workloads(objs, ctx):
        if service_account(pod) != "default":
            continue
        ns = obj.namespace
        mounted = token_mounted(pod, find_service_account(objs, "default", ns))
        bound = [f'{b.kind} "{b.name}"' for b in explicit_bindings(objs, "default", ns)]
        if not mounted and not bound:
            continue
        parts = []
        if mounted:
            parts.append("its API token is mounted")
        if bound:
            parts.append(f"{', '.join(bound)} grants it a role")
        yield Hit(
            f'{obj.kind} "{obj.name}" runs as the default service account and {" and ".join(parts)}',
            sa_path(pod),
            obj=obj,
        )


@rule(RuleMeta(
    id="K8S-063",
    name="sa-token-automounted",
    title="Service account token mounted into a pod that has no API permissions",
    severity=Severity.LOW,
    scope=Scope.SET,
    targets=WORKLOADS,
    # not APP.GEN.L1.1 (user and service access control): a workload with its own account and no
    # permissions is what basic service access control asks for; the idle token is hardening
    requirements=("INF.CMP.L2.2",),
    what=(
        "Flags workloads running as a named service account whose ServiceAccount object is in the "
        "set but no RoleBinding or ClusterRoleBinding in the set grants it anything, while the "
        "token is still mounted. The account's permissions then suggest the pod does not call the "
        "API. The default account is reported by K8S-062; accounts with a "
        "cloud workload identity (EKS, GKE, Azure annotations) or listed in "
        "`automount_allowed_service_accounts` are skipped."
    ),
    why=(
        "A mounted token is a credential for anyone who compromises the container; unused, it "
        "only adds risk (and it grants whatever is bound to the account later or elsewhere)."
    ),
    fix=(
        "Set `automountServiceAccountToken: false` on the pod or on its ServiceAccount; mount a "
        "projected token only in pods that call the API."
    ),
    bad="kind: ServiceAccount\nmetadata: {name: web}\n---\nspec:\n  serviceAccountName: web",
    good="kind: ServiceAccount\nmetadata: {name: web}\nautomountServiceAccountToken: false",
    references=("CIS Kubernetes 5.1.6", NSA_TOKENS, "CWE-522"),
    options={
        "automount_allowed_service_accounts": (
            "Service accounts (`name` or `namespace/name`) whose pods may keep their token (default: none)."
        ),
        "system_namespaces": SYSTEM_NAMESPACES_OPTION,
    },
))
def sa_token_automounted(objs: ObjectSet, ctx: RuleContext) -> Iterator[Hit]:
    allowed = {str(a) for a in ctx.option("automount_allowed_service_accounts", []) or []}
    for obj, pod in workloads(objs, ctx):
        name, ns = service_account(pod), obj.namespace
        if name == "default" or name in allowed or f"{ns}/{name}" in allowed:
            continue
        sa = find_service_account(objs, name, ns)
        if sa is None or not token_mounted(pod, sa) or explicit_bindings(objs, name, ns):
            continue
        if any(str(key) in CLOUD_IDENTITY_ANNOTATIONS for key in sa.annotations):
            continue
        yield Hit(
            f'{obj.kind} "{obj.name}" mounts the API token of service account "{name}", which no binding '
            "in these manifests grants anything",
            sa_path(pod),
            obj=obj,
        )


@rule(RuleMeta(
    id="K8S-064",
    name="default-sa-automount",
    title="Default ServiceAccount mounts its token automatically",
    severity=Severity.LOW,
    scope=Scope.OBJECT,
    targets=("ServiceAccount",),
    requirements=("INF.CMP.L2.2", "APP.GEN.L1.1"),
    what=(
        "Flags ServiceAccount objects named `default` that do not set "
        "`automountServiceAccountToken: false`."
    ),
    why=(
        "Every pod that names no service account gets the default account's token; switching the "
        "mount off on the account protects pods that forget to opt out."
    ),
    fix="Set `automountServiceAccountToken: false` on the default ServiceAccount of each namespace.",
    bad="apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default",
    good="apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\nautomountServiceAccountToken: false",
    references=("CIS Kubernetes 5.1.5", NSA_TOKENS, "CWE-522"),
))
def default_sa_automount(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    if obj.name == "default" and obj.get("automountServiceAccountToken") is not False:
        yield Hit(
            f"the default ServiceAccount of {namespace_text(obj.namespace)} does not set "
            "automountServiceAccountToken: false",
            ("automountServiceAccountToken",),
        )
