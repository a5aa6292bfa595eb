"""Safe YAML/JSON loading that keeps line numbers.

PyYAML's C parser composes the node tree (fast, and libyaml caps nesting at 1000
levels); we then build plain dicts and lists ourselves so that every mapping and sequence
remembers the line of each key and item. Building the objects ourselves also lets us:

- bound alias expansion (a "billion laughs" document is rejected before it is expanded);
- keep going after a malformed document in a multi-document stream (the stream is split
  on ``---`` lines and each part is parsed on its own, so one bad document costs only
  itself);
- read keys that PyYAML's safe constructor refuses (the YAML 1.1 ``=`` "value" key);
- detect duplicate mapping keys. As in PyYAML and most YAML libraries, the **last** value
  wins; the duplicate is recorded so that a rule can flag it (``kubectl``'s strict decoder
  rejects such documents, other tools keep the first value: a reviewer may be misled).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

try:  # pragma: no cover - depends on how PyYAML was built
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_DEPTH = 256
"""Deepest nesting we build; deeper documents are rejected with a message."""
MAX_NODES = 1_000_000
"""Most nodes one document may expand to (counting alias re-use)."""


class YMap(dict[Any, Any]):
    """A mapping that remembers its own line and the line of each key (1-based)."""

    __slots__ = ("line", "key_lines")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}


class YList(list[Any]):
    """A sequence that remembers its own line and the line of each item (1-based)."""

    __slots__ = ("line", "item_lines")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []


@dataclass(slots=True)
class DuplicateKey:
    """A key given twice in one mapping; the last value wins."""

    key: str
    line: int
    """Line of the repeated (winning) key."""
    first_line: int
    """Line of the first (overridden) occurrence."""


@dataclass(slots=True)
class YamlDocument:
    """One document of a stream, with its value and where it starts."""

    value: Any
    line: int
    index: int
    duplicates: list[DuplicateKey] = field(default_factory=list)


@dataclass(slots=True)
class YamlProblem:
    """A part of a file that could not be loaded."""

    line: int
    message: str


class _TooBig(Exception):
    pass


_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_TYPED = {
    "tag:yaml.org,2002:int": _CONSTRUCTOR.construct_yaml_int,
    "tag:yaml.org,2002:float": _CONSTRUCTOR.construct_yaml_float,
    "tag:yaml.org,2002:bool": _CONSTRUCTOR.construct_yaml_bool,
}


def _scalar(node: yaml.ScalarNode) -> Any:
    tag = node.tag
    if tag == "tag:yaml.org,2002:str":
        return node.value
    if tag == "tag:yaml.org,2002:null":
        return None
    construct = _TYPED.get(tag)
    if construct is not None:
        try:
            return construct(node)
        except (ValueError, yaml.YAMLError):
            return node.value
    # timestamps, binary, the YAML 1.1 "=" value key and custom tags stay strings
    return node.value


class _Builder:
    """Turns a composed node tree into YMap/YList values, bounded in size and depth."""

    def __init__(self, line_offset: int, max_nodes: int) -> None:
        self.offset = line_offset
        self.max_nodes = max_nodes
        self.size_memo: dict[int, int] = {}
        self.duplicates: list[DuplicateKey] = []

    def expanded_size(self, node: yaml.Node, depth: int = 0) -> int:
        """Count nodes after alias expansion, without expanding (memoised per node)."""
        key = id(node)
        memo = self.size_memo.get(key)
        if memo is not None:
            return memo
        if depth > MAX_DEPTH:
            raise _TooBig(f"document nested deeper than {MAX_DEPTH} levels")
        self.size_memo[key] = 1  # guards against recursive aliases
        total = 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                total += self.expanded_size(k, depth + 1) + self.expanded_size(v, depth + 1)
                if total > self.max_nodes:
                    break
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += self.expanded_size(item, depth + 1)
                if total > self.max_nodes:
                    break
        self.size_memo[key] = total
        if total > self.max_nodes:
            raise _TooBig(
                f"document expands to more than {self.max_nodes:,} nodes "
                "(a YAML alias bomb?); it was not loaded"
            )
        return total

    def build(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node)
        line = node.start_mark.line + 1 + self.offset
        if isinstance(node, yaml.SequenceNode):
            seq = YList(line)
            for item in node.value:
                seq.append(self.build(item))
                seq.item_lines.append(item.start_mark.line + 1 + self.offset)
            return seq
        mapping = YMap(line)
        for knode, vnode in node.value:
            if knode.tag == "tag:yaml.org,2002:merge" and knode.value == "<<":
                self._merge(mapping, vnode)
                continue
            key = self.build(knode)
            if isinstance(key, (dict, list)):
                key = str(key)
            kline = knode.start_mark.line + 1 + self.offset
            if key in mapping.key_lines and key in mapping:
                self.duplicates.append(DuplicateKey(str(key), kline, mapping.key_lines[key]))
            mapping[key] = self.build(vnode)
            mapping.key_lines[key] = kline
        return mapping

    def _merge(self, mapping: YMap, vnode: yaml.Node) -> None:
        sources = vnode.value if isinstance(vnode, yaml.SequenceNode) else [vnode]
        for src in sources:
            value = self.build(src)
            if isinstance(value, YMap):
                for k, v in value.items():
                    if k not in mapping:
                        mapping[k] = v
                        mapping.key_lines[k] = value.key_lines.get(k, value.line)


def _problem_line(exc: yaml.YAMLError, offset: int) -> int:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return (mark.line + 1 + offset) if mark is not None else offset + 1


def _problem_text(exc: yaml.YAMLError) -> str:
    parts = [getattr(exc, "context", None), getattr(exc, "problem", None)]
    text = "; ".join(p for p in parts if p)
    return text or str(exc).splitlines()[0]


_DOC_SPLIT = re.compile(r"^---(?:[ \t].*)?$", re.MULTILINE)


def _parse_stream(
    text: str, offset: int, first_index: int, max_nodes: int
) -> tuple[list[YamlDocument], YamlProblem | None]:
    docs: list[YamlDocument] = []
    try:
        for node in yaml.compose_all(text, Loader=_Loader):
            if node is None:
                continue
            builder = _Builder(offset, max_nodes)
            line = node.start_mark.line + 1 + offset
            try:
                builder.expanded_size(node)
                value = builder.build(node)
            except _TooBig as exc:
                return docs, YamlProblem(line, str(exc))
            if value is None:  # an empty document (`---` followed by nothing)
                continue
            docs.append(YamlDocument(value, line, first_index + len(docs), builder.duplicates))
    except yaml.YAMLError as exc:
        return docs, YamlProblem(_problem_line(exc, offset), _problem_text(exc))
    return docs, None


def load_yaml(text: str, *, max_nodes: int = MAX_NODES) -> tuple[list[YamlDocument], list[YamlProblem]]:
    """Load every document of a YAML (or JSON) stream.

    Returns the documents that could be loaded and a problem per part that could not.
    A malformed document does not hide the well-formed documents around it.
    """
    docs, problem = _parse_stream(text, 0, 0, max_nodes)
    if problem is None:
        return docs, []
    # Re-parse document by document so that one bad document costs only itself.
    starts = [0] + [m.start() for m in _DOC_SPLIT.finditer(text) if m.start() > 0]
    if len(starts) == 1:
        return docs, [problem]
    docs, problems = [], []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        chunk = text[start:end]
        offset = text.count("\n", 0, start)
        part, prob = _parse_stream(chunk, offset, len(docs), max_nodes)
        docs.extend(part)
        if prob is not None:
            problems.append(prob)
    return docs, problems


def line_of(value: Any, path: tuple[Any, ...], default: int) -> int:
    """Line of the deepest element of ``path`` that exists under ``value``.

    Keys of a :class:`YMap` give the line of the key; indexes of a :class:`YList` give the
    line of the item. Missing steps stop the walk, so the caller gets the nearest parent.
    """
    line = getattr(value, "line", None) or default
    current = value
    for step in path:
        if isinstance(current, YMap) and step in current:
            line = current.key_lines.get(step, line)
            current = current[step]
        elif isinstance(current, YList) and isinstance(step, int) and 0 <= step < len(current):
            line = current.item_lines[step]
            current = current[step]
        else:
            break
    return line
