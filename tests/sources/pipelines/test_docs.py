"""docs/pipelines.md names every tool the catalogue can report, and every CI rule."""

from __future__ import annotations

import re
from pathlib import Path

from cnsmm.rules import all_rules
from cnsmm.sources.pipelines import actions, commands, deps, images

ROOT = Path(__file__).parents[3]
_PAIR = re.compile(r'PipelineCategory\.([A-Z_]+),\s*"([^"]+)"(?!\s*:)')


def test_every_catalogued_tool_is_documented() -> None:
    doc = (ROOT / "docs" / "pipelines.md").read_text(encoding="utf-8")
    tools = set()
    for module in (actions, commands, deps, images):
        tools |= {m.group(2) for m in _PAIR.finditer(Path(str(module.__file__)).read_text(encoding="utf-8"))}
    assert len(tools) > 50
    missing = sorted(t for t in tools if t not in doc)
    assert not missing, f"tools missing from docs/pipelines.md: {missing}"


def test_every_ci_rule_is_in_the_docs_table() -> None:
    doc = (ROOT / "docs" / "pipelines.md").read_text(encoding="utf-8")
    missing = [r.id for r in all_rules() if r.id.startswith("CI-") and f"| {r.id} |" not in doc]
    assert not missing
