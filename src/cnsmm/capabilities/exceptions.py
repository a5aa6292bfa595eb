"""Expected exceptions: node agents and system components that legitimately need host access.

A finding is an *expected exception* when the object that fails the rule is one of:

1. a component of the catalogue below (node exporters, runtime security agents, CNI and CSI
   node plugins, log shippers, kube-proxy), matched by image and workload shape (a DaemonSet,
   or a Pod a DaemonSet created), failing one of the host-access rules the catalogue accepts
   for it;
2. a workload in a namespace of the same set that enforces Pod Security ``privileged``
   (``pod-security.kubernetes.io/enforce: privileged``): an explicit decision to allow host
   access there, for the host-access rules only;
3. a workload an admission policy of the same set excludes: a Kyverno ``PolicyException``
   naming it, or a namespace listed in a Gatekeeper constraint's ``excludedNamespaces`` or a
   Kyverno policy's ``exclude`` (host-access rules only);
4. an entry of the ``exceptions:`` list of ``cnsmm.yaml`` (images, kinds, namespaces, rules,
   reason), which extends the catalogue.

``cnsmm scan`` still reports the finding, with ``expected_exception`` set to the reason; the
assessment counts the object as passing and shows the exception as accepted evidence.
The catalogue is versioned (:data:`CATALOGUE_VERSION`); docs/assessment.md lists it.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cnsmm.capabilities.index import node_wide
from cnsmm.capabilities.values import items, mapping, normalise_image, repo_matches, text
from cnsmm.errors import ConfigError
from cnsmm.sources.k8s import K8sObject

CATALOGUE_VERSION = "2"
"""Bumped whenever an entry is added, removed or widened."""

HOST_RULES: frozenset[str] = frozenset(
    {
        "K8S-001",  # privileged
        "K8S-003",  # hostNetwork
        "K8S-004",  # hostPID
        "K8S-005",  # hostIPC
        "K8S-006",  # capability outside baseline
        "K8S-007",  # dangerous capability
        "K8S-008",  # hostPath
        "K8S-009",  # node root filesystem
        "K8S-010",  # hostPort
        "K8S-011",  # AppArmor unconfined
        "K8S-013",  # unmasked /proc
        "K8S-014",  # seccomp Unconfined
        "K8S-016",  # hostPID with privileged
        "K8S-020",  # volume type outside the restricted list
        "K8S-021",  # privilege escalation
        "K8S-022",  # may run as root
        "K8S-023",  # runs as UID 0
        "K8S-025",  # does not drop all capabilities
        "K8S-026",  # adds a capability other than NET_BIND_SERVICE
        "K8S-093",  # runtime socket
        "K8S-094",  # sensitive host directory
    }
)
"""The Pod Security rules about host access and privilege: the only rules an exception of the
catalogue, a ``privileged`` namespace or an admission exclusion can accept."""

_READ_HOST = frozenset({"K8S-003", "K8S-004", "K8S-008", "K8S-009", "K8S-010", "K8S-020", "K8S-094"})
_ROOT = frozenset({"K8S-021", "K8S-022", "K8S-023", "K8S-025"})


@dataclass(frozen=True, slots=True)
class ExpectedException:
    """One kind of component that legitimately fails some host-access rules."""

    id: str
    name: str
    images: tuple[str, ...]
    """Repository patterns (as for capability detectors: ``prometheus/node-exporter``, ``cilium/*``)."""
    rules: frozenset[str]
    reason: str
    """Why it needs this access (English)."""
    reason_zh: str
    kinds: tuple[str, ...] = ("DaemonSet",)
    """Workload shapes it runs as; ``DaemonSet`` also matches a Pod a DaemonSet created."""
    namespaces: tuple[str, ...] = ()
    """Namespace patterns (empty: any)."""


CATALOGUE: tuple[ExpectedException, ...] = (
    ExpectedException(
        "node-exporter",
        "Prometheus node exporter",
        ("prometheus/node-exporter", "prom/node-exporter", "bitnami/node-exporter"),
        _READ_HOST | _ROOT,
        "node-exporter needs hostPID, the host network and read-only host mounts to read host metrics",
        "node-exporter 需要主机 PID、主机网络和只读主机挂载来读取主机指标",
    ),
    ExpectedException(
        "kube-proxy",
        "kube-proxy",
        ("kube-proxy", "eks/kube-proxy"),
        _READ_HOST | _ROOT | {"K8S-001", "K8S-007", "K8S-026", "K8S-006"},
        "kube-proxy programs the node's iptables/IPVS rules, which needs privileges and the host network",
        "kube-proxy 需要特权和主机网络来配置节点的 iptables/IPVS 规则",
    ),
    ExpectedException(
        "cni-node",
        "CNI node agent",
        (
            "cilium/cilium",
            "calico/node",
            "calico/cni",
            "flannel/flannel",
            "flannelcni/flannel",
            "flannel-io/flannel",
            "flannel/flannel-cni-plugin",
            "weaveworks/weave-kube",
            "weaveworks/weave-npc",
            "amazon-k8s-cni",
            "antrea/antrea-agent-ubuntu",
            "antrea/antrea-ubuntu",
            "kube-ovn/kube-ovn",
            "istio/install-cni",
            "istio-release/install-cni",
            "istio/ztunnel",
            "istio-release/ztunnel",
        ),
        HOST_RULES,
        "a CNI node agent configures the node's network, which needs privileges and host access",
        "CNI 节点代理需要特权和主机访问来配置节点网络",
    ),
    ExpectedException(
        "csi-node",
        "CSI node plugin",
        (
            "sig-storage/csi-node-driver-registrar",
            "sig-storage/livenessprobe",
            "ebs-csi-driver/aws-ebs-csi-driver",
            "aws-efs-csi-driver",
            "cloud-provider-gcp/gcp-compute-persistent-disk-csi-driver",
            "oss/kubernetes-csi/azuredisk-csi",
            "cephcsi/cephcsi",
            "longhornio/longhorn-manager",
            "openebs/*",
        ),
        HOST_RULES - {"K8S-004"},
        "a CSI node plugin mounts volumes on the node, which needs privileges and host paths",
        "CSI 节点插件需要特权和主机路径来在节点上挂载卷",
    ),
    ExpectedException(
        "runtime-security",
        "Runtime security agent",
        (
            "falcosecurity/falco",
            "falcosecurity/falco-no-driver",
            "falcosecurity/falco-driver-loader",
            "aquasec/tracee",
            "cilium/tetragon",
            "sysdig/agent",
            "neuvector/enforcer",
            "kubearmor/kubearmor",
        ),
        HOST_RULES,
        "a runtime security agent watches every process on the node through the kernel (eBPF), "
        "which needs privileges, hostPID and host mounts",
        "运行时安全代理通过内核（eBPF）监视节点上的所有进程，需要特权、主机 PID 和主机挂载",
    ),
    ExpectedException(
        "log-shipper",
        "Log shipper",
        (
            "fluent/fluent-bit",
            "fluent/fluentd",
            "fluent/fluentd-kubernetes-daemonset",
            "grafana/promtail",
            "grafana/alloy",
            "grafana/agent",
            "timberio/vector",
            "elastic/filebeat",
            "beats/filebeat",
            "datadog/agent",
            "otel/opentelemetry-collector-contrib",
        ),
        _READ_HOST | _ROOT | {"K8S-093"},
        "a log shipper reads the node's container logs from host paths",
        "日志采集代理需要从主机路径读取节点上的容器日志",
    ),
    ExpectedException(
        "node-monitor",
        "Node monitoring agent",
        ("cadvisor/cadvisor", "node-problem-detector/node-problem-detector", "nvidia/k8s-device-plugin"),
        _READ_HOST | _ROOT | {"K8S-001", "K8S-093"},
        "a node monitoring agent reads the node's kernel, devices and container runtime state",
        "节点监控代理需要读取节点的内核、设备和容器运行时状态",
    ),
)


@dataclass(frozen=True, slots=True)
class ExtraException:
    """An ``exceptions:`` entry of ``cnsmm.yaml``."""

    name: str
    reason: str
    images: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    """Rule ids (empty: the host-access rules)."""


_EXTRA_KEYS = frozenset({"name", "reason", "images", "kinds", "namespaces", "resources", "rules"})


def parse_extra(entries: Any, where: str, known_rules: set[str]) -> tuple[ExtraException, ...]:
    """Validate the ``exceptions:`` list of a configuration file."""
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise ConfigError(f"{where}: expected a list of entries (name, reason, images, kinds, namespaces, rules)")
    out: list[ExtraException] = []
    for i, entry in enumerate(entries, start=1):
        at = f"{where} #{i}"
        if not isinstance(entry, dict) or set(entry) - _EXTRA_KEYS:
            raise ConfigError(f"{at}: expected a mapping with keys {', '.join(sorted(_EXTRA_KEYS))}")
        reason = text(entry.get("reason")).strip()
        if not reason:
            raise ConfigError(f"{at}: a reason is required", hint="Say why this component needs the access")

        def strings(key: str, entry: dict[str, Any] = entry, at: str = at) -> tuple[str, ...]:
            value = entry.get(key) or []
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{at}: `{key}` must be a list of strings")
            return tuple(value)

        rules = tuple(r.strip().upper() for r in strings("rules"))
        unknown = [r for r in rules if r not in known_rules]
        if unknown:
            raise ConfigError(f"{at}: unknown rule id(s) {', '.join(unknown)}", hint="Run `cnsmm rules`")
        matchers = strings("images") + strings("namespaces") + strings("resources")
        if not matchers:
            raise ConfigError(f"{at}: give at least one of images, namespaces or resources")
        out.append(
            ExtraException(
                text(entry.get("name")) or f"exception #{i}",
                reason,
                tuple(normalise_image(x) if "*" not in x else x.lower() for x in strings("images")),
                strings("kinds"),
                strings("namespaces"),
                strings("resources"),
                rules,
            )
        )
    return tuple(out)


def _images(obj: K8sObject) -> list[str]:
    pod = obj.pod_spec()
    if pod is None:
        return []
    return [normalise_image(text(c.spec.get("image"))) for c in pod.containers() if text(c.spec.get("image"))]


def _shape(obj: K8sObject, kinds: tuple[str, ...]) -> bool:
    if not kinds:
        return True
    if "DaemonSet" in kinds and node_wide(obj):
        return True
    return obj.kind in kinds


def _ns_match(namespace: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(namespace, p) for p in patterns)


MAX_CHECKS = 200_000
"""Pattern checks (an object against a ``PolicyException`` block or an ``exceptions:`` entry)
one set may spend; past it, the remaining objects get no such exception and the set reports an
input error. Real sets need a few per object: exact names and rules are looked up in indexes."""

_GLOB = frozenset("*?[")


@dataclass(frozen=True, slots=True)
class _Block:
    """One ``match.any``/``match.all`` block of a Kyverno PolicyException."""

    label: str
    kinds: frozenset[str]
    names: tuple[str, ...]
    spaces: tuple[str, ...]
    order: int


class ExceptionMatcher:
    """Expected exceptions for the objects of one set.

    Kyverno PolicyException blocks are indexed by exact name (then by exact namespace for blocks
    without names); ``exceptions:`` entries of the configuration by rule id. What is left to try
    (name patterns with wildcards, entries of the finding's rule) is counted, and the set spends
    at most :data:`MAX_CHECKS` such checks: :attr:`problem` then says so.
    """

    def __init__(self, objects: list[K8sObject], extra: tuple[ExtraException, ...] = ()) -> None:
        self.extra = extra
        self.privileged: set[str] = set()
        self.excluded: dict[str, str] = {}
        """namespace -> policy that excludes it."""
        self.policy_exceptions: list[tuple[str, K8sObject]] = []
        for obj in objects:
            if obj.kind == "Namespace":
                level = text(mapping(obj.labels).get("pod-security.kubernetes.io/enforce")).strip().lower()
                if level == "privileged":
                    self.privileged.add(obj.name)
            elif obj.group == "constraints.gatekeeper.sh":
                for ns in items(obj.get("spec", "match", "excludedNamespaces")):
                    if text(ns):
                        self.excluded.setdefault(text(ns), f"Gatekeeper {obj.kind}/{obj.name}")
            elif obj.group == "kyverno.io" and obj.kind in ("ClusterPolicy", "Policy"):
                self._kyverno_excludes(obj)
            elif obj.kind == "PolicyException" and obj.group == "kyverno.io":
                self.policy_exceptions.append((f"Kyverno PolicyException/{obj.name}", obj))
        self._cache: dict[tuple[str, int], str | None] = {}
        self._exception_of: dict[int, str | None] = {}
        self._by_name: dict[str, list[_Block]] = {}
        self._by_space: dict[str, list[_Block]] = {}
        self._patterns: list[_Block] = []
        self._index_policy_exceptions()
        self._by_rule: dict[str, list[ExtraException]] = {}
        for ex in extra:
            for rule_id in ex.rules or sorted(HOST_RULES):
                self._by_rule.setdefault(rule_id, []).append(ex)
        self.checks = 0
        self.problem: str | None = None
        """Why some exceptions were not applied (the check budget ran out), else None."""

    def _index_policy_exceptions(self) -> None:
        order = 0
        for label, pe in self.policy_exceptions:
            for block in items(pe.get("spec", "match", "any")) + items(pe.get("spec", "match", "all")):
                res = mapping(mapping(block).get("resources"))
                names = tuple(text(n) for n in items(res.get("names")))
                spaces = tuple(text(n) for n in items(res.get("namespaces")))
                if not names and not spaces:
                    continue
                entry = _Block(label, frozenset(text(k).split("/")[-1] for k in items(res.get("kinds"))),
                               names, spaces, order)
                order += 1
                if names and not any(_GLOB & set(n) for n in names):
                    for n in set(names):
                        self._by_name.setdefault(n, []).append(entry)
                elif not names and not any(_GLOB & set(n) for n in spaces):
                    for n in set(spaces):
                        self._by_space.setdefault(n, []).append(entry)
                else:
                    self._patterns.append(entry)

    def _spend(self, cost: int, what: str) -> bool:
        """Count ``cost`` checks; False (and :attr:`problem` set) once the budget is spent."""
        if self.problem is not None:
            return False
        self.checks += cost
        if self.checks > MAX_CHECKS:
            self.problem = (f"{what} needed more than {MAX_CHECKS:,} pattern checks for the objects of this set; "
                            "not applied to the remaining objects (their findings are reported without the "
                            "exception)")
            return False
        return True

    def _kyverno_excludes(self, obj: K8sObject) -> None:
        if text(obj.get("spec", "validationFailureAction")).lower() not in ("enforce", ""):
            return
        for rule in items(obj.get("spec", "rules")):
            excl = mapping(mapping(rule).get("exclude"))
            blocks = [excl, *items(excl.get("any")), *items(excl.get("all"))]
            for block in blocks:
                for ns in items(mapping(mapping(block).get("resources")).get("namespaces")):
                    if text(ns):
                        self.excluded.setdefault(text(ns), f"Kyverno {obj.kind}/{obj.name}")

    def _policy_exception(self, obj: K8sObject) -> str | None:
        ns = obj.namespace or ""
        candidates: list[_Block] = [*self._by_name.get(obj.name, ()), *self._by_space.get(ns, ()), *self._patterns]
        if not self._spend(len(candidates), "Kyverno PolicyExceptions"):
            return None
        candidates.sort(key=lambda b: b.order)
        pod = obj.pod_spec() is not None
        for block in candidates:
            if block.kinds and obj.kind not in block.kinds and not ("Pod" in block.kinds and pod):
                continue
            if block.names and not any(fnmatch.fnmatchcase(obj.name, n) for n in block.names):
                continue
            if block.spaces and not _ns_match(ns, block.spaces):
                continue
            return block.label
        return None

    def reason(self, rule_id: str, obj: K8sObject | None) -> str | None:
        """Why ``obj`` failing ``rule_id`` is expected, or None."""
        if obj is None:
            return None
        key = (rule_id, id(obj))
        if key not in self._cache:
            self._cache[key] = self._reason(rule_id, obj)
        return self._cache[key]

    def _reason(self, rule_id: str, obj: K8sObject) -> str | None:
        images = _images(obj)
        entries = self._by_rule.get(rule_id, ()) if self.problem is None else ()
        cost = sum(len(ex.images) * len(images) + len(ex.namespaces) + len(ex.resources) + 1 for ex in entries)
        for ex in entries if entries and self._spend(cost, "The `exceptions:` entries of the configuration") else ():
            if ex.images and not any(repo_matches(i, ex.images) for i in images):
                continue
            if ex.namespaces and not _ns_match(obj.namespace or "", ex.namespaces):
                continue
            if ex.resources and not any(fnmatch.fnmatchcase(obj.resource, r) for r in ex.resources):
                continue
            if not _shape(obj, ex.kinds):
                continue
            return f"{ex.name}: {ex.reason}"
        if rule_id not in HOST_RULES:
            return None
        for entry in CATALOGUE:
            matched = any(repo_matches(i, entry.images) for i in images)
            if matched and rule_id in entry.rules and _shape(obj, entry.kinds):
                return f"{entry.id}: {entry.reason}"
        ns = obj.namespace or ""
        if ns in self.privileged:
            return f"namespace {ns} enforces Pod Security 'privileged' (host access allowed there by decision)"
        if ns in self.excluded:
            return f"namespace {ns} is excluded from admission policy {self.excluded[ns]}"
        if id(obj) not in self._exception_of:  # the same for every rule: looked up once per object
            self._exception_of[id(obj)] = self._policy_exception(obj) if self.policy_exceptions else None
        label = self._exception_of[id(obj)]
        if label:
            return f"documented exception {label}"
        return None
