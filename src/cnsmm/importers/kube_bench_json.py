"""kube-bench JSON reports (``kube-bench --json``): CIS Kubernetes Benchmark results.

Checks with status FAIL or WARN become findings; PASS and INFO do not. Loaded whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import as_dict, fail, file_name, get_list, get_str, guarded, req_str
from cnsmm.importers._jsonio import load_small
from cnsmm.importers.interface import ImportedReport

FORMAT = "kube-bench-json"


def sniff(head: bytes) -> bool:
    """kube-bench JSON: controls with ``node_type`` and ``tests`` of ``test_number`` results."""
    return b'"node_type"' in head and b'"tests"' in head and (b'"test_number"' in head or b'"Controls"' in head)


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a kube-bench JSON report (whole document; structure errors raise here)."""
    doc = load_small(stream, source)
    if isinstance(doc, dict) and "Controls" in doc:
        controls = get_list(doc, "Controls", source)
    elif isinstance(doc, dict) and isinstance(doc.get("tests"), list):
        controls = [doc]  # one target, older releases
    elif isinstance(doc, list):
        controls = doc  # one control per target, releases before 0.6
    else:
        raise fail(source, "missing Controls (kube-bench --json writes {\"Controls\": [...]})")
    checked = [as_dict(c, f"{source}: control #{i}", "control") for i, c in enumerate(controls, 1)]
    for i, c in enumerate(checked, 1):
        get_list(c, "tests", f"{source}: control #{i}")
    nodes = sorted({get_str(c, "node_type", source) or "node" for c in checked})
    benchmark = next((v for c in checked if (v := get_str(c, "version", source))), None)
    return ImportedReport(
        format=FORMAT, tool="kube-bench", tool_version=None,
        scope=f"{'+'.join(nodes) or 'node'}:{file_name(source)}",
        findings=guarded(source, _findings(checked, source, benchmark)), kind="compliance",
    )


def _findings(controls: list[dict[str, Any]], source: str, benchmark: str | None) -> Iterator[Finding]:
    for i, control in enumerate(controls, 1):
        cwhere = f"{source}: control #{i}"
        node = get_str(control, "node_type", cwhere) or "node"
        for j, test in enumerate(get_list(control, "tests", cwhere), 1):
            twhere = f"{cwhere}, test #{j}"
            for k, raw in enumerate(get_list(as_dict(test, twhere, "test"), "results", twhere), 1):
                rwhere = f"{twhere}, result #{k}"
                found = _result(as_dict(raw, rwhere, "result"), node, benchmark, rwhere)
                if found is not None:
                    yield found


def _result(r: dict[str, Any], node: str, benchmark: str | None, where: str) -> Finding | None:
    status = req_str(r, "status", where).upper()
    if status not in ("FAIL", "WARN"):
        return None
    number = req_str(r, "test_number", where)
    title = get_str(r, "test_desc", where) or number
    scored = r.get("scored") is True
    severity = (Severity.HIGH if scored else Severity.MEDIUM) if status == "FAIL" else Severity.LOW
    detail = get_str(r, "reason", where) or get_str(r, "actual_value", where)
    message = f"CIS {number} {status.lower()}ed on the {node} node: {title}"
    if detail:
        message += f" ({detail[:300]})"
    return Finding(
        rule=f"CIS-{number}", severity=severity, tool_severity=f"{status}{' scored' if scored else ''}",
        title=title, message=message, description=get_str(r, "audit", where),
        fix=get_str(r, "remediation", where), location=Location(resource=f"Node/{node}"),
        tool="kube-bench", category="compliance", aliases=(f"{benchmark}:{number}",) if benchmark else (),
    )
