"""Every detector against realistic manifests: effective, partial and look-alike cases.

Each file under ``fixtures/<detector>/`` is named after the expected outcome
(``effective``, ``partial`` or ``absent``), starts with a comment saying what it covers,
and may pin the requirements with ``# requirements-effective:`` and
``# requirements-partial:`` header lines.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.capabilities.helpers_capabilities import FIXTURES, header, load_fixture

from cnsmm.capabilities import CATALOGUE, detect

CASES = sorted(FIXTURES.glob("*/*.yaml"))
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_outcome(path: Path) -> None:
    detector = path.parent.name
    expected = path.stem.split("-")[0]
    found = {d.detector: d for d in detect(load_fixture(path))}
    if expected == "absent":
        assert detector not in found, found.get(detector)
        return
    assert detector in found, f"{detector} not detected in {path.name}; found {sorted(found)}"
    det = found[detector]
    assert det.status == expected, det.reason_en
    pinned_eff = header(path, "requirements-effective")
    pinned_part = header(path, "requirements-partial")
    if pinned_eff is not None:
        assert set(det.requirements_effective) == pinned_eff
    if pinned_part is not None:
        assert set(det.requirements_partial) == pinned_part
    if expected == "effective":
        assert det.requirements_effective
    else:
        assert det.requirements_partial, "a partial detection names what it supports only in part"
    assert not set(det.requirements_effective) & set(det.requirements_partial)
    lines = path.read_text(encoding="utf-8").count("\n") + 1
    assert det.evidence, "a detection points at the objects that show it"
    for ev in det.evidence:
        assert ev.file == str(path)
        assert 1 <= ev.line <= lines
        assert ev.resource and ev.detail
    assert det.reason_en.endswith(".") and not CJK.search(det.reason_en)
    assert CJK.search(det.reason_zh) and det.reason_zh.endswith("。")


def test_every_detector_has_effective_and_partial_fixtures() -> None:
    ids = {d.id for d in CATALOGUE}
    dirs = {p.name for p in FIXTURES.iterdir() if p.is_dir()}
    assert dirs == ids, f"fixtures without detector: {sorted(dirs - ids)}; detectors without fixtures: {sorted(ids - dirs)}"
    for det in ids:
        stems = {p.stem.split("-")[0] for p in (FIXTURES / det).glob("*.yaml")}
        assert {"effective", "partial"} <= stems, det
        assert stems <= {"effective", "partial", "absent"}, det


def test_every_fixture_says_what_it_covers() -> None:
    for path in CASES:
        assert path.read_text(encoding="utf-8").startswith("# "), path


def test_detections_come_in_catalogue_order_whatever_the_input_order() -> None:
    objects = [o for p in CASES if p.stem.startswith("effective") for o in load_fixture(p)]
    forward = detect(objects)
    backward = detect(list(reversed(objects)))
    order = [d.id for d in CATALOGUE]
    assert [d.detector for d in forward] == sorted((d.detector for d in forward), key=order.index)
    assert [d.detector for d in forward] == [d.detector for d in backward]
    assert len(forward) == len({d.detector for d in forward})
    assert detect([]) == []
