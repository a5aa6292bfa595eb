"""gitleaks JSON reports (``gitleaks detect --report-format json``): an array of leaks.

The leaked value (``Secret``, ``Match``, ``Line``) is never read into a finding; neither is
the commit message or the author's e-mail. Loaded whole (limit: 256 MiB).
"""

from __future__ import annotations

from typing import IO, Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import (
    PROJECT,
    At,
    as_dict,
    each,
    fail,
    get_int,
    get_str,
    guarded,
    req_str,
    slug,
    type_name,
)
from cnsmm.importers._jsonio import load_small
from cnsmm.importers.interface import ImportedReport, ItemErrors
from cnsmm.vocab import ReportKind

FORMAT = "gitleaks-json"


VERSIONS = ("gitleaks 8 (an array of leaks; samples follow 8.21) and gitleaks 4-7 (lower-case keys: rule, file, "
            "lineNumber, which some releases leave out)")


def sniff(head: bytes) -> bool:
    """gitleaks JSON: an array of objects with ``RuleID`` and ``Fingerprint``/``Secret`` (8), or
    ``offender`` with ``lineNumber`` or ``commitMessage`` (4-7)."""
    if not head.lstrip().startswith(b"["):
        return False
    if b'"RuleID"' in head and (b'"Fingerprint"' in head or b'"Secret"' in head or b'"StartLine"' in head):
        return True
    return b'"offender"' in head and (b'"lineNumber"' in head or b'"commitMessage"' in head)  # gitleaks 4-7


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a gitleaks JSON report (whole document; structure errors raise here)."""
    doc = load_small(stream, source)
    if not isinstance(doc, list):
        raise fail(source, f"the report must be a JSON array of leaks (got {type_name(doc)})")
    errors = ItemErrors()
    return ImportedReport(
        format=FORMAT, tool="gitleaks", tool_version=None, scope=f"gitleaks:{PROJECT}",
        findings=guarded(source, each(errors, source, "leak", "", doc, _leak)), kind=ReportKind.SECRET_SCAN,
        errors=errors,
    )


def _leak(raw: Any, where: At) -> Finding:
    leak = as_dict(raw, where, "leak")
    if "RuleID" not in leak and "offender" in leak:  # gitleaks 7: the rule's description is its id
        title = req_str(leak, "rule", where)
        rule = slug(title)
        path = req_str(leak, "file", where)
        line = get_int(leak, "lineNumber", where)
        column = None
        commit = get_str(leak, "commit", where)
    else:
        rule = req_str(leak, "RuleID", where)
        path = req_str(leak, "File", where)
        line = get_int(leak, "StartLine", where)
        column = get_int(leak, "StartColumn", where)
        commit = get_str(leak, "Commit", where)
        title = get_str(leak, "Description", where) or rule
    where_found = f"{path}:{line}" if line else path
    message = f"{title} in {where_found}" + (f" (commit {commit[:12]})" if commit else "") + "; value redacted"
    return Finding(
        rule=rule, severity=Severity.HIGH, tool_severity=None, title=title, message=message,
        location=Location(file=path, line=line, column=column), tool="gitleaks", category="secret",
        fix="Revoke and rotate the credential, then remove it from the code and the repository history.",
        # gitleaks' own Fingerprint (commit:file:rule:line) changes when lines shift: not used.
    )
