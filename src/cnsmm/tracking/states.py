"""The statuses of a tracked finding (the moves between them are in :mod:`cnsmm.tracking.workflow`)."""

from __future__ import annotations

import enum

from cnsmm.errors import WorkflowError


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
