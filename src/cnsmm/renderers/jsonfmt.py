"""JSON scan output (schema ``cnsmm-scan``, documented in docs/output.md)."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from typing import Any

from cnsmm.findings import Finding, Severity
from cnsmm.renderers.interface import Renderer, ScanReport

SCHEMA_VERSION = 1


def finding_dict(f: Finding) -> dict[str, Any]:
    """A finding as the JSON output shows it."""
    return {
        "rule": f.rule,
        "severity": f.severity.value,
        "title": f.title,
        "message": f.message,
        "file": f.location.file,
        "line": f.location.line,
        "resource": f.location.resource,
        "build": f.location.build,
        "category": f.category,
        "fix": f.fix,
        "requirements": list(f.requirements),
        "references": list(f.references),
        "expected_exception": f.expected_exception,
    }


def summary(report: ScanReport) -> dict[str, Any]:
    """Counts shown by every renderer."""
    r = report.result
    by_sev = Counter(f.severity.value for f in r.findings)
    return {
        "files": r.files,
        "builds": r.builds,
        "objects": r.objects,
        "distinct_objects": r.distinct_objects,
        "sets": r.sets,
        "rules": r.rules_run,
        "findings": len(r.findings),
        "by_severity": {s.value: by_sev.get(s.value, 0) for s in Severity},
        "suppressed": r.suppressed,
        "baselined": r.baselined,
        "errors": len(r.errors),
        "complete": r.complete,
    }


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


class JsonRenderer(Renderer):
    """Machine-readable output with a versioned schema."""

    def render(self, report: ScanReport) -> str:
        r = report.result
        doc = {
            "schema": "cnsmm-scan",
            "schema_version": SCHEMA_VERSION,
            "tool": "cnsmm",
            "version": report.tool_version,
            "started": report.started.isoformat(timespec="seconds"),
            "paths": report.paths,
            **({"covered": report.covered} if report.covered is not None else {}),
            **({"checkout": report.checkout} if report.checkout is not None else {}),
            "complete": r.complete,
            "summary": summary(report),
            "findings": [finding_dict(f) for f in r.findings],
            "errors": [
                {"file": e.file, "line": e.line, "kind": e.kind, "message": e.message} for e in r.errors
            ],
            "skipped": r.skipped,
            "warnings": r.warnings,
            "pipelines": _plain(r.pipelines),
            "capabilities": _plain(r.capabilities),
            "coverage": {
                rid: {"evaluated": len(c.evaluated), "failed": len(c.failed)} for rid, c in r.coverage.items()
            },
            "not_evaluated": [{"rule": rid, "reason": why} for rid, why in r.not_evaluated.items()],
            "repeats": (
                "objects counts every object once per set (folder, file or stream) it appears in; "
                "distinct_objects counts each kind/namespace/name once across the whole scan"
            ),
        }
        return json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
