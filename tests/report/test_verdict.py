"""The verdict sentences (why this level, what answering would do) and the plan's effort totals,
in the JSON, text, Markdown and HTML reports."""

from __future__ import annotations

import json
import re

import pytest
from tests.assess.helpers_assess import MODEL, bundle, check, paths

from cnsmm.assess import AssessOptions, Target, assess
from cnsmm.assess.plan import effort_by_phase, total_effort
from cnsmm.report import render_assessment
from cnsmm.report.verdict import lines, verdict


def _nothing_known():  # type: ignore[no-untyped-def]
    """No evidence at all: every requirement is an open question."""
    return assess(bundle(), MODEL, AssessOptions(), paths())


def _one_failing_l1():  # type: ignore[no-untyped-def]
    """Resource limits missing on 3 of 4 deployments: evidence against PLT.RUN.L1.2, aiming at L2."""
    ev = bundle(checks=(check("K8S-010", "PLT.RUN.L1.2", 4, 3),))
    return assess(ev, MODEL, AssessOptions(target=Target(2)), paths())


def test_only_open_questions_hold_an_estate_without_evidence() -> None:
    a = _nothing_known()
    v = verdict(a)
    assert v.level == 0 and not v.against
    assert set(v.open_blockers) == set(a.overall.blockers) and v.open_blockers
    assert v.questions_only == ("INF", "PLT", "APP", "DEV", "OPS") and not v.changes_needed
    assert v.level_if_answered == 5
    text = "\n".join(lines(a, MODEL, "en"))
    n = len(v.open_blockers)
    assert f"L0 because {n} requirements of L1 are not shown: {n} open questions (no evidence yet)." in text
    assert "L5 reachable by answering them" in text
    assert "with evidence against" not in text and "need changes" not in text


def test_evidence_against_is_named_and_answers_alone_do_not_raise_the_level() -> None:
    a = _one_failing_l1()
    v = verdict(a)
    assert v.against == ("PLT.RUN.L1.2",)
    assert "PLT" in v.changes_needed and "PLT" not in v.questions_only
    assert a.overall.level_if_answered == 0
    en = "\n".join(lines(a, MODEL, "en"))
    assert "1 with evidence against it" in en  # singular
    assert "Evidence against: PLT.RUN.L1.2 Resource isolation and usage limits" in en
    assert "answering them alone does not raise the level: evidence stands against 1 requirement." in en
    assert "PLT need changes" in en
    zh = "\n".join(lines(a, MODEL, "zh"))
    assert "1 项有相反的证据" in zh and "资源隔离与使用限制" in zh and "仅回答问题无法提升等级" in zh


def test_plan_summary_adds_up_per_phase_and_overall() -> None:
    a = _one_failing_l1()
    data = json.loads(render_assessment(a, MODEL, "json"))
    summary = data["plan_summary"]
    assert summary["actions"] == len(data["plan"]) > 0
    assert summary["effort_days"] == pytest.approx(sum(x["effort_days"] for x in data["plan"]))
    phases = summary["phases"]
    assert [p["phase"] for p in phases] == sorted({x["phase"] for x in data["plan"]}) == [1, 2]
    for p in phases:
        mine = [x for x in data["plan"] if x["phase"] == p["phase"]]
        assert p["actions"] == len(mine)
        assert p["effort_days"] == pytest.approx(sum(x["effort_days"] for x in mine))
    assert total_effort(a.plan) == summary["effort_days"]
    assert [(p.phase, p.actions) for p in effort_by_phase(a.plan)] == [(p["phase"], p["actions"]) for p in phases]


@pytest.mark.parametrize("fmt", ["text", "md", "html"])
def test_reports_state_the_verdict_and_the_plan_totals(fmt: str) -> None:
    a = _one_failing_l1()
    out = render_assessment(a, MODEL, fmt, "en")
    plain = re.sub(r"<[^>]+>", "", out) if fmt == "html" else out
    plain = re.sub(r"\s+", " ", plain).replace("\\", "")
    assert "L0 because" in plain and "1 with evidence against it" in plain
    total = f"{total_effort(a.plan):g}"
    assert f"{len(a.plan)} actions, {total} person-days in total" in plain
    first = effort_by_phase(a.plan)[0]
    if fmt != "html":
        assert f"phase 1 (unlocks L1): {first.actions} actions, {first.effort:g} person-days" in plain
    zh = render_assessment(a, MODEL, fmt, "zh")
    assert f"共 {total} 人天" in zh and "等级为 L0，因为" in zh


def test_html_drill_down_names_what_holds_each_practice() -> None:
    a = _one_failing_l1()
    html = render_assessment(a, MODEL, "html", "en")
    practice = a.practices["PLT.RUN.ISO"]
    assert practice.blockers and practice.blockers[0] == "PLT.RUN.L1.2"
    start = html.index("</span> PLT.RUN.ISO " + MODEL.practices["PLT.RUN.ISO"].name.en)  # its drill-down entry
    section = html[start:html.index('<details class="requirement">', start)]
    assert f"held at L{practice.level} by" in section
    assert "Resource isolation and usage limits" in section and "PLT.RUN.L1.2" in section
