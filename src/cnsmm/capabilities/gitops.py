"""Components installed through GitOps objects: Argo CD ``Application``/``ApplicationSet``, Flux
``HelmRelease``/``Kustomization``, and ``helmfile.yaml`` releases.

A repository that deploys Falco or Trivy Operator through an Argo CD Application holds no
Falco DaemonSet, only the Application naming the chart. Each such object becomes a
:class:`Release` (the chart or application name, where it is, and the Helm values it sets);
the capability index treats a release like a workload labelled with that name, and detectors
of node agents take the chart's default shape (a DaemonSet) unless the values say otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cnsmm.capabilities.model import CapabilityEvidence
from cnsmm.capabilities.values import chart_name, items, mapping, text
from cnsmm.sources.k8s import K8sObject
from cnsmm.sources.yamlload import YList, YMap, load_yaml

MAX_RELEASES = 500
"""Releases read per set (a bound on hostile inputs)."""


@dataclass(frozen=True, slots=True)
class Release:
    """A component installed by a GitOps object."""

    name: str
    """Chart or application name, lower case (``falco``, ``trivy-operator``)."""
    via: str
    """``Argo CD Application argocd/falco``, ``Flux HelmRelease ...``, ``helmfile release falco``."""
    evidence: CapabilityEvidence
    values: dict[str, Any] = field(default_factory=dict)
    """Helm values given inline (empty when none or only value files)."""

    def value(self, *path: str) -> Any:
        """A nested value of :attr:`values` (None when absent)."""
        current: Any = self.values
        for key in path:
            current = mapping(current).get(key)
        return current


def _last(path: str) -> str:
    parts = [p for p in text(path).strip("/").split("/") if p and p != "."]
    return parts[-1].lower() if parts else ""


def _values(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str) and raw.strip():
        docs, _ = load_yaml(raw, max_nodes=20_000)
        return mapping(docs[0].value) if docs else {}
    return {}


def _argo_sources(spec: dict[str, Any]) -> list[tuple[dict[str, Any], tuple[Any, ...]]]:
    out: list[tuple[dict[str, Any], tuple[Any, ...]]] = []
    if isinstance(spec.get("source"), dict):
        out.append((spec["source"], ("source",)))
    out += [(mapping(s), ("sources", i)) for i, s in enumerate(items(spec.get("sources")))]
    return out


def _at(obj: K8sObject, path: tuple[Any, ...], via: str) -> CapabilityEvidence:
    return CapabilityEvidence(obj.file, obj.line_of(path), obj.resource, f"installed through {via}")


def releases_from_objects(objects: list[K8sObject]) -> list[Release]:
    """Releases named by the Argo CD and Flux objects among ``objects``."""
    out: list[Release] = []
    for obj in objects:
        if len(out) >= MAX_RELEASES:
            break
        if obj.group == "argoproj.io" and obj.kind in ("Application", "ApplicationSet"):
            base: tuple[Any, ...] = ("spec",) if obj.kind == "Application" else ("spec", "template", "spec")
            spec = mapping(obj.get(*base))
            via = f"Argo CD {obj.kind} {obj.resource.split('/', 1)[-1]}"
            names: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {}
            for source, path in _argo_sources(spec):
                helm = mapping(source.get("helm"))
                vals = _values(helm.get("valuesObject")) or _values(helm.get("values"))
                candidates = ((text(source.get("chart")).lower(), "chart"), (_last(text(source.get("path"))), "path"))
                for name, field_ in candidates:
                    if name:
                        names.setdefault(name, ((*base, *path, field_), vals))
            if obj.kind == "Application":
                names.setdefault(obj.name.lower(), (("metadata", "name"), {}))
            for name, (path, vals) in names.items():
                out.append(Release(name, via, _at(obj, path, via), vals))
        elif obj.group == "helm.toolkit.fluxcd.io" and obj.kind == "HelmRelease":
            via = f"Flux HelmRelease {obj.resource.split('/', 1)[-1]}"
            chart = text(obj.get("spec", "chart", "spec", "chart")) or text(obj.get("spec", "chartRef", "name"))
            vals = _values(obj.get("spec", "values"))
            for name in dict.fromkeys(n for n in (chart_name(chart.rsplit("/", 1)[-1]).lower(), obj.name.lower()) if n):
                ev = _at(obj, ("spec", "chart"), via)
                out.append(Release(name, via, ev, vals))
        elif obj.group == "kustomize.toolkit.fluxcd.io" and obj.kind == "Kustomization":
            via = f"Flux Kustomization {obj.resource.split('/', 1)[-1]}"
            for name in dict.fromkeys(n for n in (_last(text(obj.get("spec", "path"))), obj.name.lower()) if n):
                out.append(Release(name, via, _at(obj, ("spec", "path"), via)))
    return out


def is_helmfile(file: str) -> bool:
    """``helmfile.yaml`` / ``helmfile.yml`` (and ``.gotmpl``), or a file of a ``helmfile.d`` folder."""
    norm = "/" + file.replace("\\", "/")
    base = norm.rsplit("/", 1)[-1].lower()
    return base.startswith("helmfile.y") or "/helmfile.d/" in norm


def releases_from_helmfile(text_: str, file: str) -> list[Release]:
    """The ``releases:`` of a helmfile (inline ``values:`` maps are read; value files are not)."""
    docs, _ = load_yaml(text_, max_nodes=50_000)
    out: list[Release] = []
    for doc in docs:
        root = doc.value
        if not isinstance(root, YMap):
            continue
        releases = root.get("releases")
        for i, rel in enumerate(items(releases)[:MAX_RELEASES]):
            if not isinstance(rel, YMap):
                continue
            chart = text(rel.get("chart"))
            name = chart_name(chart.rsplit("/", 1)[-1]).lower()
            vals: dict[str, Any] = {}
            for v in items(rel.get("values")):
                if isinstance(v, dict):
                    vals.update(v)
            line = releases.item_lines[i] if isinstance(releases, YList) else rel.line
            label = text(rel.get("name")) or name
            via = f"helmfile release {label}"
            ev = CapabilityEvidence(file, line, f"helmfile/{label}", f"installed through {via} (chart {chart})")
            for n in dict.fromkeys(x for x in (name, label.lower()) if x):
                out.append(Release(n, via, ev, vals))
    return out
