"""Every rule against its pass/fail fixtures, comparing exact (rule, file, line) triples.

Fixtures live in tests/fixtures/rules/<ID>/{pass,fail}/; each entry is a file or a folder
(scanned as a whole). Expected findings are marked in the files:

- ``# expect: K8S-001`` (or ``// expect: ...``) at the end of a line: that line;
- ``# expect-next: K8S-001`` on its own line: the next line that is not blank or a comment.

``<ID>/options.yaml``, when present, holds the rule options (``options:`` of cnsmm.yaml) the
fixtures of that rule are scanned with.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from cnsmm.config import Config
from cnsmm.rules import all_rules
from cnsmm.scan import scan_paths

FIXTURES = Path(__file__).parent.parent / "fixtures" / "rules"
_MARK = re.compile(r"(?:#|//)\s*expect(-next)?:\s*([A-Z0-9, -]+?)\s*$")
_COMMENT = re.compile(r"^\s*(#|//|$)")


def expected_marks(entry: Path) -> set[tuple[str, str, int]]:
    files = [entry] if entry.is_file() else sorted(p for p in entry.rglob("*") if p.is_file())
    marks: set[tuple[str, str, int]] = set()
    for file in files:
        lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
        for i, text in enumerate(lines):
            m = _MARK.search(text)
            if not m:
                continue
            line = i + 1
            if m.group(1):
                line = next(
                    (j + 1 for j in range(i + 1, len(lines)) if not _COMMENT.match(lines[j])), line
                )
            for rid in m.group(2).split(","):
                if rid.strip():
                    marks.add((rid.strip(), str(file), line))
    return marks


def _cases() -> list[tuple[str, str, Path]]:
    cases = []
    for rule_dir in sorted(p for p in FIXTURES.iterdir() if p.is_dir()) if FIXTURES.is_dir() else []:
        for outcome in ("pass", "fail"):
            for entry in sorted((rule_dir / outcome).glob("*")) if (rule_dir / outcome).is_dir() else []:
                cases.append((rule_dir.name, outcome, entry))
    return cases


@pytest.mark.parametrize(
    ("rule_id", "outcome", "entry"), _cases(), ids=lambda v: v.name if isinstance(v, Path) else str(v)
)
def test_fixture(rule_id: str, outcome: str, entry: Path) -> None:
    options_file = FIXTURES / rule_id / "options.yaml"  # rule options for this rule's fixtures, if any
    options = yaml.safe_load(options_file.read_text(encoding="utf-8")) if options_file.is_file() else {}
    result = scan_paths([str(entry)], Config(only=frozenset({rule_id}), options=options or {}))
    assert not result.errors, [e.display() for e in result.errors]
    got = {(f.rule, str(Path(f.location.file or "")), f.location.line or 0) for f in result.findings}
    want = {m for m in expected_marks(entry) if m[0] == rule_id}
    if outcome == "fail":
        assert want, f"{entry}: a fail fixture must mark at least one expected {rule_id} finding"
    else:
        assert not want, f"{entry}: a pass fixture must not expect findings"
    assert got == want


def test_every_rule_has_pass_and_fail_fixtures() -> None:
    missing = []
    for r in all_rules():
        for outcome in ("pass", "fail"):
            folder = FIXTURES / r.id / outcome
            if not folder.is_dir() or not any(folder.iterdir()):
                missing.append(f"{r.id}/{outcome}")
    assert not missing, f"rules without fixtures: {missing}"
