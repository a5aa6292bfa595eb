"""Due dates from severity, and which findings breach them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import MappingProxyType

from cnsmm.errors import ConfigError
from cnsmm.findings import Severity

DEFAULT_SLA_DAYS: Mapping[str, int | None] = MappingProxyType(
    {"critical": 7, "high": 30, "medium": 90, "low": 180, "info": None}
)
"""Days to fix a finding, by severity (None: no due date)."""


def _defaults() -> Mapping[str, int | None]:
    return DEFAULT_SLA_DAYS


@dataclass(frozen=True)
class SlaPolicy:
    """Days allowed to fix a finding of each severity."""

    days: Mapping[str, int | None] = field(default_factory=_defaults)

    def due(self, severity: str, since: datetime) -> date | None:
        """Due date of a finding of ``severity`` first seen at ``since``."""
        days = self.days.get(severity)
        return None if days is None else since.date() + timedelta(days=days)

    def as_settings(self) -> dict[str, int | None]:
        """The policy as stored in the project settings."""
        return dict(self.days)

    @classmethod
    def from_settings(cls, value: object) -> SlaPolicy:
        """Policy from a project's ``sla`` setting (missing severities keep their default)."""
        days = dict(DEFAULT_SLA_DAYS)
        if isinstance(value, Mapping):
            for key, item in value.items():
                if key in days and (item is None or isinstance(item, int)):
                    days[key] = item
        return cls(MappingProxyType(days))

    def with_overrides(self, overrides: Iterable[str]) -> SlaPolicy:
        """Apply ``SEVERITY=DAYS`` overrides (``DAYS`` may be ``none``) from the command line."""
        days = dict(self.days)
        for item in overrides:
            name, sep, value = item.partition("=")
            try:
                severity = Severity.parse(name).value
            except ValueError as exc:
                raise ConfigError(f"--sla {item!r}: {exc}", hint="Write e.g. --sla critical=3") from None
            if not sep or not (value.strip().isdigit() or value.strip().lower() == "none"):
                raise ConfigError(
                    f"--sla {item!r}: expected SEVERITY=DAYS (got {value!r} as days)",
                    hint="Write e.g. --sla high=14 or --sla info=none",
                )
            days[severity] = None if value.strip().lower() == "none" else int(value)
        return SlaPolicy(MappingProxyType(days))
