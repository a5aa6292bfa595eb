"""CSV of a scan: the tracker's export columns, formula-safe, line breaks quoted."""

from __future__ import annotations

import csv
import io
import re

from cnsmm.findings import Finding, Location, Severity
from cnsmm.renderers import OutputFormat, ScanReport, renderer_for
from cnsmm.scan import ScanResult
from cnsmm.tracking.export import CSV_COLUMNS


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_columns_are_the_tracking_export_columns(sample_report: ScanReport) -> None:
    text = renderer_for(OutputFormat.CSV).render(sample_report)
    header = next(csv.reader(io.StringIO(text, newline="")))
    assert tuple(header) == CSV_COLUMNS
    rows = _rows(text)
    assert len(rows) == len(sample_report.result.findings)
    priv = [r for r in rows if r["rule"] == "K8S-001"]
    assert {r["location"] for r in priv} == {"k8s/web.yaml:15", "k8s/web.yaml:18", "k8s/hostile.yaml:10"}
    assert all(r["status"] == "open" and r["severity"] == "critical" and r["tools"] == "cnsmm" for r in priv)
    assert len({r["fingerprint"] for r in rows}) == len(rows)
    assert all(r["first_seen"] == sample_report.started.date().isoformat() for r in rows)


def test_formula_cells_are_neutralised_and_line_breaks_quoted() -> None:
    evil = Finding(
        "=HYPERLINK(\"http://evil\")", Severity.HIGH, "+SUM(1,2)", "m",
        Location("x\r=cmd|' /C calc'!A0", 3), component="@import", installed_version="-1",
        fixed_version="\t=1", tool="cnsmm",
    )
    text = renderer_for(OutputFormat.CSV).render(ScanReport(ScanResult(findings=[evil]), ["."], "0.1.0"))
    # the carriage return stays inside one quoted cell, so no reader starts a row at "=cmd"
    assert '"x\r=cmd|\' /C calc\'!A0:3"' in text
    outside_quotes = re.sub(r'"(?:[^"]|"")*"', "", text)
    assert "\r" not in outside_quotes.replace("\r\n", "") and "\n" not in outside_quotes.replace("\r\n", "")
    assert len(text.split("\r\n")) == 3  # header, one record, the final empty piece
    row = _rows(text)[0]
    assert row["rule"] == "'=HYPERLINK(\"http://evil\")"
    assert row["title"] == "'+SUM(1,2)"
    assert row["component"] == "'@import" and row["installed_version"] == "'-1" and row["fixed_version"] == "'\t=1"
    assert row["location"] == "x\r=cmd|' /C calc'!A0:3"  # data kept, not cut at the carriage return
