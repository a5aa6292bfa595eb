"""Flags of the other control-plane static pods (controller manager, scheduler, etcd) and the
checks shared by several components (profiling, bind address, TLS versions), per the CIS
Kubernetes Benchmark sections 1.2-1.4 and 2."""

from __future__ import annotations

from collections.abc import Iterator

from cnsmm.findings import Severity
from cnsmm.rules.k8s._control_plane import (
    APISERVER,
    CIS_APISERVER,
    CIS_CONTROLLER_MANAGER,
    CIS_ETCD,
    CIS_SCHEDULER,
    CONTROL_PLANE_REQUIREMENTS,
    CONTROLLER_MANAGER,
    ETCD,
    SCHEDULER,
    TLS_REQUIREMENTS,
    Flags,
    flag_rule,
    meta,
)

_CM = "command:\n- kube-controller-manager\n- --kubeconfig=/etc/kubernetes/controller-manager.conf"
_ETCD = "command:\n- etcd\n- --data-dir=/var/lib/etcd"
Problems = Iterator[tuple[str, str | None]]


def _profiling(f: Flags) -> Problems:
    if not f.is_false("profiling"):
        yield "profiling is on (--profiling defaults to true): /debug/pprof reveals internals and costs CPU", \
            "profiling"


flag_rule(meta(
    "K8S-118", "control-plane-profiling-enabled", "Control-plane component serves profiling endpoints",
    Severity.LOW, CONTROL_PLANE_REQUIREMENTS,
    what="Flags kube-apiserver, kube-controller-manager and kube-scheduler containers without `--profiling=false`.",
    why="The pprof endpoints expose program internals useful to an attacker and let any caller who may reach "
        "them burn the component's CPU; they are only needed while debugging.",
    fix="Add `--profiling=false`.",
    bad="command:\n- kube-scheduler", good="command:\n- kube-scheduler\n- --profiling=false",
    references=(f"{CIS_APISERVER}: --profiling=false", f"{CIS_CONTROLLER_MANAGER}: --profiling=false",
                f"{CIS_SCHEDULER}: --profiling=false", "CWE-215"),
), (APISERVER, CONTROLLER_MANAGER, SCHEDULER), _profiling)


def _bind_address(f: Flags) -> Problems:
    value = f.get("bind-address")
    if value is None:
        yield "no --bind-address: the secure port listens on every interface (0.0.0.0)", None
    elif value.strip() not in ("127.0.0.1", "::1", "localhost"):
        yield f"--bind-address={value} exposes the component beyond the node", "bind-address"


flag_rule(meta(
    "K8S-119", "control-plane-binds-all-interfaces", "Controller manager or scheduler listens beyond localhost",
    Severity.MEDIUM, ("PLT.ORC.L3.1", "PLT.ORC.L2.1"),
    what="Flags kube-controller-manager and kube-scheduler containers whose `--bind-address` is missing "
         "(default 0.0.0.0) or is not a loopback address.",
    why="These components need no callers but their health checks; listening on every interface exposes their "
        "metrics, debug and health endpoints to the node network.",
    fix="Set `--bind-address=127.0.0.1`.",
    bad="command:\n- kube-scheduler\n- --bind-address=0.0.0.0",
    good="command:\n- kube-scheduler\n- --bind-address=127.0.0.1",
    references=(f"{CIS_CONTROLLER_MANAGER}: --bind-address=127.0.0.1", f"{CIS_SCHEDULER}: --bind-address=127.0.0.1",
                "CWE-1327"),
), (CONTROLLER_MANAGER, SCHEDULER), _bind_address)


WEAK_TLS_VERSIONS = ("VersionTLS10", "VersionTLS11")
WEAK_CIPHER_MARKS = ("_RC4_", "_3DES_", "_DES_", "_NULL_", "_EXPORT_", "_MD5")


def _weak_tls(f: Flags) -> Problems:
    version = f.get("tls-min-version")
    if version in WEAK_TLS_VERSIONS:
        yield f"--tls-min-version={version} allows TLS versions with known weaknesses", "tls-min-version"
    for flag in ("tls-cipher-suites", "cipher-suites"):
        weak = [s for s in f.items(flag) if any(m in s.upper() + "_" for m in WEAK_CIPHER_MARKS)]
        if weak:
            yield f"--{flag} includes weak ciphers ({', '.join(weak[:3])})", flag


flag_rule(meta(
    "K8S-120", "control-plane-weak-tls", "Control-plane component accepts weak TLS", Severity.MEDIUM,
    TLS_REQUIREMENTS,
    what="Flags kube-apiserver, kube-controller-manager, kube-scheduler and etcd containers with "
         "`--tls-min-version` VersionTLS10/VersionTLS11, or cipher suites (`--tls-cipher-suites`, etcd "
         "`--cipher-suites`) using RC4, 3DES, DES, NULL, EXPORT or MD5.",
    why="TLS 1.0/1.1 and these ciphers have practical attacks; a client can be downgraded to them.",
    fix="Set `--tls-min-version=VersionTLS12` and list only AEAD (GCM or ChaCha20-Poly1305) cipher suites.",
    bad="- --tls-min-version=VersionTLS10", good="- --tls-min-version=VersionTLS12",
    references=(f"{CIS_APISERVER}: strong cryptographic ciphers", f"{CIS_ETCD}", "CWE-326", "CWE-327"),
), (APISERVER, CONTROLLER_MANAGER, SCHEDULER, ETCD), _weak_tls)


def _sa_credentials(f: Flags) -> Problems:
    if not f.is_true("use-service-account-credentials"):
        yield "controllers share the controller manager's own credentials (no --use-service-account-credentials)", \
            "use-service-account-credentials"


flag_rule(meta(
    "K8S-121", "controller-manager-shared-credentials", "Controllers run with the controller manager's own identity",
    Severity.MEDIUM, CONTROL_PLANE_REQUIREMENTS,
    what="Flags kube-controller-manager containers without `--use-service-account-credentials=true`.",
    why="Without it every controller acts with the controller manager's broad identity instead of its own "
        "least-privilege service account, and their actions cannot be told apart in audit logs.",
    fix="Add `--use-service-account-credentials=true`.",
    bad=_CM, good="- --use-service-account-credentials=true",
    references=(f"{CIS_CONTROLLER_MANAGER}: --use-service-account-credentials=true", "CWE-250"),
), (CONTROLLER_MANAGER,), _sa_credentials)


def _sa_key(f: Flags) -> Problems:
    if not f.get("service-account-private-key-file"):
        yield "no --service-account-private-key-file: service account tokens cannot be signed with a managed key", None


flag_rule(meta(
    "K8S-122", "controller-manager-sa-key-missing", "Controller manager has no service account signing key",
    Severity.MEDIUM, CONTROL_PLANE_REQUIREMENTS,
    what="Flags kube-controller-manager containers without `--service-account-private-key-file`.",
    why="The key signs the service account tokens the controller manager issues; without a dedicated, rotated "
        "key, tokens cannot be verified or revoked by key rotation.",
    fix="Set `--service-account-private-key-file` to the key whose public half the API server's "
        "`--service-account-key-file` holds.",
    bad=_CM, good="- --service-account-private-key-file=/etc/kubernetes/pki/sa.key",
    references=(f"{CIS_CONTROLLER_MANAGER}: --service-account-private-key-file", "CWE-320"),
), (CONTROLLER_MANAGER,), _sa_key)


def _root_ca(f: Flags) -> Problems:
    if not f.get("root-ca-file"):
        yield "no --root-ca-file: pods cannot verify the API server's certificate", None


flag_rule(meta(
    "K8S-123", "controller-manager-root-ca-missing", "Controller manager does not publish the cluster CA to pods",
    Severity.LOW, TLS_REQUIREMENTS,
    what="Flags kube-controller-manager containers without `--root-ca-file`.",
    why="The root CA is what pods use to verify the API server; without it clients skip verification and can be "
        "intercepted.",
    fix="Set `--root-ca-file` to the cluster CA certificate.",
    bad=_CM, good="- --root-ca-file=/etc/kubernetes/pki/ca.crt",
    references=(f"{CIS_CONTROLLER_MANAGER}: --root-ca-file", "CWE-295"),
), (CONTROLLER_MANAGER,), _root_ca)


def _etcd_client_tls(f: Flags) -> Problems:
    missing = [n for n in ("cert-file", "key-file") if not f.get(n)]
    if missing:
        yield f"serves clients without {' and '.join('--' + m for m in missing)}", None
    elif any(u.startswith("http://") and "127.0.0.1" not in u and "localhost" not in u
             for u in f.items("listen-client-urls")):
        yield "--listen-client-urls has a plain http:// listener off the loopback", "listen-client-urls"


flag_rule(meta(
    "K8S-124", "etcd-client-tls-missing", "etcd serves clients without TLS", Severity.HIGH, TLS_REQUIREMENTS,
    what="Flags etcd containers without `--cert-file` and `--key-file`, or with a plain `http://` client "
         "listener on a non-loopback address.",
    why="Every secret of the cluster passes between the API server and etcd; without TLS it is readable on the "
        "network.",
    fix="Set `--cert-file`, `--key-file` and https `--listen-client-urls`.",
    bad=_ETCD,
    good="- --cert-file=/etc/kubernetes/pki/etcd/server.crt\n- --key-file=/etc/kubernetes/pki/etcd/server.key",
    references=(f"{CIS_ETCD}: --cert-file and --key-file", "CWE-319"),
), (ETCD,), _etcd_client_tls)


def _etcd_client_auth(f: Flags) -> Problems:
    if not f.is_true("client-cert-auth"):
        yield "--client-cert-auth is not true: any client that reaches etcd can read and write every key", \
            "client-cert-auth"


flag_rule(meta(
    "K8S-125", "etcd-client-cert-auth-disabled", "etcd accepts clients without certificates", Severity.HIGH,
    ("PLT.ORC.L1.1", "PLT.ORC.L2.4"),
    what="Flags etcd containers without `--client-cert-auth=true`.",
    why="Without client certificate authentication, anything that reaches etcd's port (a pod with host network, "
        "a compromised node) reads every Secret and can rewrite any object, RBAC included.",
    fix="Set `--client-cert-auth=true` and `--trusted-ca-file`.",
    bad=_ETCD, good="- --client-cert-auth=true\n- --trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt",
    references=(f"{CIS_ETCD}: --client-cert-auth=true", "CWE-306"),
), (ETCD,), _etcd_client_auth)


def _etcd_auto_tls(f: Flags) -> Problems:
    for flag in ("auto-tls", "peer-auto-tls"):
        if f.is_true(flag):
            yield f"--{flag}=true uses self-signed certificates nobody verifies", flag


flag_rule(meta(
    "K8S-126", "etcd-auto-tls", "etcd uses self-signed automatic TLS", Severity.MEDIUM, TLS_REQUIREMENTS,
    what="Flags etcd containers with `--auto-tls=true` or `--peer-auto-tls=true`.",
    why="Automatic TLS generates self-signed certificates that clients and peers cannot verify, so it encrypts "
        "without authenticating: a man in the middle is not detected.",
    fix="Remove the auto-TLS flags and use certificates from the etcd CA.",
    bad="- --auto-tls=true", good="- --cert-file=/etc/kubernetes/pki/etcd/server.crt",
    references=(f"{CIS_ETCD}: --auto-tls, --peer-auto-tls not true", "CWE-295"),
), (ETCD,), _etcd_auto_tls)


def _etcd_peer_tls(f: Flags) -> Problems:
    missing = [n for n in ("peer-cert-file", "peer-key-file") if not f.get(n)]
    if missing:
        yield f"talks to peers without {' and '.join('--' + m for m in missing)}", None


flag_rule(meta(
    "K8S-127", "etcd-peer-tls-missing", "etcd replicates to peers without TLS", Severity.MEDIUM, TLS_REQUIREMENTS,
    what="Flags etcd containers without `--peer-cert-file` and `--peer-key-file`.",
    why="Peer traffic carries the whole database; without TLS a member joining or replicating over the network "
        "exposes every Secret.",
    fix="Set `--peer-cert-file` and `--peer-key-file` from the etcd CA.",
    bad=_ETCD, good="- --peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt\n"
                    "- --peer-key-file=/etc/kubernetes/pki/etcd/peer.key",
    references=(f"{CIS_ETCD}: --peer-cert-file and --peer-key-file", "CWE-319"),
), (ETCD,), _etcd_peer_tls)


def _etcd_peer_auth(f: Flags) -> Problems:
    if not f.is_true("peer-client-cert-auth"):
        yield "--peer-client-cert-auth is not true: any host can join as a peer", "peer-client-cert-auth"


flag_rule(meta(
    "K8S-128", "etcd-peer-cert-auth-disabled", "etcd accepts peers without certificates", Severity.MEDIUM,
    ("PLT.ORC.L1.1", "PLT.ORC.L2.4"),
    what="Flags etcd containers without `--peer-client-cert-auth=true`.",
    why="Without peer certificate authentication a host that reaches the peer port can join the cluster and "
        "receive a full copy of the data.",
    fix="Set `--peer-client-cert-auth=true` and `--peer-trusted-ca-file`.",
    bad=_ETCD, good="- --peer-client-cert-auth=true\n- --peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt",
    references=(f"{CIS_ETCD}: --peer-client-cert-auth=true", "CWE-306"),
), (ETCD,), _etcd_peer_auth)
