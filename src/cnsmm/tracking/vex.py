"""VEX statements applied to the findings of a project (OpenVEX, CycloneDX ``analysis``).

A statement names a vulnerability (and its aliases), the products it is about (package URLs,
images or names; OpenVEX ``subcomponents`` for the packages inside an image) and a status:

- ``not_affected`` (CycloneDX ``not_affected``, ``false_positive``): open, triaged and
  in-progress findings become ``false_positive``, the justification and statement in the
  history;
- ``fixed`` (CycloneDX ``resolved``, ``resolved_with_pedigree``): they become ``fixed``;
- ``under_investigation`` (CycloneDX ``in_triage``): open findings become ``triaged``;
- ``affected`` (CycloneDX ``exploitable``): no change.

Findings decided by a person (risk accepted, false positive, duplicate) and fixed findings are
never changed. Matching is documented in docs/importers.md ("VEX").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast
from urllib.parse import unquote

from sqlalchemy import Connection, Table, insert, or_, select, update

from cnsmm.imageref import parse_lenient
from cnsmm.importers.interface import VexStatement
from cnsmm.tracking.models import StatusChange, TrackedFinding
from cnsmm.tracking.states import OPEN_STATES, Status

F = cast(Table, TrackedFinding.__table__)
HIST = cast(Table, StatusChange.__table__)

_TARGET = {"not_affected": Status.FALSE_POSITIVE, "fixed": Status.FIXED, "under_investigation": Status.TRIAGED}
_FROM = {
    Status.FALSE_POSITIVE: frozenset(s.value for s in OPEN_STATES),
    Status.FIXED: frozenset(s.value for s in OPEN_STATES),
    Status.TRIAGED: frozenset({Status.OPEN.value}),
}
_IMAGE_TYPES = frozenset({"oci", "docker"})


class _Purl:
    """The parts of a package URL that matching needs (type, name, version, repository)."""

    def __init__(self, text: str) -> None:
        body = text[4:].split("#", 1)[0]
        body, _, query = body.partition("?")
        self.qualifiers = dict(q.split("=", 1) for q in query.split("&") if "=" in q)
        path, _, version = body.rpartition("@") if "@" in body.rsplit("/", 1)[-1] else (body, "", "")
        parts = [unquote(p) for p in path.strip("/").split("/") if p]
        self.type = parts[0].lower() if parts else ""
        self.name = parts[-1] if len(parts) > 1 else ""
        self.version = unquote(version) or None
        self.repository = unquote(self.qualifiers.get("repository_url", "")) or None


def _repo(image: str) -> str:
    parsed = parse_lenient(image)
    return parsed.familiar if parsed is not None else image.strip()


def _image_matches(product: str, image: str | None) -> bool:
    if not image:
        return False
    have = _repo(image)
    if product.startswith("pkg:"):
        p = _Purl(product)
        if p.repository:
            return _repo(p.repository) == have
        return have == p.name or have.endswith("/" + p.name)
    return _repo(product) == have


def _package_matches(product: str, component: str | None, installed: str | None) -> bool:
    if not component:
        return False
    comp = component.lower()
    if product.startswith("pkg:"):
        p = _Purl(product)
        name = p.name.lower()
        if not name or not (comp == name or comp.endswith(("/" + name, ":" + name))):
            return False
        return p.version is None or installed is None or p.version == installed
    name, _, version = product.partition("@")
    return comp == name.lower() and (not version or installed is None or version == installed)


def _is_image(product: str) -> bool:
    return product.startswith("pkg:") and _Purl(product).type in _IMAGE_TYPES


def matches(st: VexStatement, component: str | None, installed: str | None, image: str | None) -> bool:
    """Whether a finding (its package, version and image) is one the statement is about."""
    images = [p for p in st.products if _is_image(p)]
    if st.subcomponents:
        if images and image and not any(_image_matches(p, image) for p in images):
            return False
        return any(_package_matches(s, component, installed) for s in st.subcomponents)
    if not st.products:
        return True
    for product in st.products:
        if _is_image(product):
            if _image_matches(product, image):
                return True
        elif _package_matches(product, component, installed) or (
                not product.startswith("pkg:") and _image_matches(product, image)):
            return True
    return False


def reason(st: VexStatement, source: str) -> str:
    """The history line of a change a statement made."""
    text = f"VEX {source}: {st.vulnerability} {st.original or st.status}"
    if st.justification:
        text += f" ({st.justification})"
    if st.detail:
        text += f": {st.detail}"
    return text[:2000]


def apply(conn: Connection, project_id: int, statements: Iterable[VexStatement], *, source: str, actor: str,
          scan_id: int, now: datetime) -> int:
    """Apply ``statements`` to the project's findings; the number of findings whose status changed.

    The findings of every statement's vulnerability are read in one pass (by rule and primary
    vulnerability id, 500 ids per query); when several statements match one finding, the last
    in the document wins (later statements supersede earlier ones)."""
    by_id: dict[str, list[tuple[int, VexStatement]]] = {}
    for order, st in enumerate(statements):
        if st.status in _TARGET or st.status == "affected":
            for vid in dict.fromkeys((st.vulnerability, *st.aliases)):
                by_id.setdefault(vid, []).append((order, st))
    if not by_id:
        return 0
    changeable = sorted(set().union(*_FROM.values()))
    rows: dict[int, Any] = {}
    ids = list(by_id)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for row in conn.execute(
            select(F.c.id, F.c.status, F.c.rule, F.c.vuln_id, F.c.component, F.c.installed_version, F.c.image)
            .where(F.c.project_id == project_id, F.c.status.in_(changeable),
                   or_(F.c.rule.in_(chunk), F.c.vuln_id.in_(chunk)))
        ):
            rows[row.id] = row
    changes: dict[tuple[str, str], list[Any]] = {}
    for row in rows.values():
        candidates = sorted({*by_id.get(row.rule, ()), *by_id.get(row.vuln_id or "", ())}, key=lambda c: c[0])
        last = None
        for _, st in candidates:
            if matches(st, row.component, row.installed_version, row.image):
                last = st
        if last is None or last.status not in _TARGET:  # "affected": no change
            continue
        target = _TARGET[last.status]
        if row.status in _FROM[target]:
            changes.setdefault((target.value, reason(last, source)), []).append(row)
    changed = 0
    for (target_value, why), hits in changes.items():
        values: dict[str, Any] = {"status": target_value, "status_changed_at": now}
        if target_value == Status.FIXED.value:
            values["fixed_at"] = now
        for start in range(0, len(hits), 500):
            chunk_rows = hits[start:start + 500]
            conn.execute(update(F).where(F.c.id.in_([r.id for r in chunk_rows])).values(**values))
            conn.execute(insert(HIST), [
                {"finding_id": r.id, "at": now, "actor": actor[:200], "from_status": r.status,
                 "to_status": target_value, "reason": why, "scan_id": scan_id} for r in chunk_rows])
        changed += len(hits)
    return changed
