"""OpenVEX documents (``vexctl create``, ``vexctl merge``, Trivy/Grype ``--vex`` inputs): statements
that change the status of matching findings already in the project. No findings of their own.
Loaded whole (VEX documents are small).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from cnsmm.findings import Finding
from cnsmm.importers._common import (
    PROJECT,
    At,
    as_dict,
    fail,
    get_list,
    get_str,
    parse_time,
    record,
    str_tuple,
    type_name,
)
from cnsmm.importers._simple import load
from cnsmm.importers.interface import VEX_STATUSES, ImportedReport, ItemErrors, VexStatement
from cnsmm.vocab import ReportKind

FORMAT = "openvex-json"
VERSIONS = "OpenVEX 0.2.0 (current) and the 0.0.x drafts (vulnerability and products as plain strings)"


def sniff(head: bytes) -> bool:
    """OpenVEX: an ``@context`` under ``openvex.dev/ns`` with ``statements``."""
    return b"openvex.dev/ns" in head and b'"statements"' in head


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse an OpenVEX document into VEX statements (a malformed statement is an item error)."""
    doc = as_dict(load(stream, source), source, "the document")
    context = get_str(doc, "@context", source) or ""
    if "openvex.dev/ns" not in context:
        raise fail(source, f"@context is not an OpenVEX namespace (got {context[:80]!r}, expected "
                   "https://openvex.dev/ns/v0.2.0)")
    if "statements" not in doc:
        raise fail(source, "missing statements")
    errors = ItemErrors()
    statements: list[VexStatement] = []
    for i, raw in enumerate(get_list(doc, "statements", source), 1):
        at = At(source, "statement", i, "statements")
        try:
            statements.append(_statement(raw, at))
        except Exception as exc:
            record(errors, at, exc)
    author = get_str(doc, "author", source)
    return ImportedReport(
        format=FORMAT, tool="openvex", tool_version=get_str(doc, "tooling", source),
        scope=f"vex:{get_str(doc, '@id', source) or author or PROJECT}", findings=_none(),
        generated_at=parse_time(doc.get("last_updated") or doc.get("timestamp")), kind=ReportKind.VEX, errors=errors,
        vex=statements,
    )


def _none() -> Iterator[Finding]:
    return iter(())


def _ids(value: Any, at: At, what: str) -> tuple[str, ...]:
    """Identifiers of products or subcomponents: ``@id`` and ``identifiers.purl`` of objects
    (0.2.0), or the strings themselves (0.0.x)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise fail(at, f"{what} must be an array (got {type_name(value)})")
    out: list[str] = []
    for item in value:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            for key in ("@id", "id"):
                if isinstance(item.get(key), str):
                    out.append(item[key])
            ident = item.get("identifiers")
            if isinstance(ident, dict):
                out.extend(v for k, v in ident.items() if k == "purl" and isinstance(v, str))
        else:
            raise fail(at, f"{what} entries must be objects or strings (got {type_name(item)})")
    return tuple(dict.fromkeys(x for x in out if x))


def _statement(raw: Any, at: At) -> VexStatement:
    st = as_dict(raw, at, "statement")
    vuln = st.get("vulnerability")
    aliases: tuple[str, ...] = ()
    if isinstance(vuln, dict):
        name = get_str(vuln, "name", at) or get_str(vuln, "@id", at)
        aliases = str_tuple(vuln, "aliases", at)
    elif isinstance(vuln, str):
        name = vuln  # 0.0.x drafts
    else:
        name = None
    if not name:
        raise fail(at, "missing vulnerability name")
    status = get_str(st, "status", at)
    if status not in VEX_STATUSES:
        raise fail(at, f"status must be one of {', '.join(VEX_STATUSES)} (got {status!r})")
    products = _ids(st.get("products"), at, "products")
    subs: list[str] = []
    for p in st.get("products") or []:
        if isinstance(p, dict):
            subs.extend(_ids(p.get("subcomponents"), at, "subcomponents"))
    subs.extend(_ids(st.get("subcomponents"), at, "subcomponents"))  # 0.0.x: beside products
    detail = get_str(st, "impact_statement", at) or get_str(st, "action_statement", at) or get_str(
        st, "status_notes", at)
    return VexStatement(
        vulnerability=name, status=status, aliases=tuple(a for a in aliases if a != name), products=products,
        subcomponents=tuple(dict.fromkeys(subs)), justification=get_str(st, "justification", at), detail=detail,
    )


