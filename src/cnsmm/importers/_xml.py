"""Safe XML loading (defusedxml: no DTDs, no entities, no external references)."""

from __future__ import annotations

from typing import IO
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as safe_et

from cnsmm.importers._common import fail

XML_LIMIT = 256 * 1024 * 1024
"""Largest XML report, in bytes (XML reports are loaded whole)."""


def load_xml(stream: IO[bytes], source: str, limit: int = XML_LIMIT) -> Element:
    """Parse a whole XML document, refusing DTDs and entity tricks with a clear message."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise fail(source, f"report larger than {limit // (1024 * 1024)} MiB, the limit for XML reports",
                   hint="Use the tool's JSON output instead, which is streamed")
    if not data.strip():
        raise fail(source, "the file is empty")
    try:
        root: Element = safe_et.fromstring(data, forbid_dtd=True)
    except defusedxml.DTDForbidden as exc:
        raise fail(source, "XML with a document type declaration (DTD) is refused: it can define entity "
                           "bombs or read local files", hint="Remove the <!DOCTYPE ...> declaration") from exc
    except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden) as exc:
        raise fail(source, f"XML entity declarations and external references are refused ({exc})") from exc
    except LookupError as exc:  # <?xml encoding="..."?> names a codec Python does not have
        raise fail(source, f"XML declares an unknown encoding ({exc})",
                   hint="Save the report as UTF-8 (the encoding CycloneDX and ZAP write)") from exc
    except ValueError as exc:  # expat reads no multi-byte encoding it does not know (UTF-7, ...)
        raise fail(source, f"XML in an encoding the parser cannot read ({exc})",
                   hint="Save the report as UTF-8 (the encoding CycloneDX and ZAP write)") from exc
    except ParseError as exc:
        line, col = getattr(exc, "position", (0, 0))
        raise fail(f"{source}:{line}:{col + 1}", f"invalid XML ({str(exc).split(':', 1)[0]})") from exc
    return root


def local(tag: str) -> str:
    """A tag name without its ``{namespace}``."""
    return tag.rsplit("}", 1)[-1]


def child(el: Element, name: str) -> Element | None:
    """The first child element called ``name`` (any namespace)."""
    for c in el:
        if local(c.tag) == name:
            return c
    return None


def children(el: Element | None, name: str) -> list[Element]:
    """All child elements called ``name`` (any namespace)."""
    if el is None:
        return []
    return [c for c in el if local(c.tag) == name]


def text(el: Element | None, name: str) -> str | None:
    """Stripped text of the first child called ``name``, or ``None`` when absent or empty."""
    c = child(el, name) if el is not None else None
    if c is None or c.text is None:
        return None
    value = c.text.strip()
    return value or None
