"""Reading control-plane static pods: which component a container runs and its flags.

Control-plane components run as static pods (``/etc/kubernetes/manifests`` on kubeadm nodes,
``kube-system`` Pods in cluster dumps). A container is a component when its command (or, if
it has none, its first argument) is the component binary, or its image is the component's
image (``registry.k8s.io/kube-apiserver:v1.30.2``). Flags are read from ``command`` and
``args`` as ``--name=value`` or ``--name value``; a single shell string (``sh -c "..."``) is
split like a shell would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from cnsmm.findings import Severity
from cnsmm.imageref import parse_lenient
from cnsmm.kube.values import falsy, truthy
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._common import WORKLOADS
from cnsmm.sources import shellwords
from cnsmm.sources.k8s import Container

APISERVER = "kube-apiserver"
CONTROLLER_MANAGER = "kube-controller-manager"
SCHEDULER = "kube-scheduler"
ETCD = "etcd"
COMPONENTS = (APISERVER, CONTROLLER_MANAGER, SCHEDULER, ETCD)
CIS = "CIS Kubernetes Benchmark"
CIS_APISERVER = f"{CIS} 1.2 (API server)"
CIS_CONTROLLER_MANAGER = f"{CIS} 1.3 (controller manager)"
CIS_SCHEDULER = f"{CIS} 1.4 (scheduler)"
CIS_ETCD = f"{CIS} 2 (etcd)"
CIS_KUBELET = f"{CIS} 4.2 (kubelet)"
CONTROL_PLANE_REQUIREMENTS = ("PLT.ORC.L1.1", "PLT.ORC.L2.1")
"""编排组件访问控制; 安全基线扫描."""
TLS_REQUIREMENTS = ("PLT.ORC.L2.4", "PLT.ORC.L2.1")
"""集群组件间安全通信; 安全基线扫描."""


@dataclass
class Flags:
    """The flags of one component container, with where each was written."""

    component: str
    values: dict[str, str] = field(default_factory=dict)
    paths: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    anchor: tuple[Any, ...] = ()
    """Path findings about a missing flag point to (the command or args list)."""

    def get(self, name: str) -> str | None:
        """The value of ``--name`` (``"true"`` for a bare boolean flag), or None."""
        return self.values.get(name)

    def path(self, name: str) -> tuple[Any, ...]:
        """Where ``--name`` is written, else the command/args list."""
        return self.paths.get(name, self.anchor)

    def is_false(self, name: str) -> bool:
        """``--name=false``."""
        return falsy(self.get(name))

    def is_true(self, name: str) -> bool:
        """``--name`` or ``--name=true``."""
        return truthy(self.get(name))

    def items(self, name: str) -> list[str]:
        """A comma-separated flag as a list (``--enable-admission-plugins=A,B``)."""
        return [v.strip() for v in (self.get(name) or "").split(",") if v.strip()]


def _words(c: Container) -> list[tuple[str, tuple[Any, ...]]]:
    out: list[tuple[str, tuple[Any, ...]]] = []
    for key in ("command", "args"):
        items = c.get(key)
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            if not isinstance(item, (str, int, float)):
                continue
            text = str(item)
            path = (*c.path, key, i)
            if " " in text.strip() and any(comp in text for comp in COMPONENTS):
                try:
                    parts = shellwords.split(text)
                except ValueError:
                    parts = text.split()
                out.extend((p, path) for p in parts)
            else:
                out.append((text, path))
    return out


def _binary(word: str) -> str:
    return word.rsplit("/", 1)[-1]


def component_of(c: Container) -> str | None:
    """The control-plane component the container runs, or None."""
    words = [w for w, _ in _words(c) if not w.startswith("-")]
    for w in words[:3]:
        if _binary(w) in COMPONENTS:
            return _binary(w)
    ref = parse_lenient(str(c.get("image") or ""))
    name = ref.path.rsplit("/", 1)[-1] if ref else ""
    if name in COMPONENTS:
        return name
    return None


def flags_of(c: Container) -> Flags | None:
    """The component's flags, or None when the container is not a control-plane component."""
    component = component_of(c)
    if component is None:
        return None
    anchor_key = "command" if isinstance(c.get("command"), list) else "args"
    flags = Flags(component, anchor=(*c.path, anchor_key))
    words = _words(c)
    for i, (word, path) in enumerate(words):
        if not word.startswith("--"):
            continue
        name, eq, value = word[2:].partition("=")
        if not eq:
            nxt = words[i + 1][0] if i + 1 < len(words) else None
            value = nxt if nxt is not None and not nxt.startswith("-") and _binary(nxt) not in COMPONENTS else "true"
        flags.values[name] = value
        flags.paths[name] = path
    return flags


Test = Callable[[Flags], Iterator[tuple[str, str | None]]]
"""Yields (problem, flag to point at or None) for one component's flags."""


def flag_rule(meta: RuleMeta, components: tuple[str, ...], test: Test) -> None:
    """Register a container rule that runs ``test`` on the flags of ``components``."""

    def check(c: Container, ctx: RuleContext) -> Iterator[Hit]:
        flags = flags_of(c)
        if flags is None or flags.component not in components:
            return
        for problem, flag in test(flags):
            yield Hit(f"{flags.component}: {problem}", flags.path(flag) if flag else flags.anchor)

    rule(meta)(check)


def meta(
    id: str, name: str, title: str, severity: Severity, requirements: tuple[str, ...], what: str, why: str,
    fix: str, bad: str, good: str, references: tuple[str, ...],
) -> RuleMeta:
    """RuleMeta of a control-plane container rule (scope container, every workload kind)."""
    return RuleMeta(
        id=id, name=name, title=title, severity=severity, scope=Scope.CONTAINER, targets=WORKLOADS,
        requirements=requirements, what=what, why=why, fix=fix, bad=bad, good=good, references=references,
        containers=("container",),
    )
