"""``cnsmm org projects`` and ``cnsmm org search``: every project of a store at a glance, and
where one CVE or rule is found across them (the organisation view of the service, from the CLI)."""

from __future__ import annotations

import json
from dataclasses import asdict

import click
from sqlalchemy import select

from cnsmm.commands.track import db_option
from cnsmm.findings import Severity
from cnsmm.tracking import organisation
from cnsmm.tracking.export import printable
from cnsmm.tracking.models import Project
from cnsmm.tracking.store import Store, open_store

_FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)


def _projects(store: Store) -> list[str]:
    with store.read() as conn:
        return [str(n) for n in conn.execute(select(Project.name).order_by(Project.name)).scalars()]


@click.group("org")
def org_group() -> None:
    """Across every project of the store: open work, and where a CVE or rule is found.

    \b
    Examples:
      cnsmm org projects
      cnsmm org search CVE-2024-3094
      cnsmm org search CKV_K8S_20 --all --format json
    """


@org_group.command("projects")
@_FORMAT
@db_option
def projects_cmd(fmt: str, db: str | None) -> None:
    """Every project with its open findings by severity, SLA breaches, accepted and fixed counts."""
    with open_store(db) as store:
        rows = organisation.summaries(store, _projects(store))
    if fmt == "json":
        click.echo(json.dumps([asdict(r) for r in rows], indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("no projects in the store", err=True)
        return
    severities = [s.value for s in Severity]
    head = ["PROJECT", *(s.upper() for s in severities), "OPEN", "OVERDUE", "ACCEPTED", "FIXED"]
    table = [[r.project, *(str(r.open_by_severity.get(s, 0)) for s in severities), str(r.open), str(r.overdue),
              str(r.risk_accepted), str(r.fixed)] for r in rows]
    widths = [max(len(line[i]) for line in [head, *table]) for i in range(len(head))]
    for line in [head, *table]:
        click.echo(printable("  ".join(v.ljust(w) if i == 0 else v.rjust(w)
                                       for i, (v, w) in enumerate(zip(line, widths, strict=True)))))


@org_group.command("search")
@click.argument("term")
@click.option("--all", "all_statuses", is_flag=True, help="Every status (default: open, triaged, in progress).")
@_FORMAT
@db_option
def search_cmd(term: str, all_statuses: bool, fmt: str, db: str | None) -> None:
    """Where TERM (a CVE, GHSA or rule id, any letter case; aliases count) is found: exact counts
    per project and the first 200 findings."""
    with open_store(db) as store:
        hits = organisation.search(store, _projects(store), term, open_only=not all_statuses)
    if fmt == "json":
        click.echo(json.dumps(hits, indent=2, ensure_ascii=False))
        return
    if not hits["counts"]:
        click.echo(f"{term.strip()!r} is found in no project" + ("" if all_statuses else " (open findings; --all "
                                                                  "for every status)"), err=True)
        return
    for project, count in hits["counts"].items():
        click.echo(printable(f"{project}: {count}"))
    for f in hits["findings"]:
        where = f["file"] or f["image"] or f["resource"] or ""
        version = f" {f['component']} {f['installed_version'] or ''}".rstrip() if f["component"] else ""
        click.echo(printable(f"  {f['project']} #{f['id']} [{f['severity']}] {f['status']}  {f['title']}{version}"
                             f"  {where}"))
    if hits["truncated"]:
        click.echo(f"(the first {organisation.MAX_SEARCH} findings are listed; the counts are exact)", err=True)


COMMANDS = [org_group]
