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

import hashlib
import re
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from cnsmm.findings import Finding
from cnsmm.imageref import parse_lenient, strip_os_suffix

_SEP = "\x1f"
# ``\s*(?:[:#]\s*)?`` rather than ``\s*[:#]?\s*``: the same text, without the two adjacent
# ``\s*`` that made a long run of blanks after "line" quadratic.
_LINE_REF = re.compile(r"\b(?:lines?|ln|row|col(?:umn)?)\s*(?:[:#]\s*)?\d+(?:\s*[-–:]\s*\d+)?", re.IGNORECASE)
_FILE_LINE_TAIL = re.compile(r"\.[A-Za-z0-9]{1,10}(:\d+(?::\d+)?)\b")
_WORD = re.compile(r"\S+")
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
    parts = (
        "config",
        rule,
        normalise_path(loc.file),
        (loc.resource or "").strip(),
        normalise_image(loc.image),
        content_anchor(finding.message),
    )
    if loc.build:
        # an object built by kustomize or helm: its source file can be deployed by several roots
        parts = (*parts, loc.build.strip())
    return Fingerprint("config", _digest(parts), None)


def _digest(parts: tuple[str, ...]) -> str:
    return hashlib.sha256(_SEP.join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def normalise_rule(rule: str) -> str:
    """Upper-case rule id without surrounding blanks."""
    return rule.strip().upper()


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


def normalise_path(path: str | None) -> str:
    """POSIX path without ``./``, leading ``/`` or repeated separators."""
    if not path:
        return ""
    parts = [p for p in path.strip().replace("\\", "/").split("/") if p not in ("", ".")]
    return "/".join(parts)


@lru_cache(maxsize=4096)
def normalise_image(image: str | None) -> str:
    """Image reference without the Docker Hub default registry, ``library/`` or an OS suffix.

    ``docker.io/library/alpine:3.18`` and ``alpine:3.18 (alpine 3.18.4)`` (Trivy's target)
    both become ``alpine:3.18``; an untagged name gets ``:latest`` (see :mod:`cnsmm.imageref`).
    Lower case throughout, as fingerprints always were.
    """
    if not image:
        return ""
    ref = parse_lenient(image)
    if ref is None:
        return strip_os_suffix(image.strip()).lower()
    tag = ref.tag if ref.tag is not None or ref.digest is not None else "latest"
    text = ref.familiar + (f":{tag}" if tag else "") + (f"@{ref.digest}" if ref.digest else "")
    return text.lower()


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


def content_anchor(message: str) -> str:
    """The message without line/column references and with blanks collapsed.

    Line references are ``line 12``, ``lines 3-4``, ``col: 7``, ``row #2``, and ``file.ext:12``
    or ``file.ext:12:5`` (the position after the last ``.ext`` of a word is dropped). Linear in
    the length of the message.
    """
    return _SPACES.sub(" ", _strip_file_lines(_LINE_REF.sub("", message))).strip()


def _strip_file_lines(text: str) -> str:
    """Drop ``:line[:col]`` after the last ``.ext`` of each word that is not the word's first
    character (what ``(\\S+\\.[A-Za-z0-9]{1,10}):\\d+(?::\\d+)?\\b`` replaces by its group,
    found in one pass instead of a backtracking scan from every character of a long word)."""
    tails = list(_FILE_LINE_TAIL.finditer(text))
    if not tails:
        return text
    out: list[str] = []
    pos = 0
    i = 0
    for word in _WORD.finditer(text):
        start, end = word.span()
        last = None
        while i < len(tails) and tails[i].start() < end:
            if tails[i].start() > start:
                last = tails[i]
            i += 1
        if last is not None:
            cut_from, cut_to = last.span(1)
            out.append(text[pos:cut_from])
            pos = cut_to
    out.append(text[pos:])
    return "".join(out)
