"""kube-score JSON (``kube-score score -o json FILES``): checks graded per object."""

from __future__ import annotations

from typing import IO, Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import PROJECT, At, as_dict, fail, get_dict, get_int, get_list, get_str, type_name
from cnsmm.importers._simple import load, report
from cnsmm.importers.interface import ImportedReport
from cnsmm.vocab import ReportKind

FORMAT = "kube-score-json"
VERSIONS = "kube-score 1.x (samples follow 1.18)"
_GRADE = {1: Severity.HIGH, 5: Severity.MEDIUM, 7: Severity.LOW}  # 1 critical, 5 warning, 7 almost OK, 10 OK


def sniff(head: bytes) -> bool:
    """kube-score JSON: an array of objects with ``object_name``, ``type_meta`` and ``checks``."""
    return head.lstrip().startswith(b"[") and b'"object_name"' in head and b'"checks"' in head


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a kube-score JSON report: one finding per object and failed check."""
    doc = load(stream, source)
    if not isinstance(doc, list):
        raise fail(source, f"the report must be a JSON array of scored objects (got {type_name(doc)})")
    return report(FORMAT, "kube-score", None, f"kube-score:{PROJECT}", ReportKind.IAC_SCAN, source,
                  [("object", "", doc, _object)])


def _object(raw: Any, at: At) -> list[Finding]:
    o = as_dict(raw, at, "object")
    meta = get_dict(o, "object_meta", at)
    kind = get_str(get_dict(o, "type_meta", at), "kind", at) or "Object"
    name = get_str(meta, "name", at) or get_str(o, "object_name", at) or "?"
    ns = get_str(meta, "namespace", at)
    resource = f"{kind}/{ns}/{name}" if ns else f"{kind}/{name}"
    out = []
    for i, raw_check in enumerate(get_list(o, "checks", at), 1):
        cat = At(at, "check", i, "checks")
        c = as_dict(raw_check, cat, "check")
        grade = get_int(c, "grade", cat)
        if c.get("skipped") is True or grade is None or grade >= 10:
            continue
        check = get_dict(c, "check", cat)
        cid = get_str(check, "id", cat) or get_str(check, "name", cat) or "?"
        comments = [x for x in get_list(c, "comments", cat) if isinstance(x, dict)]
        detail = "; ".join(f"{x.get('path') or ''} {x.get('summary') or ''}".strip() for x in comments[:5])
        title = get_str(check, "name", cat) or cid
        out.append(Finding(
            rule=cid, severity=_GRADE.get(grade, Severity.LOW), tool_severity=f"grade {grade}", title=title,
            message=f"{resource}: {title}" + (f" ({detail})" if detail else ""),
            description=get_str(check, "comment", cat),
            location=Location(file=get_str(o, "file_name", at), line=get_int(o, "file_row", at), resource=resource),
            tool="kube-score", category="misconfiguration",
        ))
    return out
