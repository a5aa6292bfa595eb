"""Every DKR rule against its pass/fail fixtures, through the Dockerfile analyzer.

``<ID>/options.yaml``, when present, holds the rule options the fixtures are checked with.
Markers: ``# expect: ID`` at the end of a line means that line; ``# expect-next: ID[, ID]``
means the next line that is neither blank nor a comment. The exact set of (rule, line) pairs
found with only that rule enabled must equal the markers.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from cnsmm.rules import RuleContext, all_rules, get_rule
from cnsmm.scan import analyze_file
from cnsmm.sources.dockerfile import ANALYZER

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rules"
_EXPECT_RE = re.compile(r"#\s*expect:\s*([A-Z]+-\d{3}(?:\s*,\s*[A-Z]+-\d{3})*)\s*$")
_EXPECT_NEXT_RE = re.compile(r"^\s*#\s*expect-next:\s*([A-Z]+-\d{3}(?:\s*,\s*[A-Z]+-\d{3})*)\s*$")
DKR_IDS = sorted(r.id for r in all_rules() if r.id.startswith("DKR-"))


def expected_markers(text: str) -> set[tuple[str, int]]:
    """(rule, line) pairs announced by the markers of ``text``."""
    lines = text.split("\n")
    found: set[tuple[str, int]] = set()
    for index, line in enumerate(lines):
        match = _EXPECT_NEXT_RE.match(line)
        if match:
            target = next((j for j in range(index + 1, len(lines))
                           if lines[j].strip() and not lines[j].lstrip().startswith("#")), None)
            assert target is not None, f"expect-next at line {index + 1} has no following instruction"
            found |= {(rid.strip(), target + 1) for rid in match.group(1).split(",")}
            continue
        match = _EXPECT_RE.search(line)
        if match:
            found |= {(rid.strip(), index + 1) for rid in match.group(1).split(",")}
    return found


def fixture_files(entry: Path) -> list[Path]:
    """The Dockerfiles of a fixture entry (a file, or the Dockerfiles inside a folder)."""
    if entry.is_file():
        return [entry]
    return sorted(p for p in entry.rglob("*") if p.is_file() and ANALYZER.matches(p.name))


def cases() -> list[tuple[str, str, Path]]:
    """(rule id, pass|fail, file) for every fixture file of every DKR rule."""
    result = []
    for rule_id in DKR_IDS:
        for kind in ("pass", "fail"):
            folder = FIXTURES / rule_id / kind
            for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
                result.extend((rule_id, kind, path) for path in fixture_files(entry))
    return result


def test_every_rule_has_pass_and_fail_fixtures() -> None:
    assert len(DKR_IDS) >= 35
    for rule_id in DKR_IDS:
        for kind in ("pass", "fail"):
            folder = FIXTURES / rule_id / kind
            assert folder.is_dir() and any(folder.iterdir()), f"{rule_id} has no {kind} fixtures"


@pytest.mark.parametrize(("rule_id", "kind", "path"), cases(),
                         ids=lambda v: v.name if isinstance(v, Path) else str(v))
def test_fixture(rule_id: str, kind: str, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#"), f"{path} must start with a comment saying what it covers"
    rule = get_rule(rule_id)
    assert rule is not None
    options_file = FIXTURES / rule_id / "options.yaml"  # rule options for this rule's fixtures, if any
    options = yaml.safe_load(options_file.read_text(encoding="utf-8")) if options_file.is_file() else {}
    report = analyze_file(ANALYZER, text, os.fspath(path), [rule], RuleContext(options or {}))
    assert report.errors == [], [e.display() for e in report.errors]
    found = {(r.id, h.line) for r, h in report.hits}
    expected = expected_markers(text)
    if kind == "pass":
        assert expected == set(), f"{path}: pass fixtures carry no markers"
    else:
        assert expected, f"{path}: fail fixtures need at least one marker"
    assert found == expected, f"{path}: found {sorted(found)}, expected {sorted(expected)}"
