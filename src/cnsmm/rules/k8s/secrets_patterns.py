"""Recognising secret-looking literals, and showing them without disclosing them.

A value is reported when its *shape* is that of a credential (AWS access key id, GitHub or
Slack token, private key header, JWT, URL with a password, long high-entropy string) or when
its *name* says it is one (``DB_PASSWORD``, ``apiKey``) and the value is a literal rather than
a reference, placeholder, path, URL, number or flag. Messages never contain the value: only
:func:`redact` output (its first characters and its length).
"""

from __future__ import annotations

import re

from cnsmm.rules._secrets import SHAPES, entropy, with_article

_SECRET_NAME = re.compile(
    r"passw(or)?d|passwd|passphrase|secret|token|api[_.-]?key|private[_.-]?key|access[_.-]?key|credential"
    r"|auth[_.-]?key|signing[_.-]?key|encryption[_.-]?key|client[_.-]?secret|master[_.-]?key",
    re.IGNORECASE,
)
_NOT_SECRET_SUFFIXES = (
    "file", "files", "path", "dir", "url", "uri", "host", "hostname", "port", "name", "names", "user", "username",
    "id", "ttl", "timeout", "length", "enabled", "enable", "type", "ref", "header", "endpoint", "field", "mode",
    "region", "version", "policy", "size", "expiry", "expiration", "seconds", "duration", "format", "prefix",
    "location", "audience", "issuer", "provider", "source", "store", "count", "interval", "lifetime", "algorithm",
    "required", "env", "var", "key_ref", "keyref", "secretref", "generated", "rotation", "limit", "min", "max",
    "pattern", "regex", "annotation", "annotations", "hint", "label", "description", "strength", "complexity",
    "placeholder", "insecure", "url_template", "scope", "scopes", "namespace", "project", "kind",
)
_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    *((with_article(label), pattern) for label, pattern in SHAPES),
    # a scheme is at most 32 characters: an unbounded one made the search quadratic on "--a--a..."
    ("a URL with a password",
     re.compile(r"\b[a-z][a-z0-9+.-]{0,31}://[^/\s:@]+:(?![$%{<])[^@\s/]{3,}@", re.IGNORECASE)),
)
_PLACEHOLDER = re.compile(r"^\s*$|\$\(|\$\{|\{\{|^\$[A-Za-z_]|^<.*>$|^%\(|^\*+$|^x{3,}$|^\.\.\.$", re.IGNORECASE)
_WORDS = frozenset({
    "true", "false", "yes", "no", "on", "off", "none", "null", "nil", "enabled", "disabled", "required", "optional",
    "changeme-in-secret", "redacted", "secret", "password", "token", "placeholder", "dummy", "example", "test",
})
_TOKEN = re.compile(r"[A-Za-z0-9+/=_-]{32,}")


def high_entropy(text: str) -> bool:
    """A 32+ character token with upper case, lower case and digits and > 4.2 bits/char
    (hex digests, UUIDs and words stay below)."""
    for token in _TOKEN.findall(text):
        classes = sum((any(ch.isupper() for ch in token), any(ch.islower() for ch in token),
                       any(ch.isdigit() for ch in token)))
        if classes == 3 and entropy(token) > 4.2:
            return True
    return False


def credential_key(name: str) -> bool:
    """A key of a Secret that may hold a credential (not ``url``, ``username``, ``type``...)."""
    flat = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()
    last = re.split(r"[^a-z0-9]+", flat.strip("_.-"))[-1]
    return secret_name(name) or last not in _NOT_SECRET_SUFFIXES


_ABBREVIATIONS = frozenset({"pwd", "pass", "pw", "pword", "passwd", "pswd"})
"""Short names of a password, recognised as the last word of a longer name (``DB_PASS``,
``mysqlPwd``; ``PWD`` alone is the shell's working directory)."""


def secret_name(name: str) -> bool:
    """Whether a key name says its value is a credential (``DB_PASSWORD``, ``apiKey``,
    ``SECRET_KEY``, ``AUTH_TOKEN``, and abbreviations such as ``DB_PWD``, ``REDIS_PASS``)."""
    flat = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()
    words = [w for w in re.split(r"[^a-z0-9]+", flat.strip("_.-")) if w]
    if not words:
        return False
    if words[-1] in _ABBREVIATIONS and len(words) > 1:
        return True  # alone, PWD is the shell's working directory
    if not _SECRET_NAME.search(name):
        return False
    return words[-1] not in _NOT_SECRET_SUFFIXES


def literal(value: str) -> bool:
    """A value written out, not a reference, placeholder, path, URL, number or flag."""
    text = value.strip().strip("'\"")
    if len(text) < 4 or _PLACEHOLDER.search(text) or text.lower() in _WORDS:
        return False
    if text.startswith(("/", "./", "~/", "file:", "vault:", "ref+", "arn:", "projects/", "secretref")):
        return False
    if re.fullmatch(r"[0-9.:_-]+", text) or re.fullmatch(r"https?://[^@\s]*", text):
        return False
    if re.fullmatch(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+", text):
        # SCREAMING_CASE identifiers are substitution placeholders (YOUR_API_KEY, GOOGLE_API_KEY_VAL)
        return False
    return "\n" not in text


def shape(value: str) -> str | None:
    """What credential the value looks like (``an AWS access key id``), or None."""
    for label, pattern in _SHAPES:
        if pattern.search(value):
            return label
    if "\n" not in value.strip() and "BEGIN CERTIFICATE" not in value and high_entropy(value):
        return "a high-entropy string"
    return None


def secret_reason(name: str, value: object) -> str | None:
    """Why ``name: value`` looks like a committed credential, or None."""
    if not isinstance(value, str):
        return None
    found = shape(value)
    if found is not None:
        return f"its value looks like {found}"
    if secret_name(name) and literal(value):
        return "its name says it is a credential and it holds a literal value"
    return None


_ASSIGNMENT = re.compile(
    r"""^\s*(?:export\s+)?["']?([A-Za-z0-9_.-]+)["']?\s*[:=]\s*["']?([^"'\s#,;}]+)""",
    re.MULTILINE,
)
"""``key: value`` / ``key=value`` at the start of a line; :func:`secret_name` judges the key."""


def secrets_in_text(text: str) -> list[tuple[int, str]]:
    """Credentials in file content: (0-based line offset, reason) per finding, first per line."""
    found: list[tuple[int, str]] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        for label, pattern in _SHAPES:
            if pattern.search(line):
                found.append((i, f"it contains {label}"))
                break
        else:
            m = _ASSIGNMENT.match(line)
            if m and secret_name(m.group(1)) and literal(m.group(2)):
                found.append((i, f'it assigns a literal value to "{m.group(1)}"'))
    return found


def redact(value: str) -> str:
    """``"hunt…" (7 chars)``: enough to find the value, not enough to use it."""
    text = value.strip()
    keep = 4 if len(text) >= 12 else 2 if len(text) >= 6 else 0
    return f'"{text[:keep]}…" ({len(text)} chars)'
