"""Turning rule hits into findings, minus what the user has suppressed.

Three ways to suppress, each needing a reason:

- an annotation on the object: ``cnsmm.io/ignore: "K8S-001,K8S-014"`` (or ``"*"``) with
  ``cnsmm.io/ignore-reason`` and optionally ``cnsmm.io/ignore-expires: "2027-01-31"``;
- a central ``ignore`` entry in ``cnsmm.yaml`` (rule, path glob, resource glob, reason,
  expiry);
- a baseline file (see :mod:`cnsmm.scan.baseline`), applied after the scan.

Expired suppressions and suppressions without a reason stop suppressing and are reported
as warnings, so they cannot hide a finding silently.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from typing import Any

from cnsmm.config import Config
from cnsmm.findings import Finding, Location
from cnsmm.rules.base import Rule

IGNORE = "cnsmm.io/ignore"
IGNORE_REASON = "cnsmm.io/ignore-reason"
IGNORE_EXPIRES = "cnsmm.io/ignore-expires"


class Suppressor:
    """Builds findings for one scan, applying severity overrides and suppressions."""

    def __init__(self, config: Config, today: dt.date | None = None) -> None:
        self.config = config
        self.today = today or dt.date.today()
        self.warnings: list[str] = []
        self._live = [e for e in config.ignore if not e.expired(self.today)]
        self._by_rule: dict[str, list[Any]] = {}
        """Live entries by rule id ("*" for every rule), in order: a finding is matched against
        the entries of its rule only."""
        for entry in self._live:
            self._by_rule.setdefault(entry.rule, []).append(entry)
        for entry in config.ignore:
            if entry.expired(self.today):
                self.warnings.append(
                    f"{entry.source}: suppression of {entry.rule} expired on {entry.expires}; "
                    "it no longer suppresses (renew it or fix the findings)"
                )

    def finding(
        self, rule: Rule, message: str, file: str, line: int | None, obj: Any, resource: str | None = None,
        build: str | None = None,
    ) -> Finding | None:
        """The finding for a hit, or None when it is suppressed."""
        meta = rule.meta
        resource = resource or (obj.resource if obj is not None else None)
        if obj is not None and self._annotated(rule.id, obj, file):
            return None
        for entry in (*self._by_rule.get(rule.id, ()), *self._by_rule.get("*", ())):
            if (
                fnmatch.fnmatchcase(file, entry.path)
                and fnmatch.fnmatchcase(resource or "", entry.resource)
            ):
                return None
        return Finding(
            rule=meta.id,
            severity=self.config.severity.get(meta.id, meta.severity),
            title=meta.title,
            message=message,
            location=Location(file=file, line=line, resource=resource, build=build),
            category=meta.category,
            fix=meta.fix,
            requirements=meta.requirements,
            references=meta.references,
        )

    def _annotated(self, rule_id: str, obj: Any, file: str) -> bool:
        annotations = obj.annotations
        value = annotations.get(IGNORE)
        if not value:
            return False
        ids = {part.strip().upper() for part in str(value).split(",") if part.strip()}
        if rule_id not in ids and "*" not in ids:
            return False
        where = f"{file}:{obj.line}: {obj.resource}"
        if not str(annotations.get(IGNORE_REASON) or "").strip():
            self.warnings.append(f"{where}: {IGNORE} without {IGNORE_REASON} is not honoured; add a reason")
            return False
        expires = annotations.get(IGNORE_EXPIRES)
        if expires:
            try:
                date = dt.date.fromisoformat(str(expires))
            except ValueError:
                self.warnings.append(f"{where}: {IGNORE_EXPIRES} {expires!r} is not a date (YYYY-MM-DD); ignored")
                return False
            if date < self.today:
                self.warnings.append(f"{where}: suppression of {rule_id} expired on {date}; no longer honoured")
                return False
        return True
