"""Exposure of sensitive interfaces: databases, kubelet and etcd ports, unauthenticated admin
UIs, Gateway listeners open to every namespace's routes, plaintext Istio gateways, and the
ingress-nginx switch that lets Ingress authors inject configuration."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cnsmm.findings import Severity
from cnsmm.kube.values import truthy
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s.network_exposure import NSA_NET, OPEN_RANGES, SOURCE_RANGES_ANNOTATION, _internal
from cnsmm.sources.k8s import K8sObject

SENSITIVE_PORTS = {
    22: "SSH", 2375: "Docker API (plain)", 2376: "Docker API", 2379: "etcd", 2380: "etcd peer",
    10250: "kubelet API", 10255: "kubelet read-only API", 10257: "controller manager", 10259: "scheduler",
    3306: "MySQL", 5432: "PostgreSQL", 1433: "SQL Server", 1521: "Oracle", 6379: "Redis", 11211: "memcached",
    27017: "MongoDB", 9200: "Elasticsearch", 9300: "Elasticsearch transport", 5601: "Kibana",
    5984: "CouchDB", 9042: "Cassandra", 8086: "InfluxDB", 5672: "RabbitMQ", 15672: "RabbitMQ management",
    9092: "Kafka", 2181: "ZooKeeper", 8500: "Consul", 9090: "Prometheus", 9093: "Alertmanager",
}
"""Ports of data stores, cluster components and admin interfaces that should never face the internet."""
EXPOSURE_REQUIREMENTS = ("PLT.NET.L2.2", "INF.NET.L2.2", "PLT.ORC.L3.1")
"""四层流量限制; 基于ACL的资源访问控制; 限制编排组件的外部访问."""


def _open_service(obj: K8sObject) -> str | None:
    """How the Service reaches outside the cluster (``LoadBalancer``, ``NodePort``), or None."""
    kind = obj.get("spec", "type")
    if kind == "NodePort":
        return "NodePort"
    if kind != "LoadBalancer" or _internal(obj):
        return None
    ranges = obj.get("spec", "loadBalancerSourceRanges") or str(obj.annotations.get(SOURCE_RANGES_ANNOTATION) or "")
    items = ranges if isinstance(ranges, list) else [r for r in str(ranges).split(",") if r.strip()]
    if items and not any(str(r).strip() in OPEN_RANGES for r in items):
        return None
    return "LoadBalancer"


@rule(RuleMeta(
    id="K8S-160", name="sensitive-port-exposed", title="Database, cluster or admin port exposed outside the cluster",
    severity=Severity.HIGH, scope=Scope.OBJECT, targets=("Service",), requirements=EXPOSURE_REQUIREMENTS,
    what=(
        "Flags NodePort Services, and LoadBalancer Services that are neither internal nor restricted by source "
        "ranges, whose `port` or numeric `targetPort` is a well-known port of a data store, cluster component or "
        "admin interface (" + ", ".join(sorted(set(SENSITIVE_PORTS.values()))) + ")."
    ),
    why=(
        "These services are found and attacked by internet-wide scanners within hours; many accept "
        "unauthenticated connections by default (Redis, Elasticsearch, memcached, the Docker API) and the "
        "kubelet and etcd ports hand over the node or the cluster."
    ),
    fix="Make the Service ClusterIP (reach it through a VPN, bastion or port-forward), or an internal load "
        "balancer restricted with `loadBalancerSourceRanges`.",
    bad="kind: Service\nspec:\n  type: LoadBalancer\n  ports:\n  - port: 5432",
    good="kind: Service\nspec:\n  type: ClusterIP\n  ports:\n  - port: 5432",
    references=(NSA_NET, "CWE-668", "CWE-284"),
))
def sensitive_port_exposed(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    how = _open_service(obj) if obj.group == "" else None
    ports = obj.get("spec", "ports")
    if how is None or not isinstance(ports, list):
        return
    for i, port in enumerate(ports):
        if not isinstance(port, dict):
            continue
        for key in ("port", "targetPort"):
            value = port.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value in SENSITIVE_PORTS:
                yield Hit(f'{how} Service "{obj.name}" exposes port {value} ({SENSITIVE_PORTS[value]}) outside the '
                          "cluster", ("spec", "ports", i, key))
                break


UNAUTHENTICATED_UIS = {
    "prometheus": "Prometheus", "alertmanager": "Alertmanager", "jaeger-query": "Jaeger", "kiali": "Kiali",
    "hubble-ui": "Hubble UI", "longhorn-frontend": "Longhorn UI", "kibana": "Kibana", "zipkin": "Zipkin",
    "kubeflow-pipelines-ui": "Kubeflow Pipelines UI", "ml-pipeline-ui": "Kubeflow Pipelines UI",
    "traefik-dashboard": "Traefik dashboard", "kubernetes-dashboard": "Kubernetes Dashboard",
}
"""Admin UIs that ship without authentication (or, for the Dashboard, with a skip-login option
often turned on); matched by the backend Service's name."""
AUTH_ANNOTATIONS = (
    "nginx.ingress.kubernetes.io/auth-url", "nginx.ingress.kubernetes.io/auth-type",
    "nginx.ingress.kubernetes.io/auth-tls-secret", "alb.ingress.kubernetes.io/auth-type",
    "traefik.ingress.kubernetes.io/router.middlewares", "konghq.com/plugins",
    "haproxy.org/auth-type", "ingress.kubernetes.io/auth-type",
)


def _ui(name: str) -> str | None:
    for key, label in UNAUTHENTICATED_UIS.items():
        if name == key or name.endswith("-" + key) or name.startswith(key + "-"):
            return label
    return None


def _backends(obj: K8sObject) -> Iterator[tuple[str, tuple[Any, ...]]]:
    rules = obj.get("spec", "rules")
    for i, r in enumerate(rules if isinstance(rules, list) else []):
        if obj.kind == "Ingress":
            http = r.get("http") if isinstance(r, dict) else None
            paths = http.get("paths") if isinstance(http, dict) else None
            for j, p in enumerate(paths if isinstance(paths, list) else []):
                backend = p.get("backend") if isinstance(p, dict) else None
                service = backend.get("service") if isinstance(backend, dict) else None
                name = service.get("name") if isinstance(service, dict) else (
                    backend.get("serviceName") if isinstance(backend, dict) else None)
                if name:
                    yield str(name), ("spec", "rules", i, "http", "paths", j, "backend")
        else:
            refs = r.get("backendRefs") if isinstance(r, dict) else None
            for j, ref in enumerate(refs if isinstance(refs, list) else []):
                if isinstance(ref, dict) and ref.get("name") and ref.get("kind", "Service") == "Service":
                    yield str(ref["name"]), ("spec", "rules", i, "backendRefs", j)


@rule(RuleMeta(
    id="K8S-161", name="admin-ui-exposed", title="Admin UI without authentication routed from outside",
    severity=Severity.HIGH, scope=Scope.OBJECT, targets=("Ingress", "HTTPRoute"), requirements=EXPOSURE_REQUIREMENTS,
    what=(
        "Flags Ingresses and Gateway API HTTPRoutes that route to the Service of an admin UI shipped without "
        "authentication (" + ", ".join(sorted(set(UNAUTHENTICATED_UIS.values()))) + "), when the Ingress "
        "carries no authentication annotation (ingress-nginx auth-url/auth-type/auth-tls, ALB auth, Traefik "
        "middlewares, Kong plugins, HAProxy auth)."
    ),
    why=(
        "These UIs show the whole system (metrics, traces, topology, volumes) and several can act on it "
        "(silence alerts, delete volumes, run queries); exposed without a login they are open to anyone who "
        "finds the host name."
    ),
    fix="Put the route behind authentication (oauth2-proxy with `auth-url`, the gateway's OIDC filter) or keep "
        "the UI internal and reach it with port-forward.",
    bad="backend:\n  service: {name: prometheus-k8s, port: {number: 9090}}",
    good="annotations:\n  nginx.ingress.kubernetes.io/auth-url: https://oauth2.example.com/oauth2/auth",
    references=(NSA_NET, "CWE-306", "CWE-200"),
))
def admin_ui_exposed(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    if obj.kind == "Ingress" and any(obj.annotations.get(a) for a in AUTH_ANNOTATIONS):
        return
    if obj.kind == "HTTPRoute" and not obj.group.startswith("gateway.networking.k8s.io"):
        return
    for name, path in _backends(obj):
        label = _ui(name)
        if label is not None:
            yield Hit(f'{obj.kind} "{obj.name}" routes outside traffic to {label} (Service "{name}") without '
                      "authentication", path)


@rule(RuleMeta(
    id="K8S-162", name="gateway-routes-from-all-namespaces",
    title="Gateway listener accepts routes from every namespace",
    severity=Severity.MEDIUM, scope=Scope.OBJECT, targets=("Gateway",),
    requirements=("PLT.NET.L3.1", "PLT.ORC.L1.1"),
    what="Flags Gateway API Gateways with a listener whose `allowedRoutes.namespaces.from` is `All`.",
    why="Any team (or compromised deployer) that can create an HTTPRoute in any namespace can then attach it to "
        "the shared gateway and take over a host name or path of another application, including its TLS "
        "certificate.",
    fix="Use `from: Same` or `from: Selector` with a namespace label that only platform-approved namespaces carry.",
    bad="listeners:\n- name: https\n  allowedRoutes:\n    namespaces: {from: All}",
    good="listeners:\n- name: https\n  allowedRoutes:\n    namespaces:\n      from: Selector\n"
         "      selector: {matchLabels: {shared-gateway-access: \"true\"}}",
    references=("https://gateway-api.sigs.k8s.io/guides/multiple-ns/", "CWE-284"),
))
def gateway_all_namespaces(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    if not obj.group.startswith("gateway.networking.k8s.io"):
        return
    listeners = obj.get("spec", "listeners")
    for i, listener in enumerate(listeners if isinstance(listeners, list) else []):
        ns = listener.get("allowedRoutes", {}).get("namespaces") if isinstance(listener, dict) and isinstance(
            listener.get("allowedRoutes"), dict) else None
        if isinstance(ns, dict) and ns.get("from") == "All":
            yield Hit(f'Gateway "{obj.name}" listener "{listener.get("name", i)}" accepts routes from every namespace',
                      ("spec", "listeners", i, "allowedRoutes", "namespaces", "from"))


@rule(RuleMeta(
    id="K8S-163", name="istio-gateway-plaintext", title="Istio Gateway serves plaintext HTTP without redirect",
    severity=Severity.MEDIUM, scope=Scope.OBJECT, targets=("Gateway",), requirements=("APP.GEN.L2.3",),
    what="Flags Istio Gateways (networking.istio.io) with a server whose port protocol is HTTP or HTTP2 and that "
         "does not set `tls.httpsRedirect: true`.",
    why="Traffic from outside the mesh, including credentials and session cookies, crosses the network in clear "
        "text and can be read or changed on the way.",
    fix="Serve HTTPS with a certificate (`protocol: HTTPS`, `tls.mode: SIMPLE`) and redirect port 80 with "
        "`tls.httpsRedirect: true`.",
    bad="servers:\n- port: {number: 80, name: http, protocol: HTTP}\n  hosts: [\"shop.example.com\"]",
    good="servers:\n- port: {number: 80, name: http, protocol: HTTP}\n  hosts: [\"shop.example.com\"]\n"
         "  tls: {httpsRedirect: true}",
    references=("https://istio.io/latest/docs/reference/config/networking/gateway/", "CWE-319"),
))
def istio_gateway_plaintext(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    if obj.group != "networking.istio.io":
        return
    servers = obj.get("spec", "servers")
    for i, server in enumerate(servers if isinstance(servers, list) else []):
        if not isinstance(server, dict) or not isinstance(server.get("port"), dict):
            continue
        protocol = str(server["port"].get("protocol") or "").upper()
        redirect = isinstance(server.get("tls"), dict) and server["tls"].get("httpsRedirect") is True
        if protocol in ("HTTP", "HTTP2") and not redirect:
            yield Hit(f'Istio Gateway "{obj.name}" serves {protocol} on port {server["port"].get("number", "?")} '
                      "without redirecting to HTTPS", ("spec", "servers", i, "port", "protocol"))


@rule(RuleMeta(
    id="K8S-164", name="ingress-nginx-snippets-allowed",
    title="ingress-nginx lets Ingress authors inject configuration",
    severity=Severity.HIGH, scope=Scope.OBJECT, targets=("ConfigMap",),
    requirements=("APP.GEN.L2.4", "PLT.ORC.L1.1"),
    what="Flags ConfigMaps of the ingress-nginx controller (name ending in `ingress-nginx-controller` or "
         "`nginx-configuration`, or labelled `app.kubernetes.io/name: ingress-nginx`) with "
         "`allow-snippet-annotations: \"true\"`, or with `annotations-risk-level: Critical`.",
    why="Then every user who may create an Ingress can inject raw NGINX configuration and read the controller's "
        "token and every Secret it sees (CVE-2021-25742, CVE-2023-5044).",
    fix="Set `allow-snippet-annotations: \"false\"` (the default since 1.9) and keep `annotations-risk-level` at "
        "High or below.",
    bad="kind: ConfigMap\nmetadata: {name: ingress-nginx-controller}\ndata:\n  allow-snippet-annotations: \"true\"",
    good="kind: ConfigMap\nmetadata: {name: ingress-nginx-controller}\ndata:\n  allow-snippet-annotations: \"false\"",
    references=("CVE-2021-25742", "CVE-2023-5044", NSA_NET, "CWE-94"),
))
def ingress_nginx_snippets(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    name = obj.name
    nginx = (name.endswith("ingress-nginx-controller") or name.endswith("nginx-configuration")
             or obj.labels.get("app.kubernetes.io/name") == "ingress-nginx")
    data = obj.get("data")
    if not nginx or not isinstance(data, dict):
        return
    if truthy(data.get("allow-snippet-annotations")):
        yield Hit(f'ConfigMap "{name}" allows snippet annotations on every Ingress',
                  ("data", "allow-snippet-annotations"))
    if str(data.get("annotations-risk-level", "")).strip() == "Critical":
        yield Hit(f'ConfigMap "{name}" accepts Critical-risk annotations (snippets)',
                  ("data", "annotations-risk-level"))
