"""Web application firewalls: ingress-nginx ModSecurity, Coraza and the OWASP CRS container."""

from __future__ import annotations

import re

from cnsmm.capabilities.index import Index, Signature, container_env, evidence
from cnsmm.capabilities.model import CapabilityEvidence, Outcome
from cnsmm.capabilities.registry import collect, detector, outcome
from cnsmm.capabilities.values import data_value, mapping, truthy

NS_WAF = "APP.GEN.L2.4"
BLOCK = "PLT.NET.L3.3"
NS_ANALYSIS = "APP.GEN.L3.4"
WAF_SUPPORTS = (
    (NS_WAF, "A WAF with the OWASP Core Rule Set inspects north-south HTTP traffic for web attacks."),
    (BLOCK, "In blocking mode (SecRuleEngine On) attacks are stopped at the edge."),
    (NS_ANALYSIS, "Every request is analysed and anomalous ones are intercepted before the application."),
)
ENGINE_ON = re.compile(r"secruleengine\s+on\b", re.IGNORECASE)
CRS_INCLUDE = re.compile(r"owasp[-_]?(modsecurity[-_])?crs|coreruleset|@owasp_crs", re.IGNORECASE)
PREFIX = "nginx.ingress.kubernetes.io/"


@detector(
    id="ingress-nginx-modsecurity",
    name="ingress-nginx ModSecurity WAF",
    category="waf",
    supports=WAF_SUPPORTS,
    how="ingress-nginx ConfigMap keys enable-modsecurity / enable-owasp-modsecurity-crs / modsecurity-snippet, "
    "or the same settings as nginx.ingress.kubernetes.io annotations on Ingresses.",
    conditions="ModSecurity enabled with the OWASP CRS and SecRuleEngine On (the default configuration is "
    "DetectionOnly), globally or on every Ingress of the set.",
)
def ingress_nginx_modsecurity(ix: Index) -> Outcome | None:
    """ModSecurity in ingress-nginx: enabled, with CRS, in blocking mode."""
    configs = [cm for cm in ix.kind("ConfigMap", "") if truthy(data_value(cm, "enable-modsecurity"))]
    ingresses = ix.kind("Ingress", "networking.k8s.io", "extensions")
    annotated = [i for i in ingresses if truthy(i.annotations.get(PREFIX + "enable-modsecurity"))]
    if not configs and not annotated:
        return None
    ev: list[CapabilityEvidence] = []
    full_global = False
    for cm in configs:
        snippet = data_value(cm, "modsecurity-snippet")
        crs = truthy(data_value(cm, "enable-owasp-modsecurity-crs")) or bool(CRS_INCLUDE.search(snippet))
        on = bool(ENGINE_ON.search(snippet))
        full_global = full_global or (crs and on)
        ev.append(evidence(cm, ("data", "enable-modsecurity"),
                           f"ModSecurity enabled{' with OWASP CRS' if crs else ''}"
                           f"{', SecRuleEngine On' if on else ', DetectionOnly'}"))
    full_ingresses = []
    for ing in annotated:
        snippet = str(ing.annotations.get(PREFIX + "modsecurity-snippet") or "")
        crs = truthy(ing.annotations.get(PREFIX + "enable-owasp-core-rules")) or bool(CRS_INCLUDE.search(snippet))
        if crs and ENGINE_ON.search(snippet):
            full_ingresses.append(ing)
        ev.append(evidence(ing, ("metadata", "annotations"), "ModSecurity enabled by annotation"))
    if full_global or (ingresses and len(full_ingresses) == len(ingresses)):
        return outcome(
            "effective",
            "ingress-nginx runs ModSecurity with the OWASP Core Rule Set in blocking mode (SecRuleEngine On).",
            "ingress-nginx 已启用 ModSecurity 与 OWASP 核心规则集,并处于阻断模式(SecRuleEngine On)。",
            ev,
        )
    return outcome(
        "partial",
        "ModSecurity is enabled in ingress-nginx but not with the OWASP CRS in blocking mode everywhere "
        "(the default is DetectionOnly, which logs attacks without stopping them).",
        "ingress-nginx 已启用 ModSecurity,但并非处处以 OWASP 规则集和阻断模式运行(默认 DetectionOnly 只记录不阻断)。",
        ev,
    )


CORAZA = Signature(
    images=("corazawaf/coraza-proxy-wasm", "corazawaf/coraza-spoa", "corazawaf/coraza-caddy",
            "corazawaf/coraza-kubernetes-operator", "jcchavezs/coraza-spoa"),
    labels=("coraza", "coraza-spoa"),
)


@detector(
    id="coraza",
    name="Coraza WAF",
    category="waf",
    supports=WAF_SUPPORTS,
    how="Images corazawaf/* (proxy-wasm, SPOA), app label coraza, Istio/Envoy WasmPlugins loading Coraza.",
    conditions="The Coraza directives load the OWASP CRS and set SecRuleEngine On.",
)
def coraza(ix: Index) -> Outcome | None:
    """Coraza: present as a container or a WasmPlugin; blocking when its directives say so."""
    plugins = [p for p in ix.kind("WasmPlugin", "extensions.istio.io")
               if "coraza" in str(p.get("spec", "url") or "").lower()]
    found = ix.presence(CORAZA) + [evidence(p, ("spec", "url"), "WasmPlugin loading Coraza") for p in plugins]
    if not found:
        return None
    texts = [str(v) for p in plugins for v in collect(p.get("spec"), "directives_map")]
    texts += [data_value(cm, k) for cm in ix.kind("ConfigMap", "") for k in mapping(cm.get("data"))
              if isinstance(k, str) and "coraza" in (cm.name + k).lower()]
    blob = "\n".join(texts)
    if ENGINE_ON.search(blob) and CRS_INCLUDE.search(blob):
        return outcome(
            "effective",
            "Coraza loads the OWASP Core Rule Set with SecRuleEngine On, so web attacks are blocked.",
            "Coraza 加载了 OWASP 核心规则集并设置 SecRuleEngine On,可阻断 Web 攻击。",
            found,
        )
    return outcome(
        "partial",
        "Coraza is deployed but its directives do not show the OWASP CRS with SecRuleEngine On.",
        "已部署 Coraza,但其指令未显示加载 OWASP 规则集并设置 SecRuleEngine On。",
        found,
    )


CRS_IMAGES = ("owasp/modsecurity-crs", "owasp/modsecurity")


@detector(
    id="modsecurity-crs",
    name="ModSecurity OWASP CRS proxy",
    category="waf",
    supports=WAF_SUPPORTS,
    how="Images owasp/modsecurity-crs (nginx or apache variants) running as a reverse proxy.",
    conditions="MODSEC_RULE_ENGINE is not DetectionOnly or Off (the image's default is On).",
)
def modsecurity_crs(ix: Index) -> Outcome | None:
    """The OWASP CRS reverse-proxy container."""
    uses = ix.image_uses(CRS_IMAGES)
    if not uses:
        return None
    modes = {container_env(u.container, "MODSEC_RULE_ENGINE").strip().lower() or "on" for u in uses}
    found = [u.evidence() for u in uses]
    if modes == {"on"}:
        return outcome(
            "effective",
            "An OWASP CRS ModSecurity proxy runs with the rule engine On, blocking web attacks.",
            "OWASP CRS ModSecurity 代理以规则引擎开启(On)模式运行,可阻断 Web 攻击。",
            found,
        )
    return outcome(
        "partial",
        "An OWASP CRS ModSecurity proxy runs, but MODSEC_RULE_ENGINE is DetectionOnly or Off: attacks are not blocked.",
        "运行了 OWASP CRS ModSecurity 代理,但 MODSEC_RULE_ENGINE 为 DetectionOnly 或 Off,攻击不会被阻断。",
        found,
    )
