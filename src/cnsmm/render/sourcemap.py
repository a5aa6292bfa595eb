"""From a line of rendered output back to the file and line it came from.

- Kustomize: the build runs with ``buildMetadata: [originAnnotations]``, so every object
  carries ``config.kubernetes.io/origin`` (its resource file, or the kustomization and
  generator that made it). The annotation is taken out of the output before the objects are
  checked. The offending field is then looked up in the origin file's object (lists of named
  items are matched by ``name``, as strategic merge does); a field that is not there but is in
  one of the build's patch files is located in that patch; a field that is nowhere (a missing
  setting) is located at its nearest parent in the origin file.
- Helm: every document follows a ``# Source: CHART/templates/FILE`` comment. Templates are
  not YAML, so the field's keys are searched for in order in the template text, from the
  ``kind:`` line on; the line of the deepest key found is used (best effort), else the
  ``kind:`` line.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from cnsmm.sources.yamlload import YList, YMap, load_yaml

Path = tuple[Any, ...]

ORIGIN = "config.kubernetes.io/origin"
TRANSFORMATIONS = "alpha.config.kubernetes.io/transformations"
_BLOCK = re.compile(r"^(\s*)(config\.kubernetes\.io/origin|alpha\.config\.kubernetes\.io/transformations):\s*[|>]")
_ANNOTATIONS = re.compile(r"^(\s*)annotations:\s*$")
_SOURCE = re.compile(r"^# Source: (.+?)\s*$")
_KEY_SEARCH_LIMIT = 4000
"""Lines of a template searched for one key."""


@dataclass
class Document:
    """One document of the rendered output."""

    start: int
    """First line (1-based) in the text that is checked."""
    origin: dict[str, Any] = field(default_factory=dict)
    """Kustomize origin annotation, parsed."""
    source: str | None = None
    """Helm: path after ``# Source:`` (``CHART/templates/x.yaml``)."""


def split_kustomize(text: str) -> tuple[str, list[Document]]:
    """Kustomize output without its origin annotations, and where each document starts."""
    out: list[str] = []
    docs = [Document(1)]
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.rstrip() == "---":
            out.append(line)
            docs.append(Document(len(out) + 1))
            i += 1
            continue
        match = _BLOCK.match(line)
        if not match:
            out.append(line)
            i += 1
            continue
        indent = len(match.group(1))
        j = i + 1
        block: list[str] = []
        while j < len(lines) and (not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > indent):
            block.append(lines[j])
            j += 1
        if match.group(2) == ORIGIN:
            try:
                value = yaml.safe_load("\n".join(block))
            except yaml.YAMLError:
                value = None
            if isinstance(value, dict):
                docs[-1].origin = value
        i = j
        # an `annotations:` left with nothing under it goes too
        parent = _ANNOTATIONS.match(out[-1]) if out else None
        nxt = lines[i] if i < len(lines) else ""
        if parent and (nxt.rstrip() == "---" or len(nxt) - len(nxt.lstrip()) <= len(parent.group(1))):
            out.pop()
    return "\n".join(out) + "\n", docs


def split_helm(text: str) -> list[Document]:
    """Where each document of ``helm template`` output starts and which template made it."""
    docs = [Document(1)]
    for n, line in enumerate(text.splitlines(), start=1):
        if line.rstrip() == "---" or line.startswith("--- "):
            docs.append(Document(n + 1))
            continue
        match = _SOURCE.match(line)
        if match and docs[-1].source is None:
            docs[-1].source = match.group(1)
    return docs


def path_index(doc: Any) -> dict[int, Path]:
    """Line -> path of the shallowest field on that line, for one loaded document."""
    index: dict[int, Path] = {}
    stack: list[tuple[Any, Path]] = [(doc, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, YMap):
            for key, child in value.items():
                line = value.key_lines.get(key)
                sub = (*path, key)
                if line is not None and (line not in index or len(index[line]) > len(sub)):
                    index[line] = sub
                stack.append((child, sub))
        elif isinstance(value, YList):
            for i, child in enumerate(value):
                line = value.item_lines[i] if i < len(value.item_lines) else None
                sub = (*path, i)
                if line is not None and (line not in index or len(index[line]) > len(sub)):
                    index[line] = sub
                stack.append((child, sub))
    return index


def follow(built: Any, other: Any, path: Path) -> tuple[int, int | None]:
    """How deep ``path`` (a path in the built object) goes in ``other``, and the line there.

    List items are matched by ``name`` when the built item has one (strategic merge order
    need not be the same), else by position.
    """
    depth, line = 0, getattr(other, "line", None)
    b, o = built, other
    for step in path:
        if isinstance(step, int):
            if not isinstance(b, list) or not isinstance(o, YList) or not 0 <= step < len(b):
                break
            item = b[step]
            index: int | None = step
            if isinstance(item, dict) and "name" in item:
                wanted = item["name"]
                index = next((i for i, x in enumerate(o) if isinstance(x, dict) and x.get("name") == wanted), None)
            if index is None or index >= len(o):
                break
            line, b, o = o.item_lines[index], item, o[index]
        else:
            if not isinstance(o, YMap) or step not in o:
                break
            line, o = o.key_lines.get(step, line), o[step]
            b = b.get(step) if isinstance(b, dict) else None
        depth += 1
    return depth, line


_ANY_KEY = re.compile(r"^\s*(?:-\s+)?[\"']?(.*?)[\"']?\s*:")
_KIND_LINE = re.compile(r"^\s*kind:\s*[\"']?(.*?)[\"']?\s*(?:#.*)?$")


class TemplateIndex:
    """The lines of one Helm template by the key they start with, read once per template, so
    that locating a finding costs a binary search per key of its path, not a pass over the
    template (a template of n objects with n findings cost n x its length)."""

    def __init__(self, template: str) -> None:
        self.count = 0
        self.keys: dict[str, list[int]] = {}
        self.kinds: dict[str, int] = {}
        for n, line in enumerate(template.splitlines()):
            self.count = n + 1
            key = _ANY_KEY.match(line)
            if key is not None:
                self.keys.setdefault(key.group(1), []).append(n)
            kind = _KIND_LINE.match(line)
            if kind is not None:
                self.kinds.setdefault(kind.group(1), n)

    def line(self, kind: str, path: Path) -> int:
        """Best-effort line of the field at ``path`` (see module docstring)."""
        found = self.kinds.get(kind, -1)
        for step in path:
            if isinstance(step, int):
                continue
            hits = self.keys.get(str(step), [])
            at = bisect.bisect_right(hits, found)
            end = min(self.count, found + 1 + _KEY_SEARCH_LIMIT)
            if at == len(hits) or hits[at] >= end:
                break
            found = hits[at]
        return found + 1 if found >= 0 else 1


def template_line(template: str, kind: str, path: Path) -> int:
    """Best-effort line of the field at ``path`` in a Helm template (see module docstring);
    build a :class:`TemplateIndex` once to locate many fields of one template."""
    return TemplateIndex(template).line(kind, path)


@dataclass
class SourceObject:
    """An object as written in a source file (origin resource or patch)."""

    file: str
    doc: YMap


class FileCache:
    """Source files loaded once per build (a missing or bad file loads as nothing)."""

    def __init__(self, read: Callable[[str], str | None]) -> None:
        self._read = read
        self._docs: dict[str, list[Any]] = {}
        self._text: dict[str, str | None] = {}

    def text(self, path: str) -> str | None:
        """The text of ``path``, or None."""
        if path not in self._text:
            self._text[path] = self._read(path)
        return self._text[path]

    def docs(self, path: str) -> list[Any]:
        """The loaded documents of ``path``."""
        if path not in self._docs:
            text = self.text(path)
            loaded = load_yaml(text)[0] if text is not None else []
            self._docs[path] = [d.value for d in loaded]
        return self._docs[path]


def matching_object(docs: list[Any], kind: str, name: str) -> YMap | None:
    """The document of ``kind`` whose name is ``name`` or the longest part of it (prefixes and
    suffixes are added by builds); the only one of that kind when none matches by name."""
    same_kind = [d for d in docs if isinstance(d, YMap) and d.get("kind") == kind]
    best: YMap | None = None
    best_len = -1
    for d in same_kind:
        meta = d.get("metadata")
        own = str(meta.get("name") or "") if isinstance(meta, dict) else ""
        if own and own in name and len(own) > best_len:
            best, best_len = d, len(own)
    if best is None and len(same_kind) == 1:
        best = same_kind[0]
    return best


def display_path(path: str, relative: bool) -> str:
    """``path`` as shown to the user: relative to the current folder when the scan's input was."""
    path = os.path.normpath(path)
    if relative and os.path.isabs(path):
        path = os.path.relpath(path)
    return path


def docs_at(docs: list[Document]) -> Callable[[int], int]:
    """A function from a line to the index of the document holding it."""
    starts = [d.start for d in docs]

    def find(line: int) -> int:
        return max(0, bisect.bisect_right(starts, line) - 1)

    return find
