"""Load and validate the CNMM-TAS model file; every problem is a ModelError with file:line."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

from cnsmm.errors import ModelError
from cnsmm.model.types import (
    LEVELS,
    PIPELINE_CATEGORIES,
    PIPELINE_STRENGTHS,
    REPORT_KINDS,
    REPORT_STRENGTHS,
    Domain,
    Model,
    Practice,
    Requirement,
    SubItem,
    Text,
)
from cnsmm.sources.yamlload import YMap, load_yaml

_HINT = "Fix the model file; `cnsmm model` validates it"
_MAX_BYTES = 5_000_000
_cache: dict[str, Model] = {}


_REQUIREMENT_KEYS = frozenset({"id", "level", "zh", "en", "practices", "reports", "pipeline"})


def default_model_path() -> str:
    """Path of the model file shipped inside the package."""
    return str(resources.files("cnsmm.model").joinpath("cnmm-tas.yaml"))


def load_model(path: str | None = None) -> Model:
    """Load the model at ``path`` (the packaged model by default) and validate it.

    Raises :class:`~cnsmm.errors.ModelError` with file, line, id and the problem.
    The packaged model is cached after the first load.
    """
    key = path or default_model_path()
    if path is None and key in _cache:
        return _cache[key]
    try:
        raw = Path(key).read_bytes()
    except OSError as exc:
        raise ModelError(f"{key}: cannot read the model file ({exc.strerror})", hint=_HINT) from None
    if len(raw) > _MAX_BYTES:
        raise ModelError(f"{key}: model file is {len(raw)} bytes (expected at most {_MAX_BYTES})", hint=_HINT)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelError(f"{key}: not UTF-8 text (byte {exc.start})", hint=_HINT) from None
    model = parse_model(text, key)
    if path is None:
        _cache[key] = model
    return model


def parse_model(text: str, source: str) -> Model:
    """Parse and validate model YAML ``text``; ``source`` names it in messages."""
    docs, problems = load_yaml(text)
    if problems:
        raise ModelError(f"{source}:{problems[0].line}: invalid YAML: {problems[0].message}", hint=_HINT)
    if len(docs) != 1 or not isinstance(docs[0].value, YMap):
        raise ModelError(f"{source}:1: expected one YAML mapping with version and domains", hint=_HINT)
    for dup in docs[0].duplicates:
        raise ModelError(
            f"{source}:{dup.line}: key {dup.key!r} given twice (first at line {dup.first_line})", hint=_HINT
        )
    return _Parser(source).model(docs[0].value)


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.seen: dict[str, int] = {}

    def fail(self, node: Any, what: str, key: Any = None) -> ModelError:
        line = getattr(node, "line", 0)
        if key is not None and isinstance(node, YMap):
            line = node.key_lines.get(key, line)
        return ModelError(f"{self.source}:{line}: {what}", hint=_HINT)

    def field(self, node: YMap, key: str, kind: type, where: str) -> Any:
        if key not in node:
            raise self.fail(node, f"{where}: missing `{key}`")
        value = node[key]
        if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
            got = type(value).__name__ if not isinstance(value, str) else "an empty string"
            raise self.fail(node, f"{where}: `{key}` must be a non-empty {kind.__name__} (got {got})", key)
        return value

    def mapping_list(self, node: YMap, key: str, where: str) -> list[YMap]:
        items = self.field(node, key, list, where)
        for i, item in enumerate(items):
            if not isinstance(item, YMap):
                raise self.fail(node, f"{where}: item {i + 1} of `{key}` must be a mapping", key)
        if not items:
            raise self.fail(node, f"{where}: `{key}` is empty", key)
        return list(items)

    def claim(self, node: YMap, ident: str, pattern: str, where: str) -> str:
        if not re.fullmatch(pattern, ident):
            raise self.fail(node, f"{where}: id {ident!r} does not match {pattern}", "id")
        if ident in self.seen:
            raise self.fail(node, f"{where}: id {ident!r} used twice (first at line {self.seen[ident]})", "id")
        self.seen[ident] = node.key_lines.get("id", node.line)
        return ident

    def text(self, node: YMap, where: str) -> Text:
        return Text(self.field(node, "zh", str, where), self.field(node, "en", str, where))

    def model(self, root: YMap) -> Model:
        version = root.get("version")
        if not isinstance(version, str) or not version.strip():
            raise self.fail(root, f"model: `version` must be a non-empty string (got {version!r})", "version")
        name = root.get("name")
        title = self.text(name, "model name") if isinstance(name, YMap) else Text("CNMM-TAS", "CNMM-TAS")
        domains = tuple(self.domain(d) for d in self.mapping_list(root, "domains", "model"))
        return Model(version=version, name=title, domains=domains, source=self.source)

    def domain(self, node: YMap) -> Domain:
        ident = self.claim(node, self.field(node, "id", str, "domain"), r"[A-Z]{2,5}", "domain")
        where = f"domain {ident}"
        subs = tuple(self.sub_item(s, ident) for s in self.mapping_list(node, "sub_items", where))
        return Domain(ident, self.text(node, where), str(node.get("desc_zh", "")), subs)

    def sub_item(self, node: YMap, domain: str) -> SubItem:
        raw = self.field(node, "id", str, f"sub-item of {domain}")
        ident = self.claim(node, raw, re.escape(domain) + r"\.[A-Z]{2,5}", "sub-item")
        where = f"sub-item {ident}"
        practices = tuple(
            Practice(
                self.claim(p, self.field(p, "id", str, where), re.escape(ident) + r"\.[A-Z]{2,5}", where),
                ident,
                domain,
                self.text(p, f"practice {p.get('id')}"),
                str(p.get("desc_zh", "")),
            )
            for p in self.mapping_list(node, "practices", where)
        )
        known = {p.id for p in practices}
        reqs = tuple(self.requirement(r, ident, domain, known) for r in self.mapping_list(node, "requirements", where))
        for level in LEVELS:
            numbers = [int(r.id.rsplit(".", 1)[1]) for r in reqs if r.level == level]
            if numbers != list(range(1, len(numbers) + 1)):
                raise self.fail(
                    node,
                    f"{where}: L{level} requirements are numbered {numbers} (expected 1..{len(numbers)} in order)",
                    "requirements",
                )
        for p in practices:
            if not any(p.id in r.practices for r in reqs):
                raise self.fail(
                    node,
                    f"practice {p.id}: no requirement is mapped to it (expected at least one)",
                    "practices",
                )
        return SubItem(ident, domain, self.text(node, where), practices, reqs)

    def requirement(self, node: YMap, sub: str, domain: str, known: set[str]) -> Requirement:
        raw = self.field(node, "id", str, f"requirement of {sub}")
        ident = self.claim(node, raw, re.escape(sub) + r"\.L[1-5]\.[1-9][0-9]*", "requirement")
        where = f"requirement {ident}"
        extra = sorted(str(k) for k in node if k not in _REQUIREMENT_KEYS)
        if extra:
            raise self.fail(
                node,
                f"{where}: unknown key {extra[0]!r} (expected {', '.join(sorted(_REQUIREMENT_KEYS))}); "
                "a comma inside an unquoted title splits it: quote the title",
                extra[0],
            )
        level = node.get("level")
        if not isinstance(level, int) or isinstance(level, bool) or level not in LEVELS:
            raise self.fail(node, f"{where}: `level` must be 1..5 (got {level!r})", "level")
        if ident.split(".")[-2] != f"L{level}":
            raise self.fail(node, f"{where}: id says {ident.split('.')[-2]} but `level` is {level}", "level")
        practices = self.field(node, "practices", list, where)
        for p in practices:
            if p not in known:
                raise self.fail(
                    node,
                    f"{where}: practice {p!r} does not exist in {sub} (expected one of {', '.join(sorted(known))})",
                    "practices",
                )
        if not practices or len(set(practices)) != len(practices):
            raise self.fail(node, f"{where}: `practices` must list distinct practice ids", "practices")
        reports = self.table(node, "reports", REPORT_KINDS, REPORT_STRENGTHS, where)
        pipeline = self.table(node, "pipeline", PIPELINE_CATEGORIES, PIPELINE_STRENGTHS, where)
        return Requirement(
            ident, level, sub, domain, self.text(node, where), tuple(practices), reports, pipeline, node.line
        )

    def table(
        self, node: YMap, key: str, kinds: tuple[str, ...], strengths: tuple[str, ...], where: str
    ) -> tuple[tuple[str, str], ...]:
        value = node.get(key)
        if value is None:
            return ()
        if not isinstance(value, YMap):
            raise self.fail(node, f"{where}: `{key}` must be a mapping of kind to strength", key)
        for kind, strength in value.items():
            if kind not in kinds:
                raise self.fail(
                    value, f"{where}: unknown {key} kind {kind!r} (expected one of {', '.join(kinds)})", kind
                )
            if strength not in strengths:
                raise self.fail(
                    value,
                    f"{where}: {key} {kind}: strength {strength!r} (expected one of {', '.join(strengths)})",
                    kind,
                )
        return tuple((str(k), str(v)) for k, v in value.items())
