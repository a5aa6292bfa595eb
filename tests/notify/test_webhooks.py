"""Outgoing webhooks against a real local HTTP receiver: signed, retried with back-off, logged."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from tests.notify.receiver import Receiver

from cnsmm import notify
from cnsmm.errors import ConfigError
from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers.interface import ImportedReport
from cnsmm.tracking.importer import import_report
from cnsmm.tracking.store import Store, open_store, utcnow


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = open_store(db_url)
    yield s
    s.dispose()


def _import(store: Store, project: str, findings: list[Finding]) -> int:
    report = ImportedReport(format="trivy-json", tool="trivy", tool_version="0.50", scope="image:web",
                            findings=iter(findings))
    return import_report(store, report, project=project, source_name="t.json",
                         source_sha256=str(len(findings)) * 64, actor="ci").scan_id


def _vuln(cve: str, severity: Severity) -> Finding:
    return Finding(rule=cve, severity=severity, title=f"{cve} in openssl", message=cve, tool="trivy",
                   location=Location(image="registry.example.com/shop/web:1.0"), category="vulnerability",
                   component="openssl", installed_version="3.0.1")


def test_new_severe_findings_are_sent_signed_and_retried(store: Store, receiver: Receiver) -> None:
    project = "hooks-" + hashlib.sha1(receiver.url.encode()).hexdigest()[:8]
    hook_id, secret = notify.add_webhook(store, project, receiver.url, created_by="owner")
    assert secret.startswith("whsec_") and all("secret" not in h for h in notify.list_webhooks(store, project))

    scan = _import(store, project, [_vuln("CVE-2024-0001", Severity.CRITICAL), _vuln("CVE-2024-0002", Severity.LOW),
                                    _vuln("CVE-2024-0003", Severity.HIGH)])
    assert notify.queue_import(store, project, scan) == 1
    receiver.answers = [500]  # the receiver fails once
    now = utcnow()
    assert notify.deliver_pending(store, now=now, backoff_s=60) == 1
    log = notify.deliveries(store, project)
    assert (log[0]["status"], log[0]["attempts"], log[0]["last_code"]) == ("pending", 1, 500)
    assert notify.deliver_pending(store, now=now + timedelta(seconds=30), backoff_s=60) == 0  # backing off
    assert notify.deliver_pending(store, now=now + timedelta(seconds=61), backoff_s=60) == 1
    log = notify.deliveries(store, project)
    assert (log[0]["status"], log[0]["attempts"], log[0]["last_code"]) == ("delivered", 2, 204)

    sent = receiver.received[-1]
    body = sent["body"]
    stamp = sent["headers"]["X-Cnsmm-Timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(sent["headers"]["X-Cnsmm-Signature"], expected)
    assert sent["headers"]["X-Cnsmm-Event"] == "findings.new"
    doc = json.loads(body)
    assert (doc["project"], doc["count"]) == (project, 2)  # the low one is not news
    assert [f["severity"] for f in doc["findings"]] == ["critical", "high"]
    assert secret not in json.dumps(log)

    # a re-import that finds nothing new sends nothing
    again = _import(store, project, [_vuln("CVE-2024-0001", Severity.CRITICAL)])
    assert notify.queue_import(store, project, again) == 0
    assert notify.delete_webhook(store, project, hook_id) and notify.list_webhooks(store, project) == []


def test_slack_format_and_giving_up(store: Store, receiver: Receiver) -> None:
    project = "slack-" + hashlib.sha1(receiver.url.encode()).hexdigest()[:8]
    notify.add_webhook(store, project, receiver.url, fmt="slack", created_by="owner")
    scan = _import(store, project, [_vuln("CVE-2024-0009", Severity.HIGH)])
    notify.queue_import(store, project, scan)
    receiver.answers = [503] * notify.MAX_ATTEMPTS
    now = utcnow()
    for attempt in range(notify.MAX_ATTEMPTS):
        assert notify.deliver_pending(store, now=now + timedelta(days=attempt), backoff_s=1) == 1
    log = notify.deliveries(store, project)
    assert (log[0]["status"], log[0]["attempts"]) == ("failed", notify.MAX_ATTEMPTS)
    assert notify.deliver_pending(store, now=now + timedelta(days=30)) == 0
    text = json.loads(receiver.received[0]["body"])["text"]
    assert text.startswith(f"cnsmm: 1 new critical/high finding(s) in {project}") and "CVE-2024-0009" in text


def test_an_unreachable_receiver_is_logged_and_bad_urls_are_refused(store: Store) -> None:
    project = "down-" + utcnow().strftime("%H%M%S%f")
    notify.add_webhook(store, project, "http://127.0.0.1:9/nothing-listens", created_by="owner")
    notify.queue_import(store, project, _import(store, project, [_vuln("CVE-2024-0010", Severity.CRITICAL)]))
    assert notify.deliver_pending(store, timeout=2) == 1
    entry = notify.deliveries(store, project)[0]
    assert entry["status"] == "pending" and entry["last_code"] is None and entry["last_error"]
    for url in ("file:///etc/passwd", "ftp://example.com/x", "https://user:pw@example.com/h", "not a url",
                "https://example.com/a b", "https://example.com/\x1b[2J", "https://example.com/\nX-Injected: 1"):
        with pytest.raises(ConfigError):
            notify.add_webhook(store, project, url, created_by="owner")
    with pytest.raises(ConfigError, match="unknown webhook event"):
        notify.add_webhook(store, project, "https://example.com/h", events=["everything"], created_by="owner")


def test_daily_sla_breaches_and_expiring_acceptances(store: Store, receiver: Receiver) -> None:
    from sqlalchemy import update

    from cnsmm.tracking.models import TrackedFinding
    from cnsmm.tracking.workflow import Status, change_status

    project = "daily-" + utcnow().strftime("%H%M%S%f")
    notify.add_webhook(store, project, receiver.url, events=["sla.breached", "risk.expiring"], created_by="o")
    _import(store, project, [_vuln("CVE-2024-0101", Severity.HIGH), _vuln("CVE-2024-0102", Severity.MEDIUM),
                             _vuln("CVE-2024-0103", Severity.LOW)])
    today = utcnow().date()
    ids = {f.rule: f.id for f in _findings(store, project)}
    with store.write() as conn:
        conn.execute(update(TrackedFinding).where(TrackedFinding.id == ids["CVE-2024-0101"])
                     .values(due=today - timedelta(days=2)))
        conn.execute(update(TrackedFinding).where(TrackedFinding.id == ids["CVE-2024-0103"]).values(due=today))
    change_status(store, ids["CVE-2024-0102"], Status.RISK_ACCEPTED, actor="ciso", reason="vendor fix pending",
                  approver="ciso", expires=today + timedelta(days=3))

    assert notify.queue_daily(store, today) == 2
    assert notify.queue_daily(store, today) == 0  # once a day
    assert notify.deliver_pending(store, project=project) == 2
    docs = {json.loads(r["body"])["event"]: json.loads(r["body"]) for r in receiver.received}
    assert [f["title"] for f in docs["sla.breached"]["findings"]] == ["CVE-2024-0101 in openssl"]
    assert docs["risk.expiring"]["findings"][0]["expires"] == (today + timedelta(days=3)).isoformat()

    # the next day: only what changed since (the finding due today is now past due)
    assert notify.queue_daily(store, today + timedelta(days=1)) == 1
    notify.deliver_pending(store, project=project)
    latest = json.loads(receiver.received[-1]["body"])
    assert latest["event"] == "sla.breached" and latest["total"] == 2
    assert [f["title"] for f in latest["findings"]] == ["CVE-2024-0103 in openssl"]


def _findings(store: Store, project: str) -> list[Any]:
    from sqlalchemy import select

    from cnsmm.tracking.models import Project, TrackedFinding

    with store.read() as conn:
        return list(conn.execute(select(TrackedFinding.id, TrackedFinding.rule).join(
            Project, Project.id == TrackedFinding.project_id).where(Project.name == project)).all())
