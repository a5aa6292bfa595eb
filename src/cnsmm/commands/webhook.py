"""``cnsmm webhook add/list/remove/deliveries/send``: a project's outgoing webhooks, from the CLI.

The same calls as the service's ``/api/v1/projects/{p}/webhooks`` (:mod:`cnsmm.notify`), on
the store of ``--db``. The signing secret is printed once, by ``add``; nothing prints it again.
"""

from __future__ import annotations

import json

import click

from cnsmm import notify
from cnsmm.commands.track import actor_option, db_option
from cnsmm.errors import ConfigError
from cnsmm.tracking.export import printable
from cnsmm.tracking.projects import check_project_name
from cnsmm.tracking.store import open_store

_PROJECT = click.option("--project", "-p", required=True, help="The project.")
_FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)


@click.group("webhook")
def webhook_group() -> None:
    """Outgoing webhooks of a project: new critical/high findings, SLA breaches, expiring
    risk acceptances, signed with a shared secret (HMAC-SHA256).

    \b
    Examples:
      cnsmm webhook add https://hooks.example.com/cnsmm -p shop
      cnsmm webhook add https://hooks.slack.com/services/T0/B0/XX -p shop --format slack --event findings.new
      cnsmm webhook list -p shop
      cnsmm webhook deliveries -p shop
      cnsmm webhook send            # what is due (the service does this by itself)
      cnsmm webhook remove 3 -p shop
    """


@webhook_group.command("add")
@click.argument("url")
@_PROJECT
@click.option("--event", "events", multiple=True, type=click.Choice(notify.EVENTS),
              help="An event to send (repeatable; default: all of them).")
@click.option("--format", "fmt", type=click.Choice(notify.FORMATS), default="json", show_default=True,
              help="json: the signed event document; slack: a Slack-compatible {\"text\": ...} message.")
@db_option
@actor_option
def add_cmd(url: str, project: str, events: tuple[str, ...], fmt: str, db: str | None, actor: str) -> None:
    """Register URL to receive the project's events; prints the signing secret, this once."""
    check_project_name(project)
    with open_store(db) as store:
        hook_id, secret = notify.add_webhook(store, project, url, events=list(events) or None, fmt=fmt,
                                             created_by=actor)
    click.echo(f"webhook {hook_id} of {project}: {printable(url.strip())}", err=True)
    click.echo("signing secret (shown this once; verify X-Cnsmm-Signature with it):", err=True)
    click.echo(secret)


@webhook_group.command("list")
@_PROJECT
@_FORMAT
@db_option
def list_cmd(project: str, fmt: str, db: str | None) -> None:
    """The project's webhooks (never their secrets)."""
    with open_store(db) as store:
        hooks = notify.list_webhooks(store, project)
    if fmt == "json":
        click.echo(json.dumps(hooks, indent=2, ensure_ascii=False))
        return
    if not hooks:
        click.echo(f"no webhooks in project {project}", err=True)
        return
    for hook in hooks:
        click.echo(printable(f"{hook['id']}  {hook['format']:5}  {','.join(hook['events'])}  {hook['url']}  "
                             f"(by {hook['created_by']}, {hook['created_at']})"))


@webhook_group.command("remove")
@click.argument("hook_id", type=click.IntRange(1))
@_PROJECT
@db_option
def remove_cmd(hook_id: int, project: str, db: str | None) -> None:
    """Remove webhook HOOK_ID of the project, with its delivery log."""
    with open_store(db) as store:
        removed = notify.delete_webhook(store, project, hook_id)
    if not removed:
        raise ConfigError(f"no webhook {hook_id} in project {project!r}",
                          hint=f"`cnsmm webhook list -p {project}` shows its webhooks")
    click.echo(f"webhook {hook_id} removed")


@webhook_group.command("deliveries")
@_PROJECT
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@_FORMAT
@db_option
def deliveries_cmd(project: str, limit: int, fmt: str, db: str | None) -> None:
    """The delivery log, newest first: event, status (pending, delivered, failed), attempts,
    last HTTP status and error."""
    with open_store(db) as store:
        rows = notify.deliveries(store, project, limit=limit)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo(f"no deliveries in project {project}", err=True)
        return
    for d in rows:
        when = d["delivered_at"] or (f"next attempt {d['next_attempt_at']}" if d["next_attempt_at"] else "")
        click.echo(printable(f"{d['id']}  webhook {d['webhook_id']}  {d['event']:14}  {d['status']:9}  "
                             f"attempts {d['attempts']}  HTTP {d['last_code'] or '-'}  {d['created_at']}  {when}"
                             + (f"  {d['last_error']}" if d["last_error"] else "")))


@webhook_group.command("send")
@click.option("--project", "-p", help="Only this project's deliveries (default: every project).")
@click.option("--timeout", type=click.FloatRange(0.5, 60), default=10.0, show_default=True,
              help="Seconds to wait for each receiver.")
@db_option
def send_cmd(project: str | None, timeout: float, db: str | None) -> None:
    """Queue today's sla.breached and risk.expiring events and send every delivery that is due
    (for stores without a running `cnsmm serve`, e.g. from cron)."""
    with open_store(db) as store:
        queued = notify.queue_daily(store)
        sent = notify.deliver_pending(store, project=project, timeout=timeout)
    click.echo(f"{queued} daily event(s) queued, {sent} delivery attempt(s) made", err=True)


COMMANDS = [webhook_group]
