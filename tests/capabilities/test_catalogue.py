"""The catalogue's metadata: ids, requirements, types and the generated docs page."""

from __future__ import annotations

import dataclasses
import pickle

import pytest
from tests.capabilities.helpers_capabilities import FIXTURES, load_fixture
from tests.conftest import REPO

from cnsmm.capabilities import CATALOGUE, Detection, detect, render_catalogue_markdown
from cnsmm.capabilities.model import DETECTOR_ID_RE, Support
from cnsmm.capabilities.registry import REGISTRY, detector
from cnsmm.model import load_model

DOCS = REPO / "docs" / "capabilities.md"


def test_catalogue_has_at_least_40_detectors_sorted_by_unique_kebab_id() -> None:
    ids = [d.id for d in CATALOGUE]
    assert len(ids) >= 40
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert all(DETECTOR_ID_RE.match(i) for i in ids)


def test_every_requirement_exists_in_the_model_and_has_a_reason() -> None:
    known = set(load_model().requirements)
    for det in CATALOGUE:
        assert det.supports, det.id
        assert len(set(det.requirements)) == len(det.requirements), det.id
        for support in det.supports:
            assert support.requirement in known, (det.id, support.requirement)
            assert support.why.endswith(".") and len(support.why) > 20, (det.id, support.requirement)
        assert det.how and det.conditions and det.name and det.category


def test_why_looks_up_the_reason_of_a_requirement() -> None:
    falco = next(d for d in CATALOGUE if d.id == "falco")
    assert "syscall" in falco.why("INF.CMP.L2.5")
    assert falco.why("DEV.REQ.L1.1") == ""


def test_metadata_and_detections_are_frozen_and_picklable() -> None:
    det = next(d for d in CATALOGUE if d.id == "velero")
    with pytest.raises(dataclasses.FrozenInstanceError):
        det.id = "other"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(CATALOGUE)) == CATALOGUE
    found = detect(load_fixture(FIXTURES / "velero" / "effective.yaml"))
    assert pickle.loads(pickle.dumps(found)) == found
    assert all(isinstance(d, Detection) for d in found)
    with pytest.raises(dataclasses.FrozenInstanceError):
        found[0].status = "partial"  # type: ignore[misc]
    assert hash(found[0]) == hash(pickle.loads(pickle.dumps(found[0])))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"id": "Bad_Id"}, "not kebab-case"),
        ({"id": "falco"}, "registered twice"),
        ({"supports": (("PLT.RUN.2.1", "reason."),)}, "SUBITEM.L<level>.<n>"),
        ({"supports": (("PLT.RUN.L2.1", "  "),)}, "has no reason"),
    ],
)
def test_bad_registrations_raise(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "id": "brand-new", "name": "x", "category": "x", "how": "x", "conditions": "x",
        "supports": (("PLT.RUN.L2.1", "reason."),),
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=message.replace("<", ".").replace(">", ".")):
        detector(**args)  # type: ignore[arg-type]
    assert "brand-new" not in REGISTRY


def test_docs_page_is_generated_from_the_catalogue() -> None:
    text = render_catalogue_markdown()
    titles = {rid: f"{r.text.en} ({r.text.zh})" for rid, r in load_model().requirements.items()}
    assert DOCS.read_text(encoding="utf-8") == text, (
        "docs/capabilities.md is stale: regenerate it with "
        "`.venv/bin/python -m cnsmm.capabilities > docs/capabilities.md`"
    )
    for det in CATALOGUE:
        assert f"## {det.name} (`{det.id}`)" in text
        for support in det.supports:
            assert f"| {support.requirement} | {titles[support.requirement]} |" in text


def test_docs_escape_table_cells() -> None:
    from cnsmm.capabilities.model import Detector

    odd = Detector("odd", "Odd | name", "misc", (Support("PLT.RUN.L2.1", "a|b\nc."),), "how", "when")
    text = render_catalogue_markdown([odd])
    assert "| PLT.RUN.L2.1 | Privileged containers and privileged behaviour restricted (特权容器与特权行为限制) | a\\|b c. |" in text
    assert "[Odd \\| name](#odd)" in text
