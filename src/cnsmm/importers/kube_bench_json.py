"""kube-bench JSON reports (``kube-bench --json``): CIS Kubernetes Benchmark results.

Checks with status FAIL or WARN become findings; PASS and INFO do not. Loaded whole.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import IO, Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import (
    At,
    Where,
    as_dict,
    each,
    fail,
    get_list,
    get_str,
    guarded,
    record,
    req_str,
)
from cnsmm.importers._jsonio import load_small
from cnsmm.importers.interface import ImportedReport, ItemErrors
from cnsmm.vocab import ReportKind

FORMAT = "kube-bench-json"


VERSIONS = "kube-bench 0.6.10+ ({\"Controls\": [...]}); one control object or a bare array (older releases)"


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
    checked = [c if isinstance(c, dict) else {} for c in controls]
    errors = ItemErrors()
    nodes = sorted({get_str(c, "node_type", source) or "node" for c in checked})
    benchmark = next((v for c in checked if (v := get_str(c, "version", source))), None)
    return ImportedReport(
        format=FORMAT, tool="kube-bench", tool_version=None,
        scope=f"nodes:{'+'.join(nodes) or 'node'}",
        findings=guarded(source, _findings(controls, source, benchmark, errors, "Controls" if isinstance(doc, dict)
                                           and "Controls" in doc else "")), kind=ReportKind.COMPLIANCE, errors=errors,
    )


def _findings(controls: list[Any], source: str, benchmark: str | None, errors: ItemErrors,
              key: str) -> Iterator[Finding]:
    for i, raw_control in enumerate(controls, 1):
        cwhere = At(source, "control", i, key)
        try:
            control = as_dict(raw_control, cwhere, "control")
            node = get_str(control, "node_type", cwhere) or "node"
            tests = get_list(control, "tests", cwhere)
        except Exception as exc:
            record(errors, cwhere, exc)
            continue
        for j, test in enumerate(tests, 1):
            twhere = At(cwhere, "test", j, "tests")
            try:
                results = get_list(as_dict(test, twhere, "test"), "results", twhere)
            except Exception as exc:
                record(errors, twhere, exc)
                continue
            yield from each(errors, twhere, "result", "results", results,
                            functools.partial(_raw_result, node=node, benchmark=benchmark))


def _raw_result(raw: Any, at: At, *, node: str, benchmark: str | None) -> Finding | None:
    return _result(as_dict(raw, at, "result"), node, benchmark, at)


def _result(r: dict[str, Any], node: str, benchmark: str | None, where: Where) -> Finding | None:
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
