"""Falco JSON alerts (``json_output: true``): one JSON object per line.

Streams line by line; each alert becomes a runtime finding on its pod (or host).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import (
    PROJECT,
    At,
    Where,
    as_dict,
    fail,
    get_dict,
    get_str,
    guarded,
    record,
    severity_from_label,
)
from cnsmm.importers._jsonio import Doc
from cnsmm.importers.interface import ImportedReport, ItemErrors
from cnsmm.vocab import ReportKind

FORMAT = "falco-json"

PRIORITY = {
    "emergency": Severity.CRITICAL,
    "alert": Severity.CRITICAL,
    "critical": Severity.CRITICAL,
    "error": Severity.HIGH,
    "warning": Severity.MEDIUM,
    "notice": Severity.LOW,
    "informational": Severity.INFO,
    "info": Severity.INFO,
    "debug": Severity.INFO,
}

LINE_LIMIT = 4 * 1024 * 1024
"""Longest alert line accepted, in bytes."""


VERSIONS = "Falco 0.30 and later (json_output: true, one alert per line)"


def sniff(head: bytes) -> bool:
    """Falco: the first line is a JSON object with ``rule``, ``priority`` and ``output``."""
    first = head.lstrip().split(b"\n", 1)[0]
    return first.startswith(b"{") and b'"priority"' in first and b'"rule"' in first and b'"output"' in first


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse Falco JSON-lines alerts; a malformed line raises while iterating."""
    doc = Doc(stream, source, allow_empty=True)  # rejects UTF-16 up front; no alerts is fine
    errors = ItemErrors()
    return ImportedReport(
        format=FORMAT, tool="falco", tool_version=None, scope=f"falco:{PROJECT}",
        findings=guarded(source, _alerts(doc.rewind(), source, errors)), kind=ReportKind.RUNTIME, errors=errors,
    )


def _alerts(stream: IO[bytes], source: str, errors: ItemErrors) -> Iterator[Finding]:
    for number, raw in enumerate(iter(lambda: stream.readline(LINE_LIMIT + 1), b""), 1):
        where = At(source, "line", number, mode="line")
        if len(raw) > LINE_LIMIT:
            # The rest of an over-long line comes next: skip to the end of that line.
            record(errors, where, fail(where, f"alert line longer than {LINE_LIMIT // (1024 * 1024)} MiB"))
            rest = raw
            while rest and not rest.endswith(b"\n"):
                rest = stream.readline(LINE_LIMIT + 1)
            continue
        line = raw.strip()
        if not line:
            continue
        try:
            try:
                alert = as_dict(json.loads(line), where, "alert")
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise fail(where, f"invalid JSON alert ({exc})",
                           hint="Falco alerts must be JSON, one per line (json_output: true)") from exc
            found = _alert(alert, where)
        except Exception as exc:
            record(errors, where, exc)
            continue
        yield found


def _alert(a: dict[str, object], where: Where) -> Finding:
    rule = get_str(a, "rule", where, required=True) or ""
    label = get_str(a, "priority", where, required=True)
    fields = get_dict(a, "output_fields", where)
    ns = get_str(fields, "k8s.ns.name", where)
    pod = get_str(fields, "k8s.pod.name", where)
    repo = get_str(fields, "container.image.repository", where)
    tag = get_str(fields, "container.image.tag", where)
    host = get_str(a, "hostname", where)
    resource = f"Pod/{ns}/{pod}" if pod and ns else (f"Pod/{pod}" if pod else None)
    target = get_str(fields, "ka.target.name", where)
    if resource is None and target:  # Kubernetes audit events (source k8s_audit): the object acted on
        kind = get_str(fields, "ka.target.resource", where) or "object"
        tns = get_str(fields, "ka.target.namespace", where)
        resource = f"{kind}/{tns}/{target}" if tns else f"{kind}/{target}"
    output = get_str(a, "output", where) or rule
    return Finding(
        rule=rule, severity=severity_from_label(label, PRIORITY, Severity.MEDIUM), tool_severity=label,
        title=rule, message=output,
        location=Location(resource=resource or (f"Node/{host}" if host else None),
                          image=f"{repo}:{tag}" if repo and tag else repo),
        tool="falco", category="runtime",
        aliases=tuple(t for t in _tags(a) if t.upper().startswith("T") and t[1:5].isdigit()),
    )


def _tags(a: dict[str, object]) -> list[str]:
    tags = a.get("tags")
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []
