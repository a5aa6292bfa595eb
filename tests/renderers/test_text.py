"""Summary-first text output: counts and top rules first, grouping, --min-severity, --quiet,
wrapping at a width between words, terminal escapes from inputs shown escaped."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from cnsmm.findings import Severity
from cnsmm.renderers import OutputFormat, ScanReport, renderer_for
from cnsmm.renderers.common import printable
from cnsmm.renderers.interface import GroupBy
from cnsmm.rules import get_rule


def _text(report: ScanReport, **changes: object) -> str:
    return renderer_for(OutputFormat.TEXT).render(replace(report, **changes))  # type: ignore[arg-type]


def test_summary_comes_first(sample_report: ScanReport) -> None:
    out = _text(sample_report)
    lines = out.splitlines()
    n = len(sample_report.result.findings)
    assert lines[0] == f"Findings: {n} (3 critical, 2 high, 29 medium, 23 low)"
    assert lines[1] == "Top rules:"
    top = lines[2:7]
    counts = [int(line.split()[0]) for line in top]
    assert counts == sorted(counts, reverse=True) and len(top) == 5
    assert "Scan incomplete: 1 input(s) could not be read" in out
    first_finding = next(i for i, line in enumerate(lines) if re.match(r"\s+(CRITICAL|HIGH|MEDIUM|LOW|INFO) ", line))
    assert first_finding > lines.index("Top rules:")
    assert out.index("Inputs that could not be read") > first_finding  # details after the findings
    assert "\x1b[" not in out


@pytest.mark.parametrize(
    ("group_by", "header"),
    [(GroupBy.FILE, "k8s/web.yaml (31)"), (GroupBy.RULE, "K8S-001 Container runs privileged (3)"),
     (GroupBy.RESOURCE, "Deployment/shop/web (31)")],
)
def test_group_by(sample_report: ScanReport, group_by: GroupBy, header: str) -> None:
    out = _text(sample_report, group_by=group_by)
    assert header in out.splitlines()
    if group_by is GroupBy.RESOURCE:
        assert "Dockerfile (7)" in out.splitlines()  # findings without a resource group under their file
    if group_by is GroupBy.RULE:
        block = out.split("K8S-001 Container runs privileged (3)\n", 1)[1].split("\n\n", 1)[0]
        assert "k8s/web.yaml:15" in block and "k8s/hostile.yaml:10" in block


def test_min_severity_hides_but_counts_everything(sample_report: ScanReport) -> None:
    out = _text(sample_report, min_severity=Severity.HIGH)
    assert out.startswith(f"Findings: {len(sample_report.result.findings)} (")
    shown = re.findall(r"^\s+(CRITICAL|HIGH|MEDIUM|LOW|INFO) ", out, re.MULTILINE)
    assert sorted(shown) == ["CRITICAL"] * 3 + ["HIGH"] * 2
    assert "52 finding(s) below high not shown (--min-severity)." in out


def test_quiet_is_the_summary_and_the_unreadable_inputs(sample_report: ScanReport) -> None:
    out = _text(sample_report, quiet=True)
    assert out.startswith("Findings: ") and "Top rules:" in out
    assert not re.search(r"^\s+(CRITICAL|HIGH|MEDIUM|LOW|INFO) ", out, re.MULTILINE)
    assert "fix:" not in out and "broken.yaml" in out
    assert len(out.splitlines()) < 20


@pytest.mark.parametrize("width", [60, 80, 132])
def test_wraps_at_the_width_without_breaking_words(sample_report: ScanReport, width: int) -> None:
    out = _text(sample_report, width=width)
    for line in out.splitlines():
        if len(line) > width:  # only a word longer than the room is kept whole, on a line of its own
            head, _, word = line.rstrip().rpartition(" ")
            assert len(head) <= width and len(word) > width // 3 and " " not in head.strip()[-1:], line
    assert sum(len(line) > width for line in out.splitlines()) < len(out.splitlines()) // 5
    words = set(out.split())
    for f in sample_report.result.findings:
        for word in printable(f.message).split():
            if len(word) < width // 3:
                assert word in words, (word, f.message)
    unwrapped = _text(sample_report)
    assert max(len(line) for line in unwrapped.splitlines()) > 132  # no width: one finding per line


def test_terminal_escapes_from_manifests_are_shown_escaped(sample_report: ScanReport) -> None:
    for group_by in GroupBy:
        out = _text(sample_report, group_by=group_by, color=True)
        plain = re.sub(r"\x1b\[[0-9;]*m", "", out)  # the renderer's own colours
        assert "\x1b" not in plain and "\x07" not in plain
        if group_by is GroupBy.RESOURCE:
            assert "\\x1b[31m\\x1b]0;owned\\x07" in plain


def test_printable_escapes_controls_and_bidi_overrides() -> None:
    assert printable("a\x1b[2Jb\x9bc\u202ed\u2066e") == "a\\x1b[2Jb\\x9bc\\u202ed\\u2066e"
    assert printable("line1\nline2\tend") == "line1\\x0aline2\\x09end"
    assert printable("line1\nline2\tend", single_line=False) == "line1\nline2\tend"
    assert printable("云原生 Ünïcode ok") == "云原生 Ünïcode ok"


def test_rule_page_is_rendered_for_the_terminal() -> None:
    from cnsmm.renderers.rulepage import render_rule_page

    meta = get_rule("K8S-001").meta  # type: ignore[union-attr]
    page = render_rule_page(meta, width=60)
    assert page.startswith("K8S-001 privileged-container")
    assert "##" not in page and "```" not in page and "**" not in page
    assert "Why is this bad?" in page and "privileged: true" in page
    assert max(len(line) for line in page.splitlines()) <= 60
    assert "\x1b[" in render_rule_page(meta, width=60, color=True)
