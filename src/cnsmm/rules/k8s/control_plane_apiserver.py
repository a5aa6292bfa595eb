"""kube-apiserver static pod flags checked by the CIS Kubernetes Benchmark (section 1.2).

Each rule reads the flags of a container running kube-apiserver (see :mod:`._control_plane`).
A flag that is not written takes the API server's default, which is what the rule judges.
"""

from __future__ import annotations

from collections.abc import Iterator

from cnsmm.findings import Severity
from cnsmm.rules.k8s._control_plane import (
    APISERVER,
    CIS_APISERVER,
    CONTROL_PLANE_REQUIREMENTS,
    TLS_REQUIREMENTS,
    Flags,
    flag_rule,
    meta,
)

AUTHN = "https://kubernetes.io/docs/reference/access-authn-authz/authentication/"
ADMISSION = "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/"
_BAD = "command:\n- kube-apiserver\n- --etcd-servers=https://127.0.0.1:2379"


def _anonymous(f: Flags) -> Iterator[tuple[str, str | None]]:
    if not f.is_false("anonymous-auth"):
        how = "is enabled" if f.get("anonymous-auth") else "is not turned off (it defaults to true)"
        yield f"anonymous authentication {how}", "anonymous-auth"


flag_rule(meta(
    "K8S-100", "apiserver-anonymous-auth", "API server accepts anonymous requests", Severity.MEDIUM,
    CONTROL_PLANE_REQUIREMENTS,
    what="Flags kube-apiserver containers without `--anonymous-auth=false` (the flag defaults to true).",
    why=(
        "Every request without credentials is served as `system:anonymous`; one mistaken binding to "
        "that user or to `system:unauthenticated` opens the API to anyone who can reach it."
    ),
    fix="Add `--anonymous-auth=false` (health checks can use an authenticated probe or the /livez endpoint "
        "with an AuthenticationConfiguration that allows anonymous access to health paths only).",
    bad=_BAD, good="command:\n- kube-apiserver\n- --anonymous-auth=false",
    references=(f"{CIS_APISERVER}: --anonymous-auth=false", AUTHN, "CWE-306"),
), (APISERVER,), _anonymous)


def _token_file(f: Flags) -> Iterator[tuple[str, str | None]]:
    if f.get("token-auth-file"):
        yield "static bearer tokens are read from --token-auth-file", "token-auth-file"


flag_rule(meta(
    "K8S-101", "apiserver-static-token-file", "API server authenticates with a static token file", Severity.HIGH,
    CONTROL_PLANE_REQUIREMENTS,
    what="Flags kube-apiserver containers with `--token-auth-file`.",
    why=(
        "Static tokens never expire, are stored in clear text on the control-plane nodes and can only "
        "be revoked by restarting the API server with an edited file."
    ),
    fix="Remove `--token-auth-file`; authenticate people through OIDC or client certificates and workloads "
        "through service account tokens.",
    bad="- --token-auth-file=/etc/kubernetes/tokens.csv", good="- --oidc-issuer-url=https://login.example.com",
    references=(f"{CIS_APISERVER}: --token-auth-file not set", AUTHN, "CWE-798"),
), (APISERVER,), _token_file)


def _kubelet_client(f: Flags) -> Iterator[tuple[str, str | None]]:
    missing = [n for n in ("kubelet-client-certificate", "kubelet-client-key") if not f.get(n)]
    if missing:
        yield f"no {' and no '.join('--' + m for m in missing)}: the API server cannot authenticate to kubelets", None


flag_rule(meta(
    "K8S-102", "apiserver-kubelet-client-cert-missing", "API server has no client certificate for kubelets",
    Severity.MEDIUM, TLS_REQUIREMENTS,
    what="Flags kube-apiserver containers without `--kubelet-client-certificate` and `--kubelet-client-key`.",
    why=(
        "Without a client certificate the API server calls kubelets (logs, exec, port-forward) "
        "unauthenticated, so kubelets must accept anonymous requests for those to work."
    ),
    fix="Set `--kubelet-client-certificate` and `--kubelet-client-key` to a certificate the kubelets trust.",
    bad=_BAD, good="- --kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt\n"
                   "- --kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key",
    references=(f"{CIS_APISERVER}: --kubelet-client-certificate and --kubelet-client-key", "CWE-306"),
), (APISERVER,), _kubelet_client)


def _kubelet_ca(f: Flags) -> Iterator[tuple[str, str | None]]:
    if not f.get("kubelet-certificate-authority"):
        yield "no --kubelet-certificate-authority: kubelet serving certificates are not verified", None


flag_rule(meta(
    "K8S-103", "apiserver-kubelet-ca-missing", "API server does not verify kubelet certificates", Severity.MEDIUM,
    TLS_REQUIREMENTS,
    what="Flags kube-apiserver containers without `--kubelet-certificate-authority`.",
    why=(
        "The API server sends exec sessions, logs and credentials-bearing requests to kubelets; without "
        "verifying their certificates anyone who can intercept node traffic can impersonate a kubelet."
    ),
    fix="Issue kubelet serving certificates from the cluster CA (`serverTLSBootstrap`) and set "
        "`--kubelet-certificate-authority` to it.",
    bad=_BAD, good="- --kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt",
    references=(f"{CIS_APISERVER}: --kubelet-certificate-authority", "CWE-295"),
), (APISERVER,), _kubelet_ca)


def _modes(f: Flags) -> list[str]:
    return f.items("authorization-mode")


def _always_allow(f: Flags) -> Iterator[tuple[str, str | None]]:
    if f.get("authorization-config"):
        return
    modes = _modes(f)
    if "AlwaysAllow" in modes:
        yield "--authorization-mode includes AlwaysAllow: every authenticated request is allowed", "authorization-mode"
    elif not modes:
        yield "no --authorization-mode (it defaults to AlwaysAllow): RBAC is not enforced", None


flag_rule(meta(
    "K8S-104", "apiserver-authorization-always-allow", "API server authorizes every request (AlwaysAllow)",
    Severity.CRITICAL, CONTROL_PLANE_REQUIREMENTS,
    what=(
        "Flags kube-apiserver containers whose `--authorization-mode` includes `AlwaysAllow`, or that set "
        "neither `--authorization-mode` (default AlwaysAllow) nor `--authorization-config`."
    ),
    why="With AlwaysAllow, RBAC is not consulted: every authenticated caller, every pod's token included, is "
        "cluster-admin.",
    fix="Set `--authorization-mode=Node,RBAC`.",
    bad="- --authorization-mode=AlwaysAllow", good="- --authorization-mode=Node,RBAC",
    references=(f"{CIS_APISERVER}: --authorization-mode not AlwaysAllow", "CWE-862"),
), (APISERVER,), _always_allow)


def _node_rbac(f: Flags) -> Iterator[tuple[str, str | None]]:
    modes = _modes(f)
    if f.get("authorization-config") or not modes or "AlwaysAllow" in modes:
        return
    missing = [m for m in ("Node", "RBAC") if m not in modes]
    if missing:
        yield f"--authorization-mode={','.join(modes)} lacks {' and '.join(missing)}", "authorization-mode"


flag_rule(meta(
    "K8S-105", "apiserver-authorization-without-node-rbac", "API server authorization lacks Node or RBAC",
    Severity.MEDIUM, CONTROL_PLANE_REQUIREMENTS,
    what="Flags kube-apiserver containers whose `--authorization-mode` does not include both `Node` and `RBAC`.",
    why=(
        "Without the Node authorizer every kubelet may read every secret and pod of the cluster, so one "
        "compromised node exposes all; without RBAC, roles and bindings have no effect."
    ),
    fix="Set `--authorization-mode=Node,RBAC` (plus Webhook if used).",
    bad="- --authorization-mode=RBAC", good="- --authorization-mode=Node,RBAC",
    references=(f"{CIS_APISERVER}: --authorization-mode includes Node and RBAC", "CWE-862"),
), (APISERVER,), _node_rbac)


def _always_admit(f: Flags) -> Iterator[tuple[str, str | None]]:
    for flag in ("enable-admission-plugins", "admission-control"):
        if "AlwaysAdmit" in f.items(flag):
            yield f"--{flag} includes AlwaysAdmit", flag


flag_rule(meta(
    "K8S-106", "apiserver-always-admit", "API server admits every request (AlwaysAdmit)", Severity.HIGH,
    CONTROL_PLANE_REQUIREMENTS,
    what="Flags kube-apiserver containers whose `--enable-admission-plugins` (or legacy `--admission-control`) "
         "includes `AlwaysAdmit`.",
    why="AlwaysAdmit is a deprecated plugin that accepts every request, bypassing the intent of admission control.",
    fix="Remove AlwaysAdmit from the admission plugin list.",
    bad="- --enable-admission-plugins=AlwaysAdmit,NodeRestriction", good="- --enable-admission-plugins=NodeRestriction",
    references=(f"{CIS_APISERVER}: admission plugin AlwaysAdmit not set", ADMISSION, "CWE-284"),
), (APISERVER,), _always_admit)


def _node_restriction(f: Flags) -> Iterator[tuple[str, str | None]]:
    enabled = f.items("enable-admission-plugins") + f.items("admission-control")
    if "NodeRestriction" not in enabled:
        yield "the NodeRestriction admission plugin is not enabled", "enable-admission-plugins"


flag_rule(meta(
    "K8S-107", "apiserver-node-restriction-missing", "NodeRestriction admission plugin not enabled",
    Severity.MEDIUM, CONTROL_PLANE_REQUIREMENTS,
    what="Flags kube-apiserver containers whose `--enable-admission-plugins` does not include `NodeRestriction`.",
    why="Without NodeRestriction a kubelet's credentials can modify other nodes and any pod, and set the labels "
        "that steer sensitive workloads onto a compromised node.",
    fix="Add NodeRestriction to `--enable-admission-plugins` (with `--authorization-mode` including Node).",
    bad="- --enable-admission-plugins=PodSecurity", good="- --enable-admission-plugins=NodeRestriction,PodSecurity",
    references=(f"{CIS_APISERVER}: admission plugin NodeRestriction", ADMISSION, "CWE-284"),
), (APISERVER,), _node_restriction)


ESSENTIAL_PLUGINS = ("ServiceAccount", "NamespaceLifecycle", "PodSecurity")


def _essential(f: Flags) -> Iterator[tuple[str, str | None]]:
    disabled = [p for p in f.items("disable-admission-plugins") if p in ESSENTIAL_PLUGINS]
    if disabled:
        yield f"--disable-admission-plugins turns off {', '.join(disabled)}", "disable-admission-plugins"


flag_rule(meta(
    "K8S-108", "apiserver-essential-admission-disabled", "Essential admission plugin disabled", Severity.HIGH,
    CONTROL_PLANE_REQUIREMENTS,
    what="Flags kube-apiserver containers whose `--disable-admission-plugins` lists ServiceAccount, "
         "NamespaceLifecycle or PodSecurity.",
    why=(
        "ServiceAccount stops pods from naming service accounts that do not exist and mounting other "
        "accounts' tokens, NamespaceLifecycle stops objects being created in terminating or missing "
        "namespaces, and PodSecurity enforces the namespaces' Pod Security levels."
    ),
    fix="Remove the plugin from `--disable-admission-plugins`.",
    bad="- --disable-admission-plugins=PodSecurity", good="# --disable-admission-plugins not set",
    references=(f"{CIS_APISERVER}: admission plugins ServiceAccount and NamespaceLifecycle", ADMISSION, "CWE-284"),
), (APISERVER,), _essential)


def _audit_log(f: Flags) -> Iterator[tuple[str, str | None]]:
    if not f.get("audit-log-path") and not f.get("audit-webhook-config-file"):
        yield "no --audit-log-path or --audit-webhook-config-file: API requests are not audited", None
    elif not f.get("audit-policy-file"):
        yield "no --audit-policy-file: without a policy the API server records no audit events", None


flag_rule(meta(
    "K8S-109", "apiserver-audit-log-missing", "API server audit logging off", Severity.MEDIUM,
    ("OPS.MGT.L2.2", "PLT.ORC.L2.1"),
    what="Flags kube-apiserver containers without an audit backend (`--audit-log-path` or "
         "`--audit-webhook-config-file`) or without `--audit-policy-file`.",
    why="Without audit logs nobody can tell who read a secret, created a privileged pod or changed RBAC, "
        "during an incident or afterwards.",
    fix="Set `--audit-policy-file` and `--audit-log-path` (or a webhook backend) and ship the log off the node.",
    bad=_BAD,
    good="- --audit-policy-file=/etc/kubernetes/audit-policy.yaml\n- --audit-log-path=/var/log/kubernetes/audit.log",
    references=(f"{CIS_APISERVER}: --audit-log-path", "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/",
                "CWE-778"),
), (APISERVER,), _audit_log)


AUDIT_MINIMUMS = (("audit-log-maxage", 30), ("audit-log-maxbackup", 10), ("audit-log-maxsize", 100))


def _audit_retention(f: Flags) -> Iterator[tuple[str, str | None]]:
    if not f.get("audit-log-path"):
        return
    for flag, minimum in AUDIT_MINIMUMS:
        value = f.get(flag)
        if value is not None and value.strip().isdigit() and 0 < int(value) < minimum:
            yield f"--{flag}={value} keeps less than the {minimum} the benchmark asks for", flag


flag_rule(meta(
    "K8S-110", "apiserver-audit-retention-short", "API server keeps audit logs too briefly", Severity.LOW,
    ("OPS.MGT.L2.2",),
    what="Flags kube-apiserver containers logging audit events to a file with `--audit-log-maxage` below 30 "
         "days, `--audit-log-maxbackup` below 10 files or `--audit-log-maxsize` below 100 MB (0, the default, "
         "keeps everything).",
    why="Intrusions are usually found weeks later; logs rotated away after a few days no longer show how the "
        "attacker got in.",
    fix="Keep at least 30 days, 10 files of 100 MB, or ship the audit log to central storage.",
    bad="- --audit-log-maxage=7", good="- --audit-log-maxage=30\n- --audit-log-maxbackup=10\n- --audit-log-maxsize=100",
    references=(f"{CIS_APISERVER}: --audit-log-maxage, --audit-log-maxbackup, --audit-log-maxsize", "CWE-779"),
), (APISERVER,), _audit_retention)


def _sa_lookup(f: Flags) -> Iterator[tuple[str, str | None]]:
    if f.is_false("service-account-lookup"):
        problem = "--service-account-lookup=false: tokens of deleted service accounts keep working"
        yield problem, "service-account-lookup"


flag_rule(meta(
    "K8S-111", "apiserver-service-account-lookup-disabled", "API server accepts tokens of deleted service accounts",
    Severity.MEDIUM, CONTROL_PLANE_REQUIREMENTS,
    what="Flags kube-apiserver containers with `--service-account-lookup=false`.",
    why="Without the lookup a stolen token stays valid after its service account or secret is deleted, which "
        "is how such tokens are revoked.",
    fix="Remove `--service-account-lookup=false` (the default is true).",
    bad="- --service-account-lookup=false", good="# --service-account-lookup left at its default (true)",
    references=(f"{CIS_APISERVER}: --service-account-lookup=true", "CWE-613"),
), (APISERVER,), _sa_lookup)


def _etcd_tls(f: Flags) -> Iterator[tuple[str, str | None]]:
    if not f.get("etcd-servers"):
        return
    missing = [n for n in ("etcd-certfile", "etcd-keyfile", "etcd-cafile") if not f.get(n)]
    if missing:
        yield f"talks to etcd without {', '.join('--' + m for m in missing)}", "etcd-servers"
    elif any(s.startswith("http://") for s in f.items("etcd-servers")):
        yield "--etcd-servers uses plain http://", "etcd-servers"


flag_rule(meta(
    "K8S-112", "apiserver-etcd-tls-missing", "API server talks to etcd without TLS client authentication",
    Severity.HIGH, TLS_REQUIREMENTS,
    what="Flags kube-apiserver containers with `--etcd-servers` but without `--etcd-certfile`, `--etcd-keyfile` "
         "and `--etcd-cafile`, or with an `http://` etcd server.",
    why="etcd holds every secret of the cluster; without mutual TLS the traffic can be read or altered and "
        "etcd cannot tell the API server from anyone else.",
    fix="Use https etcd endpoints and set `--etcd-cafile`, `--etcd-certfile` and `--etcd-keyfile`.",
    bad="- --etcd-servers=http://127.0.0.1:2379",
    good="- --etcd-servers=https://127.0.0.1:2379\n- --etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt\n"
         "- --etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt\n"
         "- --etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key",
    references=(f"{CIS_APISERVER}: --etcd-certfile, --etcd-keyfile, --etcd-cafile", "CWE-319"),
), (APISERVER,), _etcd_tls)


def _serving_tls(f: Flags) -> Iterator[tuple[str, str | None]]:
    missing = [n for n in ("tls-cert-file", "tls-private-key-file") if not f.get(n)]
    if missing:
        yield f"no {' and no '.join('--' + m for m in missing)}: it serves a self-signed certificate", None


flag_rule(meta(
    "K8S-113", "apiserver-serving-cert-missing", "API server serves a generated self-signed certificate",
    Severity.MEDIUM, TLS_REQUIREMENTS,
    what="Flags kube-apiserver containers without `--tls-cert-file` and `--tls-private-key-file`.",
    why="A generated self-signed certificate cannot be verified by clients, which then skip verification and "
        "are open to interception.",
    fix="Set `--tls-cert-file` and `--tls-private-key-file` to a certificate signed by the cluster CA.",
    bad=_BAD, good="- --tls-cert-file=/etc/kubernetes/pki/apiserver.crt\n"
                   "- --tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
    references=(f"{CIS_APISERVER}: --tls-cert-file and --tls-private-key-file", "CWE-295"),
), (APISERVER,), _serving_tls)


def _client_ca(f: Flags) -> Iterator[tuple[str, str | None]]:
    if not f.get("client-ca-file"):
        yield "no --client-ca-file: client certificates are not accepted or verified", None


flag_rule(meta(
    "K8S-114", "apiserver-client-ca-missing", "API server has no client CA", Severity.MEDIUM, TLS_REQUIREMENTS,
    what="Flags kube-apiserver containers without `--client-ca-file`.",
    why="Without a client CA, kubelets and control-plane components cannot authenticate with certificates and "
        "fall back to weaker, long-lived credentials.",
    fix="Set `--client-ca-file` to the cluster CA.",
    bad=_BAD, good="- --client-ca-file=/etc/kubernetes/pki/ca.crt",
    references=(f"{CIS_APISERVER}: --client-ca-file", "CWE-287"),
), (APISERVER,), _client_ca)


def _encryption(f: Flags) -> Iterator[tuple[str, str | None]]:
    if not f.get("encryption-provider-config"):
        yield "no --encryption-provider-config: secrets are stored unencrypted in etcd", None


flag_rule(meta(
    "K8S-115", "apiserver-encryption-at-rest-missing", "Secrets not encrypted at rest in etcd", Severity.HIGH,
    ("PLT.ORC.L2.3", "PLT.ORC.L3.3"),
    what="Flags kube-apiserver containers without `--encryption-provider-config`.",
    why="Without it Secrets are written to etcd and its backups as base64; anyone with an etcd snapshot or disk "
        "reads every credential of the cluster.",
    fix="Write an EncryptionConfiguration (KMS v2 or aescbc/secretbox for secrets) and pass it with "
        "`--encryption-provider-config`.",
    bad=_BAD, good="- --encryption-provider-config=/etc/kubernetes/enc/encryption-config.yaml",
    references=(f"{CIS_APISERVER}: --encryption-provider-config",
                "https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/", "CWE-311"),
), (APISERVER,), _encryption)


def _insecure_port(f: Flags) -> Iterator[tuple[str, str | None]]:
    port = f.get("insecure-port")
    if port is not None and port.strip() not in ("0", ""):
        yield f"--insecure-port={port} serves the API without authentication or TLS", "insecure-port"
    if f.get("insecure-bind-address"):
        yield "--insecure-bind-address exposes the unauthenticated port", "insecure-bind-address"


flag_rule(meta(
    "K8S-116", "apiserver-insecure-port", "API server serves an unauthenticated insecure port", Severity.CRITICAL,
    ("PLT.ORC.L1.1", "PLT.ORC.L3.1"),
    what="Flags kube-apiserver containers with a non-zero `--insecure-port` or an `--insecure-bind-address` "
         "(removed in Kubernetes 1.24; still found on old clusters).",
    why="The insecure port skips authentication and authorization: whoever reaches it is cluster-admin.",
    fix="Set `--insecure-port=0` and remove `--insecure-bind-address` (or upgrade the cluster).",
    bad="- --insecure-port=8080", good="- --insecure-port=0",
    references=(f"{CIS_APISERVER}: --insecure-port=0", "CWE-306"),
), (APISERVER,), _insecure_port)


def _external_ips(f: Flags) -> Iterator[tuple[str, str | None]]:
    if "DenyServiceExternalIPs" not in f.items("enable-admission-plugins"):
        yield "DenyServiceExternalIPs is not enabled: any Service author can claim external IPs (CVE-2020-8554)", \
            "enable-admission-plugins"


flag_rule(meta(
    "K8S-117", "apiserver-service-external-ips-allowed", "Services may claim any external IP (CVE-2020-8554)",
    Severity.LOW, ("PLT.NET.L2.2", "PLT.ORC.L2.1"),
    what="Flags kube-apiserver containers whose `--enable-admission-plugins` lacks `DenyServiceExternalIPs`.",
    why="Anyone who may create a Service can set `externalIPs` to another tenant's or an external address and "
        "intercept its traffic inside the cluster (CVE-2020-8554, unfixable in the API itself).",
    fix="Add DenyServiceExternalIPs to `--enable-admission-plugins` (or block externalIPs with a policy engine).",
    bad="- --enable-admission-plugins=NodeRestriction",
    good="- --enable-admission-plugins=NodeRestriction,DenyServiceExternalIPs",
    references=(f"{CIS_APISERVER}: DenyServiceExternalIPs", "CVE-2020-8554", "CWE-284"),
), (APISERVER,), _external_ips)
