"""Rule metadata, the rule registry and what a rule check returns.

A rule is metadata (:class:`RuleMeta`, data) plus a check function (logic). Checks yield
:class:`Hit` values; the scanner turns hits into :class:`~cnsmm.findings.Finding` values,
adding file, line, resource, severity overrides and suppressions. The scope decides what a
check receives:

=============  ==========================================================  =================
scope          check signature                                             targets
=============  ==========================================================  =================
object         ``check(obj: K8sObject, ctx) -> Iterable[Hit]``             kinds
pod            ``check(pod: PodSpec, ctx) -> Iterable[Hit]``               pod-bearing kinds
container      ``check(c: Container, ctx) -> Iterable[Hit]``               pod-bearing kinds
set            ``check(objs: ObjectSet, ctx) -> Iterable[Hit]``            kinds
dockerfile     ``check(df: Dockerfile, ctx) -> Iterable[Hit]``             ``Dockerfile``
pipeline       ``check(p: Pipeline, ctx) -> Iterable[Hit]``                pipeline types
=============  ==========================================================  =================

Each scope has a typed check protocol (:data:`ObjectCheck`, :data:`PodCheck`, ...): mypy
checks a rule function's signature against it, and :func:`rule` refuses, at import, a
function whose first parameter is annotated with another scope's type (e.g. a ``pod`` rule
whose check takes a ``Container``). Rules are run by the
scan engine (:mod:`cnsmm.scan.engine`), which isolates a rule that raises.

For ``object``/``pod``/``container``/``set`` hits, ``path`` is the path from the object root
to the offending field (the scanner finds its line); ``obj`` names the object for ``set``
rules. Dockerfile and pipeline hits give ``line`` directly.
"""

from __future__ import annotations

import enum
import inspect
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from cnsmm.findings import Severity
from cnsmm.plugins import Registry, RegistryError

if TYPE_CHECKING:  # the check protocols name them as forward references
    from cnsmm.sources.dockerfile_model import Dockerfile  # noqa: F401
    from cnsmm.sources.k8s import Container, K8sObject, ObjectSet, PodSpec  # noqa: F401
    from cnsmm.sources.pipelines.model import Pipeline  # noqa: F401

RULE_ID_RE = re.compile(r"^(K8S|DKR|CI)-\d{3}$")

POD_KINDS: tuple[str, ...] = (
    "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
    "ReplicationController", "Job", "CronJob", "PodTemplate",
)
"""Targets of pod and container rules (CRD pod templates are included at scan time)."""


class Scope(str, enum.Enum):
    """What a rule's check function receives."""

    OBJECT = "object"
    POD = "pod"
    CONTAINER = "container"
    SET = "set"
    DOCKERFILE = "dockerfile"
    PIPELINE = "pipeline"


@dataclass(frozen=True, slots=True)
class Hit:
    """One violation found by a check."""

    message: str
    """What is wrong in this instance, as a sentence."""
    path: tuple[Any, ...] = ()
    """Path from the object root to the offending field (Kubernetes rules)."""
    line: int | None = None
    """Line, for file-based rules (Dockerfile, pipelines)."""
    obj: Any = None
    """The object the hit is about, for ``set`` rules (a ``K8sObject``)."""
    file: str | None = None
    """File, when a ``set`` or pipeline hit points to another file than the target's."""
    related: tuple[Any, ...] = ()
    """Other objects that fail the rule through this one finding (e.g. every workload of a
    namespace without a default-deny policy): counted as failing in the rule's coverage,
    not reported again."""


@dataclass(frozen=True)
class RuleMeta:
    """Everything about a rule except its logic. Its docs page is generated from this."""

    id: str
    """Stable id such as ``K8S-001``; never reused."""
    name: str
    """Kebab-case name of the bad pattern (``privileged-container``)."""
    title: str
    """One-line title."""
    severity: Severity
    """Default severity (configurable per rule)."""
    scope: Scope
    """What the check receives."""
    targets: tuple[str, ...]
    """Kinds (Kubernetes), ``Dockerfile``, or pipeline types the rule applies to."""
    requirements: tuple[str, ...]
    """CNMM-TAS requirement ids the rule evidences (``PLT.RUN.L2.1``)."""
    what: str
    """What it checks."""
    why: str
    """Why it matters."""
    fix: str
    """How to fix it; ends with a full stop."""
    bad: str
    """Example that fails."""
    good: str
    """Example that passes."""
    references: tuple[str, ...] = ()
    """Standards: Pod Security Standards, NSA-CISA guide, CIS benchmark section, CWE, URLs."""
    containers: tuple[str, ...] = ("container", "init", "ephemeral")
    """For container rules: which container kinds it applies to."""
    category: str = "misconfiguration"
    """Finding category."""
    options: dict[str, str] = field(default_factory=dict)
    """Configuration keys the rule reads, with their meaning (documented on its page)."""
    requires: tuple[str, ...] = ()
    """Options of which at least one must be set (non-empty) for the rule to be evaluated, such
    as an allow-list only the organisation can write. Without any, the scan does not run the
    rule and lists it as not evaluated: no subject counts as passing it."""


T_contra = TypeVar("T_contra", contravariant=True)


class Check(Protocol[T_contra]):
    """A rule's logic: the scope's target and the settings in, hits out."""

    def __call__(self, target: T_contra, ctx: RuleContext, /) -> Iterable[Hit]:
        """Yield one :class:`Hit` per violation in ``target``."""
        ...


ObjectCheck = Check["K8sObject"]
PodCheck = Check["PodSpec"]
ContainerCheck = Check["Container"]
SetCheck = Check["ObjectSet"]
DockerfileCheck = Check["Dockerfile"]
PipelineCheck = Check["Pipeline"]
AnyCheck = ObjectCheck | PodCheck | ContainerCheck | SetCheck | DockerfileCheck | PipelineCheck
C = TypeVar("C", bound=AnyCheck)

SCOPE_TARGET: dict[Scope, str] = {
    Scope.OBJECT: "K8sObject",
    Scope.POD: "PodSpec",
    Scope.CONTAINER: "Container",
    Scope.SET: "ObjectSet",
    Scope.DOCKERFILE: "Dockerfile",
    Scope.PIPELINE: "Pipeline",
}
"""The type a check of each scope receives (its first parameter's annotation)."""


@dataclass(frozen=True)
class Rule:
    """A registered rule: metadata plus check function (of the protocol of its scope)."""

    meta: RuleMeta
    check: AnyCheck
    module: str = ""
    """The rule module that registered it (``cnsmm.rules.k8s.privileged``); for a rule made by a
    shared helper (kube-linter-style templates), the module that called the helper."""

    @property
    def id(self) -> str:
        """Shortcut for ``meta.id``."""
        return self.meta.id


_REGISTRY: Registry[Rule] = Registry("rule", RULE_ID_RE, example="K8S-001")


def _target_annotation(check: Callable[..., Any]) -> str | None:
    """The first parameter's annotation as written (``"K8sObject"``), or None."""
    try:
        params = list(inspect.signature(check).parameters.values())
    except (TypeError, ValueError):
        return None
    if not params or params[0].annotation is inspect.Parameter.empty:
        return None
    annotation = params[0].annotation
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    return text.rsplit(".", 1)[-1]


def _registering_module(check: Callable[..., Any]) -> str:
    """The first public rule module on the call stack (skipping helpers such as ``_control_plane``)."""
    frame = sys._getframe(2)
    while frame is not None:
        name = str(frame.f_globals.get("__name__", ""))
        if name.startswith("cnsmm.rules.") and name != __name__ and not name.rsplit(".", 1)[-1].startswith("_"):
            return name
        frame = frame.f_back  # type: ignore[assignment]
    return str(getattr(check, "__module__", ""))


def rule(meta: RuleMeta) -> Callable[[C], C]:
    """Decorator registering ``check`` under ``meta``. A bad registration (malformed or duplicate
    id, a requirement the model does not have, missing text) raises :class:`RegistryError` at import."""

    def decorator(check: C) -> C:
        for attr in ("name", "title", "what", "why", "fix", "bad", "good"):
            if not getattr(meta, attr).strip():
                raise RegistryError(f"rule {meta.id}: empty {attr}")
        if not meta.fix.rstrip().endswith("."):
            raise RegistryError(f"rule {meta.id}: fix text must end with a full stop")
        if not meta.targets:
            raise RegistryError(f"rule {meta.id}: no targets")
        expected = SCOPE_TARGET[meta.scope]
        got = _target_annotation(check)
        if got is not None and got != expected and got in SCOPE_TARGET.values():
            raise RegistryError(
                f"rule {meta.id}: a {meta.scope.value} rule checks a {expected} (got a check taking {got})"
            )
        _REGISTRY.register(meta.id, Rule(meta, check, _registering_module(check)), requirements=meta.requirements)
        return check

    return decorator


def option_value(options: dict[str, Any], key: str) -> Any:
    """Option ``key`` given flat (``dockerfile.x: ...``) or nested (``dockerfile: {x: ...}``)."""
    value = options.get(key)
    if value is None and "." in key:
        section, _, name = key.partition(".")
        nested = options.get(section)
        value = nested.get(name) if isinstance(nested, dict) else None
    return value


def unconfigured(meta: RuleMeta, ctx: RuleContext) -> str | None:
    """Why ``meta``'s rule cannot be evaluated with these settings, or None when it can."""
    if not meta.requires or any(option_value(ctx.options, key) not in (None, "", [], {}) for key in meta.requires):
        return None
    names = " or ".join(f"`{key}`" for key in meta.requires)
    return f"needs the option {names}, which is not configured"


def registered() -> Registry[Rule]:
    """The registry as filled so far (use :func:`cnsmm.rules.all_rules`)."""
    return _REGISTRY


@dataclass
class RuleContext:
    """Settings a check may read (from the config file), with defaults."""

    options: dict[str, Any] = field(default_factory=dict)

    def option(self, key: str, default: Any) -> Any:
        """A rule option by key, or ``default``."""
        return self.options.get(key, default)
