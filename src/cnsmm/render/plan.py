"""What to build in a scanned tree, and what each file is to the builds.

From the list of files a scan found, the plan names the kustomization roots and Helm charts
to build, the files each build consumes (not checked on their own when the build succeeds),
and the files that are never objects (patches, generator inputs, chart files).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cnsmm.render import helm, kustomize
from cnsmm.render.kustomize import Role


@dataclass(frozen=True, slots=True)
class Build:
    """One build: a kustomization root, or a chart with one set of values."""

    tool: str
    """``kustomize`` or ``helm``."""
    root: str
    """The root's or chart's folder."""
    file: str
    """Its kustomization file or Chart.yaml."""
    values: tuple[str, ...] = ()
    """Helm values files, in order."""
    variant: str | None = None
    """Helm: the chart's own test values file this build adds (``ci/x-values.yaml``)."""
    inputs: tuple[str, ...] = ()
    """Files the build can read (its cache key)."""
    patches: tuple[str, ...] = ()
    """Kustomize: patch files of the build (where a patched field is located)."""
    chart_name: str = ""
    """Helm: the chart's name."""

    @property
    def label(self) -> str:
        """How findings and messages name the build: ``overlays/prod``, ``charts/web (ci/x.yaml)``."""
        return f"{self.root} ({self.variant})" if self.variant else self.root


@dataclass
class Plan:
    """The builds of a tree and the role of its files."""

    builds: list[Build] = field(default_factory=list)
    consumed: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    """Resource file -> labels of the builds that read it."""
    not_objects: dict[str, str] = field(default_factory=dict)
    """File -> why it is never checked as an object (patch, generator input, chart file)."""
    chart_files: dict[str, str] = field(default_factory=dict)
    """File -> the chart folder it belongs to."""
    unbuildable: list[tuple[str, str]] = field(default_factory=list)
    """(root, why) for roots and charts that cannot be built at all."""


@dataclass(frozen=True, slots=True)
class HelmOptions:
    """How charts are rendered."""

    release: str = "release"
    namespace: str = "default"
    values: tuple[str, ...] = ()
    ci_values: bool = False


def make_plan(
    files: Sequence[str], read: Callable[[str], str | None], helm_options: HelmOptions | None = None
) -> Plan:
    """The plan for the scanned ``files`` (paths as discovered)."""
    helm_options = helm_options or HelmOptions()
    plan = Plan()
    _plan_charts(files, read, helm_options, plan)
    _plan_kustomize(files, read, plan)
    return plan


def _plan_charts(files: Sequence[str], read: Callable[[str], str | None], options: HelmOptions, plan: Plan) -> None:
    folders = [os.path.dirname(f) or "." for f in files if os.path.basename(f) == "Chart.yaml"]
    roots = helm.chart_roots(folders)
    if not roots:
        return
    for f in files:
        norm = os.path.normpath(f)
        for root in roots:
            if norm.startswith(root + os.sep):
                plan.chart_files[norm] = root
                plan.not_objects[norm] = f"part of Helm chart {root}"
                break
    for root in roots:
        chart = helm.read_chart(root, read(os.path.join(root, "Chart.yaml")))
        if chart.problem:
            plan.unbuildable.append((root, chart.problem))
            continue
        if chart.library:
            plan.unbuildable.append((root, "library chart (nothing to render on its own)"))
            continue
        inputs = tuple(helm.chart_inputs(root)) + tuple(os.path.abspath(v) for v in options.values)
        plan.builds.append(Build("helm", root, chart.file, options.values, None, inputs, chart_name=chart.name))
        if options.ci_values:
            for extra in helm.ci_values(root):
                rel = os.path.relpath(extra, root)
                plan.builds.append(
                    Build("helm", root, chart.file, (*options.values, extra), rel, inputs, chart_name=chart.name)
                )


def _plan_kustomize(files: Sequence[str], read: Callable[[str], str | None], plan: Plan) -> None:
    folders = sorted({os.path.dirname(os.path.normpath(f)) or "." for f in files})
    folders = [f for f in folders if f not in plan.chart_files.values() and not _in_chart(f, plan)]
    tree = kustomize.Tree(read)
    roots = tree.roots(f for f in folders if kustomize.find_kustomization(f))
    for k in list(tree.by_folder.values()):
        if k is not None:
            _mark_not_objects(k, plan)
    for root in roots:
        if root.problem:
            plan.unbuildable.append((root.folder, f"{root.file}: {root.problem}"))
            continue
        closure = tree.closure(root)
        patches: list[str] = []
        for k in closure:
            _mark_not_objects(k, plan)
            for path, role in k.files.items():
                if role is Role.RESOURCE:
                    plan.consumed[path].append(root.folder)
                elif role is Role.PATCH:
                    patches.append(path)
        inputs = tuple(kustomize.build_inputs(closure))
        plan.builds.append(Build("kustomize", root.folder, root.file, inputs=inputs, patches=tuple(patches)))


def _in_chart(folder: str, plan: Plan) -> bool:
    return any(folder == c or folder.startswith(c + os.sep) for c in set(plan.chart_files.values()))


def _mark_not_objects(k: kustomize.Kustomization, plan: Plan) -> None:
    for path, role in k.files.items():
        if role is Role.PATCH:
            plan.not_objects.setdefault(path, f"kustomize patch named in {k.file} (part of an object, not one)")
        elif role is Role.INPUT:
            plan.not_objects.setdefault(path, f"kustomize input named in {k.file} (generator or configuration)")
