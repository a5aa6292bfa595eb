"""What the scanner needs from a non-Kubernetes file analyzer (Dockerfiles, CI pipelines).

An analyzer recognises its files by path and turns one file's text into rule hits, input
errors and extra inventory data. It does no I/O: the scanner reads the file (with the size,
encoding and binary checks) and passes the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from cnsmm.rules.base import Hit, Rule, RuleContext


@dataclass(frozen=True, slots=True)
class InputError:
    """An input, or part of one, that could not be read or parsed."""

    file: str
    line: int | None
    message: str
    """What went wrong and, where useful, what to do."""
    kind: str = "parse"
    """parse, size, binary, encoding, unreadable, symlink-loop, not-found, alias-bomb, depth."""

    def display(self) -> str:
        """``file:line: message``."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass
class FileReport:
    """What an analyzer found in one file."""

    hits: list[tuple[Rule, Hit]] = field(default_factory=list)
    """Rule hits; each hit carries its line."""
    errors: list[InputError] = field(default_factory=list)
    """Parts of the file that could not be parsed."""
    extra: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Inventory data for the JSON output, by top-level key (e.g. ``pipelines``)."""
    notes: list[str] = field(default_factory=list)
    """Informational messages (shown in verbose mode and in the JSON ``skipped``)."""


class FileAnalyzer(Protocol):
    """A file type the scanner understands besides Kubernetes manifests."""

    name: str
    """Short name: ``dockerfile``, ``pipeline``."""

    def matches(self, relpath: str) -> bool:
        """True when the file at ``relpath`` (``/``-separated) is of this type."""
        ...

    def analyze(self, text: str, file: str, rules: Sequence[Rule], ctx: RuleContext) -> FileReport:
        """Parse ``text`` and run the ``rules`` (already filtered to enabled ones of this scope)."""
        ...
