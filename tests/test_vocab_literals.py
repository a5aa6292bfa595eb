"""The vocabulary is spelt once: code names a word of :mod:`cnsmm.vocab` by its enum member,
never as a string literal.

The check reads every module of ``src/cnsmm`` (docstrings aside) and flags a string literal
whose text is a vocabulary word

- anywhere, when the word is not everyday English (``image-scan``, ``sast``, ``not-met``,
  ``symlink-loop``, ...), except where code matches the words of an input (a dict key, a
  set member, an index, a text method's argument, a comparison with something that is not a
  vocabulary slot): elsewhere such a literal can only mean the vocabulary word;
- in a vocabulary slot, for the everyday words (``parse``, ``report``, ``partial``, ...):
  compared with (or looked up against) a ``kind``, ``category``, ``verdict``, ``status`` or
  ``source``; the ``kind`` of an input error or a report; the category of a pipeline
  activity.

A few modules speak another vocabulary that shares words (a finding's category, the type
names of the GitLab report formats); each such word is listed in ``ELSEWHERE`` with why, and
an entry that no longer matches anything fails too, so the list stays short.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cnsmm import vocab

SRC = Path(vocab.__file__).resolve().parent
ENUMS = (vocab.InputErrorKind, vocab.ReportKind, vocab.PipelineCategory, vocab.Verdict, vocab.EvidenceSource)
WORDS: dict[str, list[str]] = {}
for _enum in ENUMS:
    for _member in _enum:
        WORDS.setdefault(_member.value, []).append(f"{_enum.__name__}.{_member.name}")

DISTINCT = {w for w in WORDS if "-" in w} | {"sast", "sca", "dast", "sbom", "vex", "pentest"}
"""Words that mean nothing but the vocabulary word."""

SLOT_NAMES = {"kind", "kinds", "category", "categories", "verdict", "status", "source", "sources"}
"""Names of the attributes, variables and keywords that hold a vocabulary word."""

SLOT_CALLS = {"InputError": 3, "report": 4, "Detection": 0, "_d": 0, "_fixed": 0, "_maybe": 1, "_const": 0}
"""Calls whose positional argument at that index is a vocabulary word (an input error's kind,
a report's kind, a pipeline activity's category)."""

ELSEWHERE: dict[tuple[str, str], str] = {
    ("importers/_gitlab.py", "sast"): "GitLab report types (`scan.type`), mapped to report kinds there",
    ("importers/_gitlab.py", "dast"): "GitLab report types (`scan.type`), mapped to report kinds there",
    ("importers/gitlab_sast_json.py", "sast"): "the GitLab report type this importer reads",
    ("importers/gitlab_dast_json.py", "dast"): "the GitLab report type this importer reads",
    ("importers/_sarif_run.py", "dast"): "a SARIF result category, and the finding category of ZAP results",
    ("importers/_sarif_run.py", "sast"): "a SARIF result category, and the finding category of a code scanner",
    ("capabilities/__init__.py", "partial"): "a detection's status (effective or partial), a Literal type",
    ("renderers/gitlab.py", "sast"): "the GitLab report type the GitLab SAST output declares",
    ("tracking/fingerprint.py", "dast"): "a finding category, and the name of the fingerprint it selects",
    ("tracking/fingerprint.py", "runtime"): "a finding category, and the name of the fingerprint it selects",
}
"""(module below src/cnsmm, word) -> why the literal is a word of another vocabulary there."""


@dataclass(frozen=True)
class Literal:
    module: str
    line: int
    word: str

    def __str__(self) -> str:
        return f"src/cnsmm/{self.module}:{self.line}: {self.word!r} (use {' or '.join(WORDS[self.word])})"


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
        # attribute docstrings: a string statement right after an assignment
        body = getattr(node, "body", None)
        if isinstance(body, list):
            for stmt in body:
                if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) \
                        and isinstance(stmt.value.value, str):
                    found.add(id(stmt.value))
    return found


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args \
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            return node.args[0].value  # mapping.get("kind") reads the slot "kind"
        return _name(node.func)
    if isinstance(node, ast.Subscript):
        return _name(node.value)
    return None


def _constants(node: ast.AST) -> Iterator[ast.Constant]:
    """String constants of an expression, through conditionals, tuples, lists, sets and dict values."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
    elif isinstance(node, ast.IfExp):
        yield from _constants(node.body)
        yield from _constants(node.orelse)
    elif isinstance(node, ast.Tuple | ast.List | ast.Set):
        for elt in node.elts:
            yield from _constants(elt)
    elif isinstance(node, ast.Dict | ast.BoolOp):
        for value in node.values:
            yield from _constants(value)


def _in_slots(tree: ast.AST) -> Iterator[ast.Constant]:
    """String constants that stand where a vocabulary word goes."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_name(s) in SLOT_NAMES for s in sides):
                for side in sides:
                    yield from _constants(side)
        elif isinstance(node, ast.Call):
            at = SLOT_CALLS.get(_name(node.func) or "")
            if at is not None and len(node.args) > at:
                yield from _constants(node.args[at])
            for kw in node.keywords:
                if kw.arg in SLOT_NAMES and _name(node.func) != "Finding":  # a finding's category is another set
                    yield from _constants(kw.value)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if node.value is not None and any(_name(t) in SLOT_NAMES for t in targets):
                yield from _constants(node.value)


def _finding_categories(tree: ast.AST) -> set[int]:
    """Constants given as ``category=`` to :class:`~cnsmm.findings.Finding` (another set of words)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) == "Finding":
            for kw in node.keywords:
                if kw.arg == "category":
                    found |= {id(c) for c in _constants(kw.value)}
    return found


TEXT_METHODS = {"startswith", "endswith", "removeprefix", "removesuffix", "split", "find", "index", "count"}


def _input_words(tree: ast.AST) -> set[int]:
    """Constants that match the words of an input rather than name a vocabulary word."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            found |= {id(k) for k in node.keys if k is not None}
        elif isinstance(node, ast.Set):
            found |= {id(e) for e in node.elts}
        elif isinstance(node, ast.Subscript):
            found |= {id(c) for c in ast.walk(node.slice)}
        elif isinstance(node, ast.Compare) and not any(_name(s) in SLOT_NAMES
                                                       for s in [node.left, *node.comparators]):
            found |= {id(c) for side in [node.left, *node.comparators] for c in ast.walk(side)}
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in TEXT_METHODS:
            found |= {id(c) for arg in node.args for c in ast.walk(arg)}
    return found


def flagged(tree: ast.AST) -> list[ast.Constant]:
    """The string constants of ``tree`` that spell a vocabulary word where its enum member goes."""
    skip = _docstrings(tree) | _finding_categories(tree)
    found: dict[int, ast.Constant] = {}
    inputs = _input_words(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in DISTINCT \
                and id(node) not in inputs:
            found[id(node)] = node
    for node in _in_slots(tree):
        if node.value in WORDS:
            found[id(node)] = node
    return [node for key, node in found.items() if key not in skip]


def literals() -> list[Literal]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name != "vocab.py":
            module = path.relative_to(SRC).as_posix()
            found += [Literal(module, node.lineno, str(node.value))
                      for node in flagged(ast.parse(path.read_text(encoding="utf-8")))]
    return sorted(found, key=lambda lit: (lit.module, lit.line, lit.word))


def test_no_vocabulary_word_is_spelt_as_a_literal() -> None:
    found = [lit for lit in literals() if (lit.module, lit.word) not in ELSEWHERE]
    assert not found, "vocabulary words written as literals:\n" + "\n".join(map(str, found))


def test_every_exception_is_still_needed() -> None:
    used = {(lit.module, lit.word) for lit in literals()}
    assert set(ELSEWHERE) <= used, sorted(set(ELSEWHERE) - used)


@pytest.mark.parametrize(("source", "expected"), [
    ('InputError(f, None, "bad", "size")', ["size"]),
    ('InputError(f, None, "bad", InputErrorKind.SIZE)', []),
    ('if report.kind == "compliance": pass', ["compliance"]),
    ('if e.kind in ("parse", "timeout"): pass', ["parse", "timeout"]),
    ('if r.get("status") == "unknown": pass', ["unknown"]),
    ('if r.get("name") == "unknown": pass', []),
    ('x = {"Trivy": "image-scan"}', ["image-scan"]),
    ('report(FORMAT, "tool", None, PROJECT, "iac-scan" if a else "runtime", source)', ["iac-scan", "runtime"]),
    ('kind = "secret-scan"', ["secret-scan"]),
    ('Finding(rule="r", category="sast")', []),
    ('x = {"report": 1, "check": 2}', []),
    ('def f():\n    """Reads the sast report."""', []),
    ('size = len(data)\nmode = "size"', []),
    ('if "sbom" in inputs and cmd.startswith("sbom") and sub[:1] == ["sbom"]: pass', []),
    ('SUBCOMMANDS = {"image", "sbom"}\nscan = {"sbom": "sca"}.get(x, "sca")', ["sca", "sca"]),
    ('return _d("sbom" if a else "signing", "Syft")', ["sbom", "signing"]),
])
def test_the_check_flags_words_in_vocabulary_places(source: str, expected: list[str]) -> None:
    assert sorted(str(node.value) for node in flagged(ast.parse(source))) == sorted(expected)
