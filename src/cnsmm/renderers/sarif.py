"""SARIF 2.1.0 output for code-scanning UIs (validated against the OASIS schema in tests)."""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote

from cnsmm.findings import Severity
from cnsmm.identity import finding_id
from cnsmm.renderers.interface import Renderer, ScanReport
from cnsmm.rules import get_rule
from cnsmm.rules.base import RuleMeta

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}


def artifact_uri(path: str) -> dict[str, str]:
    """A SARIF artifactLocation: relative paths against %SRCROOT%, absolute ones as file URIs."""
    if path in ("", "-", "<stdin>"):
        return {"uri": "stdin"}
    norm = path.replace(os.sep, "/")
    if os.path.isabs(path):
        return {"uri": "file://" + quote(norm)}
    return {"uri": quote(norm.removeprefix("./")), "uriBaseId": "%SRCROOT%"}


def _descriptor(meta: RuleMeta) -> dict[str, Any]:
    help_md = (
        f"**{meta.title}**\n\n{meta.what}\n\n**Why:** {meta.why}\n\n**Fix:** {meta.fix}\n\n"
        f"Bad:\n```\n{meta.bad}\n```\nGood:\n```\n{meta.good}\n```"
    )
    return {
        "id": meta.id,
        "name": meta.name,
        "shortDescription": {"text": meta.title},
        "fullDescription": {"text": f"{meta.what} {meta.why}"},
        "help": {"text": f"{meta.what}\nWhy: {meta.why}\nFix: {meta.fix}", "markdown": help_md},
        "defaultConfiguration": {"level": LEVEL[meta.severity]},
        "properties": {
            "tags": ["security", *meta.targets[:3], *meta.requirements],
            "security-severity": SECURITY_SEVERITY[meta.severity],
            "precision": "high",
            "problem.severity": "error" if meta.severity.at_least(Severity.HIGH) else "warning",
        },
    }


class SarifRenderer(Renderer):
    """One SARIF run with every rule that ran and every finding."""

    def render(self, report: ScanReport) -> str:
        r = report.result
        rule_ids = sorted(set(r.coverage) | {f.rule for f in r.findings})
        metas = [m.meta for m in (get_rule(i) for i in rule_ids) if m is not None]
        index = {m.id: i for i, m in enumerate(metas)}
        results = []
        for f in r.findings:
            location: dict[str, Any] = {"physicalLocation": {"artifactLocation": artifact_uri(f.location.file or "")}}
            if f.location.line:
                location["physicalLocation"]["region"] = {"startLine": f.location.line}
            if f.location.resource:
                location["logicalLocations"] = [{"fullyQualifiedName": f.location.resource, "kind": "resource"}]
            if f.location.build:
                location.setdefault("logicalLocations", []).append(
                    {"fullyQualifiedName": f.location.build, "kind": "module"})
            result: dict[str, Any] = {
                "ruleId": f.rule,
                "level": LEVEL[f.severity],
                "message": {"text": f.message + (f" Fix: {f.fix}" if f.fix else "")},
                "locations": [location],
                "partialFingerprints": {"cnsmmFingerprint/v2": finding_id(f)},
                "properties": {"severity": f.severity.value},
            }
            if f.expected_exception:
                result["properties"]["expectedException"] = f.expected_exception
            if f.rule in index:
                result["ruleIndex"] = index[f.rule]
            results.append(result)
        notifications = [
            {
                "level": "error",
                "message": {"text": e.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": artifact_uri(e.file),
                            **({"region": {"startLine": e.line}} if e.line else {}),
                        }
                    }
                ],
            }
            for e in r.errors
        ]
        doc = {
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {
                        "driver": {
                            "name": "cnsmm",
                            "version": report.tool_version,
                            "semanticVersion": report.tool_version,
                            "rules": [_descriptor(m) for m in metas],
                        }
                    },
                    "originalUriBaseIds": {
                        "%SRCROOT%": {"uri": "file://" + quote(os.getcwd().replace(os.sep, "/") + "/")}
                    },
                    "invocations": [
                        {
                            "executionSuccessful": r.complete,
                            "toolExecutionNotifications": notifications,
                            # rules that need configuration the scan did not have (docs/output.md)
                            "toolConfigurationNotifications": [
                                {"level": "warning", "descriptor": {"id": rid},
                                 "message": {"text": f"{rid} was not evaluated: {why}"}}
                                for rid, why in r.not_evaluated.items()
                            ],
                        }
                    ],
                    "results": results,
                }
            ],
        }
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
