"""detect-secrets baseline (``detect-secrets scan > .secrets.baseline``).

Entries audited as false positives (``is_secret: false``) are not findings. The hashed secret
is not read.
"""

from __future__ import annotations

from typing import IO, Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import PROJECT, At, as_dict, fail, get_dict, get_int, get_str, parse_time, req_str
from cnsmm.importers._simple import load, report
from cnsmm.importers.interface import ImportedReport
from cnsmm.vocab import ReportKind

FORMAT = "detect-secrets-json"
VERSIONS = "detect-secrets 1.x baselines (samples follow 1.5); 0.x baselines with the same results map"


def sniff(head: bytes) -> bool:
    """detect-secrets: ``plugins_used`` and ``results`` (a baseline)."""
    return b'"plugins_used"' in head and b'"results"' in head


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a detect-secrets baseline: one finding per secret per file."""
    doc = as_dict(load(stream, source), source, "the baseline")
    if "results" not in doc:
        raise fail(source, "missing results (a detect-secrets baseline maps files to secrets)")
    results = get_dict(doc, "results", source)
    sections = [("secret", f"results/{path.replace('~', '~0').replace('/', '~1')}",
                 entries if isinstance(entries, list) else [entries], _secret)
                for path, entries in results.items()]
    return report(FORMAT, "detect-secrets", get_str(doc, "version", source), f"detect-secrets:{PROJECT}",
                  ReportKind.SECRET_SCAN, source, sections, generated_at=parse_time(doc.get("generated_at")))


def _secret(raw: Any, at: At) -> Finding | None:
    s = as_dict(raw, at, "secret")
    if s.get("is_secret") is False:
        return None  # audited: not a secret
    kind = req_str(s, "type", at)
    path = req_str(s, "filename", at)
    line = get_int(s, "line_number", at)
    verified = s.get("is_verified") is True
    return Finding(
        rule=kind, severity=Severity.CRITICAL if verified else Severity.HIGH, tool_severity=None,
        title=kind, message=f"{kind} in {path}" + (f":{line}" if line else "") + "; value redacted",
        location=Location(file=path, line=line), tool="detect-secrets", category="secret",
        fix="Revoke and rotate the credential, then remove it from the code and the repository history.",
    )
