"""KubeletConfiguration files (``kubelet.config.k8s.io``): the kubelet settings the CIS
Kubernetes Benchmark checks (section 4.2).

A field that is not written takes the ``v1beta1`` default, which the rules judge: anonymous
authentication off, webhook authentication on, Webhook authorization, read-only port 0.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cnsmm.findings import Severity
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._control_plane import CIS_KUBELET, CONTROL_PLANE_REQUIREMENTS, TLS_REQUIREMENTS
from cnsmm.rules.k8s.control_plane_components import WEAK_CIPHER_MARKS, WEAK_TLS_VERSIONS
from cnsmm.sources.k8s import K8sObject

KUBELET_KINDS = ("KubeletConfiguration",)
KUBELET_AUTH = "https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/"
_GROUP = "kubelet.config.k8s.io"


def _kubelet(obj: K8sObject) -> bool:
    return obj.group == _GROUP


def _meta(id: str, name: str, title: str, severity: Severity, requirements: tuple[str, ...], **text: Any) -> RuleMeta:
    return RuleMeta(id=id, name=name, title=title, severity=severity, scope=Scope.OBJECT, targets=KUBELET_KINDS,
                    requirements=requirements, **text)


@rule(_meta(
    "K8S-130", "kubelet-anonymous-auth", "Kubelet accepts anonymous requests", Severity.HIGH,
    CONTROL_PLANE_REQUIREMENTS,
    what="Flags KubeletConfiguration files with `authentication.anonymous.enabled: true`.",
    why="The kubelet API runs commands in containers and reads their logs and secrets; anonymous access to it "
        "(port 10250) lets anyone on the node network do so, limited only by authorization.",
    fix="Set `authentication.anonymous.enabled: false`.",
    bad="authentication:\n  anonymous:\n    enabled: true", good="authentication:\n  anonymous:\n    enabled: false",
    references=(f"{CIS_KUBELET}: --anonymous-auth=false", KUBELET_AUTH, "CWE-306"),
))
def kubelet_anonymous(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    if _kubelet(obj) and obj.get("authentication", "anonymous", "enabled") is True:
        yield Hit("kubelet accepts anonymous requests on its API", ("authentication", "anonymous", "enabled"))


@rule(_meta(
    "K8S-131", "kubelet-authorization-always-allow", "Kubelet authorizes every request (AlwaysAllow)",
    Severity.CRITICAL, CONTROL_PLANE_REQUIREMENTS,
    what="Flags KubeletConfiguration files with `authorization.mode: AlwaysAllow`.",
    why="Every caller that authenticates (or, with anonymous auth, anyone) may exec into any container of the "
        "node and read its secrets.",
    fix="Set `authorization.mode: Webhook` so the API server decides with RBAC.",
    bad="authorization:\n  mode: AlwaysAllow", good="authorization:\n  mode: Webhook",
    references=(f"{CIS_KUBELET}: --authorization-mode not AlwaysAllow", KUBELET_AUTH, "CWE-862"),
))
def kubelet_always_allow(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    if _kubelet(obj) and obj.get("authorization", "mode") == "AlwaysAllow":
        yield Hit("kubelet authorizes every request (authorization.mode: AlwaysAllow)", ("authorization", "mode"))


@rule(_meta(
    "K8S-132", "kubelet-webhook-authn-disabled", "Kubelet does not authenticate bearer tokens",
    Severity.MEDIUM, CONTROL_PLANE_REQUIREMENTS,
    what="Flags KubeletConfiguration files with `authentication.webhook.enabled: false`.",
    why="Without webhook authentication the kubelet cannot check service account and user tokens against the "
        "API server, so callers fall back to client certificates or, worse, anonymous access.",
    fix="Set `authentication.webhook.enabled: true` (the default).",
    bad="authentication:\n  webhook:\n    enabled: false", good="authentication:\n  webhook:\n    enabled: true",
    references=(f"{CIS_KUBELET}: authentication", KUBELET_AUTH, "CWE-287"),
))
def kubelet_webhook_authn(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    if _kubelet(obj) and obj.get("authentication", "webhook", "enabled") is False:
        yield Hit("kubelet token authentication is off", ("authentication", "webhook", "enabled"))


@rule(_meta(
    "K8S-133", "kubelet-client-ca-missing", "Kubelet has no client CA", Severity.MEDIUM, TLS_REQUIREMENTS,
    what="Flags KubeletConfiguration files without `authentication.x509.clientCAFile`.",
    why="Without a client CA the kubelet cannot verify the API server's client certificate, so its API is either "
        "open or unusable for logs and exec.",
    fix="Set `authentication.x509.clientCAFile` to the cluster CA.",
    bad="authentication:\n  webhook:\n    enabled: true",
    good="authentication:\n  x509:\n    clientCAFile: /etc/kubernetes/pki/ca.crt",
    references=(f"{CIS_KUBELET}: --client-ca-file", KUBELET_AUTH, "CWE-295"),
))
def kubelet_client_ca(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    if _kubelet(obj) and not obj.get("authentication", "x509", "clientCAFile"):
        yield Hit("kubelet has no client CA (authentication.x509.clientCAFile)", ("authentication",))


@rule(_meta(
    "K8S-134", "kubelet-read-only-port", "Kubelet serves the unauthenticated read-only port", Severity.HIGH,
    ("PLT.ORC.L1.1", "PLT.ORC.L3.1"),
    what="Flags KubeletConfiguration files with a non-zero `readOnlyPort` (usually 10255).",
    why="The read-only port answers without authentication with every pod spec of the node, environment "
        "variables included, and metrics that map the workloads.",
    fix="Set `readOnlyPort: 0` (the default) and read metrics through the authenticated port.",
    bad="readOnlyPort: 10255", good="readOnlyPort: 0",
    references=(f"{CIS_KUBELET}: --read-only-port=0", KUBELET_AUTH, "CWE-306"),
))
def kubelet_read_only_port(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    port = obj.get("readOnlyPort")
    if _kubelet(obj) and isinstance(port, int) and not isinstance(port, bool) and port > 0:
        yield Hit(f"kubelet serves pod specs without authentication on read-only port {port}", ("readOnlyPort",))


@rule(_meta(
    "K8S-135", "kubelet-streaming-timeout-disabled", "Kubelet streaming connections never time out",
    Severity.LOW, CONTROL_PLANE_REQUIREMENTS,
    what="Flags KubeletConfiguration files with `streamingConnectionIdleTimeout` of zero (`0`, `0s`).",
    why="Idle exec, attach and port-forward sessions then stay open forever: forgotten sessions keep access "
        "alive and exhaust the node's connections.",
    fix="Set `streamingConnectionIdleTimeout` to a bounded value such as `5m` (default 4h).",
    bad="streamingConnectionIdleTimeout: 0s", good="streamingConnectionIdleTimeout: 5m",
    references=(f"{CIS_KUBELET}: --streaming-connection-idle-timeout not 0", "CWE-613"),
))
def kubelet_streaming_timeout(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    value = obj.get("streamingConnectionIdleTimeout")
    if _kubelet(obj) and value is not None and str(value).strip() in ("0", "0s", "0m", "0h"):
        yield Hit("kubelet streaming sessions never time out", ("streamingConnectionIdleTimeout",))


@rule(_meta(
    "K8S-136", "kubelet-kernel-defaults-unprotected", "Kubelet may change kernel settings", Severity.LOW,
    ("PLT.ORC.L2.1", "INF.CMP.L1.1"),
    what="Flags KubeletConfiguration files without `protectKernelDefaults: true`.",
    why="Without it the kubelet silently changes kernel parameters of the node to what it wants instead of "
        "failing, overriding the node's hardening.",
    fix="Set `protectKernelDefaults: true` and tune the kernel parameters the kubelet needs on the node.",
    bad="kind: KubeletConfiguration", good="protectKernelDefaults: true",
    references=(f"{CIS_KUBELET}: --protect-kernel-defaults=true", "CWE-1188"),
))
def kubelet_kernel_defaults(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    if _kubelet(obj) and obj.get("protectKernelDefaults") is not True:
        yield Hit("kubelet may override the node's kernel settings (protectKernelDefaults is not true)",
                  ("protectKernelDefaults",))


@rule(_meta(
    "K8S-137", "kubelet-iptables-chains-unmanaged", "Kubelet does not manage its iptables chains", Severity.LOW,
    ("PLT.ORC.L2.1", "PLT.NET.L2.2"),
    what="Flags KubeletConfiguration files with `makeIPTablesUtilChains: false`.",
    why="The kubelet then stops keeping the iptables rules pod networking relies on in step, so manual or "
        "stale rules can open or break traffic paths.",
    fix="Remove `makeIPTablesUtilChains: false` (the default is true).",
    bad="makeIPTablesUtilChains: false", good="makeIPTablesUtilChains: true",
    references=(f"{CIS_KUBELET}: --make-iptables-util-chains=true",),
))
def kubelet_iptables(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    if _kubelet(obj) and obj.get("makeIPTablesUtilChains") is False:
        yield Hit("kubelet does not manage its iptables chains", ("makeIPTablesUtilChains",))


@rule(_meta(
    "K8S-138", "kubelet-certificate-rotation-off", "Kubelet certificates are not rotated", Severity.MEDIUM,
    TLS_REQUIREMENTS,
    what="Flags KubeletConfiguration files with `rotateCertificates: false` or the feature gate "
         "`RotateKubeletServerCertificate: false`.",
    why="Without rotation the kubelet's client and serving certificates are long-lived; when one leaks it stays "
        "valid until it expires, and expired certificates take the node down.",
    fix="Set `rotateCertificates: true` and keep `RotateKubeletServerCertificate` enabled (with `serverTLSBootstrap`).",
    bad="rotateCertificates: false", good="rotateCertificates: true\nserverTLSBootstrap: true",
    references=(f"{CIS_KUBELET}: --rotate-certificates, RotateKubeletServerCertificate", "CWE-324"),
))
def kubelet_rotation(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    if not _kubelet(obj):
        return
    if obj.get("rotateCertificates") is False:
        yield Hit("kubelet client certificate rotation is off", ("rotateCertificates",))
    if obj.get("featureGates", "RotateKubeletServerCertificate") is False:
        yield Hit("kubelet serving certificate rotation is off", ("featureGates", "RotateKubeletServerCertificate"))


@rule(_meta(
    "K8S-139", "kubelet-weak-tls", "Kubelet accepts weak TLS", Severity.MEDIUM, TLS_REQUIREMENTS,
    what="Flags KubeletConfiguration files with `tlsMinVersion` VersionTLS10/VersionTLS11 or `tlsCipherSuites` "
         "using RC4, 3DES, DES, NULL, EXPORT or MD5.",
    why="TLS 1.0/1.1 and these ciphers have practical attacks; exec sessions and logs pass through this channel.",
    fix="Set `tlsMinVersion: VersionTLS12` and list only AEAD cipher suites.",
    bad="tlsMinVersion: VersionTLS10", good="tlsMinVersion: VersionTLS12",
    references=(f"{CIS_KUBELET}: strong cryptographic ciphers", "CWE-326", "CWE-327"),
))
def kubelet_weak_tls(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    if not _kubelet(obj):
        return
    version = obj.get("tlsMinVersion")
    if version in WEAK_TLS_VERSIONS:
        yield Hit(f"kubelet accepts {version}", ("tlsMinVersion",))
    suites = obj.get("tlsCipherSuites")
    if isinstance(suites, list):
        for i, suite in enumerate(suites):
            if any(m in str(suite).upper() + "_" for m in WEAK_CIPHER_MARKS):
                yield Hit(f"kubelet accepts weak cipher {suite}", ("tlsCipherSuites", i))
