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

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, insert, select, update

from cnsmm.errors import FindingNotFoundError, WorkflowError
from cnsmm.tracking.models import Comment, StatusChange, TrackedFinding
from cnsmm.tracking.states import MANUAL_DECISIONS, Status
from cnsmm.tracking.store import Store, lock_project, utcnow

if TYPE_CHECKING:
    from cnsmm.tracking.listing import FindingFilter


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


CLI_NAMES: Mapping[str, str] = {"reason": "--reason", "approver": "--approver", "expires": "--expires",
                                "duplicate_of": "--duplicate-of"}
"""How the command line names the details of a status change."""
API_NAMES: Mapping[str, str] = {name: f"`{name}`" for name in CLI_NAMES}
"""How the API (JSON fields) and the web forms name them."""


def check_details(
    new: Status,
    *,
    reason: str | None,
    approver: str | None,
    expires: date | None,
    duplicate_of: int | None,
    names: Mapping[str, str] = CLI_NAMES,
    subject: str = "",
) -> None:
    """Raise :class:`WorkflowError` when a change to ``new`` lacks the details it needs.

    ``names`` says how the caller names the details (flags or fields); ``subject`` starts the
    message (e.g. "finding 12: ").
    """
    if new == Status.RISK_ACCEPTED:
        missing = tuple(f for f, v in (("approver", approver), ("reason", reason), ("expires", expires)) if not v)
        if missing:
            example = (utcnow().date() + timedelta(days=90)).isoformat()
            if names is CLI_NAMES:
                hint = f"e.g. --approver alice --reason 'not reachable' --expires {example}"
            else:
                hint = f'e.g. "approver": "alice", "reason": "not reachable", "expires": "{example}"'
            raise WorkflowError(
                f"{subject}accepting a risk needs {names['approver']}, {names['reason']} and {names['expires']}",
                hint=hint, fields=missing,
            )
        if expires is not None and expires <= utcnow().date():
            raise WorkflowError(f"{subject}{names['expires']} {expires} is not in the future", fields=("expires",))
    elif new == Status.FALSE_POSITIVE and not reason:
        raise WorkflowError(f"{subject}marking a false positive needs {names['reason']}", fields=("reason",))
    elif new == Status.DUPLICATE and duplicate_of is None:
        raise WorkflowError(f"{subject}a duplicate needs {names['duplicate_of']} OTHER_ID (another finding)",
                            fields=("duplicate_of",))


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
    names: Mapping[str, str] = CLI_NAMES,
) -> TrackedFinding:
    """Move a finding to ``new``, checking the transition and its required details (named in
    messages as ``names`` says: command-line flags by default)."""
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
        check_details(new, reason=reason, approver=approver, expires=expires, duplicate_of=duplicate_of,
                      names=names, subject=f"finding {finding_id}: ")
        values: dict[str, object] = {"status": new.value, "status_changed_at": utcnow()}
        if new == Status.RISK_ACCEPTED:
            values.update(risk_approver=approver, risk_reason=reason, risk_expires=expires)
        elif new == Status.DUPLICATE:
            if duplicate_of is None or duplicate_of == finding_id:
                raise WorkflowError(
                    f"finding {finding_id}: a duplicate needs {names['duplicate_of']} OTHER_ID (another finding)",
                    fields=("duplicate_of",),
                )
            other = _get(conn, duplicate_of)
            if other.project_id != finding.project_id:
                raise WorkflowError(f"finding {duplicate_of} belongs to another project")
            if other.status == Status.DUPLICATE.value:
                raise WorkflowError(
                    f"finding {duplicate_of} is itself a duplicate of {other.duplicate_of}",
                    hint=f"Use {names['duplicate_of']} {other.duplicate_of}", fields=("duplicate_of",),
                )
            values["duplicate_of"] = duplicate_of
        values.update(_leaving(old, new))
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


def _leaving(old: Status, new: Status) -> dict[str, object]:
    """Columns that a move from ``old`` to ``new`` sets or clears besides the status."""
    values: dict[str, object] = {}
    if new == Status.FIXED:
        values["fixed_at"] = utcnow()
    if old == Status.FIXED:
        values["fixed_at"] = None
    if old == Status.RISK_ACCEPTED:
        values.update(risk_approver=None, risk_reason=None, risk_expires=None)
    if old == Status.DUPLICATE:
        values["duplicate_of"] = None
    return values


MAX_BULK = 10_000
"""Most findings one bulk change may touch (a wider filter is refused: narrow it)."""


@dataclass
class BulkOutcome:
    """What a bulk status change did (or, in a dry run, would do)."""

    matched: int
    """Findings the ids or the filter selected."""
    changed: list[tuple[int, str, str]] = field(default_factory=list)
    """(id, old status, title) of every finding moved (or that would be moved)."""
    skipped: dict[int, str] = field(default_factory=dict)
    """Findings left as they are, with the reason (already in that status, not allowed from theirs)."""
    dry_run: bool = False


def change_many(
    store: Store,
    project: str,
    flt: FindingFilter,
    new: Status,
    *,
    actor: str,
    reason: str | None = None,
    approver: str | None = None,
    expires: date | None = None,
    duplicate_of: int | None = None,
    dry_run: bool = False,
    names: Mapping[str, str] = CLI_NAMES,
) -> BulkOutcome:
    """Move every finding of ``project`` that ``flt`` selects to ``new``, in one transaction.

    The details are checked once; a finding whose status cannot go to ``new`` (or already is
    ``new``) is skipped with the reason, the others move. With ``dry_run`` nothing is written
    and the outcome says what would change. More than ``MAX_BULK`` matches is refused.
    """
    from cnsmm.tracking.listing import filtered
    from cnsmm.tracking.projects import project_id

    check_details(new, reason=reason, approver=approver, expires=expires, duplicate_of=duplicate_of, names=names)
    if flt.is_empty():
        raise WorkflowError("a bulk change needs finding ids or at least one filter",
                            hint="Name the findings, or filter by rule, tool, severity, path or status")
    F = TrackedFinding.__table__
    with store.write() as conn:
        lock_project(conn, project)
        pid = project_id(conn, project)
        rows = conn.execute(filtered(conn, pid, flt, (F.c.id, F.c.status, F.c.title)).order_by(F.c.id)
                            .limit(MAX_BULK + 1)).all()
        if len(rows) > MAX_BULK:
            raise WorkflowError(f"the filter matches more than {MAX_BULK} findings",
                                hint="Narrow it (e.g. by severity, rule or path) and repeat")
        outcome = BulkOutcome(matched=len(rows), dry_run=dry_run)
        if new == Status.DUPLICATE and duplicate_of is not None:
            other = conn.execute(select(F.c.project_id, F.c.status).where(F.c.id == duplicate_of)).first()
            if other is None or other.project_id != pid:
                raise WorkflowError(f"finding {duplicate_of} is not in project {project}", fields=("duplicate_of",))
            if other.status == Status.DUPLICATE.value:
                raise WorkflowError(f"finding {duplicate_of} is itself a duplicate", fields=("duplicate_of",))
        by_old: dict[Status, list[int]] = {}
        for row in rows:
            old = Status(row.status)
            if old == new:
                outcome.skipped[row.id] = f"already {old.value}"
            elif new not in TRANSITIONS[old]:
                outcome.skipped[row.id] = f"cannot go from {old.value} to {new.value}"
            elif new == Status.DUPLICATE and row.id == duplicate_of:
                outcome.skipped[row.id] = "cannot be a duplicate of itself"
            else:
                outcome.changed.append((row.id, old.value, row.title))
                by_old.setdefault(old, []).append(row.id)
        if dry_run or not by_old:
            conn.rollback()
            return outcome
        now = utcnow()
        for old, ids in by_old.items():
            values: dict[str, object] = {"status": new.value, "status_changed_at": now, **_leaving(old, new)}
            if new == Status.RISK_ACCEPTED:
                values.update(risk_approver=approver, risk_reason=reason, risk_expires=expires)
            elif new == Status.DUPLICATE:
                values["duplicate_of"] = duplicate_of
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                conn.execute(update(TrackedFinding).where(TrackedFinding.id.in_(chunk)).values(**values))
            conn.execute(insert(StatusChange), [
                {"finding_id": i, "at": now, "actor": actor, "from_status": old.value, "to_status": new.value,
                 "reason": reason} for i in ids
            ])
    return outcome


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
