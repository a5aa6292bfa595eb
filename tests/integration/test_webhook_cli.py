"""``cnsmm webhook ...``: register, list, send to a real local receiver, read the log, remove.
On SQLite and PostgreSQL. The signing secret is printed by ``add`` only."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import run_cli
from tests.notify.receiver import Receiver

TRIVY = Path(__file__).resolve().parent.parent / "tracking" / "data" / "trivy-image.json"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def test_add_list_send_deliveries_remove(db_url: str, receiver: Receiver, capsys: pytest.CaptureFixture[str]) -> None:
    project = "cli-hooks"
    code, out, err = run_cli(capsys, "webhook", "add", receiver.url, "-p", project, "--db", db_url,
                             "--event", "findings.new", "--actor", "alice")
    assert code == 0, err
    secret = out.strip()
    assert secret.startswith("whsec_") and "\n" not in secret  # stdout is the secret alone, for scripts
    assert "shown this once" in err and secret not in err
    hook_id = int(err.split()[1])

    code, out, err = run_cli(capsys, "webhook", "list", "-p", project, "--db", db_url)
    assert code == 0 and secret not in out + err
    assert f"{hook_id}  json   findings.new  {receiver.url}  (by alice," in out
    code, out, _ = run_cli(capsys, "webhook", "list", "-p", project, "--db", db_url, "--format", "json")
    listed = json.loads(out)
    assert [(h["id"], h["events"], h["url"]) for h in listed] == [(hook_id, ["findings.new"], receiver.url)]
    assert secret not in out and all("secret" not in h for h in listed)

    # an import with new critical/high findings sends the event, signed with the secret
    receiver.answers = [500]  # the first attempt fails: the log says so and a later send retries
    code, _, err = run_cli(capsys, "import", str(TRIVY), "-p", project, "--db", db_url)
    assert code == 0, err
    assert len(receiver.received) == 1
    code, out, err = run_cli(capsys, "webhook", "deliveries", "-p", project, "--db", db_url, "--format", "json")
    log = json.loads(out)
    assert [(d["event"], d["status"], d["attempts"], d["last_code"]) for d in log] == [
        ("findings.new", "pending", 1, 500)]
    code, out, _ = run_cli(capsys, "webhook", "deliveries", "-p", project, "--db", db_url)
    assert "findings.new" in out and "pending" in out and "HTTP 500" in out and "next attempt" in out
    assert secret not in out

    sent = receiver.received[0]
    stamp = sent["headers"]["X-Cnsmm-Timestamp"]
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + sent["body"], hashlib.sha256).hexdigest()
    assert sent["headers"]["X-Cnsmm-Signature"] == f"sha256={expected}"
    assert json.loads(sent["body"])["project"] == project

    # `send` sends only what is due: the retry waits for its back-off
    code, _, err = run_cli(capsys, "webhook", "send", "-p", project, "--db", db_url)
    assert code == 0 and "0 delivery attempt(s)" in err and len(receiver.received) == 1

    code, out, err = run_cli(capsys, "webhook", "remove", str(hook_id), "-p", project, "--db", db_url)
    assert code == 0 and f"webhook {hook_id} removed" in out
    code, out, err = run_cli(capsys, "webhook", "list", "-p", project, "--db", db_url)
    assert code == 0 and out == "" and "no webhooks" in err
    code, out, err = run_cli(capsys, "webhook", "deliveries", "-p", project, "--db", db_url)
    assert code == 0 and "no deliveries" in err  # the log went with its webhook


def test_refusals_name_the_problem(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "webhook", "add", "ftp://example.com/x", "-p", "cli-bad", "--db", db_url)
    assert code == 2 and out == "" and "expected an http(s) URL" in err
    code, _, err = run_cli(capsys, "webhook", "add", "https://u:p@example.com/h", "-p", "cli-bad", "--db", db_url)
    assert code == 2 and "credentials in the URL" in err and "u:p" not in err
    code, _, err = run_cli(capsys, "webhook", "add", "https://example.com/h", "-p", "cli-bad", "--db", db_url,
                           "--event", "everything")
    assert code == 2 and "'everything' is not one of" in err
    code, _, err = run_cli(capsys, "webhook", "add", "https://example.com/h", "-p", "bad name", "--db", db_url)
    assert code == 2 and "not a valid project name" in err
    code, _, err = run_cli(capsys, "webhook", "remove", "999999", "-p", "cli-bad", "--db", db_url)
    assert code == 2 and "no webhook 999999 in project 'cli-bad'" in err and "webhook list -p cli-bad" in err
