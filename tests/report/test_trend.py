"""Levels over time as an inline SVG chart: geometry, and in the HTML report with --compare."""

from __future__ import annotations

import json

from tests.assess.helpers_assess import MODEL, attest, bundle, paths

from cnsmm.assess import assess
from cnsmm.report import render_assessment
from cnsmm.report.trend import trend


def test_geometry_maps_levels_to_heights_and_needs_two_points() -> None:
    assert trend(["a"], [("overall", [1])]) is None
    t = trend(["2026-01", "2026-02", "2026-03"], [("overall", [0, 2, 5])])
    assert t is not None
    (s,) = t.series
    ys = [dy for _, dy, _ in s.dots]
    assert ys[0] > ys[1] > ys[2]  # higher level, higher on the chart
    assert [lv for _, _, lv in s.dots] == [0, 2, 5]
    assert len(t.ticks) == 3 and t.ticks[0][1] == "2026-01"


def test_html_report_draws_the_trend_with_compare() -> None:
    before = assess(bundle(), MODEL, None, paths())
    previous = json.loads(render_assessment(before, MODEL, "json", "en"))
    answers = tuple(attest(r.id, "met") for r in MODEL.requirements.values() if r.level == 1)
    after = assess(bundle(attestations=answers), MODEL, None, paths())
    html = render_assessment(after, MODEL, "html", "en", previous=previous)
    assert "Levels over time" in html and "<polyline" in html and 'src="http' not in html and 'href="http' not in html
    assert "Overall level: L1" in html and "Overall level: L0" in html
    zh = render_assessment(after, MODEL, "html", "zh", previous=previous)
    assert "等级变化趋势" in zh
    assert "Levels over time" not in render_assessment(after, MODEL, "html", "en")
