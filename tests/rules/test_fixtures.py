"""Every rule against its pass/fail fixtures, comparing exact (rule, file, line) triples.

Fixtures live in tests/fixtures/rules/<ID>/{pass,fail}/; each entry is a file or a folder
(scanned as a whole, through the same scan as ``cnsmm scan``). Expected findings are marked in
the files with ``# expect:`` markers (:mod:`tests.markers`); each file starts with a comment
saying what it covers (JSON files, which hold no comments, excepted).

``<ID>/options.yaml``, when present, holds the rule options (``options:`` of cnsmm.yaml) the
fixtures of that rule are scanned with.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from tests.markers import FIXTURES, entry_files, expected_marks, fixture_cases

from cnsmm.config import Config
from cnsmm.rules import all_rules
from cnsmm.scan import scan_paths


@pytest.mark.parametrize(
    ("rule_id", "outcome", "entry"), fixture_cases(), ids=lambda v: v.name if isinstance(v, Path) else str(v)
)
def test_fixture(rule_id: str, outcome: str, entry: Path) -> None:
    for file in entry_files(entry):
        if file.suffix != ".json":
            assert file.read_text(encoding="utf-8").lstrip().startswith(("#", "//")), \
                f"{file} must start with a comment saying what it covers"
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
        checked = result.coverage.get(rule_id)
        assert checked is not None and checked.evaluated, f"{entry}: {rule_id} checked nothing in this pass fixture"
    assert got == want


def test_every_rule_has_pass_and_fail_fixtures() -> None:
    missing = []
    for r in all_rules():
        for outcome in ("pass", "fail"):
            folder = FIXTURES / r.id / outcome
            if not folder.is_dir() or not any(folder.iterdir()):
                missing.append(f"{r.id}/{outcome}")
    assert not missing, f"rules without fixtures: {missing}"
