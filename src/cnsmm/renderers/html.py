"""A self-contained HTML page of a scan: summary first, then a findings table that can be
filtered by severity, rule and file in the browser. No external resources; every value from
the inputs is HTML-escaped, and a Content-Security-Policy allows only the page's own script
(by hash) and styles."""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from html import escape

from cnsmm.findings import Severity
from cnsmm.renderers.common import shown, top_rules
from cnsmm.renderers.interface import Renderer, ScanReport
from cnsmm.renderers.jsonfmt import summary

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:1.5rem;color:#1f2328}
h1{font-size:1.4rem;margin:0 0 .5rem}h2{font-size:1.1rem;margin:1.2rem 0 .4rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.3rem .5rem;
border-bottom:1px solid #d0d7de}th{background:#f6f8fa}
.sev{font-weight:600;white-space:nowrap;padding:.05rem .4rem;border-radius:.3rem}
.critical{background:#8b0000;color:#fff}.high{background:#d1242f;color:#fff}.medium{background:#f0b400}
.low{background:#54aeff}.info{background:#d0d7de}
.fix{color:#57606a}.filters{display:flex;gap:1rem;flex-wrap:wrap;margin:.5rem 0}
.warn{color:#d1242f;font-weight:600}code{font-size:13px;word-break:break-all}
"""
_SCRIPT = """
(function () {
  var table = document.getElementById("findings");
  if (!table) { return; }
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var filters = {severity: document.getElementById("f-severity"), rule: document.getElementById("f-rule"),
                 file: document.getElementById("f-file")};
  var counter = document.getElementById("visible");
  function apply() {
    var visible = 0;
    rows.forEach(function (row) {
      var show = Object.keys(filters).every(function (key) {
        var want = filters[key].value;
        return want === "" || row.dataset[key] === want;
      });
      row.hidden = !show;
      if (show) { visible += 1; }
    });
    counter.textContent = String(visible);
  }
  Object.keys(filters).forEach(function (key) { filters[key].addEventListener("change", apply); });
  apply();
})();
"""
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
CSP = f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{_SCRIPT_HASH}'; img-src data:"


def _options(label: str, name: str, values: list[str]) -> str:
    opts = "".join(f'<option value="{escape(v)}">{escape(v)}</option>' for v in values)
    return (f'<label>{label} <select id="f-{name}" name="{name}"><option value="">all</option>{opts}'
            "</select></label>")


class HtmlRenderer(Renderer):
    """One HTML page, no external resources."""

    def render(self, report: ScanReport) -> str:
        r = report.result
        s = summary(report)
        findings = shown(report)
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>cnsmm scan: {s['findings']} findings</title><style>{_STYLE}</style></head><body>",
            "<h1>cnsmm scan</h1>",
            f"<p>{escape(', '.join(report.paths))} &middot; cnsmm {escape(report.tool_version)} &middot; "
            f"{escape(report.started.isoformat(timespec='seconds'))}</p>",
            '<table class="summary" id="summary"><thead><tr><th>Severity</th><th>Findings</th></tr></thead><tbody>',
        ]
        parts += [
            f'<tr><td><span class="sev {sev.value}">{sev.value}</span></td><td>{s["by_severity"][sev.value]}</td></tr>'
            for sev in Severity
        ]
        parts.append("</tbody></table>")
        parts.append(
            f"<p>{s['findings']} findings in {s['files']} files, {s['objects']} objects; {s['rules']} rules ran"
            + (f"; {r.suppressed} suppressed" if r.suppressed else "")
            + (f"; {r.baselined} in baseline" if r.baselined else "")
            + ".</p>"
        )
        if not r.complete:
            parts.append(f'<p class="warn">Scan incomplete: {len(r.errors)} input(s) could not be read.</p>')
        top = top_rules(r.findings)
        if top:
            parts.append('<h2>Top rules</h2><ol id="top-rules">')
            parts += [
                f'<li><span class="sev {sev.value}">{sev.value}</span> <code>{escape(rule)}</code> '
                f"{escape(title)}: {count}</li>"
                for rule, sev, title, count in top
            ]
            parts.append("</ol>")
        parts.append("<h2>Findings</h2>")
        hidden = len(r.findings) - len(findings)
        if hidden:
            parts.append(f"<p>{hidden} finding(s) below {report.min_severity.value} not included.</p>")
        if findings:
            rules = sorted({f.rule for f in findings})
            files = sorted({f.location.file or "-" for f in findings})
            present = Counter(f.severity.value for f in findings)
            parts.append('<form class="filters" id="filters">')
            parts.append(_options("Severity", "severity", [sev.value for sev in Severity if present[sev.value]]))
            parts.append(_options("Rule", "rule", rules))
            parts.append(_options("File", "file", files))
            parts.append(f'<span><span id="visible">{len(findings)}</span> of {len(findings)} shown</span></form>')
            parts.append(
                '<table id="findings"><thead><tr><th>Severity</th><th>Rule</th><th>File</th><th>Line</th>'
                "<th>Resource</th><th>Message</th></tr></thead><tbody>"
            )
            for f in findings:
                loc = f.location
                fix = f'<div class="fix">Fix: {escape(f.fix)}</div>' if f.fix else ""
                parts.append(
                    f'<tr data-severity="{f.severity.value}" data-rule="{escape(f.rule)}" '
                    f'data-file="{escape(loc.file or "-")}">'
                    f'<td><span class="sev {f.severity.value}">{f.severity.value}</span></td>'
                    f'<td><code title="{escape(f.title)}">{escape(f.rule)}</code></td>'
                    f"<td><code>{escape(loc.file or '-')}</code></td><td>{loc.line or ''}</td>"
                    f"<td>{escape(loc.resource or '')}</td><td>{escape(f.message)}{fix}</td></tr>"
                )
            parts.append("</tbody></table>")
        else:
            parts.append("<p>No findings to show.</p>")
        if r.errors:
            parts.append('<h2>Inputs that could not be read</h2><ul id="errors">')
            parts += [f"<li>{escape(e.display())}</li>" for e in r.errors]
            parts.append("</ul>")
        if r.warnings:
            parts.append("<h2>Warnings (suppressions, rendering)</h2><ul>")
            parts += [f"<li>{escape(w)}</li>" for w in r.warnings]
            parts.append("</ul>")
        parts.append(f"<script>{_SCRIPT}</script></body></html>")
        return "\n".join(parts) + "\n"
