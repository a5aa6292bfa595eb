"""CSV of a scan's findings with the columns of the tracker's export (``cnsmm findings list
--format csv``), so one spreadsheet takes both. Safe to open in a spreadsheet: a cell that
starts like a formula gets a leading quote, and a cell holding a line break or carriage return
is quoted (records end with CRLF, RFC 4180), so no formula can start a row of its own."""

from __future__ import annotations

import csv
import io

from cnsmm.renderers.common import stable_ids
from cnsmm.renderers.interface import Renderer, ScanReport


class CsvRenderer(Renderer):
    """One row per finding, tracker export columns; scan findings are ``open`` and untracked
    (no id, owner or due date), seen at the scan's start."""

    def render(self, report: ScanReport) -> str:
        from cnsmm.tracking.csvcells import safe_cell
        from cnsmm.tracking.export import CSV_COLUMNS

        seen = report.started.date().isoformat()
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(CSV_COLUMNS)
        for f, identifier in stable_ids(report.result.findings):
            row = {
                "fingerprint": identifier,
                "status": "open",
                "severity": f.severity.value,
                "tools": f.tool,
                "title": f.title,
                "rule": f.rule,
                "category": f.category,
                "component": f.component,
                "installed_version": f.installed_version,
                "fixed_version": f.fixed_version,
                "location": f.location.display(),
                "first_seen": seen,
                "last_seen": seen,
            }
            writer.writerow([safe_cell(row.get(col)) for col in CSV_COLUMNS])
        return out.getvalue()
