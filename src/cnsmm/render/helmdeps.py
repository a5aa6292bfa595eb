"""Chart dependencies missing from ``charts/``: which of them the values disable, and a copy of
the chart that renders without those.

``helm template`` refuses a chart when any dependency listed in Chart.yaml is not in its
``charts/`` folder, even one that the values switch off (charts fetch their subcharts at
packaging time, so repositories and copies often lack them). A dependency that the values
disable renders nothing, so rendering the chart without it gives exactly what helm gives with
it. cnsmm does that, says so, and still reports a chart whose missing dependency is enabled.

Whether a dependency is enabled follows helm: its ``tags`` first (enabled when any of its tags
is true under ``tags:``, disabled when all that are set are false), then its ``condition`` (the
first of its comma-separated value paths that holds a boolean decides); enabled by default.
The values are the chart's ``values.yaml`` overlaid by the values files of the build.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from typing import Any

import yaml


@dataclass(frozen=True, slots=True)
class Dependency:
    """One entry of Chart.yaml ``dependencies``."""

    name: str
    condition: str = ""
    tags: tuple[str, ...] = ()

    def enabled(self, values: dict[str, Any]) -> tuple[bool, str]:
        """Whether the values enable it, and the setting that decided (empty: the default)."""
        state, why = True, ""
        tags = values.get("tags") if isinstance(values.get("tags"), dict) else {}
        assert isinstance(tags, dict)
        seen = [tags[t] for t in self.tags if isinstance(tags.get(t), bool)]
        if seen:
            state, why = any(seen), "tags." + "/".join(self.tags)
        for path in (p.strip() for p in self.condition.split(",") if p.strip()):
            found = _lookup(values, path)
            if isinstance(found, bool):
                return found, f"{path}={str(found).lower()}"
        return state, why


def _lookup(values: dict[str, Any], path: str) -> Any:
    node: Any = values
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _load(path: str) -> Any:
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return yaml.safe_load(handle)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def values_of(chart: str, files: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """The chart's values.yaml overlaid by ``files`` in order (unreadable files count as empty)."""
    merged: dict[str, Any] = {}
    for path in (os.path.join(chart, "values.yaml"), *files):
        data = _load(path)
        if isinstance(data, dict):
            merged = _merge(merged, data)
    return merged


def _present(chart: str) -> set[str]:
    """Names of the subcharts in ``charts/`` (folders with Chart.yaml, and packaged .tgz files)."""
    names: set[str] = set()
    folder = os.path.join(chart, "charts")
    try:
        entries = sorted(os.listdir(folder))
    except OSError:
        return names
    for entry in entries:
        path = os.path.join(folder, entry)
        data = _load(os.path.join(path, "Chart.yaml")) if os.path.isdir(path) else None
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            names.add(data["name"])
        elif entry.endswith(".tgz") and tarfile.is_tarfile(path):
            names.add(entry[:-4].rsplit("-", 1)[0])
    return names


def missing(chart: str) -> list[Dependency]:
    """Dependencies of Chart.yaml that are not in ``charts/``."""
    data = _load(os.path.join(chart, "Chart.yaml"))
    deps = data.get("dependencies") if isinstance(data, dict) else None
    if not isinstance(deps, list):
        return []
    present = _present(chart)
    out = []
    for d in deps:
        if not isinstance(d, dict) or not isinstance(d.get("name"), str) or d["name"] in present:
            continue
        raw_tags = d.get("tags")
        tags = tuple(str(t) for t in raw_tags if isinstance(t, str)) if isinstance(raw_tags, list) else ()
        condition = d.get("condition")
        out.append(Dependency(d["name"], condition if isinstance(condition, str) else "", tags))
    return out


def copy_without(chart: str, drop: list[Dependency]) -> str:
    """A temporary copy of ``chart`` (same folder name) whose Chart.yaml leaves out ``drop``.

    Returns the copy's folder; the caller removes its parent when done.
    """
    parent = tempfile.mkdtemp(prefix="cnsmm-helm-")
    copy = os.path.join(parent, os.path.basename(os.path.abspath(chart)))
    shutil.copytree(chart, copy, symlinks=True)
    data = _load(os.path.join(copy, "Chart.yaml"))
    names = {d.name for d in drop}
    if isinstance(data, dict) and isinstance(data.get("dependencies"), list):
        data["dependencies"] = [d for d in data["dependencies"] if not (isinstance(d, dict) and d.get("name") in names)]
        with open(os.path.join(copy, "Chart.yaml"), "w", encoding="utf-8") as handle:
            yaml.safe_dump(data, handle, sort_keys=False, allow_unicode=True)
    lock = os.path.join(copy, "Chart.lock")
    if os.path.exists(lock):
        os.remove(lock)
    return copy
