"""Pod Security Admission namespace labels (``pod-security.kubernetes.io/<mode>``).

The built-in PodSecurity admission controller enforces a Pod Security Standards level per
namespace from its labels: ``enforce`` rejects violating pods, ``audit`` and ``warn`` only
record or warn. Namespaces listed in the ``system_namespaces`` option are skipped. A cluster-wide
default set in the API server's AdmissionConfiguration is not visible in manifests; where one
exists, disable K8S-140 and K8S-143.
"""

from __future__ import annotations

from collections.abc import Iterator

from cnsmm.findings import Severity
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._common import PSS
from cnsmm.rules.k8s._selectors import SYSTEM_NAMESPACES_OPTION, system_namespaces
from cnsmm.sources.k8s import K8sObject

PREFIX = "pod-security.kubernetes.io/"
LEVELS = ("privileged", "baseline", "restricted")
PSA_DOC = "https://kubernetes.io/docs/concepts/security/pod-security-admission/"
PSA_REQUIREMENTS = ("PLT.RUN.L2.1", "OPS.MGT.L3.3")
"""特权容器与特权行为限制; 容器安全策略集中管理."""
_OPTIONS = {"system_namespaces": SYSTEM_NAMESPACES_OPTION}


def _labels(obj: K8sObject, ctx: RuleContext) -> dict[str, str] | None:
    """The namespace's PSA labels by mode (``enforce``, ``warn-version``...), or None when skipped."""
    if obj.name in system_namespaces(ctx):
        return None
    return {str(k)[len(PREFIX):]: str(v).strip() for k, v in obj.labels.items() if str(k).startswith(PREFIX)}


def _path(key: str) -> tuple[str, ...]:
    return ("metadata", "labels", PREFIX + key)


def _meta(
    id: str, name: str, title: str, severity: Severity, *, what: str, why: str, fix: str, bad: str, good: str,
    references: tuple[str, ...],
) -> RuleMeta:
    return RuleMeta(id=id, name=name, title=title, severity=severity, scope=Scope.OBJECT, targets=("Namespace",),
                    requirements=PSA_REQUIREMENTS, options=_OPTIONS, what=what, why=why, fix=fix, bad=bad,
                    good=good, references=references)


@rule(_meta(
    "K8S-140", "namespace-without-pod-security-level", "Namespace has no Pod Security Admission level",
    Severity.MEDIUM,
    what="Flags Namespaces (system namespaces skipped) without any `pod-security.kubernetes.io/` enforce, audit "
         "or warn label.",
    why="Without a label (and without a cluster-wide default) the PodSecurity admission controller lets every "
        "pod in, privileged and host-namespace pods included: nothing stops a manifest or a compromised "
        "deployer from escaping to the node.",
    fix="Label the namespace `pod-security.kubernetes.io/enforce: restricted` (or `baseline` where restricted "
        "is not yet possible).",
    bad="kind: Namespace\nmetadata:\n  name: shop",
    good="kind: Namespace\nmetadata:\n  name: shop\n  labels:\n    pod-security.kubernetes.io/enforce: restricted",
    references=(PSA_DOC, f"{PSS}", "CIS Kubernetes 5.2.1", "CWE-1188"),
))
def namespace_without_level(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    labels = _labels(obj, ctx)
    if labels is not None and not any(m in labels for m in ("enforce", "audit", "warn")):
        yield Hit(f'Namespace "{obj.name}" has no Pod Security Admission label: any pod is admitted', ("metadata",))


@rule(_meta(
    "K8S-141", "pod-security-enforce-privileged", "Namespace enforces no Pod Security restriction (privileged)",
    Severity.HIGH,
    what="Flags Namespaces (system namespaces skipped) whose `pod-security.kubernetes.io/enforce` label is "
         "`privileged`, or is not one of the three levels.",
    why="The privileged level is no restriction at all; below baseline, pods may run privileged, share the "
        "node's namespaces and mount its file system. An unknown level is a typo nobody noticed.",
    fix="Enforce `baseline` at least, `restricted` where possible; move the workloads that really need "
        "privileges to a dedicated, tightly controlled namespace.",
    bad="labels:\n  pod-security.kubernetes.io/enforce: privileged",
    good="labels:\n  pod-security.kubernetes.io/enforce: baseline",
    references=(PSA_DOC, PSS, "CIS Kubernetes 5.2.1", "CWE-250"),
))
def enforce_privileged(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    labels = _labels(obj, ctx)
    level = (labels or {}).get("enforce")
    if level is None:
        return
    if level == "privileged":
        yield Hit(f'Namespace "{obj.name}" enforces the privileged level (no restriction)', _path("enforce"))
    elif level not in LEVELS:
        yield Hit(f'Namespace "{obj.name}" enforces unknown level "{level}" (expected one of {", ".join(LEVELS)})',
                  _path("enforce"))


@rule(_meta(
    "K8S-142", "pod-security-version-unpinned", "Pod Security enforce level not pinned to a version",
    Severity.LOW,
    what="Flags Namespaces (system namespaces skipped) enforcing a `baseline` or `restricted` level without "
         "`pod-security.kubernetes.io/enforce-version`, or with `enforce-version: latest`.",
    why="Unpinned, the level follows the cluster's Kubernetes version: an upgrade can start rejecting pods that "
        "were admitted yesterday, and teams then loosen the label in a hurry. Pinning makes tightening a "
        "reviewed change (test it first with `warn-version: latest`).",
    fix="Add `pod-security.kubernetes.io/enforce-version: v1.30` (your cluster's version) and move it forward "
        "deliberately.",
    bad="labels:\n  pod-security.kubernetes.io/enforce: restricted",
    good=(
        "labels:\n  pod-security.kubernetes.io/enforce: restricted\n"
        "  pod-security.kubernetes.io/enforce-version: v1.30"
    ),
    references=(PSA_DOC, "https://kubernetes.io/docs/tasks/configure-pod-container/enforce-standards-namespace-labels/"),
))
def version_unpinned(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    labels = _labels(obj, ctx) or {}
    if labels.get("enforce") not in ("baseline", "restricted"):
        return
    version = labels.get("enforce-version")
    if version is None:
        yield Hit(f'Namespace "{obj.name}" enforces {labels["enforce"]} without enforce-version', _path("enforce"))
    elif version == "latest":
        yield Hit(f'Namespace "{obj.name}" enforces {labels["enforce"]} at version latest', _path("enforce-version"))


@rule(_meta(
    "K8S-143", "pod-security-audit-warn-only", "Pod Security levels audited or warned but not enforced",
    Severity.MEDIUM,
    what="Flags Namespaces (system namespaces skipped) with a `pod-security.kubernetes.io/audit` or `warn` label "
         "but no `enforce` label.",
    why="Audit and warn only record or print violations; the pods are still admitted. A namespace left in this "
        "trial mode is unprotected while looking protected.",
    fix="Add `pod-security.kubernetes.io/enforce` once the warnings are fixed (keep warn/audit at a stricter "
        "level to prepare the next step).",
    bad="labels:\n  pod-security.kubernetes.io/warn: restricted",
    good="labels:\n  pod-security.kubernetes.io/enforce: baseline\n  pod-security.kubernetes.io/warn: restricted",
    references=(PSA_DOC, "CIS Kubernetes 5.2.1"),
))
def audit_warn_only(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    labels = _labels(obj, ctx) or {}
    modes = [m for m in ("audit", "warn") if m in labels]
    if modes and "enforce" not in labels:
        text = f'Namespace "{obj.name}" only {" and ".join(modes)}s Pod Security violations; pods are still admitted'
        yield Hit(text, _path(modes[0]))
