"""Service meshes: Istio (mTLS mode, authorization) and Linkerd (meshed workloads, policy)."""

from __future__ import annotations

from cnsmm.capabilities.index import Index, Signature, evidence
from cnsmm.capabilities.model import MAX_EVIDENCE, Outcome
from cnsmm.capabilities.registry import collect, detector, outcome
from cnsmm.capabilities.values import mapping, text
from cnsmm.sources.k8s import K8sObject

EAST_WEST = "APP.GEN.L3.3"
ENCRYPT = "PLT.NET.L4.1"
APP_ACCESS = "APP.GEN.L3.1"
L7 = "PLT.NET.L3.1"
CENTRAL = "APP.MSV.L2.1"
DEGRADE = "APP.MSV.L3.1"
USER_ACCESS = "APP.GEN.L1.1"
MICRO = "APP.GEN.L4.1"
MTLS = (EAST_WEST, ENCRYPT)

ISTIO = Signature(
    images=("istio/pilot", "istio/proxyv2", "istio/operator", "istio/ztunnel", "istio/install-cni",
            "istio-release/pilot", "istio-release/proxyv2", "istio-release/ztunnel", "istio-release/install-cni"),
    labels=("istiod", "istio-ingressgateway", "istio-egressgateway", "ztunnel"),
    crd_groups=("security.istio.io", "networking.istio.io", "install.istio.io", "sailoperator.io"),
)
ISTIO_GROUPS = ("security.istio.io", "networking.istio.io", "install.istio.io", "telemetry.istio.io",
                "extensions.istio.io", "sailoperator.io")


def _root_namespace(ix: Index) -> str:
    for op in ix.kind("IstioOperator", "install.istio.io"):
        root = text(op.get("spec", "meshConfig", "rootNamespace"))
        if root:
            return root
    return "istio-system"


def _mode(pa: K8sObject) -> str:
    return text(mapping(pa.get("spec", "mtls")).get("mode")).upper() or "UNSET"


def _weakening(pa: K8sObject) -> bool:
    """A PERMISSIVE/DISABLE mode at workload, namespace or port level."""
    modes = {_mode(pa)} | {text(mapping(m).get("mode")).upper()
                           for m in mapping(pa.get("spec", "portLevelMtls")).values()}
    return bool(modes & {"PERMISSIVE", "DISABLE"})


@detector(
    id="istio",
    name="Istio",
    category="service-mesh-mtls",
    supports=(
        (EAST_WEST, "Sidecars or ztunnel encrypt and authenticate service-to-service traffic with mTLS."),
        (ENCRYPT, "STRICT mTLS encrypts all pod-to-pod traffic inside the mesh."),
        (APP_ACCESS, "AuthorizationPolicies allow or deny calls per source identity, method and path."),
        (MICRO, "Per-workload AuthorizationPolicies segment applications by service identity."),
        (L7, "AuthorizationPolicy operations restrict HTTP methods and paths (layer 7)."),
        (CENTRAL, "Mesh policies are managed centrally by istiod rather than in each service."),
        (DEGRADE, "DestinationRule outlier detection and connection pools isolate failing services."),
        (USER_ACCESS, "RequestAuthentication validates end-user JWTs at the proxy."),
    ),
    how="Images istio/pilot, proxyv2, ztunnel; labels istiod and gateways; Istio CRDs and resources.",
    conditions="A mesh-wide PeerAuthentication (root namespace, no selector) with mTLS mode STRICT and no "
    "PERMISSIVE/DISABLE override; access control needs AuthorizationPolicies.",
)
def istio(ix: Index) -> Outcome | None:
    """Istio: strict mTLS decides the status; other requirements by resource."""
    resources = ix.in_groups(*ISTIO_GROUPS)
    found = ix.presence(ISTIO)
    if not found and not resources:
        return None
    root = _root_namespace(ix)
    peer = ix.kind("PeerAuthentication", "security.istio.io")
    mesh_strict = [p for p in peer
                   if ix.namespace(p) == root and not p.get("spec", "selector") and _mode(p) == "STRICT"]
    weak = [p for p in peer if _weakening(p)]
    strict = [p for p in peer if _mode(p) == "STRICT"]
    authz = ix.kind("AuthorizationPolicy", "security.istio.io")
    l7 = any(isinstance(op, dict) and (op.get("methods") or op.get("paths"))
             for a in authz for op in collect(a.get("spec"), "operation"))
    degrade = any(collect(d.get("spec"), "outlierDetection") or collect(d.get("spec"), "connectionPool")
                  for d in ix.kind("DestinationRule", "networking.istio.io"))
    jwt = ix.kind("RequestAuthentication", "security.istio.io")
    ev = [evidence(p, ("spec", "mtls", "mode"), f"PeerAuthentication mtls.mode {_mode(p)}")
          for p in peer[:MAX_EVIDENCE]]
    ev += [evidence(a, ("spec",), "AuthorizationPolicy") for a in authz[:3]] + found
    eff = [r for r, ok in ((APP_ACCESS, authz), (MICRO, authz), (CENTRAL, authz), (L7, l7), (DEGRADE, degrade),
                           (USER_ACCESS, jwt)) if ok]
    part = [] if authz else [APP_ACCESS, MICRO, CENTRAL]
    if mesh_strict and not weak:
        return outcome(
            "effective",
            f"Istio enforces STRICT mTLS mesh-wide (PeerAuthentication in {root})"
            + (f" and {len(authz)} AuthorizationPolicy(ies) control access." if authz else
               ", but no AuthorizationPolicy controls access between services."),
            f"Istio 在全网格范围({root})强制 STRICT mTLS" + (f",并有 {len(authz)} 个 AuthorizationPolicy 控制访问。"
                                                        if authz else ",但没有 AuthorizationPolicy 控制服务间访问。"),
            ev, effective=[*MTLS, *eff], partial=part,
        )
    if weak:
        why_en = f"{len(weak)} PeerAuthentication(s) allow plaintext (PERMISSIVE or DISABLE)"
        why_zh = f"{len(weak)} 个 PeerAuthentication 允许明文(PERMISSIVE 或 DISABLE)"
    elif strict:
        why_en = "STRICT mTLS is set only for some namespaces or workloads, not mesh-wide"
        why_zh = "STRICT mTLS 仅对部分命名空间或工作负载生效,而非全网格"
    else:
        why_en = "no PeerAuthentication sets STRICT, so the default PERMISSIVE mode accepts plaintext"
        why_zh = "没有 PeerAuthentication 设置 STRICT,默认 PERMISSIVE 模式仍接受明文流量"
    return outcome(
        "partial",
        f"Istio is present but {why_en}.",
        f"发现 Istio,但{why_zh}。",
        ev, effective=eff, partial=[*MTLS, *part],
    )


LINKERD = Signature(
    images=("linkerd/controller", "linkerd/proxy", "linkerd/policy-controller", "linkerd/proxy-init",
            "linkerd/web", "linkerd/metrics-api", "linkerd/tap"),
    labels=("linkerd-destination", "linkerd-identity", "linkerd-proxy-injector", "linkerd"),
    crd_groups=("policy.linkerd.io", "linkerd.io"),
)
LINKERD_POLICY = ("AuthorizationPolicy", "ServerAuthorization", "MeshTLSAuthentication")


def _injected(ix: Index) -> list[K8sObject]:
    out = []
    for obj in ix.kind("Namespace", ""):
        if text(obj.annotations.get("linkerd.io/inject")) == "enabled":
            out.append(obj)
    for obj, pod in ix.pods:
        ann = mapping(obj.get(*pod.path[:-1], "metadata", "annotations"))
        if "enabled" in (text(ann.get("linkerd.io/inject")), text(obj.annotations.get("linkerd.io/inject"))):
            out.append(obj)
    return out


@detector(
    id="linkerd",
    name="Linkerd",
    category="service-mesh-mtls",
    supports=(
        (EAST_WEST, "Linkerd proxies use mTLS by default for all traffic between meshed pods."),
        (ENCRYPT, "Meshed pod-to-pod traffic is encrypted without configuration."),
        (APP_ACCESS, "AuthorizationPolicy/ServerAuthorization restrict which identities may call a server."),
        (MICRO, "Server-level authorization segments meshed applications by workload identity."),
        (CENTRAL, "Policies are managed centrally by the Linkerd policy controller."),
    ),
    how="Images cr.l5d.io/linkerd/*, control-plane labels, policy.linkerd.io CRDs, linkerd.io/inject annotations.",
    conditions="Workloads or namespaces annotated linkerd.io/inject: enabled (mTLS is then on by default); "
    "access control needs AuthorizationPolicy or ServerAuthorization resources.",
)
def linkerd(ix: Index) -> Outcome | None:
    """Linkerd: meshed workloads get mTLS; policy resources give access control."""
    policies = ix.kinds(LINKERD_POLICY, "policy.linkerd.io")
    found = ix.presence(LINKERD)
    injected = _injected(ix)
    if not found and not policies and not injected:
        return None
    ev = [evidence(o, ("metadata",), "linkerd.io/inject: enabled") for o in injected[:4]]
    ev += [evidence(p, ("spec",), p.kind) for p in policies[:4]] + found
    access = [APP_ACCESS, MICRO, CENTRAL]
    if injected:
        return outcome(
            "effective",
            f"{len(injected)} namespace(s)/workload(s) are meshed by Linkerd, which encrypts their traffic with mTLS"
            + (" and authorizes calls by policy." if policies else "; no authorization policy restricts callers."),
            f"有 {len(injected)} 个命名空间或工作负载接入 Linkerd,其流量默认以 mTLS 加密"
            + (",并按策略授权调用。" if policies else ",但没有授权策略限制调用方。"),
            ev, effective=[*MTLS, *(access if policies else [])], partial=[] if policies else access,
        )
    return outcome(
        "partial",
        "Linkerd is present but no workload or namespace in this set is meshed (linkerd.io/inject), "
        "so no traffic is shown to be encrypted.",
        "发现 Linkerd,但本组对象中没有接入网格的工作负载或命名空间(linkerd.io/inject),无法证明流量已加密。",
        ev, effective=access if policies else [], partial=[*MTLS, *([] if policies else access)],
    )

