"""Reading and writing the service's own records: assessments, attestations, background jobs.

Route handlers call these functions and hold no SQL themselves; findings go through
:mod:`cnsmm.tracking`, accounts through :mod:`cnsmm.accounts`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from sqlalchemy import select

from cnsmm.tracking.projects import ensure_project
from cnsmm.tracking.store import Store, utcnow
from cnsmm.web.models import Assessment, Attestation, Job


def create_project(store: Store, name: str) -> None:
    """Create project ``name`` (nothing happens when it exists)."""
    with store.write() as conn:
        ensure_project(conn, name)


MAX_TREND_DOMAINS = 12
"""Domains read per assessment for the trend (the model has five; more come only from odd uploads)."""


def domain_levels(value: Any) -> dict[str, int]:
    """``{domain id: level}`` from an assessment document's ``domains`` list; entries that are not
    an object with a string ``id`` and a level 0-5 are left out (uploads are only loosely checked)."""
    out: dict[str, int] = {}
    if not isinstance(value, list):
        return out
    for d in value:
        if not isinstance(d, dict):
            continue
        ident, level = d.get("id"), d.get("level")
        if isinstance(ident, str) and 0 < len(ident) <= 100 and type(level) is int and 0 <= level <= 5:
            out.setdefault(ident, level)
        if len(out) >= MAX_TREND_DOMAINS:
            break
    return out


def maturity_trend(store: Store, project: str, limit: int = 20) -> list[dict[str, Any]]:
    """The overall and per-domain levels of the project's latest ``limit`` assessments, oldest first.

    Only the documents' ``domains`` lists are read from the store (a JSON path), not whole documents.
    """
    with store.read() as conn:
        rows = conn.execute(
            select(Assessment.id, Assessment.created_at, Assessment.overall_level, Assessment.data["domains"])
            .where(Assessment.project == project).order_by(Assessment.created_at.desc(), Assessment.id.desc())
            .limit(limit)
        ).all()
    return [{"id": i, "at": at.isoformat(timespec="seconds"), "overall": lvl, "domains": domain_levels(doms)}
            for i, at, lvl, doms in reversed(rows)]


def job_state(store: Store, project: str, job_id: str) -> dict[str, Any] | None:
    """A background job of ``project`` (read without the write lock), or None."""
    J = Job.__table__
    with store.read() as conn:
        row = conn.execute(select(J.c.id, J.c.status, J.c.kind, J.c.result, J.c.error, J.c.created_at)
                           .where(J.c.id == job_id, J.c.project == project)).first()
    if row is None:
        return None
    return {"id": row.id, "status": row.status, "kind": row.kind, "result": row.result, "error": row.error,
            "created_at": row.created_at.isoformat(timespec="seconds")}


def store_assessment(store: Store, project: str, by: str, level: int, doc: dict[str, Any]) -> dict[str, Any]:
    """Keep an assessment document; returns its id and overall level."""
    with store.session() as s:
        ensure_project(s.connection(), project)
        row = Assessment(project=project, created_at=utcnow(), created_by=by, overall_level=level, data=doc)
        s.add(row)
        s.flush()
        return {"id": row.id, "overall": level}


def list_assessments(store: Store, project: str) -> list[dict[str, Any]]:
    """The project's assessments, newest first (without their documents)."""
    with store.read() as conn:
        rows = conn.execute(select(Assessment.id, Assessment.created_at, Assessment.created_by,
                                   Assessment.overall_level).where(Assessment.project == project)
                            .order_by(Assessment.created_at.desc())).all()
    return [{"id": i, "at": at.isoformat(timespec="seconds"), "by": by, "overall": lvl} for i, at, by, lvl in rows]


_KEPT_DOCUMENTS = 16
"""Parsed assessment documents kept per store (documents never change once stored)."""
_kept_lock = threading.Lock()


def assessment_document(store: Store, project: str, assessment_id: int | None = None) -> dict[str, Any] | None:
    """One assessment document of the project (the latest without an id), or None.

    Stored documents never change, so the last few read are kept parsed: the overview and
    maturity pages do not read and parse a large document again on every view."""
    with store.read() as conn:
        query = select(Assessment.id).where(Assessment.project == project)
        if assessment_id:
            query = query.where(Assessment.id == assessment_id)
        found = conn.scalar(query.order_by(Assessment.created_at.desc(), Assessment.id.desc()).limit(1))
        if found is None:
            return None
        with _kept_lock:
            kept: OrderedDict[int, dict[str, Any]] = store.memo.setdefault("assessment-documents", OrderedDict())
            doc = kept.get(found)
            if doc is not None:
                kept.move_to_end(found)
                return dict(doc)
        data = conn.scalar(select(Assessment.data).where(Assessment.id == found))
    if not data:
        return None
    with _kept_lock:
        kept[found] = dict(data)
        while len(kept) > _KEPT_DOCUMENTS:
            kept.popitem(last=False)
    return dict(data)


def attestations(store: Store, project: str) -> dict[str, Any]:
    """The project's attestation document, with who changed it last and when."""
    with store.read() as conn:
        row = conn.execute(select(Attestation.text, Attestation.updated_at, Attestation.updated_by)
                           .where(Attestation.project == project)).first()
    if row is None:
        return {"text": "", "updated_at": None, "updated_by": None}
    return {"text": row.text, "updated_at": row.updated_at.isoformat(timespec="seconds"), "updated_by": row.updated_by}


def save_attestations(store: Store, project: str, text: str, by: str) -> None:
    """Replace the project's attestation document."""
    with store.session() as s:
        row = s.scalar(select(Attestation).where(Attestation.project == project))
        if row is None:
            s.add(Attestation(project=project, text=text, updated_at=utcnow(), updated_by=by))
        else:
            row.text, row.updated_at, row.updated_by = text, utcnow(), by
