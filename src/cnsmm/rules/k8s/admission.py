"""Admission and ingress-controller settings that open a way around other controls."""

from __future__ import annotations

from collections.abc import Iterator

from cnsmm.findings import Severity
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._common import NSA
from cnsmm.sources.k8s import K8sObject

SNIPPET_ANNOTATIONS = (
    "nginx.ingress.kubernetes.io/configuration-snippet",
    "nginx.ingress.kubernetes.io/server-snippet",
    "nginx.ingress.kubernetes.io/auth-snippet",
    "nginx.ingress.kubernetes.io/modsecurity-snippet",
    "nginx.ingress.kubernetes.io/stream-snippet",
    "nginx.org/server-snippets",
    "nginx.org/location-snippets",
)
"""Every snippet annotation ingress-nginx and NGINX Inc.'s controller honour on an Ingress
(``location-snippet``, ``http-snippet`` and ``main-snippet`` are controller ConfigMap keys,
set by the cluster operator, not Ingress annotations)."""


def snippet_annotations(annotations: dict[str, object]) -> list[str]:
    """Annotation keys with a non-empty raw NGINX snippet, in the order written."""
    out = []
    for key, value in annotations.items():
        if not isinstance(key, str) or value in (None, "", False):
            continue
        if key.strip() in SNIPPET_ANNOTATIONS:
            out.append(key)
    return out
LEGACY_WEBHOOK_VERSIONS = frozenset({"admissionregistration.k8s.io/v1beta1"})
"""Webhook API versions (removed in Kubernetes 1.22) whose default ``failurePolicy`` was Ignore."""
SECURITY_WEBHOOK_HINTS = ("kyverno", "gatekeeper", "policy", "opa", "admission", "security", "cosign", "sigstore")


@rule(RuleMeta(
    id="K8S-035",
    name="ingress-snippet-annotation",
    title="Ingress injects raw NGINX configuration through a snippet annotation",
    severity=Severity.HIGH,
    scope=Scope.OBJECT,
    targets=("Ingress",),
    requirements=("APP.GEN.L2.4", "PLT.ORC.L1.1"),
    what=(
        "Flags Ingress objects carrying ingress-nginx or NGINX Inc. snippet annotations "
        "(ingress-nginx: `configuration-snippet`, `server-snippet`, `auth-snippet`, `modsecurity-snippet`, "
        "`stream-snippet`; NGINX Inc.: `server-snippets`, "
        "`location-snippets`)."
    ),
    why=(
        "Snippets are pasted verbatim into the controller's nginx.conf. Anyone who can create an Ingress can then "
        "read the controller's service account token and every Secret it can see (CVE-2021-25742, CVE-2023-5044) "
        "or switch off the WAF rules for a host."
    ),
    fix=(
        "Replace the snippet with the controller's dedicated annotations or a ConfigMap setting, and set "
        "`allow-snippet-annotations: \"false\"` on the controller."
    ),
    bad=(
        "metadata:\n  annotations:\n    nginx.ingress.kubernetes.io/configuration-snippet: |\n"
        '      more_set_headers "X: y";'
    ),
    good="metadata:\n  annotations:\n    nginx.ingress.kubernetes.io/proxy-body-size: 8m",
    references=("CVE-2021-25742", "CVE-2023-5044", f"{NSA}: Network separation and hardening", "CWE-94"),
))
def ingress_snippet(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    for key in snippet_annotations(obj.annotations):
        yield Hit(f'Ingress "{obj.name}" sets {key}: raw NGINX configuration from the Ingress author',
                      ("metadata", "annotations", key))


@rule(RuleMeta(
    id="K8S-036",
    name="legacy-service-account-token-secret",
    title="Long-lived service account token stored as a Secret",
    severity=Severity.MEDIUM,
    scope=Scope.OBJECT,
    targets=("Secret",),
    requirements=("PLT.ORC.L1.1", "PLT.ORC.L2.3"),
    what="Flags Secrets of type `kubernetes.io/service-account-token`.",
    why=(
        "Such a token never expires and is not bound to a pod: once copied out of the cluster it keeps working "
        "until the Secret is deleted. Kubernetes has issued short-lived, audience-bound projected tokens since "
        "1.22 and no longer creates these Secrets automatically since 1.24."
    ),
    fix="Delete the Secret and let pods use projected tokens, or request one with `kubectl create token` when needed.",
    bad="apiVersion: v1\nkind: Secret\ntype: kubernetes.io/service-account-token\nmetadata:\n  annotations:\n"
        "    kubernetes.io/service-account.name: deployer",
    good="# no Secret: pods get a projected, expiring token automatically",
    references=("CIS Kubernetes 5.1.6", f"{NSA}: Authentication and authorization", "CWE-613"),
))
def legacy_token_secret(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    if obj.doc.get("type") == "kubernetes.io/service-account-token":
        account = obj.annotations.get("kubernetes.io/service-account.name", "?")
        yield Hit(f'Secret "{obj.name}" holds a non-expiring token of service account "{account}"', ("type",))


@rule(RuleMeta(
    id="K8S-037",
    name="security-webhook-fails-open",
    title="Security admission webhook is skipped when it is unavailable",
    severity=Severity.MEDIUM,
    scope=Scope.OBJECT,
    targets=("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"),
    requirements=("PLT.RUN.L2.1", "OPS.MGT.L3.3"),
    what=(
        "Flags webhooks of policy and security admission controllers (names mentioning kyverno, gatekeeper, "
        "policy, opa, admission, security, cosign or sigstore) with `failurePolicy: Ignore`, or with no "
        "`failurePolicy` in the removed `admissionregistration.k8s.io/v1beta1` API, whose default was Ignore "
        "(objects created through it kept that value when the cluster was upgraded)."
    ),
    why=(
        "With `Ignore`, any request admitted while the webhook is down, slow or deliberately overloaded skips the "
        "policy check: an attacker who can disturb the webhook gets privileged pods or unsigned images in."
    ),
    fix="Set `failurePolicy: Fail` and run the webhook with several replicas and a PodDisruptionBudget.",
    bad="webhooks:\n  - name: validate.kyverno.svc\n    failurePolicy: Ignore",
    good="webhooks:\n  - name: validate.kyverno.svc\n    failurePolicy: Fail",
    references=("Kubernetes documentation: Dynamic Admission Control, failure policy", "CWE-636"),
))
def webhook_fails_open(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    hooks = obj.doc.get("webhooks")
    if not isinstance(hooks, list):
        return
    legacy = obj.api_version in LEGACY_WEBHOOK_VERSIONS
    for i, hook in enumerate(hooks):
        if not isinstance(hook, dict):
            continue
        policy = hook.get("failurePolicy")
        path: tuple[str | int, ...]
        if policy is None and legacy:
            how, path = f"failurePolicy unset, which defaults to Ignore in {obj.api_version}", ("webhooks", i)
        elif policy == "Ignore":
            how, path = "failurePolicy: Ignore", ("webhooks", i, "failurePolicy")
        else:
            continue
        name = str(hook.get("name") or "")
        text = f"{obj.name} {name}".lower()
        if any(h in text for h in SECURITY_WEBHOOK_HINTS):
            yield Hit(f'webhook "{name}" of {obj.kind} "{obj.name}" fails open ({how})', path)
