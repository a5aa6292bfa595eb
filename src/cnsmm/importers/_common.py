"""Helpers shared by the importers: typed field access with located errors, severities,
scopes and timestamps. Nothing here does I/O."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from cnsmm.errors import ItemParseError, ReportParseError
from cnsmm.findings import Finding, Severity
from cnsmm.imageref import parse_lenient
from cnsmm.importers.interface import ItemError, ItemErrors


class At:
    """A position in a report (``trivy.json: result #3, vulnerability #12``), built into text
    only when an error needs it: most items never fail, and formatting costs time per item.

    ``key`` names the array the item is in, for the item's JSON pointer
    (``/Results/2/Vulnerabilities/11``): ``""`` for a top-level array, ``None`` when the
    item adds no pointer segment. ``mode`` ``"xml"`` gives an XML path segment
    (``/vulnerabilities/vulnerability[3]``), ``"line"`` a line number (JSON lines)."""

    __slots__ = ("index", "key", "label", "mode", "parent")

    def __init__(self, parent: Where, label: str, index: int, key: str | None = None, mode: str = "json") -> None:
        self.parent = parent
        self.label = label
        self.index = index
        self.key = key
        self.mode = mode

    def __str__(self) -> str:
        sep = ": " if isinstance(self.parent, str) else ", "
        return f"{self.parent}{sep}{self.label} #{self.index}"

    @property
    def position(self) -> str:
        """The position without the file name (``result #3, vulnerability #12``)."""
        own = f"{self.label} #{self.index}"
        return f"{self.parent.position}, {own}" if isinstance(self.parent, At) else own

    @property
    def pointer(self) -> str:
        """JSON pointer (RFC 6901), XML path or line of the item."""
        base = self.parent.pointer if isinstance(self.parent, At) else ""
        if self.mode == "line":
            return f"line {self.index}"
        if self.key is None:
            return base
        if self.mode == "xml":
            return f"{base}/{self.key}[{self.index}]"
        # Keys are the importers' own: a "/" in one joins several levels (``artifact/locations``).
        return f"{base}/{self.key}/{self.index - 1}" if self.key else f"{base}/{self.index - 1}"


Where = str | At
"""Where an error is: text, or a lazily formatted :class:`At`."""

FORMAT_HINT = "Check that the file is a complete report written by the tool, or force another format with --format"


def fail(where: Where, what: str, hint: str | None = FORMAT_HINT) -> ReportParseError:
    """Build the error for a malformed report; ``where`` starts with the file name."""
    return ItemParseError(where, what, hint)


def record(errors: ItemErrors, where: Where, exc: BaseException) -> None:
    """Record that the item at ``where`` was skipped because of ``exc`` (the error's own,
    deeper position when it has one)."""
    at = where
    if isinstance(exc, ItemParseError):
        reason = exc.what
        if isinstance(exc.where, At):
            at = exc.where
    elif isinstance(exc, ReportParseError):
        reason = exc.message.rsplit(": ", 1)[-1]
    elif isinstance(exc, RecursionError):
        reason = "nested too deeply"
    else:
        reason = f"cannot read this item ({type(exc).__name__}: {str(exc)[:200]})"
    if isinstance(at, At):
        errors.append(ItemError(at.pointer or "/", "" if at.mode == "line" else at.position, reason))
    else:
        errors.append(ItemError("", at.split(": ", 1)[-1], reason))


def each(errors: ItemErrors, parent: Where, label: str, key: str | None, items: Iterable[Any],
         build: Callable[[Any, At], Finding | Iterable[Finding] | None]) -> Iterator[Finding]:
    """The findings that ``build`` makes of each item (one, several or none); an item that
    fails is recorded in ``errors`` with its position and skipped."""
    for i, raw in enumerate(items, 1):
        at = At(parent, label, i, key)
        try:
            out = build(raw, at)
            found = [out] if isinstance(out, Finding) else [] if out is None else list(out)
        except Exception as exc:
            record(errors, at, exc)
            continue
        yield from found


def type_name(value: object) -> str:
    """JSON name of a Python value's type, for got/expected messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def as_dict(value: object, where: Where, what: str = "item") -> dict[str, Any]:
    """``value`` if it is a JSON object, else a located error."""
    if not isinstance(value, dict):
        raise fail(where, f"{what} must be an object (got {type_name(value)})")
    return value


def get_str(obj: Mapping[str, Any], key: str, where: Where, *, required: bool = False) -> str | None:
    """A string field; numbers are accepted and converted, empty strings read as missing."""
    value = obj.get(key)
    if type(value) is str and value:  # fast path: the common case
        return value
    if value is None or value == "":
        if required:
            raise fail(where, f"missing {key}")
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise fail(where, f"{key} must be a string (got {type_name(value)})")


def req_str(obj: Mapping[str, Any], key: str, where: Where) -> str:
    """A required, non-empty string field."""
    value = get_str(obj, key, where, required=True)
    assert value is not None
    return value


def get_int(obj: Mapping[str, Any], key: str, where: Where) -> int | None:
    """An integer field (JSON number or numeric string); missing reads as ``None``."""
    value = obj.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise fail(where, f"{key} must be a number (got boolean)")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise fail(where, f"{key} must be an integer (got {type_name(value)} {value!r:.40})")


def get_list(obj: Mapping[str, Any], key: str, where: Where) -> list[Any]:
    """An array field; missing or null reads as empty."""
    value = obj.get(key)
    if type(value) is list:
        return value
    if value is None:
        return []
    if not isinstance(value, list):
        raise fail(where, f"{key} must be an array (got {type_name(value)})")
    return value


def get_dict(obj: Mapping[str, Any], key: str, where: Where) -> dict[str, Any]:
    """An object field; missing or null reads as empty."""
    value = obj.get(key)
    if type(value) is dict:
        return value
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise fail(where, f"{key} must be an object (got {type_name(value)})")
    return value


def str_tuple(obj: Mapping[str, Any], key: str, where: Where) -> tuple[str, ...]:
    """An array of strings, de-duplicated in order; non-string items are an error."""
    items = get_list(obj, key, where)
    if all(type(x) is str for x in items):  # fast path: the common case
        return tuple(dict.fromkeys(x for x in items if x))
    out: list[str] = []
    for i, raw in enumerate(items, 1):
        item = str(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else raw
        if not isinstance(item, str):
            raise fail(where, f"{key}[{i}] must be a string (got {type_name(item)})")
        if item and item not in out:
            out.append(item)
    return tuple(out)


def unique(items: Iterator[str] | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Non-empty items in first-seen order, without repeats."""
    seen: dict[str, None] = {}
    for item in items:
        if item:
            seen.setdefault(item, None)
    return tuple(seen)


_CWE = re.compile(r"(?i)\bcwe[-_/ :]*0*(\d{1,5})\b")


def cwe_ids(values: Iterator[str] | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """``CWE-n`` ids found in free-form values (``CWE-79``, ``external/cwe/cwe-079``, ``79``)."""
    out: list[str] = []
    for value in values:
        text = str(value).strip()
        if text.startswith("CWE-") and text[4:].isdigit():  # already canonical (Trivy)
            out.append(text)
            continue
        found = [f"CWE-{n}" for n in _CWE.findall(text)]
        if not found and text.isdigit() and int(text) > 0:
            found = [f"CWE-{int(text)}"]
        out.extend(found)
    return unique(out)


def severity_from_label(label: str | None, table: Mapping[str, Severity], default: Severity) -> Severity:
    """Look a tool's severity label up in ``table`` (keys lower-case); unknown labels get ``default``."""
    if not label:
        return default
    return table.get(label.strip().lower(), default)


def severity_from_score(score: float) -> Severity:
    """CVSS-style score to severity: >= 9 critical, >= 7 high, >= 4 medium, > 0 low, else info."""
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    if score > 0.0:
        return Severity.LOW
    return Severity.INFO


def parse_time(value: object) -> datetime | None:
    """An RFC 3339 / ISO 8601 timestamp, or ``None`` when absent or unreadable (never fatal)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00").replace(" UTC", "+00:00")
    # Go writes nanoseconds; Python accepts at most microseconds.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def image_repository(ref: str) -> str:
    """An image reference without its tag and digest, used as a stable scan scope.

    ``docker.io/library/nginx:1.25@sha256:...`` and ``nginx:1.27`` both give ``nginx``:
    a new build of the same image repository replaces the previous scan's results
    (:attr:`cnsmm.imageref.ImageRef.familiar`).
    """
    parsed = parse_lenient(ref)
    return parsed.familiar if parsed is not None else ref.strip()


PROJECT = "project"
"""The target of reports that name nothing they covered (Checkov, gitleaks, kube-bench's
hosts, Falco, the dependency audits, ...): the whole project they are imported into, one
stream per tool, whatever the report file is called. Give each import ``--scope`` when one
tool scans several targets of a project separately."""


def file_name(source: str) -> str:
    """The last component of a source path, used as the scope of reports that name no target."""
    return PurePosixPath(source.replace("\\", "/")).name or source


def slug(text: str) -> str:
    """Lower-case, dash-separated name of a tool (``Semgrep OSS`` -> ``semgrep-oss``)."""
    return re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-") or "unknown"


def guarded(where: str, items: Iterator[Finding]) -> Iterator[Finding]:
    """Re-raise anything unexpected while iterating as a ``ReportParseError`` naming the file."""
    try:
        yield from items
    except ReportParseError:
        raise
    except (RecursionError, MemoryError) as exc:
        raise fail(where, f"report too deeply nested or too large ({type(exc).__name__})") from exc
    except Exception as exc:
        raise fail(where, f"cannot read the report ({type(exc).__name__}: {exc})") from exc
