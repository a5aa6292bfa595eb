"""The one parser of the ``# expect:`` markers of rule fixtures (tests/fixtures/rules/).

- ``# expect: K8S-001`` (or ``// expect: ...``) at the end of a line: a finding of that rule on
  that line; several ids are separated by commas.
- ``# expect-next: K8S-001`` on its own line: on the next line that is neither blank nor a
  comment.

A comment that says ``expect`` but does not parse is an error, so a typo cannot silently turn a
fail fixture into one that expects nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "rules"
"""Pass and fail fixtures of every rule: ``<ID>/{pass,fail}/<entry>``."""

_ID = r"[A-Z][A-Z0-9]*-\d{3}"
_MARK = re.compile(rf"(?:#|//)\s*expect(-next)?:\s*({_ID}(?:\s*,\s*{_ID})*)\s*$")
_LOOSE = re.compile(r"(?:#|//)\s*expect(?:-next)?\s*:")
_COMMENT = re.compile(r"^\s*(?:#|//|$)")


def marks_in_text(text: str, where: str = "<text>") -> set[tuple[str, int]]:
    """(rule id, line) pairs announced by the markers of ``text``."""
    lines = text.splitlines()
    found: set[tuple[str, int]] = set()
    for index, line in enumerate(lines):
        match = _MARK.search(line)
        if match is None:
            if _LOOSE.search(line):
                raise ValueError(f"{where}:{index + 1}: malformed expect marker (expected e.g. '# expect: K8S-001')")
            continue
        target = index + 1
        if match.group(1):
            target = next((j + 1 for j in range(index + 1, len(lines)) if not _COMMENT.match(lines[j])), 0)
            if not target:
                raise ValueError(f"{where}:{index + 1}: expect-next has no following line to point at")
        found |= {(rid.strip(), target) for rid in match.group(2).split(",")}
    return found


def entry_files(entry: Path) -> list[Path]:
    """The files of a fixture entry: the entry itself, or every file below a folder."""
    return [entry] if entry.is_file() else sorted(p for p in entry.rglob("*") if p.is_file())


def expected_marks(entry: Path) -> set[tuple[str, str, int]]:
    """(rule id, file, line) of every marker in a fixture entry (a file or a folder)."""
    marks: set[tuple[str, str, int]] = set()
    for file in entry_files(entry):
        text = file.read_text(encoding="utf-8", errors="replace")
        marks |= {(rid, str(file), line) for rid, line in marks_in_text(text, str(file))}
    return marks


def fixture_cases(prefix: str = "") -> list[tuple[str, str, Path]]:
    """(rule id, ``pass`` or ``fail``, entry) of every fixture entry of the rules whose id starts with ``prefix``."""
    cases = []
    for rule_dir in sorted(p for p in FIXTURES.glob(f"{prefix}*") if p.is_dir()):
        for outcome in ("pass", "fail"):
            folder = rule_dir / outcome
            cases.extend((rule_dir.name, outcome, entry) for entry in (sorted(folder.iterdir()) if folder.is_dir() else []))
    return cases
