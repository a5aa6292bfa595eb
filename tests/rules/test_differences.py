"""The documented differences from other scanners name real rules and reach docs/rules.md."""

from __future__ import annotations

from cnsmm.rules import all_rules
from cnsmm.rules.differences import DIFFERENCES
from cnsmm.rules.docs import rules_markdown


def test_differences_name_registered_rules() -> None:
    ids = {r.id for r in all_rules()}
    missing = [(d.topic, r) for d in DIFFERENCES for r in d.rules if r not in ids]
    assert not missing
    assert len({d.topic for d in DIFFERENCES}) == len(DIFFERENCES)
    assert all(d.cnsmm and d.others and d.why for d in DIFFERENCES)


def test_section_is_in_the_rules_page_with_links() -> None:
    text = rules_markdown(all_rules())
    assert "## How cnsmm differs from other scanners" in text
    assert "### A limit implies the request" in text
    assert "[K8S-079](#k8s-079-missing-resource-requests)" in text
    assert "(#how-cnsmm-differs-from-other-scanners)" in text
