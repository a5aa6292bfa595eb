"""The status workflow of a tracked finding, and the manual actions on it.

::

    open -> triaged -> in_progress -> fixed
      any open state -> risk_accepted (approver, reason, expiry) | false_positive | duplicate
      fixed | risk_accepted | false_positive | duplicate -> open   (reopen)

Imports add two automatic moves: open states -> fixed when a new scan of the same tool and
scope no longer reports the finding, and fixed -> open (``regression``) when it comes back.
An expired risk acceptance reopens the finding on the next import or listing.
"""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Connection, insert, select, update

from cnsmm.errors import Error
from cnsmm.tracking.models import Comment, StatusChange, TrackedFinding
from cnsmm.tracking.store import Store, utcnow


class Status(enum.StrEnum):
    """Status of a tracked finding."""

    OPEN = "open"
    TRIAGED = "triaged"
    IN_PROGRESS = "in_progress"
    FIXED = "fixed"
    RISK_ACCEPTED = "risk_accepted"
    FALSE_POSITIVE = "false_positive"
    DUPLICATE = "duplicate"

    @classmethod
    def parse(cls, value: str) -> Status:
        """Parse a status name (``in-progress`` and ``in_progress`` both work)."""
        try:
            return cls(value.strip().lower().replace("-", "_").replace(" ", "_"))
        except ValueError:
            choices = ", ".join(s.value for s in cls)
            raise WorkflowError(f"unknown status {value!r} (expected one of {choices})") from None


OPEN_STATES = frozenset({Status.OPEN, Status.TRIAGED, Status.IN_PROGRESS})
"""Statuses of findings that still need work (and are closed as fixed when gone)."""
MANUAL_DECISIONS = frozenset({Status.RISK_ACCEPTED, Status.FALSE_POSITIVE, Status.DUPLICATE})
"""Statuses set by a person that imports never change."""

_CLOSING = {Status.FIXED, *MANUAL_DECISIONS}
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.OPEN: frozenset({Status.TRIAGED, Status.IN_PROGRESS, *_CLOSING}),
    Status.TRIAGED: frozenset({Status.OPEN, Status.IN_PROGRESS, *_CLOSING}),
    Status.IN_PROGRESS: frozenset({Status.OPEN, Status.TRIAGED, *_CLOSING}),
    Status.FIXED: frozenset({Status.OPEN}),
    Status.RISK_ACCEPTED: frozenset({Status.OPEN}),
    Status.FALSE_POSITIVE: frozenset({Status.OPEN}),
    Status.DUPLICATE: frozenset({Status.OPEN}),
}
"""Allowed manual transitions."""


class WorkflowError(Error):
    """A status change, assignment or comment that is not allowed."""


class FindingNotFoundError(Error):
    """No finding has the given id."""


def _get(conn: Connection, finding_id: int) -> TrackedFinding:
    row = conn.execute(select(TrackedFinding.__table__).where(TrackedFinding.id == finding_id)).first()
    if row is None:
        raise FindingNotFoundError(
            f"no finding with id {finding_id}", hint="List ids with `cnsmm findings list --project P`"
        )
    return TrackedFinding(**row._asdict())


def change_status(
    store: Store,
    finding_id: int,
    new: Status,
    *,
    actor: str,
    reason: str | None = None,
    approver: str | None = None,
    expires: date | None = None,
    duplicate_of: int | None = None,
) -> TrackedFinding:
    """Move a finding to ``new``, checking the transition and its required details."""
    with store.write() as conn:
        finding = _get(conn, finding_id)
        old = Status(finding.status)
        if new == old:
            raise WorkflowError(f"finding {finding_id} is already {old.value}")
        if new not in TRANSITIONS[old]:
            allowed = ", ".join(sorted(s.value for s in TRANSITIONS[old]))
            raise WorkflowError(
                f"finding {finding_id}: cannot go from {old.value} to {new.value}",
                hint=f"From {old.value} it can go to: {allowed}",
            )
        values: dict[str, object] = {"status": new.value, "status_changed_at": utcnow()}
        if new == Status.RISK_ACCEPTED:
            if not (approver and reason and expires):
                raise WorkflowError(
                    f"finding {finding_id}: accepting a risk needs --approver, --reason and --expires",
                    hint="e.g. --approver alice --reason 'not reachable' --expires 2025-12-31",
                )
            if expires <= utcnow().date():
                raise WorkflowError(f"finding {finding_id}: --expires {expires} is not in the future")
            values.update(risk_approver=approver, risk_reason=reason, risk_expires=expires)
        elif new == Status.FALSE_POSITIVE and not reason:
            raise WorkflowError(f"finding {finding_id}: marking a false positive needs --reason")
        elif new == Status.DUPLICATE:
            if duplicate_of is None or duplicate_of == finding_id:
                raise WorkflowError(
                    f"finding {finding_id}: a duplicate needs --duplicate-of OTHER_ID (another finding)"
                )
            other = _get(conn, duplicate_of)
            if other.project_id != finding.project_id:
                raise WorkflowError(f"finding {duplicate_of} belongs to another project")
            if other.status == Status.DUPLICATE.value:
                raise WorkflowError(
                    f"finding {duplicate_of} is itself a duplicate of {other.duplicate_of}",
                    hint=f"Use --duplicate-of {other.duplicate_of}",
                )
            values["duplicate_of"] = duplicate_of
        if new == Status.FIXED:
            values["fixed_at"] = utcnow()
        if old == Status.FIXED:
            values["fixed_at"] = None
        if old == Status.RISK_ACCEPTED:
            values.update(risk_approver=None, risk_reason=None, risk_expires=None)
        if old == Status.DUPLICATE:
            values["duplicate_of"] = None
        conn.execute(update(TrackedFinding).where(TrackedFinding.id == finding_id).values(**values))
        conn.execute(
            insert(StatusChange).values(
                finding_id=finding_id,
                at=utcnow(),
                actor=actor,
                from_status=old.value,
                to_status=new.value,
                reason=reason,
            )
        )
        return _get(conn, finding_id)


def assign(store: Store, finding_id: int, owner: str, *, actor: str) -> TrackedFinding:
    """Set the owner of a finding (recorded as a comment by ``actor``)."""
    owner = owner.strip()
    if not owner:
        raise WorkflowError("the owner must not be empty")
    with store.write() as conn:
        finding = _get(conn, finding_id)
        conn.execute(update(TrackedFinding).where(TrackedFinding.id == finding_id).values(owner=owner))
        conn.execute(
            insert(Comment).values(
                finding_id=finding_id,
                at=utcnow(),
                author=actor,
                text=f"assigned to {owner} (was {finding.owner or 'nobody'})",
            )
        )
        return _get(conn, finding_id)


def add_comment(store: Store, finding_id: int, text: str, *, actor: str) -> None:
    """Add a comment to a finding."""
    if not text.strip():
        raise WorkflowError("the comment is empty")
    with store.write() as conn:
        _get(conn, finding_id)
        conn.execute(insert(Comment).values(finding_id=finding_id, at=utcnow(), author=actor, text=text))


def expire_risk_acceptances(conn: Connection, project_id: int, *, scan_id: int | None = None) -> int:
    """Reopen the project's findings whose risk acceptance has expired; return how many."""
    today = utcnow().date()
    expired = (
        select(TrackedFinding.id, TrackedFinding.risk_expires)
        .where(TrackedFinding.project_id == project_id)
        .where(TrackedFinding.status == Status.RISK_ACCEPTED.value)
        .where(TrackedFinding.risk_expires < today)
    )
    rows = conn.execute(expired).all()
    if not rows:
        return 0
    now = utcnow()
    ids = [r.id for r in rows]
    conn.execute(
        insert(StatusChange),
        [
            {
                "finding_id": r.id,
                "at": now,
                "actor": "cnsmm",
                "from_status": Status.RISK_ACCEPTED.value,
                "to_status": Status.OPEN.value,
                "reason": f"risk acceptance expired on {r.risk_expires}",
                "scan_id": scan_id,
            }
            for r in rows
        ],
    )
    for start in range(0, len(ids), 500):
        conn.execute(
            update(TrackedFinding)
            .where(TrackedFinding.id.in_(ids[start : start + 500]))
            .values(status=Status.OPEN.value, status_changed_at=now)
        )
    return len(ids)
