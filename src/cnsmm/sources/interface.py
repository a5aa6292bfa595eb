"""What the scanner needs from a file analyzer (Dockerfiles, CI pipelines).

An analyzer recognises its files by path and *parses* one file's text into a target that
rules can check (a ``Dockerfile``, a ``Pipeline``), plus input errors, notes, inline
suppressions and inventory data. It runs no rule and does no I/O: the scanner reads the file
(with the size, encoding and binary checks), passes the text, and answers the analyzer's
questions about neighbouring files through :attr:`FileInput.sibling_exists`. Rules are run
by the scan engine (:mod:`cnsmm.scan.engine`), the same way for every scope.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from cnsmm.vocab import InputErrorKind


@dataclass(frozen=True, slots=True)
class InputError:
    """An input, or part of one, that could not be read, parsed or checked."""

    file: str
    line: int | None
    message: str
    """What went wrong and, where useful, what to do."""
    kind: InputErrorKind = InputErrorKind.PARSE
    """One of :class:`~cnsmm.vocab.InputErrorKind`."""
    rule: str | None = None
    """For ``internal`` errors: the rule that raised."""

    def display(self) -> str:
        """``file:line: message``."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


def _no_sibling(name: str) -> bool:
    return False


@dataclass(frozen=True)
class FileInput:
    """One file as the scanner hands it to an analyzer."""

    text: str
    file: str
    """Display path (``<stdin>`` for standard input)."""
    options: Mapping[str, Any] = field(default_factory=dict)
    """Settings from the configuration file (``dockerfile.build_args``...)."""
    sibling_exists: Callable[[str], bool] = _no_sibling
    """Whether a file of that name exists next to ``file`` (answered by the scanner)."""


@dataclass(frozen=True, slots=True)
class LineSuppression:
    """An inline ``cnsmm:ignore`` comment, resolved to the lines it covers."""

    rule_ids: tuple[str, ...]
    first_line: int | None
    """First line covered; None with ``whole_file`` or for a comment that covers nothing."""
    last_line: int | None
    whole_file: bool = False

    def covers(self, rule_id: str, line: int | None) -> bool:
        """Whether this comment suppresses a hit of ``rule_id`` at ``line``."""
        if rule_id not in self.rule_ids:
            return False
        if self.whole_file:
            return True
        return (
            line is not None and self.first_line is not None and self.last_line is not None
            and self.first_line <= line <= self.last_line
        )


@dataclass
class ParsedFile:
    """What an analyzer read from one file."""

    target: Any = None
    """What the file's rules check (a ``Dockerfile``, a ``Pipeline``); None when nothing could
    be read or the file is not of the analyzer's type."""
    target_kind: str = ""
    """Matched against each rule's ``targets`` (``Dockerfile``, ``github-actions``...)."""
    errors: list[InputError] = field(default_factory=list)
    """Parts of the file that could not be parsed."""
    notes: list[str] = field(default_factory=list)
    """Informational messages (shown in verbose mode and in the JSON ``skipped``)."""
    extra: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Inventory data for the JSON output, by top-level key (e.g. ``pipelines``)."""
    suppressions: list[LineSuppression] = field(default_factory=list)
    """Inline suppressions found in the file."""
    one_hit_per_line: bool = False
    """Keep one hit per rule and line (pipeline jobs extending one template share its lines)."""


class FileAnalyzer(Protocol):
    """A file type the scanner understands besides Kubernetes manifests."""

    name: str
    """Short name: ``dockerfile``, ``pipeline``."""
    scope: str
    """The rule scope whose rules check this analyzer's targets (``dockerfile``, ``pipeline``)."""

    def matches(self, relpath: str) -> bool:
        """True when the file at ``relpath`` (``/``-separated) is of this type."""
        ...

    def parse(self, source: FileInput) -> ParsedFile:
        """Parse one file; never raises on bad input."""
        ...
