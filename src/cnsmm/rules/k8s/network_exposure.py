"""Exposure through Services and Ingresses: node ports, open load balancers, external IPs,
plaintext and wildcard Ingress hosts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cnsmm.findings import Severity
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._common import NSA
from cnsmm.sources.k8s import K8sObject

NSA_NET = f"{NSA}: Network separation and hardening"
INTERNAL_LB_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-internal": None,
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
    "networking.gke.io/load-balancer-type": "internal",
    "cloud.google.com/load-balancer-type": "internal",
    "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
    "service.beta.kubernetes.io/openstack-internal-load-balancer": "true",
    "service.beta.kubernetes.io/oci-load-balancer-internal": "true",
    "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type": "intranet",
    "service.kubernetes.io/qcloud-loadbalancer-internal-subnetid": None,
}
"""Annotations that make a cloud load balancer internal (value None: any non-false value)."""
SOURCE_RANGES_ANNOTATION = "service.beta.kubernetes.io/load-balancer-source-ranges"
OPEN_RANGES = frozenset({"0.0.0.0/0", "::/0"})


def _service(obj: K8sObject) -> bool:
    return obj.group == ""


def _internal(obj: K8sObject) -> bool:
    for key, wanted in INTERNAL_LB_ANNOTATIONS.items():
        value = obj.annotations.get(key)
        if value is None:
            continue
        text = str(value).strip().lower()
        if (wanted is None and text not in ("", "false")) or text == wanted:
            return True
    return False


@rule(RuleMeta(
    id="K8S-068",
    name="service-nodeport",
    title="Service of type NodePort",
    severity=Severity.MEDIUM,
    scope=Scope.OBJECT,
    targets=("Service",),
    requirements=("PLT.NET.L2.2", "INF.NET.L2.2"),
    what="Flags Services with `type: NodePort`.",
    why=(
        "A NodePort opens the port on every node's addresses, bypassing the ingress and load "
        "balancer layer (and its TLS, authentication and logging); node firewalls are often the "
        "only control left."
    ),
    fix="Use a ClusterIP Service behind an Ingress or Gateway, or a LoadBalancer restricted with source ranges.",
    bad="kind: Service\nspec:\n  type: NodePort\n  ports: [{port: 80, nodePort: 30080}]",
    good="kind: Service\nspec:\n  type: ClusterIP\n  ports: [{port: 80}]",
    references=(NSA_NET, "CWE-668"),
))
def service_nodeport(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    if _service(obj) and obj.get("spec", "type") == "NodePort":
        yield Hit(f'Service "{obj.name}" is of type NodePort: its ports are open on every node', ("spec", "type"))


@rule(RuleMeta(
    id="K8S-069",
    name="loadbalancer-without-source-ranges",
    title="LoadBalancer Service open to every source address",
    severity=Severity.MEDIUM,
    scope=Scope.OBJECT,
    targets=("Service",),
    requirements=("INF.NET.L2.2", "PLT.NET.L2.2"),
    what=(
        "Flags Services with `type: LoadBalancer` that set no `loadBalancerSourceRanges` (nor the "
        f"`{SOURCE_RANGES_ANNOTATION}` annotation) or allow `0.0.0.0/0`, unless a cloud annotation "
        "makes the load balancer internal. A load balancer whose ports are all in `public_lb_ports` "
        "(default 80 and 443: an ingress controller or web front end, public by design) is not "
        "reported for missing ranges."
    ),
    why=(
        "A public load balancer without source ranges exposes the Service to the whole internet; "
        "internal tools and databases published this way are found by scanners within hours."
    ),
    fix="Set `loadBalancerSourceRanges` to the client networks, or make the load balancer internal.",
    bad="kind: Service\nspec:\n  type: LoadBalancer\n  ports: [{port: 5432}]",
    good=(
        "kind: Service\nspec:\n  type: LoadBalancer\n  ports: [{port: 5432}]\n"
        "  loadBalancerSourceRanges: [10.0.0.0/8]"
    ),
    references=(NSA_NET, "CWE-284"),
    options={"public_lb_ports": "Ports a public load balancer may serve to everyone (default: [80, 443])."},
))
def loadbalancer_without_source_ranges(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    if not _service(obj) or obj.get("spec", "type") != "LoadBalancer" or _internal(obj):
        return
    ranges = obj.get("spec", "loadBalancerSourceRanges")
    if isinstance(ranges, list) and ranges:
        open_ranges = [str(r) for r in ranges if str(r).strip() in OPEN_RANGES]
        if open_ranges:
            yield Hit(
                f'LoadBalancer Service "{obj.name}" allows {", ".join(open_ranges)} (every address)',
                ("spec", "loadBalancerSourceRanges"),
            )
        return
    if str(obj.annotations.get(SOURCE_RANGES_ANNOTATION) or "").strip():
        return
    ports = _ports(obj)
    public = {str(p) for p in ctx.option("public_lb_ports", [80, 443]) or []}
    if ports and all(p in public for p in ports):
        return
    shown = f" on port(s) {', '.join(ports)}" if ports else ""
    yield Hit(
        f'LoadBalancer Service "{obj.name}" has no loadBalancerSourceRanges: it accepts traffic from any '
        f"address{shown}",
        ("spec", "type"),
    )


def _ports(obj: K8sObject) -> list[str]:
    ports = obj.get("spec", "ports")
    if not isinstance(ports, list):
        return []
    return [str(p.get("port")) for p in ports if isinstance(p, dict) and p.get("port") is not None]


@rule(RuleMeta(
    id="K8S-070",
    name="service-external-ips",
    title="Service sets externalIPs (CVE-2020-8554)",
    severity=Severity.HIGH,
    scope=Scope.OBJECT,
    targets=("Service",),
    requirements=("PLT.NET.L2.2", "INF.NET.L2.1"),
    what="Flags Services that set `spec.externalIPs`.",
    why=(
        "kube-proxy routes traffic for any address listed in `externalIPs` to the Service, cluster "
        "wide and without validation: whoever can create a Service can intercept traffic meant for "
        "another IP (CVE-2020-8554, unfixed by design; block it with the DenyServiceExternalIPs "
        "admission plugin)."
    ),
    fix="Remove `externalIPs`; use a LoadBalancer Service or an Ingress, and enable DenyServiceExternalIPs.",
    bad="kind: Service\nspec:\n  externalIPs: [198.51.100.10]",
    good="kind: Service\nspec:\n  type: LoadBalancer",
    references=(NSA_NET, "CVE-2020-8554", "https://github.com/kubernetes/kubernetes/issues/97076", "CWE-923"),
))
def service_external_ips(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    ips = obj.get("spec", "externalIPs")
    if _service(obj) and isinstance(ips, list) and ips:
        shown = ", ".join(str(i) for i in ips[:3])
        yield Hit(f'Service "{obj.name}" claims externalIPs {shown} (CVE-2020-8554)', ("spec", "externalIPs"))


def _rules_hosts(obj: K8sObject) -> Iterator[tuple[str, tuple[Any, ...]]]:
    rules = obj.get("spec", "rules")
    if not isinstance(rules, list):
        return
    for i, r in enumerate(rules):
        if isinstance(r, dict) and r.get("host"):
            yield str(r["host"]), ("spec", "rules", i, "host")


def _covered(host: str, tls_hosts: list[str]) -> bool:
    for pattern in tls_hosts:
        if pattern == host:
            return True
        if pattern.startswith("*.") and "." in host and host.split(".", 1)[1] == pattern[2:]:
            return True
    return False


_LB_TLS_ANNOTATIONS = (
    "alb.ingress.kubernetes.io/certificate-arn",  # AWS Load Balancer Controller, ACM certificate
    "networking.gke.io/managed-certificates",  # GKE Google-managed certificates
    "ingress.gcp.kubernetes.io/pre-shared-cert",  # GKE pre-shared certificates
    "appgw.ingress.kubernetes.io/appgw-ssl-certificate",  # Azure Application Gateway
)


def _cloud_lb_tls(obj: K8sObject) -> bool:
    """True when a cloud load balancer terminates TLS for the Ingress (certificate annotations,
    or ALB HTTPS listeners, whose ACM certificates are discovered from the hosts)."""
    ann = obj.annotations
    if any(str(ann.get(key) or "").strip() for key in _LB_TLS_ANNOTATIONS):
        return True
    return "HTTPS" in str(ann.get("alb.ingress.kubernetes.io/listen-ports") or "").upper()


@rule(RuleMeta(
    id="K8S-071",
    name="ingress-without-tls",
    title="Ingress serves hosts without TLS",
    severity=Severity.MEDIUM,
    scope=Scope.OBJECT,
    targets=("Ingress",),
    requirements=("APP.GEN.L2.3",),
    what=(
        "Flags Ingresses without a `tls` section, and hosts of `rules` that no `tls[].hosts` entry "
        "covers (a `*.example.com` entry covers one label; a `tls` entry without `hosts` covers all). "
        "TLS terminated by a cloud load balancer passes: AWS ALB (`certificate-arn` or HTTPS "
        "`listen-ports`), GKE managed or pre-shared certificates, Azure Application Gateway certificate."
    ),
    why=(
        "Traffic to a host without TLS travels in clear text: credentials, session cookies and data "
        "can be read and changed on the way."
    ),
    fix="Add a `tls` entry with the host and a certificate secret (for example issued by cert-manager).",
    bad="kind: Ingress\nspec:\n  rules:\n  - host: shop.example.com",
    good=(
        "kind: Ingress\nspec:\n  tls:\n  - hosts: [shop.example.com]\n    secretName: shop-tls\n"
        "  rules:\n  - host: shop.example.com"
    ),
    references=(f"{NSA}: Network separation and hardening - Encryption", "CWE-319"),
))
def ingress_without_tls(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    if _cloud_lb_tls(obj):
        return
    tls = obj.get("spec", "tls")
    if not isinstance(tls, list) or not tls:
        hosts = [h for h, _ in _rules_hosts(obj)]
        shown = f" for {', '.join(hosts[:3])}" if hosts else ""
        yield Hit(f'Ingress "{obj.name}" has no tls section: it serves plain HTTP{shown}', ("spec",))
        return
    covered: list[str] = []
    for entry in tls:
        names = entry.get("hosts") if isinstance(entry, dict) else None
        if not isinstance(names, list) or not names:
            return
        covered.extend(str(h) for h in names)
    for host, path in _rules_hosts(obj):
        if not _covered(host, covered):
            yield Hit(f'Ingress "{obj.name}" serves host {host} without TLS (not in any tls.hosts)', path)


@rule(RuleMeta(
    id="K8S-072",
    name="ingress-wildcard-host",
    title="Ingress rule with a wildcard host",
    severity=Severity.LOW,
    scope=Scope.OBJECT,
    targets=("Ingress",),
    requirements=("INF.NET.L2.2",),
    what="Flags Ingress rules whose `host` starts with `*`.",
    why=(
        "A wildcard host routes every subdomain to the backend, including names nobody meant to "
        "publish; it widens what is reachable and helps subdomain-takeover and phishing setups."
    ),
    fix="List the exact host names the backend serves.",
    bad="rules:\n- host: \"*.example.com\"",
    good="rules:\n- host: shop.example.com",
    references=(NSA_NET, "CWE-668"),
))
def ingress_wildcard_host(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    for host, path in _rules_hosts(obj):
        if host.startswith("*"):
            yield Hit(f'Ingress "{obj.name}" routes the wildcard host {host}', path)
