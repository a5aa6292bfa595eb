"""Helpers shared by renderers: what a report shows, stable finding ids, terminal-safe text."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections import Counter
from collections.abc import Iterator

from cnsmm.findings import Finding, Severity
from cnsmm.identity import finding_id
from cnsmm.renderers.interface import ScanReport

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""C0 and C1 control characters (except TAB and LF), DEL, and the bidirectional overrides
that reorder how text is shown (CVE-2021-42574, "Trojan Source")."""
_CONTROL_ALL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, single_line: bool = True) -> str:
    """Text from inputs made safe for a terminal: escape sequences, other control characters
    and bidirectional overrides are shown as ``\\x1b``-style escapes instead of being sent to
    the terminal. With ``single_line`` (default), TAB and line breaks are escaped as well."""
    return (_CONTROL_ALL if single_line else _CONTROL).sub(_escape_char, text)


def shown(report: ScanReport) -> list[Finding]:
    """The findings a human report shows: at or above ``--min-severity``, most severe first."""
    return sorted(
        (f for f in report.result.findings if f.severity.at_least(report.min_severity)),
        key=lambda f: (-f.severity.rank, f.sort_key()),
    )


def top_rules(findings: list[Finding], limit: int = 5) -> list[tuple[str, Severity, str, int]]:
    """The rules with the most findings: (rule, highest severity, title, count), most first."""
    counts = Counter(f.rule for f in findings)
    worst: dict[str, Finding] = {}
    for f in findings:
        if f.rule not in worst or f.severity.rank > worst[f.rule].severity.rank:
            worst[f.rule] = f
    ranked = sorted(counts, key=lambda r: (-counts[r], -worst[r].severity.rank, r))
    return [(r, worst[r].severity, worst[r].title, counts[r]) for r in ranked[:limit]]


def fingerprint(f: Finding) -> str:
    """Line-independent identity of a finding (:func:`cnsmm.identity.finding_id`, as in SARIF
    ``partialFingerprints``, baselines and the tracker), 32 hex digits."""
    return finding_id(f)


def stable_ids(findings: list[Finding]) -> Iterator[tuple[Finding, str]]:
    """Each finding with an identifier that stays the same across runs while the finding does
    (line shifts do not change it) and is unique within the report: the fingerprint, and for
    the second and later findings with the same fingerprint, a hash of it with the occurrence
    number in line order (32 hex digits either way)."""
    seen: Counter[str] = Counter()
    for f in sorted(findings, key=Finding.sort_key):
        base = fingerprint(f)
        seen[base] += 1
        if seen[base] == 1:
            yield f, base
        else:
            yield f, hashlib.sha256(f"{base}:{seen[base]}".encode()).hexdigest()[:32]


def as_uuid(identifier: str) -> str:
    """A stable UUID (version 5) for an identifier."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:cnsmm:finding:{identifier}"))


def builds_phrase(builds: int) -> str:
    """' and N builds (Helm charts, Kustomize roots)' after a file count, or nothing."""
    if not builds:
        return ""
    return f" and {builds} build{'s' if builds != 1 else ''} (Helm charts, Kustomize roots)"
