"""Dockerfiles: the parser and the scanner's file analyzer (the model is in dockerfile_model).

:func:`parse` turns text into a :class:`Dockerfile` of build stages, each a list of
:class:`Instruction` values that keep their first and last line. Malformed parts (unknown
instruction, unterminated heredoc, broken JSON array) become :class:`InputError` values and
the parse goes on. :data:`ANALYZER` is the scanner's analyzer: it parses a file and reads
its inline suppressions (``# cnsmm:ignore DKR-003 reason``, ``# cnsmm:ignore-file DKR-003
reason``); the scan engine runs the rules and applies the suppressions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from cnsmm.sources._dockerfile_syntax import (
    Comment,
    Heredoc,
    LogicalLine,
    expand,
    key_values,
    logical_lines,
    read_directives,
)
from cnsmm.sources.dockerfile_model import Dockerfile, ImageRef, Instruction, Stage, parse_image
from cnsmm.sources.interface import FileInput, InputError, LineSuppression, ParsedFile

__all__ = [
    "ANALYZER", "Comment", "Dockerfile", "Heredoc", "ImageRef", "Instruction", "Stage",
    "Suppression", "parse", "parse_image", "suppressions",
]

INSTRUCTIONS = frozenset({
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
    "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
})
"""Every instruction of the Dockerfile reference."""
SUBSTITUTED = frozenset({
    "ADD", "COPY", "ENV", "EXPOSE", "FROM", "LABEL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR", "ARG",
})
"""Instructions whose arguments the builder expands with ARG/ENV values."""
EXEC_FORM = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"})
_FLAG_RE = re.compile(r"--([A-Za-z][\w-]*)(?:=(\"[^\"]*\"|\S*))?\s*")
_HEAD_RE = re.compile(r"(\S+)\s*(.*)", re.DOTALL)
_JSON_INTENT_RE = re.compile(r"^\[\s*[\"']")
_SUPPRESS_RE = re.compile(r"^cnsmm:(ignore-file|ignore)\b\s*(.*)$", re.IGNORECASE)
_RULE_IDS_RE = re.compile(r"^((?:[A-Za-z]+-\d{3})(?:\s*,\s*[A-Za-z]+-\d{3})*)\s*(.*)$")


def _split_flags(text: str) -> tuple[tuple[tuple[str, str | None], ...], str]:
    flags: list[tuple[str, str | None]] = []
    pos = 0
    while True:
        match = _FLAG_RE.match(text, pos)
        if not match:
            break
        value = match.group(2)
        flags.append((match.group(1).lower(), value.strip('"') if value is not None else None))
        pos = match.end()
    return tuple(flags), text[pos:]


MAX_EXPANSION = 1 << 20
"""Characters variable substitution may produce in one Dockerfile, beyond twice its length."""


class _Parser:
    def __init__(self, file: str, build_args: Mapping[str, str], size: int = 0) -> None:
        self.file = file
        self.build_args = dict(build_args)
        self.errors: list[InputError] = []
        self.global_env: dict[str, str] = {}
        self.global_args: list[Instruction] = []
        self.stages: list[Stage] = []
        self.current: list[Instruction] = []
        self.env: dict[str, str] = {}
        self.expansion_left = MAX_EXPANSION + 2 * size
        """Characters variable substitution may still produce in this file (see :meth:`expand`)."""
        self.stage_names: dict[str, int] = {}

    def expand(self, text: str, env: Mapping[str, str]) -> tuple[str, bool]:
        """:func:`expand` within the file's budget: once substitution has produced
        :data:`MAX_EXPANSION` characters (plus twice the file's length) in all, the rest of the
        file is left unexpanded (and unresolved), so that variables doubling at every line cannot
        take exponential time and memory."""
        out, resolved = expand(text, env, self.expansion_left)
        if out is not text:
            self.expansion_left = max(0, self.expansion_left - len(out))
        return out, resolved

    def assign(self, env: dict[str, str], key: str, value: str) -> None:
        """Set variable ``key`` to ``value`` expanded; a value left unexpanded for lack of
        budget makes the variable unknown (so what uses it is unresolved)."""
        out, resolved = self.expand(value, env)
        if out is value and not resolved:
            env.pop(key, None)
        else:
            env[key] = out

    def error(self, line: int, message: str) -> None:
        self.errors.append(InputError(self.file, line, message))

    def instruction(self, logical: LogicalLine, nested: bool = False) -> Instruction | None:
        text = logical.text.strip()
        head = _HEAD_RE.match(text)
        keyword, rest = (head.group(1).upper(), head.group(2)) if head else ("", "")
        if keyword not in INSTRUCTIONS:
            self.error(logical.line, f"unknown instruction {keyword[:40]!r} (expected one of "
                       "FROM, RUN, COPY, ...); the line is skipped. Fix the typo or remove the line")
            return None
        rest = rest.strip()
        if keyword == "ONBUILD" and not nested:
            inner = self.instruction(replace(logical, text=rest), nested=True)
            return Instruction(keyword, logical.line, logical.end_line, rest, onbuild=inner,
                               expanded=rest, stage=len(self.stages) - 1)
        flags: tuple[tuple[str, str | None], ...] = ()
        if keyword in ("FROM", "COPY", "ADD", "RUN", "HEALTHCHECK"):
            flags, rest = _split_flags(rest)
        exec_form = None
        if keyword in EXEC_FORM and rest.startswith("["):
            try:
                value: Any = json.loads(rest)
            except ValueError:
                value = None
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                exec_form = tuple(value)
            elif _JSON_INTENT_RE.match(rest) and keyword != "VOLUME":
                self.error(logical.line, f"{keyword} arguments look like a JSON array but are not "
                           "valid JSON (got " + repr(rest[:60]) + "); the builder will run them as a "
                           "shell command. Use double quotes and commas: [\"cmd\", \"arg\"]")
        if keyword == "SHELL" and exec_form is None:
            self.error(logical.line, "SHELL needs a JSON array (got " + repr(rest[:60]) + "). "
                       "Write it as SHELL [\"/bin/bash\", \"-c\"]")
        env = self.global_env if keyword == "FROM" or not self.stages else self.env
        expanded, resolved = self.expand(rest, env) if keyword in SUBSTITUTED else (rest, True)
        return Instruction(keyword, logical.line, logical.end_line, rest, flags, exec_form,
                           logical.heredocs, expanded, resolved, len(self.stages) - 1)

    def add(self, inst: Instruction) -> None:
        if inst.keyword == "FROM":
            self.start_stage(inst)
            return
        if not self.stages:
            if inst.keyword == "ARG":
                for key, value in key_values(inst.args, legacy=False):
                    if key in self.build_args:
                        self.global_env[key] = self.build_args[key]
                    elif value is not None:
                        self.assign(self.global_env, key, value)
                self.global_args.append(inst)
            else:
                self.error(inst.line, f"{inst.keyword} before the first FROM (only ARG may come "
                           "first); the instruction is ignored. Move it after FROM")
            return
        if inst.keyword == "ARG":
            for key, value in key_values(inst.args, legacy=False):
                if key in self.build_args:
                    self.env[key] = self.build_args[key]
                elif value is not None:
                    self.assign(self.env, key, value)
                elif key in self.global_env:
                    self.env[key] = self.global_env[key]
        elif inst.keyword == "ENV":
            for key, value in key_values(inst.args, legacy=True):
                if value is not None:
                    self.assign(self.env, key, value)
        self.current.append(inst)

    def start_stage(self, inst: Instruction) -> None:
        self.close_stage()
        words = inst.args.split()
        base = words[0] if words else ""
        image, resolved = self.expand(base, self.global_env)
        name = None
        if len(words) >= 3 and words[1].upper() == "AS":
            name = words[2].lower()
        elif len(words) != 1:
            self.error(inst.line, "FROM takes an image and an optional 'AS name' (got "
                       + repr(inst.args[:60]) + "). Write FROM image[:tag] [AS name]")
        if not base:
            self.error(inst.line, "FROM without an image. Name the base image")
        index = len(self.stages)
        parent = self.stage_names.get(image.lower())
        self.stages.append(Stage(index, name, base, image, resolved, inst.flag("platform"),
                                 parent, replace(inst, stage=index), ()))
        if name:
            self.stage_names.setdefault(name, index)
        self.env = {}

    def close_stage(self) -> None:
        if self.stages:
            self.stages[-1] = replace(self.stages[-1], instructions=tuple(self.current))
        self.current = []


def parse(text: str, file: str = "Dockerfile", build_args: Mapping[str, str] | None = None) -> Dockerfile:
    """Parse Dockerfile ``text``; problems are collected in ``errors``, never raised."""
    text = text.lstrip("\ufeff")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    directives, start = read_directives(lines)
    escape = directives.get("escape", "\\")
    parser = _Parser(file, build_args or {}, len(text))
    if escape not in ("\\", "`"):
        parser.error(1, f"escape directive must be \\ or ` (got {escape!r}); using \\")
        escape = "\\"
    logical, comments = logical_lines(lines, start, escape, parser.error)
    for item in logical:
        inst = parser.instruction(item)
        if inst is not None:
            parser.add(inst)
    parser.close_stage()
    if not parser.stages and any(line.strip() for line in lines):
        parser.error(1, "no FROM instruction: this is not a complete Dockerfile. Add FROM image")
    return Dockerfile(file, directives, escape, tuple(parser.global_args), tuple(parser.stages),
                      tuple(comments), tuple(parser.errors))


@dataclass(frozen=True, slots=True)
class Suppression:
    """An inline ``cnsmm:ignore`` comment."""

    line: int
    rule_ids: tuple[str, ...]
    reason: str
    whole_file: bool
    target: Instruction | None
    """The instruction it applies to (the next one); None for whole-file or dangling ones."""


def suppressions(df: Dockerfile) -> list[Suppression]:
    """Every ``cnsmm:ignore`` / ``cnsmm:ignore-file`` comment of ``df``, with its target."""
    found: list[Suppression] = []
    starts = sorted(df.instructions(), key=lambda i: i.line)
    for comment in df.comments:
        match = _SUPPRESS_RE.match(comment.text)
        if not match:
            continue
        ids_match = _RULE_IDS_RE.match(match.group(2).strip())
        ids = tuple(p.strip().upper() for p in ids_match.group(1).split(",")) if ids_match else ()
        reason = ids_match.group(2).strip() if ids_match else ""
        whole = match.group(1).lower() == "ignore-file"
        target = None if whole else next((i for i in starts if i.line > comment.line), None)
        found.append(Suppression(comment.line, ids, reason, whole, target))
    return found


_NOT_DOCKERFILES = (".dockerignore", ".md", ".rst", ".txt", ".orig", ".rej", ".bak", ".swp", ".j2",
                    ".jinja", ".jinja2", ".tmpl", ".tpl", ".template")


class DockerfileAnalyzer:
    """The scanner's analyzer for Dockerfiles and Containerfiles."""

    name = "dockerfile"
    scope = "dockerfile"

    def matches(self, relpath: str) -> bool:
        """``Dockerfile``, ``Containerfile``, and either with a variant before or after a dot,
        dash or underscore (``Dockerfile.prod``, ``Dockerfile-dev``, ``api.Dockerfile``,
        ``base_Containerfile``).

        Any letter case. Ignore files, documents, backups and templates (``Dockerfile.j2``,
        ``Dockerfile.template``) are not Dockerfiles yet and are left out.
        """
        base = relpath.rsplit("/", 1)[-1].lower()
        if base.endswith(_NOT_DOCKERFILES):
            return False
        for stem in ("dockerfile", "containerfile"):
            if base == stem or base.startswith(stem + ".") or base.endswith(("." + stem, "-" + stem, "_" + stem)):
                return True
            if base.startswith((stem + "-", stem + "_")) and "." not in base:  # not dockerfile-lint.yaml
                return True
        return False

    def parse(self, source: FileInput) -> ParsedFile:
        """Parse the file and read its inline suppressions."""
        options = source.options
        build_args = options.get("dockerfile.build_args")
        if build_args is None and isinstance(options.get("dockerfile"), dict):
            build_args = options["dockerfile"].get("build_args")
        build_args = {str(k): str(v) for k, v in build_args.items()} if isinstance(build_args, dict) else {}
        df = parse(source.text, source.file, build_args)
        name = source.file.replace("\\", "/").rsplit("/", 1)[-1]
        df = replace(df, has_dockerignore=source.sibling_exists(".dockerignore")
                     or source.sibling_exists(name + ".dockerignore"))
        marks = [
            LineSuppression(m.rule_ids, m.target.line if m.target else None,
                            m.target.end_line if m.target else None, m.whole_file)
            for m in suppressions(df)
        ]
        return ParsedFile(df, "Dockerfile", list(df.errors), suppressions=marks)


ANALYZER = DockerfileAnalyzer()
"""The Dockerfile analyzer instance the scanner registers."""
