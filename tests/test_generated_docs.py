"""Every generated page of docs/ is what the code generates now (``make docs`` rewrites them)."""

from __future__ import annotations

import pytest
from tests.conftest import REPO, load_script

gen_docs = load_script(REPO / "scripts" / "gen_docs.py")


@pytest.mark.parametrize("page", sorted(gen_docs.PAGES))
def test_generated_page_is_current(page: str) -> None:
    assert (REPO / page).read_text(encoding="utf-8") == gen_docs.generate(page), f"{page} is stale: run `make docs`"


def test_every_page_that_says_it_is_generated_is_regenerated() -> None:
    marked = {str(p.relative_to(REPO)) for p in (REPO / "docs").glob("*.md")
              if "do not edit by hand" in p.read_text(encoding="utf-8")[:600]}
    assert marked == set(gen_docs.PAGES)


def test_rule_pages_link_their_source_file() -> None:
    text = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert "Source: [src/cnsmm/rules/k8s/privileged.py](../src/cnsmm/rules/k8s/privileged.py)" in text
    for link in {line.split("](")[1].rstrip(")") for line in text.splitlines() if line.startswith("Source: [")}:
        assert (REPO / "docs" / link).resolve().is_file(), link
