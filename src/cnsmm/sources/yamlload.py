"""Safe YAML/JSON loading that keeps line numbers.

PyYAML's C parser composes the node tree (fast, and libyaml caps nesting at 1000
levels); we then build plain dicts and lists ourselves so that every mapping and sequence
remembers the line of each key and item. Building the objects ourselves also lets us:

- bound alias expansion for the whole file (a "billion laughs" document, or many documents
  each re-using anchors just under a per-document limit, are rejected before they are
  expanded);
- keep going after a malformed document in a multi-document stream (the stream is split
  on ``---`` lines and each part is parsed on its own, so one bad document costs only
  itself);
- read keys that PyYAML's safe constructor refuses (the YAML 1.1 ``=`` "value" key);
- detect duplicate mapping keys. As in PyYAML and most YAML libraries, the **last** value
  wins; the duplicate is recorded so that a rule can flag it (``kubectl``'s strict decoder
  rejects such documents, other tools keep the first value: a reviewer may be misled).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from cnsmm.vocab import InputErrorKind

try:  # pragma: no cover - depends on how PyYAML was built
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_DEPTH = 256
"""Deepest nesting we build; deeper documents are rejected with a message."""
MAX_NODES = 1_000_000
"""Most nodes one file may expand to (counting alias re-use, over all its documents), unless
the file has more characters than that: then one node per character. Without aliases a node
takes at least two characters, so no real file comes near the limit, while anchors re-used in
every document of a stream cannot multiply the work beyond it."""


class YMap(dict[Any, Any]):
    """A mapping that remembers its own line and the line of each key (1-based)."""

    __slots__ = ("key_lines", "line")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}


class YList(list[Any]):
    """A sequence that remembers its own line and the line of each item (1-based)."""

    __slots__ = ("item_lines", "line")

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
    kind: InputErrorKind = InputErrorKind.PARSE
    """``parse``, ``alias-bomb`` or ``depth`` (see :class:`~cnsmm.vocab.InputErrorKind`)."""


class _Budget:
    """Nodes a file may still expand to, shared by all its documents."""

    __slots__ = ("limit", "spent")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.spent = 0


class _TooBig(Exception):
    def __init__(self, message: str, kind: InputErrorKind) -> None:
        super().__init__(message)
        self.kind = kind


_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_TYPED = {
    "tag:yaml.org,2002:int": _CONSTRUCTOR.construct_yaml_int,
    "tag:yaml.org,2002:float": _CONSTRUCTOR.construct_yaml_float,
    "tag:yaml.org,2002:bool": _CONSTRUCTOR.construct_yaml_bool,
}
_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers
_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"


def _typed(tag: str, value: str) -> Any:
    if tag == _STR:
        return value
    if tag == _NULL:
        return None
    construct = _TYPED.get(tag)
    if construct is not None:
        try:
            return construct(yaml.ScalarNode(tag, value))
        except (ValueError, yaml.YAMLError):
            return value
    # timestamps, binary, the YAML 1.1 "=" value key and custom tags stay strings
    return value


_PLAIN_CACHE: dict[str, tuple[Any, str]] = {}
_PLAIN_CACHE_MAX = 50_000


def _resolve_plain(value: str) -> tuple[Any, str]:
    """Value and tag of a plain scalar, with YAML 1.1 implicit typing (as PyYAML's SafeLoader).

    Manifests repeat the same short scalars (``true``, ``v1``, ``Always``, ports) endlessly, so
    results for short values are cached (immutable values only: str, int, float, bool, None).
    """
    hit = _PLAIN_CACHE.get(value)
    if hit is not None:
        return hit
    result: tuple[Any, str] = (value, _STR)
    if not value:
        result = (None, _NULL)
    else:
        for tag, regexp in _IMPLICIT.get(value[0], ()):
            if regexp.match(value):
                result = (_typed(tag, value), tag)
                break
    if len(value) <= 64:
        if len(_PLAIN_CACHE) >= _PLAIN_CACHE_MAX:
            _PLAIN_CACHE.clear()
        _PLAIN_CACHE[value] = result
    return result


def _scalar(event: yaml.ScalarEvent) -> tuple[Any, str]:
    tag = event.tag
    if tag and tag != "!":
        return _typed(tag, event.value), tag
    if event.implicit[0]:
        return _resolve_plain(event.value)
    return event.value, _STR


class _Frame:
    __slots__ = ("anchor", "container", "key", "key_line", "key_tag", "size")

    def __init__(self, container: YMap | YList, anchor: str | None) -> None:
        self.container = container
        self.anchor = anchor
        self.key: Any = _NO_KEY
        self.key_line = 0
        self.key_tag = ""
        self.size = 1


_NO_KEY = object()


def _problem_line(exc: yaml.YAMLError, offset: int) -> int:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return (mark.line + 1 + offset) if mark is not None else offset + 1


def _problem_text(exc: yaml.YAMLError) -> str:
    parts = [getattr(exc, "context", None), getattr(exc, "problem", None)]
    text = "; ".join(p for p in parts if p)
    return text or str(exc).splitlines()[0]


_DOC_SPLIT = re.compile(r"^---(?:[ \t].*)?$", re.MULTILINE)


class _StreamBuilder:
    """Builds YMap/YList documents straight from libyaml parse events.

    Building from events skips PyYAML's node composition and its Python resolver call per
    scalar (about three times faster on real manifests). Aliases re-use the anchored value
    (no copy), and every document's size *as if expanded* is counted, so an alias bomb is
    refused after a bounded amount of work.
    """

    def __init__(self, offset: int, first_index: int, budget: _Budget) -> None:
        self.offset = offset
        self.first_index = first_index
        self.budget = budget
        self.docs: list[YamlDocument] = []
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.duplicates: list[DuplicateKey] = []
        self.root: Any = None
        self.root_line = 0
        self.doc_line = 0

    def run(self, text: str) -> YamlProblem | None:
        line = self.offset + 1
        try:
            event: Any
            for event in yaml.parse(text, Loader=_Loader):
                line = event.start_mark.line + 1 + self.offset
                cls = event.__class__
                if cls is yaml.ScalarEvent:
                    value, tag = _scalar(event)
                    if event.anchor:
                        self.anchors[event.anchor] = (value, 1)
                    self._add(value, line, 1, tag)
                elif cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
                    container: YMap | YList = YMap(line) if cls is yaml.MappingStartEvent else YList(line)
                    if len(self.stack) >= MAX_DEPTH:
                        raise _TooBig(f"document nested deeper than {MAX_DEPTH} levels; it was not loaded",
                                      InputErrorKind.DEPTH)
                    self.stack.append(_Frame(container, event.anchor))
                elif cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
                    frame = self.stack.pop()
                    if frame.anchor:
                        self.anchors[frame.anchor] = (frame.container, frame.size)
                    self._add(frame.container, frame.container.line, frame.size, "", counted=True)
                elif cls is yaml.AliasEvent:
                    if event.anchor not in self.anchors:
                        return YamlProblem(line, f"found undefined alias {event.anchor!r}")
                    value, size = self.anchors[event.anchor]
                    self._add(value, line, size, "")
                elif cls is yaml.DocumentStartEvent:
                    self._reset_document()
                    self.doc_line = line
                elif cls is yaml.DocumentEndEvent and self.root is not None:
                    index = self.first_index + len(self.docs)
                    self.docs.append(YamlDocument(self.root, self.root_line, index, self.duplicates))
        except yaml.YAMLError as exc:
            return YamlProblem(_problem_line(exc, self.offset), _problem_text(exc))
        except _TooBig as exc:
            return YamlProblem(self.doc_line or line, str(exc), exc.kind)
        return None

    def _reset_document(self) -> None:
        self.stack.clear()
        self.anchors = {}
        self.duplicates = []
        self.root = None

    def _add(self, value: Any, line: int, size: int, tag: str, counted: bool = False) -> None:
        if not counted:
            budget = self.budget
            budget.spent += size
            if budget.spent > budget.limit:
                raise _TooBig(
                    f"the file expands to more than {budget.limit:,} nodes with its YAML aliases "
                    "(an alias bomb?); this document and the rest of the file were not loaded",
                    InputErrorKind.ALIAS_BOMB,
                )
        if not self.stack:
            self.root, self.root_line = value, line
            return
        frame = self.stack[-1]
        frame.size += size
        container = frame.container
        if isinstance(container, YList):
            container.append(value)
            container.item_lines.append(line)
            return
        if frame.key is _NO_KEY:
            frame.key = _complex_key(value) if isinstance(value, (dict, list)) else value
            frame.key_line, frame.key_tag = line, tag
            return
        key, frame.key = frame.key, _NO_KEY
        if frame.key_tag == _MERGE and key == "<<":
            _merge(container, value)
            return
        if key in container:
            self.duplicates.append(DuplicateKey(str(key), frame.key_line, container.key_lines[key]))
        container[key] = value
        container.key_lines[key] = frame.key_line


MAX_KEY_TEXT = 256
"""Longest text kept for a mapping or sequence used as a key (YAML ``? {...}``)."""


def _complex_key(value: dict[Any, Any] | list[Any]) -> str:
    """A mapping or sequence used as a key, as text (Python cannot hash it), at most
    :data:`MAX_KEY_TEXT` characters: each level of keys-within-keys escapes the text below it
    again, so without a cap 140 bytes of nested ``{{{"\\": 1}: 1}: 1}`` grow to gigabytes.
    Longer texts keep their start and a digest of the whole, so distinct keys stay distinct."""
    text = str(value)
    if len(text) <= MAX_KEY_TEXT:
        return text
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()[:12]
    return f"{text[:MAX_KEY_TEXT - 20]}...{digest}"


def _merge(mapping: YMap, value: Any) -> None:
    for src in value if isinstance(value, YList) else [value]:
        if isinstance(src, YMap):
            for k, v in src.items():
                if k not in mapping:
                    mapping[k] = v
                    mapping.key_lines[k] = src.key_lines.get(k, src.line)


def _parse_stream(
    text: str, offset: int, first_index: int, budget: _Budget
) -> tuple[list[YamlDocument], YamlProblem | None]:
    builder = _StreamBuilder(offset, first_index, budget)
    problem = builder.run(text)
    return builder.docs, problem


def load_yaml(text: str, *, max_nodes: int | None = None) -> tuple[list[YamlDocument], list[YamlProblem]]:
    """Load every document of a YAML (or JSON) stream.

    Returns the documents that could be loaded and a problem per part that could not.
    A malformed document does not hide the well-formed documents around it. The whole file
    may expand to ``max_nodes`` nodes (default: :data:`MAX_NODES`, or one per character of a
    larger file); the document that goes over, and every one after it, are not loaded.
    """
    limit = max_nodes if max_nodes is not None else max(MAX_NODES, len(text))
    docs, problem = _parse_stream(text, 0, 0, _Budget(limit))
    if problem is None or problem.kind == InputErrorKind.ALIAS_BOMB:
        return docs, [] if problem is None else [problem]
    # Re-parse document by document so that one bad document costs only itself.
    starts = [0] + [m.start() for m in _DOC_SPLIT.finditer(text) if m.start() > 0]
    if len(starts) == 1:
        return docs, [problem]
    docs, problems = [], []
    budget = _Budget(limit)
    offset = previous = 0
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        chunk = text[start:end]
        offset += text.count("\n", previous, start)  # counted once over the file
        previous = start
        part, prob = _parse_stream(chunk, offset, len(docs), budget)
        docs.extend(part)
        if prob is not None:
            problems.append(prob)
            if prob.kind == InputErrorKind.ALIAS_BOMB:
                break
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
