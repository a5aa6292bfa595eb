"""Helm charts: which folders are charts, what a render reads, and the ``helm template`` call.

A folder holding ``Chart.yaml`` is a chart. Charts inside another chart of the scanned tree
(its ``charts/`` subcharts) are rendered with their parent, not on their own. Every file
below a chart belongs to it and is never checked as a manifest of its own: templates are
not YAML until rendered, and ``values.yaml`` is not an object.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cnsmm.sources.yamlload import YMap, load_yaml

RELEASE_NAMESPACE = "default"
"""Namespace given to ``helm template`` when none is chosen (``helm install`` picks it later)."""

MAX_CHART_FILES = 20_000
"""Most files of one chart read for its cache key."""


@dataclass(frozen=True, slots=True)
class Chart:
    """One chart of the scanned tree."""

    folder: str
    name: str
    """``name`` from Chart.yaml (the first part of each ``# Source:`` path)."""
    library: bool = False
    """``type: library``: has nothing to render."""
    problem: str | None = None
    """Why Chart.yaml could not be read, when it could not."""

    @property
    def file(self) -> str:
        """Path of the chart's Chart.yaml."""
        return os.path.join(self.folder, "Chart.yaml")


def read_chart(folder: str, text: str | None) -> Chart:
    """The chart of ``folder`` from its Chart.yaml text."""
    name = os.path.basename(os.path.abspath(folder))
    if text is None:
        return Chart(folder, name, problem="cannot read Chart.yaml")
    docs, problems = load_yaml(text)
    data = docs[0].value if docs else None
    if problems or not isinstance(data, YMap):
        why = problems[0].message if problems else "not a mapping"
        return Chart(folder, name, problem=f"invalid Chart.yaml ({why})")
    return Chart(folder, str(data.get("name") or name), library=data.get("type") == "library")


def chart_roots(chart_folders: Iterable[str]) -> list[str]:
    """Chart folders not inside another one (subcharts render with their parent)."""
    folders = sorted({os.path.normpath(f) for f in chart_folders})
    roots: list[str] = []
    for folder in folders:
        if not any(folder.startswith(root + os.sep) for root in roots):
            roots.append(folder)
    return roots


def ci_values(folder: str) -> list[str]:
    """The chart's own test values files (``ci/*-values.yaml``), sorted."""
    return sorted(glob.glob(os.path.join(glob.escape(folder), "ci", "*-values.yaml")))


def chart_inputs(folder: str) -> list[str]:
    """Every file below the chart (its templates, values, subcharts...), for the cache key."""
    files: list[str] = []
    for base, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            files.append(os.path.join(base, name))
            if len(files) >= MAX_CHART_FILES:
                return files
    return files


def template_args(folder: str, release: str, namespace: str, values: Sequence[str]) -> list[str]:
    """Arguments after ``helm template``: release, chart, namespace, CRDs, values files."""
    args = [release, folder, "--namespace", namespace, "--include-crds"]
    for v in values:
        args += ["--values", v]
    return args


def template_file(chart: Chart, source: str | None) -> str:
    """The file that a ``# Source:`` path names (``CHART/templates/x.yaml``), else Chart.yaml."""
    if source:
        rest = source.split("/", 1)[1] if "/" in source else source
        path = os.path.normpath(os.path.join(chart.folder, rest))
        if os.path.isfile(path):
            return path
    return os.path.normpath(chart.file)
