"""TruffleHog JSON lines (``trufflehog git|filesystem|... --json``), one secret per line.

The secret (``Raw``, ``RawV2``, ``Redacted``) is never read into a finding.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers._common import PROJECT, At, as_dict, fail, get_dict, get_int, get_str, guarded, record
from cnsmm.importers._jsonio import Doc
from cnsmm.importers.interface import ImportedReport, ItemErrors
from cnsmm.vocab import ReportKind

FORMAT = "trufflehog-json"
VERSIONS = "TruffleHog 3.x JSON lines (samples follow 3.82)"
LINE_LIMIT = 4 * 1024 * 1024


def sniff(head: bytes) -> bool:
    """TruffleHog: the first line that is not a TruffleHog log line (``"logger":"trufflehog"``) is
    an object with ``SourceMetadata`` and ``DetectorName``; or only log lines."""
    lines = [line for line in head.lstrip().split(b"\n", 50)[:50] if line.strip()]
    records = [line for line in lines if b'"logger":"trufflehog' not in line.replace(b" ", b"")]
    if not records:
        return bool(lines) and lines[0].startswith(b"{")  # a run that found nothing, its log mixed in
    first = records[0]
    if first.startswith(b"{") and b'"stringsFound"' in first and b'"reason"' in first:
        return True  # TruffleHog 2, recognised to be refused by name
    return first.startswith(b"{") and b'"SourceMetadata"' in first and b'"DetectorName"' in first


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse TruffleHog JSON lines; a malformed line is listed and skipped."""
    doc = Doc(stream, source, allow_empty=True)
    start = doc.rewind().read(65536)
    if b'"stringsFound"' in start and b'"reason"' in start and b'"DetectorName"' not in start:
        raise fail(source, f"TruffleHog 2 output (stringsFound/reason) is not read (expected {VERSIONS})",
                   hint="Run TruffleHog 3: trufflehog git URL --json (or filesystem PATH --json)")
    errors = ItemErrors()
    return ImportedReport(format=FORMAT, tool="trufflehog", tool_version=None, scope=f"trufflehog:{PROJECT}",
                          findings=guarded(source, _lines(doc.rewind(), source, errors)), kind=ReportKind.SECRET_SCAN,
                          errors=errors)


def _lines(stream: IO[bytes], source: str, errors: ItemErrors) -> Iterator[Finding]:
    for number, raw in enumerate(iter(lambda: stream.readline(LINE_LIMIT + 1), b""), 1):
        at = At(source, "line", number, mode="line")
        if not raw.strip():
            continue
        try:
            if len(raw) > LINE_LIMIT:
                raise fail(at, "line longer than 4 MiB")
            try:
                item = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise fail(at, f"invalid JSON ({exc})") from exc
            item = as_dict(item, at, "secret")
            if "DetectorName" not in item and "msg" in item and "level" in item:
                continue  # a log line (trufflehog ... --json 2>&1 mixes its JSON log into the output)
            found = _secret(item, at)
        except Exception as exc:
            record(errors, at, exc)
            continue
        yield found


def _secret(s: dict[str, Any], at: At) -> Finding:
    detector = get_str(s, "DetectorName", at, required=True) or ""
    data = get_dict(get_dict(s, "SourceMetadata", at), "Data", at)
    origin = next((v for v in data.values() if isinstance(v, dict)), {})
    path = get_str(origin, "file", at) or get_str(origin, "link", at)
    line = get_int(origin, "line", at)
    commit = get_str(origin, "commit", at)
    verified = s.get("Verified") is True
    shown = f"{path}:{line}" if path and line else path or get_str(s, "SourceName", at) or "the source"
    return Finding(
        rule=detector, severity=Severity.CRITICAL if verified else Severity.HIGH,
        tool_severity="verified" if verified else "unverified", title=f"{detector} secret",
        message=f"{'Verified' if verified else 'Unverified'} {detector} secret in {shown}"
                + (f" (commit {commit[:12]})" if commit else "") + "; value redacted",
        location=Location(file=path, line=line, image=get_str(origin, "image", at),
                          layer=get_str(origin, "layer", at)), tool="trufflehog", category="secret",
        fix="Revoke and rotate the credential, then remove it from the code and the repository history.",
    )
