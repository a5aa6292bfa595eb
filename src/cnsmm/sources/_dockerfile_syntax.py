"""Lexical layer of the Dockerfile parser: directives, logical lines, heredocs, substitution.

Follows the Dockerfile reference (BuildKit frontend): parser directives are read only at the
top of the file; a line ending with the escape character continues on the next line, and
comment or empty lines inside a continuation are dropped; ``RUN``/``COPY``/``ADD`` may open
heredocs (``<<EOF``, ``<<-EOF``, ``<<"EOF"``) whose bodies follow the instruction line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from cnsmm.sources import shellwords

DIRECTIVE_RE = re.compile(r"^#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(.*?)\s*$")
KNOWN_DIRECTIVES = frozenset({"syntax", "escape", "check"})
"""Parser directives BuildKit knows."""
HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})
_HEREDOC_NAME_RE = re.compile(r"<<(-?)([\"']?)([A-Za-z0-9_.-]+)\2")
_VAR_RE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


@dataclass(frozen=True, slots=True)
class Heredoc:
    """The body of one ``<<NAME`` heredoc."""

    name: str
    """Delimiter word."""
    body: str
    """Text between the instruction line and the delimiter (tabs stripped for ``<<-``)."""
    line: int
    """Line of the first body line (1-based)."""
    end_line: int
    """Line of the closing delimiter (the last line when it is missing)."""
    strip_tabs: bool
    """``<<-NAME``: leading tabs are removed from body lines."""
    quoted: bool
    """``<<"NAME"`` or ``<<'NAME'``: no variable expansion in the body."""


@dataclass(frozen=True, slots=True)
class LogicalLine:
    """One instruction after joining continuations, with its heredoc bodies."""

    text: str
    line: int
    end_line: int
    heredocs: tuple[Heredoc, ...]


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment line outside instructions."""

    line: int
    text: str
    """Text after ``#``, stripped."""


ErrorSink = Callable[[int, str], None]


def read_directives(lines: list[str]) -> tuple[dict[str, str], int]:
    """Parser directives at the top of the file (lower-cased keys) and the first other line.

    Reading stops at the first line that is not a directive (a comment, an empty line, an
    instruction), at an unknown directive (a comment that looks like one) and at a repeated
    directive, as in BuildKit.
    """
    directives: dict[str, str] = {}
    for index, line in enumerate(lines):
        match = DIRECTIVE_RE.match(line.strip())
        if not match:
            return directives, index
        key = match.group(1).lower()
        if key in directives or key not in KNOWN_DIRECTIVES:
            return directives, index
        directives[key] = match.group(2)
    return directives, len(lines)


def _continues(line: str, escape: str) -> bool:
    stripped = line.rstrip(" \t")
    return stripped.endswith(escape)


def _strip_escape(line: str, escape: str) -> str:
    stripped = line.rstrip(" \t")
    return stripped[: -len(escape)]


def heredoc_markers(text: str) -> list[tuple[str, bool, bool]]:
    """``(name, strip_tabs, quoted)`` of each heredoc opened on ``text``.

    As in BuildKit, only a word that starts with ``<<`` (outside quotes) opens a heredoc, so
    ``$((1<<2))`` does not.
    """
    markers: list[tuple[str, bool, bool]] = []
    quote = ""
    i = 0
    while i < len(text):
        char = text[i]
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif (text.startswith("<<", i) and not text.startswith("<<<", i)
              and (i == 0 or text[i - 1] in " \t")):
            match = _HEREDOC_NAME_RE.match(text, i)
            if match:
                markers.append((match.group(3), match.group(1) == "-", bool(match.group(2))))
                i = match.end()
                continue
        i += 1
    return markers


def logical_lines(
    lines: list[str], start: int, escape: str, error: ErrorSink
) -> tuple[list[LogicalLine], list[Comment]]:
    """Join continuation lines into instructions and collect heredoc bodies and comments."""
    result: list[LogicalLine] = []
    comments: list[Comment] = []
    count = len(lines)
    i = start
    while i < count:
        stripped = lines[i].strip()
        if not stripped:
            i += 1
            continue
        if stripped.startswith("#"):
            comments.append(Comment(i + 1, stripped[1:].strip()))
            i += 1
            continue
        first = i
        parts: list[str] = []
        current = lines[i]
        while True:
            i += 1
            if not _continues(current, escape):
                parts.append(current)
                break
            parts.append(_strip_escape(current, escape))
            while i < count and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
                i += 1
            if i >= count:
                break
            current = lines[i]
        text = "".join(parts)
        head = text.split(None, 1)
        keyword = head[0].upper() if head else ""
        heredocs: list[Heredoc] = []
        if "<<" in text and (keyword in HEREDOC_INSTRUCTIONS or keyword == "ONBUILD"):
            for name, strip_tabs, quoted in heredoc_markers(text):
                body_start = i
                body: list[str] = []
                while i < count:
                    candidate = lines[i].lstrip("\t") if strip_tabs else lines[i]
                    if candidate.rstrip("\r") == name:
                        break
                    body.append(candidate)
                    i += 1
                if i >= count:
                    error(first + 1, f"unterminated heredoc <<{name} (no line {name!r} closes it). "
                          "Add the closing delimiter on a line of its own")
                    end = count
                else:
                    end = i + 1
                    i += 1
                heredocs.append(Heredoc(name, "\n".join(body), body_start + 1, end, strip_tabs, quoted))
        end_line = heredocs[-1].end_line if heredocs else i
        result.append(LogicalLine(text, first + 1, max(end_line, first + 1), tuple(heredocs)))
    return result, comments


class _TooLong(Exception):
    pass


def expand(text: str, env: Mapping[str, str], limit: int | None = None) -> tuple[str, bool]:
    """Substitute ``$VAR``, ``${VAR}``, ``${VAR:-word}``, ``${VAR:+word}`` from ``env``.

    Returns the text and whether every variable was known (or had a default). When the result
    would be longer than ``limit`` characters (variables that double in size at every step grow
    exponentially), the text is returned unexpanded and unresolved, after work bounded by the
    limit.
    """
    resolved = True
    size = len(text)

    def grow(value: str) -> str:
        nonlocal size
        size += len(value)
        if limit is not None and size > limit:
            raise _TooLong
        return value

    def replace(match: re.Match[str]) -> str:
        nonlocal resolved
        name = match.group(1) or match.group(4)
        operator, word = match.group(2), match.group(3) or ""
        value = env.get(name)
        if operator in (":-", "-"):
            if value is None or (operator == ":-" and value == ""):
                inner, ok = expand(word, env)
                resolved = resolved and ok
                return grow(inner)
            return grow(value)
        if operator in (":+", "+"):
            if value is None or (operator == ":+" and value == ""):
                return ""
            inner, ok = expand(word, env)
            resolved = resolved and ok
            return grow(inner)
        if value is None:
            resolved = False
            return ""
        return grow(value)

    if "$" not in text:
        return text, True
    # An escaped dollar (\$) stays literal.
    pieces = text.split("\\$")
    try:
        out = "$".join(_VAR_RE.sub(replace, piece) for piece in pieces)
    except _TooLong:
        return text, False
    return out, resolved


def split_words(text: str) -> list[str]:
    """Shell-like words of ``text`` (quotes removed); plain whitespace split when unbalanced."""
    try:
        return shellwords.split(text)
    except ValueError:
        return text.split()


@lru_cache(maxsize=2048)
def key_values(text: str, *, legacy: bool) -> tuple[tuple[str, str | None], ...]:
    """Pairs of ``ENV``/``LABEL``/``ARG`` arguments.

    ``legacy`` allows the old ``ENV KEY value with spaces`` form. A word without ``=`` gives
    ``(name, None)`` (an ``ARG`` without default).
    """
    words = split_words(text)
    if not words:
        return ()
    if legacy and "=" not in words[0]:
        rest = text.strip()[len(text.strip().split(None, 1)[0]):].strip()
        value = " ".join(split_words(rest)) if rest else ""
        return ((words[0], value),)
    pairs: list[tuple[str, str | None]] = []
    for word in words:
        if "=" in word:
            key, value = word.split("=", 1)
            pairs.append((key, value))
        else:
            pairs.append((word, None))
    return tuple(pairs)
