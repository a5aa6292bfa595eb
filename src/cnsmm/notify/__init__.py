"""Outgoing webhooks: a project's new critical and high findings, signed, retried, logged.

- :func:`add_webhook` registers a URL with the events it wants and returns the shared secret
  once; :func:`list_webhooks` never shows it again.
- :func:`queue_import` records one delivery per webhook after an import that found new
  critical or high findings (event ``findings.new``); :func:`queue_daily` once a day the
  findings that went past their due date (``sla.breached``) and the risk acceptances that
  end within 7 days (``risk.expiring``).
- :func:`deliver_pending` sends what is due: a JSON document (or, with the ``slack`` format, a
  Slack-compatible ``{"text": ...}`` message) signed with HMAC-SHA256 over
  ``"<timestamp>.<body>"`` in ``X-Cnsmm-Signature: sha256=<hex>``; an answer other than 2xx,
  or no answer, is retried with back-off (1, 2, 4, 8 minutes) up to :data:`MAX_ATTEMPTS`
  attempts, each recorded in the delivery log (:func:`deliveries`). Redirects are not followed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from sqlalchemy import Table, delete, func, insert, select, update

from cnsmm.errors import ConfigError
from cnsmm.tracking.models import Project, TrackedFinding, Webhook, WebhookDelivery
from cnsmm.tracking.projects import ensure_project
from cnsmm.tracking.store import Store, utcnow

log = logging.getLogger("cnsmm.notify")
EVENTS = ("findings.new", "sla.breached", "risk.expiring")
"""Events a webhook may ask for."""
EXPIRY_WINDOW_DAYS = 7
"""``risk.expiring`` names risk acceptances that end within this many days."""
FORMATS = ("json", "slack")
MAX_ATTEMPTS = 5
BACKOFF_S = 60.0
"""Wait before the second attempt; doubled for each later one."""
MAX_ITEMS = 50
"""Findings listed in one event (the count is exact)."""
W = cast(Table, Webhook.__table__)
D = cast(Table, WebhookDelivery.__table__)
F = cast(Table, TrackedFinding.__table__)


def _check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if (parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000
            or any(ord(c) <= 32 or ord(c) == 127 for c in url)):
        raise ConfigError(f"webhook URL {url[:80]!r}: expected an http(s) URL with a host, "
                          "without spaces or control characters",
                          hint="e.g. https://hooks.example.com/cnsmm")
    if parts.username or parts.password:
        raise ConfigError("webhook URL: credentials in the URL are not kept; use the signing secret")
    return url


def add_webhook(store: Store, project: str, url: str, *, events: Sequence[str] | None = None, fmt: str = "json",
                created_by: str) -> tuple[int, str]:
    """Register a webhook of ``project``; returns its id and its secret (shown this once)."""
    url = _check_url(url)
    wanted = list(events or EVENTS)
    if unknown := [e for e in wanted if e not in EVENTS]:
        raise ConfigError(f"unknown webhook event(s) {', '.join(unknown)} (expected {', '.join(EVENTS)})")
    if fmt not in FORMATS:
        raise ConfigError(f"unknown webhook format {fmt!r} (expected {' or '.join(FORMATS)})")
    secret = "whsec_" + secrets.token_urlsafe(32)
    with store.write() as conn:
        pid = ensure_project(conn, project)
        hook_id = conn.execute(insert(W).values(project_id=pid, url=url, secret=secret, events=wanted, format=fmt,
                                                created_by=created_by[:200], created_at=utcnow())
                               .returning(W.c.id)).scalar_one()
    return int(hook_id), secret


def list_webhooks(store: Store, project: str) -> list[dict[str, Any]]:
    """The project's webhooks, without their secrets."""
    with store.read() as conn:
        rows = conn.execute(select(W.c.id, W.c.url, W.c.events, W.c.format, W.c.created_by, W.c.created_at)
                            .join(Project, Project.id == W.c.project_id).where(Project.name == project)
                            .order_by(W.c.id)).all()
    return [{"id": r.id, "url": r.url, "events": list(r.events), "format": r.format, "created_by": r.created_by,
             "created_at": r.created_at.isoformat(timespec="seconds")} for r in rows]


def delete_webhook(store: Store, project: str, hook_id: int) -> bool:
    """Remove a webhook of ``project`` (and its log); False when it has no such webhook."""
    with store.write() as conn:
        pid = conn.execute(select(Project.id).where(Project.name == project)).scalar()
        if pid is None:
            return False
        return bool(conn.execute(delete(W).where(W.c.id == hook_id, W.c.project_id == pid)).rowcount)


def deliveries(store: Store, project: str, limit: int = 100) -> list[dict[str, Any]]:
    """The project's latest deliveries, newest first (the delivery log)."""
    with store.read() as conn:
        rows = conn.execute(
            select(D.c.id, D.c.webhook_id, D.c.event, D.c.status, D.c.attempts, D.c.last_code, D.c.last_error,
                   D.c.created_at, D.c.delivered_at, D.c.next_attempt_at)
            .join(W, W.c.id == D.c.webhook_id).join(Project, Project.id == W.c.project_id)
            .where(Project.name == project).order_by(D.c.id.desc()).limit(limit)
        ).all()
    return [{k: (v.isoformat(timespec="seconds") if isinstance(v, datetime) else v) for k, v in r._mapping.items()}
            for r in rows]


def queue_import(store: Store, project: str, scan_id: int) -> int:
    """Queue ``findings.new`` for the critical and high findings first seen in scan ``scan_id``;
    returns the deliveries queued (none when nothing new is that severe or no webhook wants it)."""
    now = utcnow()
    with store.write() as conn:
        hooks = conn.execute(select(W.c.id, W.c.events).join(Project, Project.id == W.c.project_id)
                             .where(Project.name == project)).all()
        hooks = [h for h in hooks if "findings.new" in (h.events or [])]
        if not hooks:
            return 0
        severe = (F.c.first_scan_id == scan_id, F.c.severity.in_(["critical", "high"]))
        count = conn.execute(select(F.c.id).where(*severe).limit(100_000)).all()
        if not count:
            return 0
        rows = conn.execute(select(F.c.id, F.c.severity, F.c.title, F.c.rule, F.c.file, F.c.line, F.c.image,
                                   F.c.resource, F.c.due).where(*severe)
                            .order_by(F.c.severity_rank.desc(), F.c.id).limit(MAX_ITEMS)).all()
        payload = {
            "event": "findings.new", "project": project, "scan_id": scan_id, "count": len(count),
            "findings": [{"id": r.id, "severity": r.severity, "title": r.title, "rule": r.rule,
                          "location": (r.file and (f"{r.file}:{r.line}" if r.line else r.file))
                          or r.image or r.resource, "due": r.due.isoformat() if r.due else None} for r in rows],
        }
        conn.execute(insert(D), [{"webhook_id": h.id, "event": "findings.new", "payload": payload,
                                  "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now}
                                 for h in hooks])
    return len(hooks)


def _item(r: Any) -> dict[str, Any]:
    return {"id": r.id, "severity": r.severity, "title": r.title, "rule": r.rule,
            "location": (r.file and (f"{r.file}:{r.line}" if r.line else r.file)) or r.image or r.resource,
            "due": r.due.isoformat() if r.due else None}


def queue_daily(store: Store, today: date | None = None) -> int:
    """Queue the day's ``sla.breached`` and ``risk.expiring`` deliveries, once per webhook and
    day, when something changed since the webhook's previous one: open findings that went past
    their due date, and risk acceptances that came within :data:`EXPIRY_WINDOW_DAYS` of their end."""
    today = today or utcnow().date()
    midnight = datetime.combine(today, datetime.min.time())
    window = timedelta(days=EXPIRY_WINDOW_DAYS)
    queued = 0
    with store.write() as conn:
        hooks = conn.execute(select(W.c.id, W.c.events, W.c.project_id, Project.name)
                             .join(Project, Project.id == W.c.project_id)).all()
        for hook in hooks:
            for event in ("sla.breached", "risk.expiring"):
                if event not in (hook.events or []):
                    continue
                last = conn.execute(select(func.max(D.c.created_at))
                                    .where(D.c.webhook_id == hook.id, D.c.event == event)).scalar()
                if last is not None and last >= midnight:
                    continue  # already today
                since = last.date() if last is not None else None
                cols = (F.c.id, F.c.severity, F.c.title, F.c.rule, F.c.file, F.c.line, F.c.image, F.c.resource,
                        F.c.due, F.c.risk_expires)
                if event == "sla.breached":
                    cond = [F.c.project_id == hook.project_id, F.c.status.in_(["open", "triaged", "in_progress"]),
                            F.c.due < today]
                    fresh = [*cond, F.c.due >= since] if since else cond
                    total = conn.execute(select(func.count()).where(*cond)).scalar_one()
                else:
                    cond = [F.c.project_id == hook.project_id, F.c.status == "risk_accepted",
                            F.c.risk_expires >= today, F.c.risk_expires <= today + window]
                    fresh = [*cond, F.c.risk_expires > since + window] if since else cond
                    total = conn.execute(select(func.count()).where(*cond)).scalar_one()
                rows = conn.execute(select(*cols).where(*fresh).order_by(F.c.severity_rank.desc(), F.c.id)
                                    .limit(MAX_ITEMS + 1)).all()
                if not rows:
                    continue
                items = [{**_item(r), **({"expires": r.risk_expires.isoformat()} if r.risk_expires else {})}
                         for r in rows[:MAX_ITEMS]]
                payload = {"event": event, "project": hook.name, "date": today.isoformat(), "total": total,
                           "count": len(rows) if len(rows) <= MAX_ITEMS else None, "findings": items}
                conn.execute(insert(D).values(webhook_id=hook.id, event=event, payload=payload, status="pending",
                                              attempts=0, next_attempt_at=utcnow(), created_at=utcnow()))
                queued += 1
    return queued


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 with the webhook's secret over ``"<timestamp>.<body>"``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _slack(payload: dict[str, Any]) -> dict[str, Any]:
    event = payload.get("event")
    if event == "sla.breached":
        lines = [f"cnsmm: {payload['total']} finding(s) past their due date in {payload['project']} "
                 f"({len(payload['findings'])} new)"]
    elif event == "risk.expiring":
        lines = [f"cnsmm: {payload['total']} risk acceptance(s) in {payload['project']} end within "
                 f"{EXPIRY_WINDOW_DAYS} days"]
    else:
        lines = [f"cnsmm: {payload['count']} new critical/high finding(s) in {payload['project']} "
                 f"(scan #{payload['scan_id']})"]
    lines += [f"• [{f['severity']}] {f['title']} ({f['rule']}) {f['location'] or ''}".rstrip()
              for f in payload["findings"][:10]]
    return {"text": "\n".join(lines)}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _send(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int | None, str | None]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (http(s) only: _check_url)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return int(response.status), None
    except urllib.error.HTTPError as exc:
        return int(exc.code), f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, f"{type(exc).__name__}: {reason}"[:500]


def deliver_pending(store: Store, *, now: datetime | None = None, timeout: float = 10.0,
                    backoff_s: float = BACKOFF_S, project: str | None = None) -> int:
    """Send every delivery that is due (of ``project``, or of all); returns how many were attempted."""
    now = now or utcnow()
    query = (select(D.c.id, D.c.event, D.c.payload, D.c.attempts, W.c.url, W.c.secret, W.c.format)
             .join(W, W.c.id == D.c.webhook_id)
             .where(D.c.status == "pending", D.c.next_attempt_at <= now).order_by(D.c.id).limit(100))
    if project is not None:
        query = query.join(Project, Project.id == W.c.project_id).where(Project.name == project)
    with store.read() as conn:
        due = conn.execute(query).all()
    for d in due:
        document = _slack(d.payload) if d.format == "slack" else d.payload
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        stamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "User-Agent": "cnsmm-webhook", "X-Cnsmm-Event": d.event,
                   "X-Cnsmm-Delivery": str(d.id), "X-Cnsmm-Timestamp": stamp,
                   "X-Cnsmm-Signature": signature(d.secret, stamp, body)}
        code, error = _send(d.url, body, headers, timeout)
        attempts = d.attempts + 1
        ok = code is not None and 200 <= code < 300
        values: dict[str, Any] = {"attempts": attempts, "last_code": code, "last_error": None if ok else error}
        if ok:
            values.update(status="delivered", delivered_at=utcnow(), next_attempt_at=None)
        elif attempts >= MAX_ATTEMPTS:
            values.update(status="failed", next_attempt_at=None)
        else:
            values["next_attempt_at"] = now + timedelta(seconds=backoff_s * 2 ** (attempts - 1))
        if not ok:
            log.warning("webhook delivery %s: attempt %d failed (%s)", d.id, attempts, error)
        with store.write() as conn:
            conn.execute(update(D).where(D.c.id == d.id).values(**values))
    return len(due)


class Notifier:
    """Sends due deliveries every few seconds in a background thread (one per service process;
    several processes may send the same delivery twice at worst, never lose one)."""

    def __init__(self, store: Store, interval_s: float = 5.0) -> None:
        import threading

        self.store = store
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="cnsmm-notify", daemon=True)

    def start(self) -> None:
        """Start sending."""
        self._thread.start()

    def _loop(self) -> None:
        daily_at = 0.0
        while not self._stop.wait(self.interval_s):
            try:
                if time.monotonic() >= daily_at:  # the daily events, checked every minute
                    queue_daily(self.store)
                    daily_at = time.monotonic() + 60
                deliver_pending(self.store)
            except Exception:  # the store away for a moment: the next round tries again
                log.exception("sending webhook deliveries failed")

    def stop(self) -> None:
        """Stop after the current round."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
