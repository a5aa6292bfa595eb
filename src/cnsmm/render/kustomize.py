"""Kustomizations: which files each one reads, which ones are roots, and how to build them.

A kustomization names files in many fields: ``resources`` and ``bases`` (objects, or other
kustomizations), ``components``, patches (``patches``, ``patchesStrategicMerge``,
``patchesJson6902``), generator inputs (``configMapGenerator`` / ``secretGenerator``
``files``, ``envs``, ``env``) and configuration (``configurations``, ``crds``, ``openapi``,
``replacements``, ``transformers``, ``generators``, ``validators``). A *root* is a
kustomization that no other kustomization of the scanned tree uses as a resource or
component: the thing that gets deployed. Only roots are built.

Parsing here reads nothing but the kustomization files themselves; building runs the real
tool (see :mod:`cnsmm.render.runner`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from cnsmm.sources.yamlload import YList, YMap, load_yaml

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
"""File names kustomize looks for in a folder, in its order."""

MAX_DEPTH = 64
"""Deepest chain of kustomizations followed (bases of bases...)."""

_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/|gitlab\.com/|bitbucket\.org/)|\?ref=|\.git(?:$|/|\?)",
                     re.IGNORECASE)


class Role(str, Enum):
    """What a file is to the kustomization that names it."""

    RESOURCE = "resource"
    """A file of objects (deployed after the kustomization's transformations)."""
    PATCH = "patch"
    """A strategic-merge or JSON 6902 patch: part of an object at most, never one to check."""
    INPUT = "input"
    """A generator input or a configuration file of kustomize itself."""


@dataclass
class Kustomization:
    """One parsed kustomization file."""

    file: str
    """Path of the kustomization file."""
    folder: str
    kind: str = "Kustomization"
    """``Kustomization`` or ``Component``."""
    children: list[str] = field(default_factory=list)
    """Folders of the kustomizations and components this one uses."""
    files: dict[str, Role] = field(default_factory=dict)
    """Local files it names, with their role."""
    remote: list[str] = field(default_factory=list)
    """Remote resources (URLs, git references) it names."""
    lines: dict[str, int] = field(default_factory=dict)
    """Line of each top-level field and of each named generator (``configMapGenerator:NAME``)."""
    problem: str | None = None
    """Why the file could not be read, when it could not."""


def find_kustomization(folder: str) -> str | None:
    """The kustomization file of ``folder``, or None."""
    for name in KUSTOMIZATION_NAMES:
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return os.path.normpath(path)
    return None


def is_kustomization_file(path: str) -> bool:
    """True for a file named like a kustomization."""
    return os.path.basename(path) in KUSTOMIZATION_NAMES


def is_remote(ref: str) -> bool:
    """True for a resource that kustomize fetches over the network."""
    return bool(_REMOTE.search(ref))


def parse(file: str, text: str) -> Kustomization:
    """What the kustomization at ``file`` (content ``text``) names. Never raises on bad input."""
    folder = os.path.dirname(file) or "."
    k = Kustomization(os.path.normpath(file), folder)
    docs, problems = load_yaml(text)
    if problems:
        k.problem = f"line {problems[0].line}: {problems[0].message}"
    data = docs[0].value if docs else None
    if not isinstance(data, YMap):
        if data is not None and k.problem is None:
            k.problem = "not a mapping"
        return k
    k.kind = str(data.get("kind") or "Kustomization")
    k.lines = {str(key): line for key, line in data.key_lines.items()}

    def local(ref: Any) -> str | None:
        if not isinstance(ref, str) or not ref.strip() or "\n" in ref:
            return None
        if is_remote(ref):
            k.remote.append(ref)
            return None
        return os.path.normpath(os.path.join(folder, ref.strip()))

    def add_file(ref: Any, role: Role) -> None:
        path = local(ref)
        if path is not None:
            k.files.setdefault(path, role)

    for key in ("resources", "bases", "components", "transformers", "generators", "validators"):
        for ref in _strings(data.get(key)):
            path = local(ref)
            if path is None:
                continue
            if os.path.isdir(path):
                k.children.append(path)
            else:
                k.files.setdefault(path, Role.RESOURCE if key in ("resources", "bases") else Role.INPUT)
    for ref in _strings(data.get("patchesStrategicMerge")):
        # an entry is a file name or an inline patch; inline patches span several lines
        add_file(ref, Role.PATCH)
    for key in ("patches", "patchesJson6902"):
        for item in _mappings(data.get(key)):
            add_file(item.get("path"), Role.PATCH)
    for key in ("configMapGenerator", "secretGenerator"):
        for item in _mappings(data.get(key)):
            name = item.get("name")
            if isinstance(name, str):
                k.lines[f"{key}:{name}"] = item.line
            for ref in _strings(item.get("files")):
                add_file(ref.split("=", 1)[1] if "=" in ref else ref, Role.INPUT)
            for ref in (*_strings(item.get("envs")), *_strings([item.get("env")])):
                add_file(ref, Role.INPUT)
    for key in ("configurations", "crds"):
        for ref in _strings(data.get(key)):
            add_file(ref, Role.INPUT)
    openapi = data.get("openapi")
    if isinstance(openapi, YMap):
        add_file(openapi.get("path"), Role.INPUT)
    for item in _mappings(data.get("replacements")):
        add_file(item.get("path"), Role.INPUT)
    helm = data.get("helmGlobals")
    if isinstance(helm, YMap) and isinstance(helm.get("chartHome"), str):
        k.children.append(os.path.normpath(os.path.join(folder, helm["chartHome"])))
    return k


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                yield item


def _mappings(value: Any) -> Iterator[YMap]:
    if isinstance(value, YList):
        for item in value:
            if isinstance(item, YMap):
                yield item


class Tree:
    """The kustomizations of a scanned tree and the ones they use from outside it."""

    def __init__(self, read: Any) -> None:
        self._read = read
        """``read(path) -> str | None``: the text of a kustomization file (None when unreadable)."""
        self.by_folder: dict[str, Kustomization | None] = {}

    def load(self, folder: str) -> Kustomization | None:
        """The kustomization of ``folder`` (parsed once), or None when it has none."""
        folder = os.path.normpath(folder)
        if folder not in self.by_folder:
            file = find_kustomization(folder)
            text = self._read(file) if file else None
            self.by_folder[folder] = parse(file, text) if file and text is not None else None
            if file and text is None:
                self.by_folder[folder] = Kustomization(file, folder, problem="cannot read the file")
        return self.by_folder[folder]

    def roots(self, folders: Iterable[str]) -> list[Kustomization]:
        """The kustomizations among ``folders`` that no other one of them uses."""
        found = [k for k in (self.load(f) for f in folders) if k is not None]
        used: set[str] = set()
        for k in found:
            used.update(k.children)
        return sorted(
            (k for k in found if k.folder not in used and k.kind != "Component"), key=lambda k: k.file
        )

    def closure(self, root: Kustomization) -> list[Kustomization]:
        """``root`` and every kustomization it uses, directly or not (each once)."""
        out: list[Kustomization] = []
        seen: set[str] = set()
        stack: list[tuple[Kustomization, int]] = [(root, 0)]
        while stack:
            k, depth = stack.pop()
            if k.folder in seen:
                continue
            seen.add(k.folder)
            out.append(k)
            if depth >= MAX_DEPTH:
                continue
            for child in k.children:
                sub = self.load(child)
                if sub is not None:
                    stack.append((sub, depth + 1))
        return out


def build_inputs(closure: list[Kustomization]) -> list[str]:
    """Every file a build of this closure can read: the kustomization files, the files they
    name, and the other files of their folders (a conservative set, used as cache key)."""
    files: set[str] = set()
    folders: set[str] = set()
    for k in closure:
        files.add(k.file)
        folders.add(k.folder)
        for path in k.files:
            files.add(path)
            folders.add(os.path.dirname(path) or ".")
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.is_file():
                files.add(os.path.normpath(entry.path))
    return sorted(files)


WRAPPER = """\
# written by cnsmm to build {root} with each object's origin recorded
resources:
  - {path}
buildMetadata: [originAnnotations]
"""
"""A kustomization around a root that asks kustomize to annotate each object's origin."""


def wrapper_text(root_folder: str, wrapper_folder: str) -> str:
    """The wrapper kustomization for ``root_folder`` written into ``wrapper_folder``.

    kustomize refuses absolute paths to kustomizations, so the root is named relative to the
    wrapper's own folder.
    """
    rel = os.path.relpath(os.path.abspath(root_folder), os.path.abspath(wrapper_folder))
    return WRAPPER.format(root=root_folder, path=rel.replace(os.sep, "/"))
