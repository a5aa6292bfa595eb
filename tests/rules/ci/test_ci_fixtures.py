"""CI rules against their fixtures through the pipeline analyzer alone (no scan engine).

Each fixture entry under tests/fixtures/rules/CI-*/{pass,fail}/ is laid out like a
repository; every file the analyzer claims (by path, or by content for YAML) is analysed
with only the rule under test, and the exact set of (rule, file, line) must equal the
``# expect:`` / ``// expect:`` markers.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cnsmm.rules import RuleContext, all_rules, get_rule
from cnsmm.scan import analyze_file
from cnsmm.sources.pipelines import ANALYZER, sniff

FIXTURES = Path(__file__).parents[2] / "fixtures" / "rules"
_MARK = re.compile(r"(?:#|//)\s*expect(-next)?:\s*([A-Z0-9, -]+?)\s*$")


def _marks(path: Path) -> set[tuple[str, str, int]]:
    out = set()
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, text in enumerate(lines):
        m = _MARK.search(text)
        if m:
            line = i + 1
            if m.group(1):
                line = next(j + 1 for j in range(i + 1, len(lines)) if lines[j].strip()
                            and not lines[j].lstrip().startswith(("#", "//")))
            out |= {(rid.strip(), str(path), line) for rid in m.group(2).split(",") if rid.strip()}
    return out


def _cases() -> list[tuple[str, str, Path]]:
    return [
        (d.name, outcome, entry)
        for d in sorted(FIXTURES.glob("CI-*"))
        for outcome in ("pass", "fail")
        for entry in sorted((d / outcome).glob("*"))
    ]


@pytest.mark.parametrize(("rule_id", "outcome", "entry"), _cases(), ids=lambda v: getattr(v, "name", str(v)))
def test_fixture(rule_id: str, outcome: str, entry: Path) -> None:
    rule = get_rule(rule_id)
    assert rule is not None, f"no rule {rule_id}"
    files = [p for p in sorted(entry.rglob("*")) if p.is_file()] if entry.is_dir() else [entry]
    got: set[tuple[str, str, int]] = set()
    want: set[tuple[str, str, int]] = set()
    analysed = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(entry).as_posix()
        if not ANALYZER.matches(rel) and not (path.suffix in (".yml", ".yaml") and sniff(text)):
            continue
        analysed += 1
        report = analyze_file(ANALYZER, text, str(path), [rule], RuleContext())
        assert not report.errors, [e.display() for e in report.errors]
        got |= {(r.id, str(path), h.line or 0) for r, h in report.hits}
        want |= {m for m in _marks(path) if m[0] == rule_id}
    assert analysed, f"{entry}: no pipeline file found"
    assert bool(want) == (outcome == "fail"), "fail fixtures mark findings, pass fixtures none"
    assert got == want


def test_every_ci_rule_has_fixtures_and_there_are_at_least_15() -> None:
    ids = [r.id for r in all_rules() if r.id.startswith("CI-")]
    assert len(ids) >= 15
    for rid in ids:
        for outcome in ("pass", "fail"):
            assert any((FIXTURES / rid / outcome).glob("*")), f"{rid}/{outcome} missing"
