"""Project metrics: open findings by severity, mean time to fix, SLA breaches, weekly trend."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, select

from cnsmm.findings import Severity
from cnsmm.tracking.models import TrackedFinding
from cnsmm.tracking.projects import project_id
from cnsmm.tracking.queries import reopen_expired
from cnsmm.tracking.states import OPEN_STATES, Status
from cnsmm.tracking.store import Store, utcnow

F = cast(Table, TrackedFinding.__table__)


@dataclass(frozen=True)
class WeekTrend:
    """Findings first seen and fixed in one ISO week (starting on Monday)."""

    week: date
    new: int
    fixed: int


@dataclass(frozen=True)
class Metrics:
    """Metrics of one project."""

    project: str
    open_by_severity: dict[str, int]
    total_open: int
    fixed: int
    mean_days_to_fix: float | None
    """Mean of (fixed at - first seen) over fixed findings, in days."""
    sla_breaches: int
    """Open findings past their due date."""
    breaches_by_severity: dict[str, int]
    trend: tuple[WeekTrend, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return {
            "project": self.project,
            "open_by_severity": self.open_by_severity,
            "total_open": self.total_open,
            "fixed": self.fixed,
            "mean_days_to_fix": self.mean_days_to_fix,
            "sla_breaches": self.sla_breaches,
            "breaches_by_severity": self.breaches_by_severity,
            "trend": [{"week": t.week.isoformat(), "new": t.new, "fixed": t.fixed} for t in self.trend],
        }


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def compute_metrics(store: Store, project: str, *, weeks: int = 12) -> Metrics:
    """Metrics of ``project``; the trend covers the last ``weeks`` weeks."""
    reopen_expired(store, project)
    today = utcnow().date()
    open_values = [s.value for s in OPEN_STATES]
    with store.read() as conn:
        pid = project_id(conn, project)
        mine = F.c.project_id == pid
        by_sev: dict[str, int] = _pairs(
            conn.execute(
                select(F.c.severity, func.count()).where(mine, F.c.status.in_(open_values)).group_by(F.c.severity)
            ).all()
        )
        breaches: dict[str, int] = _pairs(
            conn.execute(
                select(F.c.severity, func.count())
                .where(mine, F.c.status.in_(open_values), F.c.due < today)
                .group_by(F.c.severity)
            ).all()
        )
        fixed_rows = conn.execute(
            select(F.c.first_seen, F.c.fixed_at).where(
                mine, F.c.status == Status.FIXED.value, F.c.fixed_at.is_not(None)
            )
        )
        count, total_days = 0, 0.0
        for first_seen, fixed_at in fixed_rows:
            count += 1
            total_days += (fixed_at - first_seen).total_seconds() / 86400
        start = _monday(today) - timedelta(weeks=weeks - 1)
        since = utcnow().replace(year=start.year, month=start.month, day=start.day, hour=0, minute=0, second=0)
        new_by_day = conn.execute(
            select(func.date(F.c.first_seen), func.count())
            .where(mine, F.c.first_seen >= since)
            .group_by(func.date(F.c.first_seen))
        ).all()
        fixed_by_day = conn.execute(
            select(func.date(F.c.fixed_at), func.count())
            .where(mine, F.c.fixed_at >= since)
            .group_by(func.date(F.c.fixed_at))
        ).all()
    new_weeks: Counter[date] = Counter()
    fixed_weeks: Counter[date] = Counter()
    for day, n in new_by_day:
        new_weeks[_monday(_as_date(day))] += n
    for day, n in fixed_by_day:
        fixed_weeks[_monday(_as_date(day))] += n
    trend = tuple(
        WeekTrend(week, new_weeks[week], fixed_weeks[week])
        for week in (start + timedelta(weeks=i) for i in range(weeks))
    )
    order = [s.value for s in Severity]
    return Metrics(
        project=project,
        open_by_severity={s: int(by_sev.get(s, 0)) for s in order},
        total_open=int(sum(by_sev.values())),
        fixed=count,
        mean_days_to_fix=round(total_days / count, 2) if count else None,
        sla_breaches=int(sum(breaches.values())),
        breaches_by_severity={s: int(breaches.get(s, 0)) for s in order if breaches.get(s)},
        trend=trend,
    )


def _pairs(rows: Iterable[Any]) -> dict[str, int]:
    return {str(row[0]): int(row[1]) for row in rows}


def _as_date(value: object) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
