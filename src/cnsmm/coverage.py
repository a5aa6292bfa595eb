"""What a scan looked at, so that auto-close only closes what the scan could have seen.

A scan of ``charts/`` with ``--exclude 'legacy'`` says nothing about ``charts/legacy/`` or
``src/``: a finding there that the scan does not report is not fixed, it was not looked at.
:class:`Coverage` records the paths a scan covered (repository-relative prefixes), the globs it
excluded (matched as the scanner matches them: against each folder or file name and against
the path relative to the scanned path), the files it could not read, and the rules it ran.
An empty field means "no restriction": a report that says nothing about its coverage covers
its whole scope, as before.
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

MAX_ENTRIES = 10_000
"""Most entries kept per field (a scan naming more paths is recorded as covering everything
it names up to this bound; the remaining paths are then not covered)."""


def _norm(path: str) -> str:
    """Forward slashes, no ``./``, no leading or trailing ``/`` (as fingerprints store paths)."""
    p = posixpath.normpath(path.replace("\\", "/")).lstrip("/")
    return "" if p == "." else p


@dataclass(frozen=True)
class Coverage:
    """The part of its scope that one scan covered."""

    paths: tuple[str, ...] = ()
    """Files or folders scanned, relative to the repository root (``""`` is the whole root);
    empty: every path."""
    exclude: tuple[str, ...] = ()
    """Globs the scanner skipped (``*`` within a name; matched against every name and against
    the path below the scanned path)."""
    unread: tuple[str, ...] = ()
    """Files that could not be read or parsed (so they were not looked at)."""
    rules: tuple[str, ...] = ()
    """Rule ids the scan ran (upper case); empty: every rule of the tool."""

    @classmethod
    def make(
        cls,
        paths: Iterable[str] = (),
        exclude: Iterable[str] = (),
        unread: Iterable[str] = (),
        rules: Iterable[str] = (),
    ) -> Coverage:
        """A coverage with normalised, de-duplicated, bounded fields."""

        def first(values: Iterable[str]) -> tuple[str, ...]:
            out: dict[str, None] = {}
            for v in values:
                if len(out) >= MAX_ENTRIES:
                    break
                out.setdefault(v, None)
            return tuple(out)

        return cls(
            paths=first(_norm(p) for p in paths if p and p != "-"),
            exclude=first(str(g) for g in exclude if g),
            unread=first(_norm(p) for p in unread if p),
            rules=first(r.strip().upper() for r in rules if r.strip()),
        )

    @property
    def everything(self) -> bool:
        """Whether this coverage restricts nothing."""
        return not (self.paths or self.exclude or self.unread or self.rules)

    def covers(self, file: str | None, rule: str | None) -> bool:
        """Whether a finding at ``file`` (repository-relative) of ``rule`` was looked at.

        A finding without a file (an image, a URL, a cluster object) is covered unless the
        rules say otherwise: path coverage only speaks about files."""
        if self.rules and (rule or "").strip().upper() not in self.rules:
            return False
        if not file:
            return True
        path = _norm(file)
        if path in self.unread:
            return False
        if not self.paths:
            return not self._excluded(path.split("/"))
        for root in self.paths:
            if root and path != root and not path.startswith(root + "/"):
                continue
            below = path[len(root):].lstrip("/") if root else path
            if not below or not self._excluded(below.split("/")):
                return True
        return False

    def _excluded(self, parts: list[str]) -> bool:
        """As the scanner's walk: a name or the path below the scanned path matches a glob
        (a skipped folder hides everything below it)."""
        for i, name in enumerate(parts):
            rel = "/".join(parts[: i + 1])
            if any(fnmatch.fnmatchcase(name, g) or fnmatch.fnmatchcase(rel, g) for g in self.exclude):
                return True
        return False

    def to_json(self) -> dict[str, list[str]] | None:
        """The stored form (None when it restricts nothing)."""
        if self.everything:
            return None
        return {k: list(v) for k, v in (("paths", self.paths), ("exclude", self.exclude),
                                         ("unread", self.unread), ("rules", self.rules)) if v}

    @classmethod
    def from_json(cls, data: Any) -> Coverage:
        """Read the stored or reported form (anything unreadable restricts nothing); paths are
        kept as written (see :meth:`make`)."""
        if not isinstance(data, dict):
            return cls()

        def strings(key: str) -> list[str]:
            value = data.get(key)
            return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

        # paths as written: the importer makes them repository-relative, then normalises them
        return cls(*(tuple(strings(k)[:MAX_ENTRIES]) for k in ("paths", "exclude", "unread", "rules")))

    def describe(self) -> str:
        """One line for summaries: what was covered."""
        if self.everything:
            return "everything in scope"
        bits = []
        if self.paths:
            more = " ..." if len(self.paths) > 5 else ""
            bits.append("paths " + ", ".join(p or "." for p in self.paths[:5]) + more)
        if self.exclude:
            bits.append(f"{len(self.exclude)} exclude glob(s)")
        if self.unread:
            bits.append(f"{len(self.unread)} unread file(s)")
        if self.rules:
            bits.append(f"{len(self.rules)} rule(s)")
        return "; ".join(bits)
