"""Image signature verification at admission: Sigstore policy-controller, Kyverno
verifyImages, Connaisseur and Ratify."""

from __future__ import annotations

from cnsmm.capabilities.index import Index, Signature, container_env, evidence
from cnsmm.capabilities.model import CapabilityEvidence, Outcome
from cnsmm.capabilities.policy import gatekeeper_denies, kyverno_action, kyverno_policies
from cnsmm.capabilities.registry import detector, outcome
from cnsmm.capabilities.values import items, mapping, text, truthy

SIGNING_SUPPORTS = (
    ("PLT.IMG.L3.1", "Only images with a valid signature may be pulled into the cluster and run."),
    ("PLT.IMG.L1.1", "Only images signed by the organisation's own build run, so every running image comes from "
                     "its centrally managed set."),
    ("DEV.DEV.L2.1", "Each image's signature is checked as an artifact security check before it runs."),
    ("DEV.DEV.L3.1", "Signatures and attestations tie every running image to the build that produced it."),
)


def _verdict(name: str, zh: str, enforcing: int, warning: int, ev: list[CapabilityEvidence]) -> Outcome:
    if enforcing:
        return outcome(
            "effective",
            f"{name} rejects unsigned images ({enforcing} enforcing policy(ies)).",
            f"{zh} 拒绝未签名镜像(共 {enforcing} 个强制策略)。",
            ev,
        )
    what = f"{warning} policy(ies) only warn or audit" if warning else "no verification policy was found"
    what_zh = f"{warning} 个策略仅告警或审计" if warning else "未发现验证策略"
    return outcome(
        "partial",
        f"{name} is present but {what}, so unsigned images still run.",
        f"发现 {zh},但{what_zh},未签名镜像仍可运行。",
        ev,
    )


POLICY_CONTROLLER = Signature(
    images=("sigstore/policy-controller/*", "sigstore/policy-controller"),
    labels=("policy-controller", "policy-controller-webhook"),
    crd_groups=("policy.sigstore.dev",),
)


@detector(
    id="sigstore-policy-controller",
    name="Sigstore policy-controller",
    category="image-signature-verification",
    supports=SIGNING_SUPPORTS,
    how="Image ghcr.io/sigstore/policy-controller/*, policy.sigstore.dev CRDs, ClusterImagePolicy objects.",
    conditions="A ClusterImagePolicy in mode enforce (the default) and, when Namespaces are in the set, at "
    "least one labelled policy.sigstore.dev/include=true; warn mode is partial.",
)
def sigstore_policy_controller(ix: Index) -> Outcome | None:
    """policy-controller: enforcing ClusterImagePolicies on opted-in namespaces."""
    cips = ix.kind("ClusterImagePolicy", "policy.sigstore.dev")
    found = ix.presence(POLICY_CONTROLLER)
    if not found and not cips:
        return None
    enforce = [c for c in cips if (text(c.get("spec", "mode")).lower() or "enforce") == "enforce"]
    namespaces = ix.kind("Namespace", "")
    opted = [n for n in namespaces if truthy(n.labels.get("policy.sigstore.dev/include"))]
    ev = [evidence(c, ("spec", "mode"), f"ClusterImagePolicy mode {text(c.get('spec', 'mode')) or 'enforce'}")
          for c in cips] + [evidence(n, ("metadata", "labels"), "opted in") for n in opted] + found
    if enforce and namespaces and not opted:
        return outcome(
            "partial",
            "ClusterImagePolicies enforce signatures, but no namespace of the set opts in "
            "(policy.sigstore.dev/include: \"true\"), so no pod is checked.",
            "ClusterImagePolicy 要求签名,但本组没有命名空间开启校验"
            "(policy.sigstore.dev/include: \"true\"),实际不检查任何 Pod。",
            ev,
        )
    name = "Sigstore policy-controller"
    return _verdict(name, name, len(enforce), len(cips) - len(enforce), ev)


@detector(
    id="kyverno-verify-images",
    name="Kyverno verifyImages",
    category="image-signature-verification",
    supports=SIGNING_SUPPORTS,
    how="Kyverno ClusterPolicy/Policy rules with verifyImages, and ImageValidatingPolicy (policies.kyverno.io).",
    conditions="verifyImages rules in Enforce (per-entry failureAction or spec.validationFailureAction) or an "
    "ImageValidatingPolicy with validationActions Deny; Audit is partial.",
)
def kyverno_verify_images(ix: Index) -> Outcome | None:
    """Kyverno image verification rules."""
    enforcing, auditing, ev = 0, 0, []
    for p in kyverno_policies(ix):
        for i, raw in enumerate(items(p.get("spec", "rules"))):
            rule = mapping(raw)
            if not rule.get("verifyImages"):
                continue
            mode = kyverno_action(p, rule, "verifyImages")
            enforcing += mode == "enforce"
            auditing += mode != "enforce"
            ev.append(evidence(p, ("spec", "rules", i, "verifyImages"), f"verifyImages rule ({mode})"))
    for v in ix.kind("ImageValidatingPolicy", "policies.kyverno.io"):
        deny = "deny" in {text(a).lower() for a in items(v.get("spec", "validationActions"))}
        enforcing += deny
        auditing += not deny
        ev.append(evidence(v, ("spec", "validationActions"), "ImageValidatingPolicy"))
    if not ev:
        return None
    return _verdict("Kyverno", "Kyverno", enforcing, auditing, ev)


CONNAISSEUR = Signature(images=("securesystemsengineering/connaisseur",), labels=("connaisseur",))


@detector(
    id="connaisseur",
    name="Connaisseur",
    category="image-signature-verification",
    supports=SIGNING_SUPPORTS,
    how="Image securesystemsengineering/connaisseur, app label connaisseur.",
    conditions="Not in detection mode (DETECTION_MODE is not true); it verifies Notary or cosign signatures.",
)
def connaisseur(ix: Index) -> Outcome | None:
    """Connaisseur admission controller."""
    found = ix.presence(CONNAISSEUR)
    if not found:
        return None
    detection = any(truthy(container_env(u.container, "DETECTION_MODE"))
                    for u in ix.image_uses(CONNAISSEUR.images))
    return _verdict("Connaisseur", "Connaisseur", 0 if detection else 1, 1 if detection else 0, found)


RATIFY = Signature(
    images=("deislabs/ratify", "ratify-project/ratify", "notaryproject/ratify"),
    labels=("ratify",),
    crd_groups=("config.ratify.deislabs.io",),
)


@detector(
    id="ratify",
    name="Ratify (Notary verification)",
    category="image-signature-verification",
    supports=SIGNING_SUPPORTS,
    how="Images ghcr.io/deislabs/ratify or ratify-project/ratify, ratify CRDs (Verifier, Store).",
    conditions="A Gatekeeper constraint that calls Ratify (kind containing Ratify) with enforcementAction deny.",
)
def ratify(ix: Index) -> Outcome | None:
    """Ratify: verification is enforced through a Gatekeeper constraint."""
    found = ix.presence(RATIFY)
    constraints = [c for c in ix.in_groups("constraints.gatekeeper.sh") if "ratify" in c.kind.lower()]
    if not found and not constraints:
        return None
    deny = [c for c in constraints if gatekeeper_denies(c)]
    ev = [evidence(c, ("spec",), f"{c.kind} constraint") for c in constraints] + found
    return _verdict("Ratify", "Ratify", len(deny), len(constraints) - len(deny), ev)
