"""Streaming JSON access for large reports, on top of ijson (C backend when available).

A report is read in passes over one seekable stream: a short *head* pass reads the small
values that precede the big arrays, an optional *tail* look finds the values that some
tools write after them (Grype), and the main pass builds one array item at a time in C.
Memory is bounded by the largest single item, not by the report.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import tempfile
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import ijson  # type: ignore[import-untyped]

from cnsmm.errors import ReportParseError
from cnsmm.importers._common import fail

_EOF = re.compile(r"\s*")

SMALL_LIMIT = 256 * 1024 * 1024
"""Largest report, in bytes, that the formats that load whole documents accept."""

_UTF8_BOM = b"\xef\xbb\xbf"

MAX_DEPTH = 128
"""Deepest nesting of arrays and objects that the streamed formats accept. ijson keeps the
path to every open value (its prefix) per level, so memory grows with depth times path
length; real reports nest fewer than 20 levels."""

_KEEP = bytes(range(256)).translate(None, b'"[]{}')  # every byte but the structural ones
_TO_BRACES = bytes.maketrans(b"[]", b"{}")
_STRING = re.compile(rb'"[^"]*"')


class DepthError(ValueError):
    """The JSON text nests deeper than :data:`MAX_DEPTH`."""


class DepthGuard:
    """A reader over a JSON byte stream that refuses nesting deeper than ``limit`` before the
    parser sees it. Each chunk is checked at C speed (byte replace/translate, one regex over
    the structural characters); the work is linear in the chunk's size."""

    def __init__(self, raw: IO[bytes], limit: int = MAX_DEPTH) -> None:
        self.raw = raw
        self.limit = limit
        self.depth = 0
        self.in_string = False
        self.carry = b""

    def read(self, size: int = -1) -> bytes:
        """Read like the wrapped stream; raise :class:`DepthError` when the text nests too deep."""
        data = self.raw.read(size)
        if data:
            self._check(data)
        return data

    def _check(self, data: bytes) -> None:
        text = self.carry + data if self.carry else data
        self.carry = b""
        if b"\\" in text:  # escapes: \\ first, so that \\" still ends a string
            text = text.replace(b"\\\\", b"")
            if text.endswith(b"\\"):  # escapes the next chunk's first byte
                self.carry = b"\\"
                text = text[:-1]
            text = text.replace(b'\\"', b"")
        marks = text.translate(None, _KEEP)
        if self.in_string:
            marks = b'"' + marks
        if b'"' in marks:
            # Dropping two adjacent quotes keeps every other character's side of the string
            # boundaries; what is left are the few strings that hold brackets.
            marks = _STRING.sub(b"", marks.replace(b'""', b""))
            quote = marks.find(b'"')
            self.in_string = quote >= 0
            if quote >= 0:
                marks = marks[:quote]
        else:
            self.in_string = False
        braces = marks.translate(_TO_BRACES)
        nesting = 0
        while b"{}" in braces:
            braces = braces.replace(b"{}", b"")
            nesting += 1
            if self.depth + nesting > self.limit:
                break
        closes = braces.count(b"}")
        opens = len(braces) - closes
        if self.depth + opens + nesting > self.limit:
            raise DepthError(f"nested deeper than {self.limit} levels of arrays and objects")
        self.depth = max(0, self.depth - closes + opens)


@dataclass
class Head:
    """Values read from the start of an object, up to the first big array."""

    values: dict[str, Any] = field(default_factory=dict)
    stopped_at: str | None = None
    """Name of the big key where reading stopped; ``None`` when the object was read whole."""
    stop_event: str | None = None
    """First parse event of the value at ``stopped_at`` (``start_array`` for an array)."""
    found: bool = True
    """False when the document has no object at the requested prefix."""


def seekable(stream: IO[bytes]) -> IO[bytes]:
    """``stream`` itself when it can seek, else a spooled copy (reports from pipes)."""
    try:
        if stream.seekable():
            return stream
    except (AttributeError, OSError):
        pass
    copy = tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024)  # noqa: SIM115 - returned
    shutil.copyfileobj(stream, copy)
    copy.seek(0)
    return copy  # type: ignore[return-value]


class Doc:
    """A JSON report on a seekable stream, read in several passes."""

    def __init__(self, stream: IO[bytes], source: str, *, allow_empty: bool = False) -> None:
        self.stream = seekable(stream)
        if self.stream is not stream:  # our own spooled copy: close it with this document
            weakref.finalize(self, self.stream.close)
        self.source = source
        self.start = self.stream.tell()
        head = self.stream.read(4)
        if head[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(head) >= 2 and (head[0] == 0 or head[1] == 0)):
            raise fail(source, "the file is UTF-16 encoded (got a UTF-16 byte order mark or NUL bytes)",
                       hint="Save the report as UTF-8 (PowerShell: use `-Encoding utf8` or `Out-File -Encoding utf8`)")
        if head.startswith(_UTF8_BOM):
            self.start += 3
        if not allow_empty and not (head[3:] if head.startswith(_UTF8_BOM) else head).strip() and not self._rest():
            raise fail(source, "the file is empty", hint="Re-run the scan and check that it wrote its report")

    def _rest(self) -> bool:
        """Whether anything but whitespace follows the first bytes (small look-ahead)."""
        self.stream.seek(self.start)
        chunk = self.stream.read(4096)
        self.stream.seek(self.start)
        return bool(chunk.strip())

    def rewind(self) -> IO[bytes]:
        """The stream, positioned at the start of the JSON text."""
        self.stream.seek(self.start)
        return self.stream

    def reader(self) -> DepthGuard:
        """The stream from the start of the JSON text, refusing too deep nesting."""
        return DepthGuard(self.rewind())

    @contextlib.contextmanager
    def errors(self, where: str | None = None) -> Iterator[None]:
        """Turn JSON syntax errors into a ``ReportParseError`` at ``where``."""
        try:
            yield
        except ijson.IncompleteJSONError as exc:
            raise fail(where or self.source, f"invalid or truncated JSON ({_clean(exc)})") from exc
        except ijson.JSONError as exc:
            raise fail(where or self.source, f"invalid JSON ({_clean(exc)})") from exc
        except UnicodeDecodeError as exc:
            raise fail(where or self.source, f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
        except DepthError as exc:
            raise fail(where or self.source, f"the JSON is {exc}",
                       hint="A report nested that deep is not a scanner's output; check where it came from") from exc

    def first_event(self) -> str | None:
        """The first parse event of the document (``start_map``, ``start_array``, ...)."""
        with self.errors():
            for _pfx, event, _value in ijson.parse(self.reader(), use_float=True):
                return str(event)
        return None

    def head(self, prefix: str, wanted: frozenset[str], stop: frozenset[str]) -> Head:
        """Read the ``wanted`` keys of the first object at ``prefix`` ('' is the top level),
        stopping at the first key in ``stop`` (a big array left to the main pass)."""
        result = Head(found=False)
        with self.errors():
            events = ijson.parse(self.reader(), use_float=True)
            for pfx, event, value in events:
                if pfx == "" and prefix == "" and not result.found:
                    if event != "start_map":
                        raise fail(self.source, f"the report must be a JSON object (got {event_kind(event)})")
                    result.found = True
                    continue
                if pfx != prefix:
                    continue
                if event == "start_map":
                    result.found = True
                elif event == "map_key":
                    if value in stop:
                        result.stopped_at = value
                        result.stop_event = next(events)[1]
                        return result
                    if value in wanted:
                        result.values[value] = _build(events)
                    else:
                        _skip(events)
                elif event == "end_map":
                    return result
        return result

    def tail(self, keys: frozenset[str], window: int = 1 << 20, *, after: re.Pattern[str] = _EOF,
             need_all: bool = True) -> dict[str, Any] | None:
        """The trailing ``"key": value`` pairs of an object that ends the document (or that
        ``after`` says is followed only by closing text), read from the last ``window`` bytes,
        when they include ``keys`` (any of them unless ``need_all``); ``None`` when they cannot
        be read that way (the caller then falls back to :meth:`first` or does without)."""
        stream = self.stream
        stream.seek(0, 2)
        size = stream.tell()
        stream.seek(max(self.start, size - window))
        text = stream.read().decode("utf-8", "replace")
        candidates = sorted(p for key in keys if (p := text.rfind(f'"{key}"')) >= 0)
        for pos in candidates[:16]:
            before = text[:pos].rstrip()
            if not before or before[-1] not in ",{":
                continue
            pairs = _pairs_to_end(text, pos, after)
            if pairs is not None and (keys <= pairs.keys() if need_all else keys & pairs.keys()):
                return pairs
        return None

    def first(self, prefix: str) -> Any:
        """The first value at ``prefix`` in a full pass over the document, or ``None``."""
        with self.errors():
            return next(ijson.items(self.reader(), prefix, use_float=True), None)

    def items(self, prefix: str, label: str) -> Iterator[Any]:
        """Every value at ``prefix`` (e.g. ``matches.item``), one at a time; a syntax error
        names the ``label`` and number of the item where reading failed."""
        count = 0
        try:
            with self.errors():
                for item in ijson.items(self.reader(), prefix, use_float=True):
                    count += 1
                    yield item
        except ReportParseError as exc:
            raise fail(f"{self.source}: {label} #{count + 1}", exc.message.split(": ", 1)[-1]) from exc


def _pairs_to_end(text: str, pos: int, after: re.Pattern[str]) -> dict[str, Any] | None:
    decoder = json.JSONDecoder()
    out: dict[str, Any] = {}
    i = pos
    n = len(text)
    try:
        while True:
            key, i = decoder.raw_decode(text, i)
            while text[i].isspace():
                i += 1
            if text[i] != ":" or not isinstance(key, str):
                return None
            i += 1
            while text[i].isspace():
                i += 1
            out[key], i = decoder.raw_decode(text, i)
            while i < n and text[i].isspace():
                i += 1
            if text[i] == ",":
                i += 1
                while text[i].isspace():
                    i += 1
                continue
            if text[i] == "}" and after.fullmatch(text, i + 1):
                return out
            return None
    except (ValueError, IndexError, RecursionError):
        return None


def _build(events: Iterator[tuple[str, str, Any]]) -> Any:
    builder = ijson.ObjectBuilder()
    depth = 0
    for _, event, value in events:
        builder.event(event, value)
        if event in ("start_map", "start_array"):
            depth += 1
        elif event in ("end_map", "end_array"):
            depth -= 1
        if depth == 0:
            return builder.value
    return builder.value


def _skip(events: Iterator[tuple[str, str, Any]]) -> None:
    depth = 0
    for _, event, _value in events:
        if event in ("start_map", "start_array"):
            depth += 1
        elif event in ("end_map", "end_array"):
            depth -= 1
        if depth == 0:
            return


def event_kind(event: str | None) -> str:
    """Human name of the JSON value that starts with parse event ``event``."""
    names = {"start_array": "an array", "start_map": "an object", "string": "a string", "number": "a number",
             "boolean": "a boolean", "null": "null"}
    return names.get(event or "", str(event))


def _clean(exc: Exception) -> str:
    arg = exc.args[0] if exc.args else exc
    text = arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)
    lines = text.strip().splitlines()
    return lines[0][:200] if lines else type(exc).__name__


def load_small(stream: IO[bytes], source: str, limit: int = SMALL_LIMIT) -> Any:
    """Load a whole JSON document of at most ``limit`` bytes."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise fail(source, f"report larger than {limit // (1024 * 1024)} MiB, the limit for this format",
                   hint="Split the report (for example one file per target) and import the parts")
    return loads(data, source)


def loads(data: bytes, source: str) -> Any:
    """Parse JSON bytes; errors name the line and column."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise fail(source, "the file is UTF-16 encoded (got a UTF-16 byte order mark)",
                   hint="Save the report as UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(source, f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    if not text.strip():
        raise fail(source, "the file is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(f"{source}:{exc.lineno}:{exc.colno}", f"invalid JSON ({exc.msg})") from exc
    except RecursionError as exc:
        raise fail(source, "JSON nested too deeply") from exc
