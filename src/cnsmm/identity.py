"""The identity of a finding: what makes two reports of it "the same finding".

One definition serves the three places that need it, so that they agree:

- the **baseline** (``cnsmm scan --baseline``) matches today's findings against accepted ones;
- the **SARIF** ``partialFingerprints["cnsmmFingerprint/v2"]`` lets code-scanning UIs follow an
  alert across commits;
- the **tracker** keeps one finding per fingerprint across scans and imports (its ``config``
  fingerprints are :func:`finding_id`; imported vulnerabilities, DAST and runtime findings have
  their own kinds, see :mod:`cnsmm.tracking.fingerprint`).

The identity of a misconfiguration is its rule, its file (normalised path), its Kubernetes
resource, its image (normalised) and its message without line or column references (the
*content anchor*): never a line number, so that edits above a finding do not make it new.
Every step is linear in the length of its input.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from cnsmm.findings import Finding
from cnsmm.imageref import parse_lenient, strip_os_suffix

SEPARATOR = "\x1f"
_SPACES = re.compile(r"\s+")
# ``\s*(?:[:#]\s*)?`` rather than ``\s*[:#]?\s*``: the same text, without the two adjacent
# ``\s*`` that made a long run of blanks after "line" quadratic.
_LINE_REF = re.compile(r"\b(?:lines?|ln|row|col(?:umn)?)\s*(?:[:#]\s*)?\d+(?:\s*[-–:]\s*\d+)?", re.IGNORECASE)
_FILE_LINE_TAIL = re.compile(r"\.[A-Za-z0-9]{1,10}(:\d+(?::\d+)?)\b")
_WORD = re.compile(r"\S+")


def normalise_rule(rule: str) -> str:
    """Upper-case rule id without surrounding blanks."""
    return rule.strip().upper()


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


def identity_parts(
    rule: str, file: str | None, resource: str | None, image: str | None, message: str, build: str | None = None
) -> tuple[str, ...]:
    """The normalised parts of a misconfiguration's identity (see the module docs).

    ``build`` (``kustomize:ROOT``, ``helm:CHART``) is added for objects built by kustomize or
    helm: one source file can be deployed by several roots, each its own finding.
    """
    parts = (
        "config",
        normalise_rule(rule),
        normalise_path(file),
        (resource or "").strip(),
        normalise_image(image),
        content_anchor(message),
    )
    return (*parts, build.strip()) if build else parts


def digest(parts: tuple[str, ...]) -> str:
    """32 hex digits (128 bits of a SHA-256) of ``parts``."""
    return hashlib.sha256(SEPARATOR.join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def finding_id(finding: Finding) -> str:
    """The identity of a misconfiguration finding as 32 hex digits."""
    loc = finding.location
    return digest(identity_parts(finding.rule, loc.file, loc.resource, loc.image, finding.message, loc.build))
