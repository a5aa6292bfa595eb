"""Rendered sets: Kustomize roots and Helm charts built before the scan (see :mod:`cnsmm.render`).

:func:`render_sets` takes the planned sets, builds what the tree deploys, and returns the sets
to scan: the files a successful build consumed, patches, generator inputs and chart files are
taken out of their folder's set, and each build becomes a set of its own whose objects carry
a field-level origin (source file and line) and the build's name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from cnsmm.config import Config
from cnsmm.render.helm import RELEASE_NAMESPACE
from cnsmm.scan.sets import RenderedObject, SetInput
from cnsmm.sources.interface import InputError
from cnsmm.sources.yamlload import YamlDocument, load_yaml


@dataclass
class RenderReport:
    """What rendering adds to the scan result besides sets."""

    errors: list[InputError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    builds: int = 0
    """Kustomize roots and Helm charts built (their objects are checked as built)."""


def render_sets(sets: list[SetInput], config: Config) -> tuple[list[SetInput], RenderReport]:
    """The sets to scan once the tree's Kustomize roots and Helm charts are built."""
    from cnsmm.render.session import prepare

    report = RenderReport()
    files = [f.path for s in sets for f in s.files]
    if not any(os.path.basename(p).startswith(("kustomization.", "Chart.")) or os.path.basename(p) == "Kustomization"
               for p in files):
        return sets, report
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    prepared = prepare(files, config.render, config.workers or min(cores, 4))
    report.errors.extend(prepared.errors)
    report.warnings.extend(prepared.warnings)
    report.skipped.extend(prepared.skipped)
    out: list[SetInput] = []
    for s in sets:
        kept = [f for f in s.files if f.path not in prepared.drop]
        if kept or s.rendered or s.errors:
            out.append(SetInput(s.name, kept, s.rendered, s.errors, s.skipped))
    report.builds = len(prepared.rendered)
    for rendered in prepared.rendered:
        docs, problems = load_yaml(rendered.text)
        if rendered.build.tool == "helm" and config.render.helm_namespace is None:
            _unplace(docs)
        build = f"{rendered.build.tool}:{rendered.build.label}"
        objects = [RenderedObject(doc, rendered.name, None, True, rendered.locator(), build) for doc in docs]
        errors = [InputError(rendered.build.file, None, f"{build}: rendered output line {p.line}: {p.message}",
                             p.kind) for p in problems]
        out.append(SetInput(rendered.name, rendered=objects, errors=errors))
    return out, report


def _unplace(docs: list[YamlDocument]) -> None:
    """Take the namespace ``helm template`` filled in from ``--namespace`` out of the objects.

    With no namespace chosen, a chart's objects go where ``helm install -n`` puts them, like
    manifests without a namespace; the ``default`` that ``helm template`` needs is not theirs
    (a chart that writes ``namespace: default`` itself is read the same way).
    """
    for doc in docs:
        meta = doc.value.get("metadata") if isinstance(doc.value, dict) else None
        if isinstance(meta, dict) and meta.get("namespace") == RELEASE_NAMESPACE:
            del meta["namespace"]
