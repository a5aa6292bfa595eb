"""Authentication in front of applications and identity providers: oauth2-proxy, Keycloak
and Dex."""

from __future__ import annotations

import re

from cnsmm.capabilities.index import Index, Signature, container_args, evidence
from cnsmm.capabilities.model import Outcome
from cnsmm.capabilities.registry import detector, outcome
from cnsmm.capabilities.values import data_value, items, mapping, text

USER_ACCESS = "APP.GEN.L1.1"
UNIFIED_ID = "OPS.MGT.L4.4"

OAUTH2_PROXY = Signature(images=("oauth2-proxy/oauth2-proxy", "bitnami/oauth2-proxy", "pusher/oauth2_proxy"),
                         labels=("oauth2-proxy",))
AUTH_URL = "nginx.ingress.kubernetes.io/auth-url"


def _texts(ix: Index, needle: str) -> str:
    """ConfigMap/Secret values of objects whose name contains ``needle``."""
    parts = []
    for obj in ix.kinds(("ConfigMap", "Secret"), ""):
        if needle in obj.name.lower():
            for field in ("data", "stringData"):
                parts += [data_value(obj, k) for k in mapping(obj.get(field)) if isinstance(k, str)]
    return "\n".join(parts)


@detector(
    id="oauth2-proxy",
    name="OAuth2 Proxy",
    category="authn-proxy",
    supports=(
        (USER_ACCESS, "Only users authenticated by the identity provider reach the protected applications."),
        (UNIFIED_ID, "Applications share single sign-on through one identity provider."),
    ),
    how="Images quay.io/oauth2-proxy/oauth2-proxy, app label oauth2-proxy, Ingress auth-url annotations.",
    conditions="It protects something: an Ingress auth-url pointing at it, an upstream in its arguments, "
    "environment or configuration, or an Istio CUSTOM AuthorizationPolicy using it as provider.",
)
def oauth2_proxy(ix: Index) -> Outcome | None:
    """oauth2-proxy in front of applications."""
    found = ix.presence(OAUTH2_PROXY)
    guarded = [i for i in ix.kind("Ingress", "networking.k8s.io", "extensions")
               if "oauth2" in text(i.annotations.get(AUTH_URL)).lower()]
    if not found and not guarded:
        return None
    uses = ix.image_uses(OAUTH2_PROXY.images)
    blob = " ".join(a for u in uses for a in container_args(u.container)).lower()
    blob += " ".join(text(mapping(e).get("name")) for u in uses for e in items(u.container.spec.get("env"))).lower()
    blob += _texts(ix, "oauth2").lower()
    custom = [a for a in ix.kind("AuthorizationPolicy", "security.istio.io")
              if text(a.get("spec", "action")).upper() == "CUSTOM"
              and "oauth2" in text(mapping(a.get("spec", "provider")).get("name")).lower()]
    ev = [evidence(i, ("metadata", "annotations"), "Ingress authenticated by oauth2-proxy") for i in guarded]
    ev += [evidence(a, ("spec", "provider"), "Istio CUSTOM authorization via oauth2-proxy") for a in custom] + found
    if guarded or custom or "upstream" in blob:
        return outcome("effective", "oauth2-proxy authenticates users in front of applications.",
                       "oauth2-proxy 在应用前对用户进行身份认证。", ev)
    return outcome("partial", "oauth2-proxy runs but nothing in this set is shown to be protected by it.",
                   "oauth2-proxy 已运行,但本组中未发现受其保护的应用。", ev)


KEYCLOAK = Signature(images=("keycloak/keycloak", "jboss/keycloak", "bitnami/keycloak", "keycloak/keycloak-operator",
                             "keycloak/keycloak-x"),
                     labels=("keycloak",), crd_groups=("k8s.keycloak.org", "keycloak.org"))


@detector(
    id="keycloak",
    name="Keycloak",
    category="identity-provider",
    supports=(
        (UNIFIED_ID, "Keycloak is a central identity provider with single sign-on across applications."),
        ("APP.GEN.L2.1", "Realm and client roles give applications role-based access control."),
    ),
    how="Images quay.io/keycloak/keycloak (and jboss, bitnami), app label keycloak, Keycloak CRs.",
    conditions="Runs in production mode (a Keycloak resource, or not started with start-dev).",
)
def keycloak(ix: Index) -> Outcome | None:
    """Keycloak, not in development mode."""
    crs = ix.kind("Keycloak", "k8s.keycloak.org", "keycloak.org")
    found = [evidence(c, ("spec",), "Keycloak instance") for c in crs] + ix.presence(KEYCLOAK)
    if not found:
        return None
    uses = [u for u in ix.image_uses(KEYCLOAK.images) if not u.repo.endswith("operator")]
    dev = [u for u in uses if "start-dev" in container_args(u.container)]
    if crs or (uses and not dev) or (not uses and ix.released(KEYCLOAK.labels)):
        return outcome("effective", "Keycloak runs in production mode as the identity provider.",
                       "Keycloak 以生产模式作为身份提供者运行。", found)
    why = "runs in development mode (start-dev)" if dev else "has no server in this set"
    why_zh = "以开发模式运行(start-dev)" if dev else "本组中没有其服务端"
    return outcome("partial", f"Keycloak {why}, which is not fit to hold identities.",
                   f"Keycloak {why_zh},不适合承载生产身份。", [u.evidence() for u in dev] + found)


DEX = Signature(images=("dexidp/dex",), labels=("dex", "argocd-dex-server"))
CONNECTORS = re.compile(r"^\s*[\"']?connectors[\"']?\s*:", re.MULTILINE)


@detector(
    id="dex",
    name="Dex",
    category="identity-provider",
    supports=(
        (UNIFIED_ID, "Dex federates logins from the organisation's identity providers (LDAP, SAML, OIDC)."),
        (USER_ACCESS, "Applications authenticate users through Dex's OpenID Connect tokens."),
    ),
    how="Image ghcr.io/dexidp/dex, app label dex, Dex configuration in ConfigMaps/Secrets (also argocd-cm dex.config).",
    conditions="At least one upstream connector is configured; a static password database alone is partial.",
)
def dex(ix: Index) -> Outcome | None:
    """Dex with upstream connectors."""
    found = ix.presence(DEX)
    if not found:
        return None
    configs = [o for o in ix.kinds(("ConfigMap", "Secret"), "")
               if any(CONNECTORS.search(data_value(o, k)) for field in ("data", "stringData")
                      for k in mapping(o.get(field)) if isinstance(k, str))]
    if configs:
        return outcome("effective", "Dex federates logins through configured upstream connectors.",
                       "Dex 通过已配置的上游连接器联合登录。",
                       [evidence(c, ("data",), "Dex connectors") for c in configs] + found)
    return outcome("partial", "Dex runs but no upstream connector is configured in this set (static passwords only).",
                   "Dex 已运行,但本组中没有配置上游连接器(至多为静态密码)。", found)
