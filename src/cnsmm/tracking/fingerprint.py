"""Fingerprints: the identity of a finding across scans, tools and runs.

A fingerprint never includes a line number, a timestamp or the position of a result in its
report, so that line shifts, re-runs and reordering do not make "new" findings. What goes in
depends on the kind of finding (see docs/tracking.md, "Fingerprints"):

- ``vuln``: primary vulnerability id (a CVE among the rule and aliases, else a GHSA, else the
  rule), component, installed version, and where it was found (image, else file, else the
  report scope). Trivy and Grype reporting the same CVE in the same package of the same image
  therefore produce the same fingerprint.
- ``tool``: a stable identity given by the tool itself (SARIF ``partialFingerprints``), with
  the tool, rule and file.
- ``config`` (misconfigurations, secrets, SAST, compliance): normalised rule, file path,
  Kubernetes resource, image, and the message with line references removed as content anchor.
- ``dast``: rule, URL without query values or fragment, and the parameter.
- ``runtime``: rule, Kubernetes resource and image (one finding per rule and workload).
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from cnsmm.findings import Finding
from cnsmm.identity import (
    content_anchor,
    identity_parts,
    normalise_image,
    normalise_path,
    normalise_rule,
)
from cnsmm.identity import digest as _digest

__all__ = [
    "Fingerprint", "content_anchor", "fingerprint", "normalise_image", "normalise_path", "normalise_rule",
    "normalise_url", "primary_vuln_id",
]

_SPACES = re.compile(r"\s+")


class Fingerprint(NamedTuple):
    """The fingerprint of one finding and what it was computed from."""

    kind: str
    """vuln, tool, config, dast or runtime."""
    value: str
    """32 hex digits (128 bits of a SHA-256)."""
    vuln_id: str | None
    """Primary vulnerability id, for ``vuln`` fingerprints."""


def fingerprint(finding: Finding, scope: str) -> Fingerprint:
    """Compute the fingerprint of ``finding`` reported in a scan of ``scope``."""
    loc = finding.location
    rule = normalise_rule(finding.rule)
    if finding.category == "vulnerability" and (finding.component or finding.aliases):
        vuln_id = primary_vuln_id(finding.rule, finding.aliases)
        where = normalise_image(loc.image) or normalise_path(loc.file) or scope.strip()
        component = (finding.component or "").strip().lower()
        parts: tuple[str, ...] = (
            "vuln",
            vuln_id,
            component,
            (finding.installed_version or "").strip(),
            where,
        )
        return Fingerprint("vuln", _digest(parts), vuln_id)
    if finding.tool_fingerprint:
        parts = ("tool", finding.tool.lower(), rule, normalise_path(loc.file), finding.tool_fingerprint)
        return Fingerprint("tool", _digest(parts), None)
    if finding.category == "dast" or (loc.url and not loc.file):
        parts = ("dast", rule, normalise_url(loc.url), (loc.parameter or "").strip())
        return Fingerprint("dast", _digest(parts), None)
    if finding.category == "runtime":
        parts = ("runtime", rule, (loc.resource or "").strip(), normalise_image(loc.image))
        return Fingerprint("runtime", _digest(parts), None)
    parts = identity_parts(finding.rule, loc.file, loc.resource, loc.image, finding.message, loc.build)
    return Fingerprint("config", _digest(parts), None)


def primary_vuln_id(rule: str, aliases: tuple[str, ...]) -> str:
    """The id that names a vulnerability across tools: a CVE if any, else a GHSA, else the rule.

    Among several CVEs (or GHSAs) the smallest in sort order is taken, so that the choice does
    not depend on which of them a tool calls primary.
    """
    if not aliases:
        return rule.strip().upper()
    ids = sorted({i.strip().upper() for i in (rule, *aliases) if i and i.strip()})
    for prefix in ("CVE-", "GHSA-"):
        for candidate in ids:
            if candidate.startswith(prefix):
                return candidate
    return normalise_rule(rule)


def normalise_url(url: str | None) -> str:
    """URL with lower-case scheme and host, no default port, sorted query keys, no values."""
    if not url:
        return ""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return urlunsplit((scheme, host, parts.path or "/", "&".join(keys), ""))


