"""Admission policy engines: Kyverno, Gatekeeper, ValidatingAdmissionPolicy, Pod Security
Admission and standalone Open Policy Agent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cnsmm.capabilities.index import Index, Signature, container_args, evidence
from cnsmm.capabilities.model import MAX_EVIDENCE, Outcome
from cnsmm.capabilities.registry import detector, outcome
from cnsmm.capabilities.values import items, mapping, text
from cnsmm.sources.k8s import K8sObject, dig

PRIV = "PLT.RUN.L2.1"
CENTRAL = "OPS.MGT.L3.3"
PRIV_WORDS = ("privileged", "podsecurity", "privilegeescalation", "hostpid", "hostnetwork", "hostipc",
              "capabilities", "pod-security", "psp")


SCOPE_KEYS = frozenset({"match", "exclude", "matchConstraints", "matchResources", "namespaceSelector",
                        "objectSelector", "namespacesExceptions", "excludedNamespaces", "exemptImages"})
"""Keys that say where a policy applies, not what it checks (skipped by :func:`mentions`)."""


def mentions(value: Any, words: tuple[str, ...] = PRIV_WORDS, budget: int = 5000) -> bool:
    """True when a key or string below ``value`` contains one of ``words`` (case-insensitive).

    Scoping sections (``match``, ``exclude``, namespace exceptions) are not read: a policy
    that merely exempts a namespace called ``privileged`` is not about privilege.
    """
    stack = [value]
    while stack and budget > 0:
        budget -= 1
        cur = stack.pop()
        if isinstance(cur, dict):
            for k, v in cur.items():
                if k in SCOPE_KEYS:
                    continue
                if isinstance(k, str) and any(w in k.lower() for w in words):
                    return True
                stack.append(v)
        elif isinstance(cur, list):
            stack.extend(cur)
        elif isinstance(cur, str) and any(w in cur.lower() for w in words):
            return True
    return False


def about_privilege(policy: K8sObject) -> bool:
    """A policy whose checks (not its scope) are about privileged pods."""
    return mentions(policy.doc)


def engine_outcome(name: str, enforcing: list[K8sObject], auditing: list[K8sObject],
                   ev: list[Any], zh_name: str, about: Callable[[K8sObject], bool] = about_privilege) -> Outcome:
    """Shared verdict: enforcing policies are effective; audit-only or none is partial.

    ``PLT.RUN.L2.1`` is credited only when ``about`` says the policies concern privilege.
    """
    priv_enf = any(about(p) for p in enforcing)
    priv_any = priv_enf or any(about(p) for p in auditing)
    if enforcing:
        return outcome(
            "effective",
            f"{name} enforces {len(enforcing)} policy(ies)"
            + (", including privilege restrictions." if priv_enf else "; none is about privileged containers."),
            f"{zh_name} 强制执行 {len(enforcing)} 个策略"
            + (",其中包括特权限制。" if priv_enf else ",但没有针对特权容器的策略。"),
            ev, effective=[CENTRAL, *([PRIV] if priv_enf else [])], partial=[PRIV] if priv_any and not priv_enf else [],
        )
    if auditing:
        return outcome(
            "partial",
            f"{name} has {len(auditing)} policy(ies) only in audit/warn mode: violations are reported, not blocked.",
            f"{zh_name} 有 {len(auditing)} 个策略,但仅处于审计/告警模式,违规只会被记录而不会被拦截。",
            ev, effective=[], partial=[CENTRAL, *([PRIV] if priv_any else [])],
        )
    return outcome(
        "partial",
        f"{name} is present but no validating policy was found in this set.",
        f"发现 {zh_name},但本组对象中没有校验策略。",
        ev, effective=[], partial=[CENTRAL],
    )


KYVERNO = Signature(
    images=("kyverno/kyverno", "kyverno/kyvernopre", "kyverno/background-controller",
            "kyverno/cleanup-controller", "kyverno/reports-controller"),
    labels=("kyverno", "kyverno-admission-controller"),
    crd_groups=("kyverno.io", "policies.kyverno.io"),
)


def kyverno_action(policy: K8sObject, rule: dict[Any, Any], section: str) -> str:
    """``enforce`` or ``audit`` for one validate/verifyImages rule (per-rule action wins)."""
    parts = rule.get(section)
    per_rule = [mapping(p).get("failureAction") for p in (parts if isinstance(parts, list) else [parts])]
    chosen = next((text(a) for a in per_rule if text(a)), "") or text(policy.get("spec", "validationFailureAction"))
    return "enforce" if chosen.lower() == "enforce" else "audit"


def kyverno_policies(ix: Index) -> list[K8sObject]:
    """Kyverno ClusterPolicy/Policy objects."""
    return ix.kinds(("ClusterPolicy", "Policy"), "kyverno.io")


@detector(
    id="kyverno",
    name="Kyverno",
    category="policy-engine",
    supports=(
        (CENTRAL, "Kyverno manages container security policies centrally as cluster resources."),
        (PRIV, "Enforced Kyverno rules (e.g. Pod Security) reject privileged pods at admission."),
    ),
    how="Images ghcr.io/kyverno/*, app label kyverno, kyverno.io CRDs, ClusterPolicy/Policy and ValidatingPolicy.",
    conditions="At least one validate rule in Enforce (spec.validationFailureAction, per-rule "
    "validate.failureAction or a namespace override) or a ValidatingPolicy with validationActions Deny; "
    "Audit only is partial.",
)
def kyverno(ix: Index) -> Outcome | None:
    """Kyverno: validate rules in Enforce mode."""
    policies = kyverno_policies(ix)
    vpols = ix.kind("ValidatingPolicy", "policies.kyverno.io")
    found = ix.presence(KYVERNO)
    if not found and not policies and not vpols:
        return None
    enforcing: list[K8sObject] = []
    auditing: list[K8sObject] = []
    for p in policies:
        rules = [mapping(r) for r in items(p.get("spec", "rules")) if mapping(r).get("validate") is not None]
        if not rules:
            continue
        modes = {kyverno_action(p, r, "validate") for r in rules}
        overrides = items(p.get("spec", "validationFailureActionOverrides"))
        modes |= {text(mapping(o).get("action")).lower() for o in overrides}
        (enforcing if "enforce" in modes else auditing).append(p)
    for v in vpols:
        deny = "deny" in {text(a).lower() for a in items(v.get("spec", "validationActions"))}
        (enforcing if deny else auditing).append(v)
    ev = [evidence(p, ("spec", "validationFailureAction"), f"{p.kind} enforcing") for p in enforcing[:MAX_EVIDENCE]]
    ev += [evidence(p, ("spec", "validationFailureAction"), f"{p.kind} audit only")
           for p in auditing[:MAX_EVIDENCE]] + found
    return engine_outcome("Kyverno", enforcing, auditing, ev, "Kyverno")


GATEKEEPER = Signature(
    images=("openpolicyagent/gatekeeper", "openpolicyagent/gatekeeper-crds"),
    labels=("gatekeeper", "gatekeeper-controller-manager", "gatekeeper-audit"),
    crd_groups=("templates.gatekeeper.sh", "config.gatekeeper.sh", "status.gatekeeper.sh"),
)


def gatekeeper_denies(constraint: K8sObject) -> bool:
    """``enforcementAction`` deny (the default), or scoped with a deny action."""
    action = text(constraint.get("spec", "enforcementAction")).lower() or "deny"
    if action == "scoped":
        return any(text(mapping(s).get("action")).lower() == "deny"
                   for s in items(constraint.get("spec", "scopedEnforcementActions")))
    return action == "deny"


@detector(
    id="gatekeeper",
    name="OPA Gatekeeper",
    category="policy-engine",
    supports=(
        (CENTRAL, "ConstraintTemplates and Constraints manage container policies centrally."),
        (PRIV, "Enforced constraints (e.g. the PSP library) reject privileged pods at admission."),
    ),
    how="Image openpolicyagent/gatekeeper, labels, gatekeeper.sh CRDs, ConstraintTemplates and constraints.",
    conditions="At least one constraint with enforcementAction deny (the default) or scoped deny; "
    "dryrun/warn only is partial.",
)
def gatekeeper(ix: Index) -> Outcome | None:
    """Gatekeeper: constraints that deny."""
    constraints = ix.in_groups("constraints.gatekeeper.sh")
    templates = ix.kind("ConstraintTemplate", "templates.gatekeeper.sh")
    found = ix.presence(GATEKEEPER)
    if not found and not constraints and not templates:
        return None
    enforcing = [c for c in constraints if gatekeeper_denies(c)]
    auditing = [c for c in constraints if not gatekeeper_denies(c)]
    ev = [evidence(c, ("spec", "enforcementAction"),
                   f"{c.kind} constraint ({text(c.get('spec', 'enforcementAction')) or 'deny'})")
          for c in constraints[:MAX_EVIDENCE]]
    ev += [evidence(t, ("spec",), "ConstraintTemplate") for t in templates[:3]] + found
    return engine_outcome("Gatekeeper", enforcing, auditing, ev, "Gatekeeper",
                          about=lambda c: mentions(c.kind, ("privilege", "capabilities", "hostnamespace", "psp")))


@detector(
    id="validating-admission-policy",
    name="ValidatingAdmissionPolicy",
    category="policy-engine",
    supports=(
        (CENTRAL, "Built-in CEL admission policies manage container rules centrally in the API server."),
        (PRIV, "A Deny-bound policy that checks privilege rejects privileged pods."),
    ),
    how="ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding (admissionregistration.k8s.io).",
    conditions="A binding with validationActions containing Deny; Warn/Audit bindings or unbound policies are partial.",
)
def validating_admission_policy(ix: Index) -> Outcome | None:
    """ValidatingAdmissionPolicy: bound with Deny."""
    group = "admissionregistration.k8s.io"
    policies = ix.kind("ValidatingAdmissionPolicy", group)
    bindings = ix.kind("ValidatingAdmissionPolicyBinding", group)
    if not policies and not bindings:
        return None
    by_name = {p.name: p for p in policies}
    enforcing: list[K8sObject] = []
    auditing: list[K8sObject] = []
    for b in bindings:
        deny = "deny" in {text(a).lower() for a in items(b.get("spec", "validationActions"))}
        target = by_name.get(text(b.get("spec", "policyName")))
        subject = [b] + ([target] if target is not None else [])
        (enforcing if deny else auditing).extend(subject)
    bound = {id(p) for p in enforcing + auditing}
    ev = [evidence(b, ("spec", "validationActions"), "binding") for b in bindings[:MAX_EVIDENCE]]
    ev += [evidence(p, ("spec",), "ValidatingAdmissionPolicy" + ("" if id(p) in bound else " (not bound)"))
           for p in policies[:MAX_EVIDENCE]]
    return engine_outcome("ValidatingAdmissionPolicy", enforcing, auditing, ev, "ValidatingAdmissionPolicy")


PSA_ENFORCE = "pod-security.kubernetes.io/enforce"


@detector(
    id="pod-security-admission",
    name="Pod Security Admission",
    category="policy-engine",
    supports=((PRIV, "Enforced baseline/restricted Pod Security Standards reject privileged pods."),),
    how="Namespace labels pod-security.kubernetes.io/enforce|warn|audit; PodSecurityConfiguration defaults.",
    conditions="Every Namespace of the set enforces baseline or restricted (or the admission configuration's "
    "default does); warn/audit labels alone or privileged are partial.",
)
def pod_security_admission(ix: Index) -> Outcome | None:
    """PSA labels on namespaces, and cluster defaults."""
    namespaces = ix.kind("Namespace", "")
    labelled = [n for n in namespaces if any(str(k).startswith("pod-security.kubernetes.io/") for k in n.labels)]
    defaults = [c for c in ix.kind("PodSecurityConfiguration")
                if text(c.get("defaults", "enforce")).lower() in ("baseline", "restricted")]
    defaults += [c for c in ix.kind("AdmissionConfiguration")
                 if any(text(dig(p, ("configuration", "defaults", "enforce"))).lower()
                        in ("baseline", "restricted") for p in items(c.get("plugins")))]
    if not labelled and not defaults:
        return None
    enforced = [n for n in namespaces if text(n.labels.get(PSA_ENFORCE)).lower() in ("baseline", "restricted")]
    ev = [evidence(n, ("metadata", "labels"), f"enforce={text(n.labels.get(PSA_ENFORCE)) or 'unset'}")
          for n in labelled[:MAX_EVIDENCE]] + [evidence(c, (), "cluster default enforce") for c in defaults]
    if defaults or (enforced and len(enforced) == len(namespaces)):
        return outcome(
            "effective",
            "Pod Security Admission enforces baseline or restricted on every namespace of the set.",
            "Pod Security Admission 对本组所有命名空间强制执行 baseline 或 restricted 标准。",
            ev,
        )
    return outcome(
        "partial",
        f"Pod Security Admission enforces baseline/restricted on {len(enforced)} of {len(namespaces)} namespace(s); "
        "the others only warn/audit or allow privileged pods.",
        f"Pod Security Admission 仅在 {len(enforced)}/{len(namespaces)} 个命名空间强制执行 baseline/restricted,"
        "其余仅告警/审计或允许特权容器。",
        ev,
    )


OPA_LOAD_FLAGS = frozenset({"--bundle", "-b", "--config-file", "-c", "--set", "--policy"})
OPA = Signature(images=("openpolicyagent/opa", "openpolicyagent/kube-mgmt"), labels=("opa", "open-policy-agent"))


@detector(
    id="open-policy-agent",
    name="Open Policy Agent",
    category="policy-engine",
    supports=(
        ("APP.GEN.L3.1", "OPA (e.g. as an Envoy external authorizer) decides calls between services by policy."),
        ("APP.MSV.L2.1", "Rego policies for service access are managed centrally and distributed as bundles."),
    ),
    how="Images openpolicyagent/opa (not Gatekeeper) and kube-mgmt; app label opa.",
    conditions="Policies are loaded: ConfigMaps labelled openpolicyagent.org/policy=rego or holding .rego "
    "files, or a bundle/config argument; otherwise partial.",
)
def open_policy_agent(ix: Index) -> Outcome | None:
    """Standalone OPA with visible policies."""
    uses = ix.image_uses(OPA.images)
    found = ix.presence(OPA)
    if not found:
        return None
    rego = [cm for cm in ix.kind("ConfigMap", "")
            if text(cm.labels.get("openpolicyagent.org/policy")) == "rego"
            or any(isinstance(k, str) and k.endswith(".rego") for k in mapping(cm.get("data")))]
    args = [a.split("=", 1)[0] for u in uses for a in container_args(u.container)]
    loaded = rego or any(a.endswith(".rego") or a in OPA_LOAD_FLAGS for a in args)
    ev = [evidence(cm, ("data",), "Rego policy") for cm in rego] + found
    if loaded:
        return outcome(
            "effective",
            "Open Policy Agent runs with policies loaded (Rego ConfigMaps or bundles).",
            "Open Policy Agent 已运行并加载了策略(Rego ConfigMap 或策略包)。",
            ev,
        )
    return outcome(
        "partial",
        "Open Policy Agent runs but no policy or bundle configuration was found.",
        "Open Policy Agent 已运行,但未发现策略或策略包配置。",
        ev,
    )

