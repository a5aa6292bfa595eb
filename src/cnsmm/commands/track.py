"""``cnsmm import``, ``cnsmm findings ...`` and ``cnsmm metrics``: the tracked finding list."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from cnsmm.errors import ConfigError, Error, ImportFailed, ImportPartial, WorkflowError
from cnsmm.findings import Severity
from cnsmm.tracking.export import finding_lines, iter_json, metrics_lines, print_table, printable, write_csv
from cnsmm.tracking.importer import ImportOptions, ImportSummary, check_scope
from cnsmm.tracking.listing import SORT_KEYS, CursorError, FindingFilter
from cnsmm.tracking.metrics import compute_metrics
from cnsmm.tracking.owners import load_owner_file
from cnsmm.tracking.projects import check_project_name, project_settings, set_assigned_severities, update_settings
from cnsmm.tracking.queries import FindingView, findings_page, get_finding, list_findings
from cnsmm.tracking.sla import SlaPolicy
from cnsmm.tracking.states import Status
from cnsmm.tracking.store import ENV_DB, Store, open_store
from cnsmm.tracking.workflow import add_comment, assign, change_many, change_status

F = TypeVar("F", bound=Callable[..., Any])


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def db_option(func: F) -> F:
    """``--db URL`` (also ``$CNSMM_DB``)."""
    return click.option(
        "--db",
        "db",
        envvar=ENV_DB,
        metavar="URL",
        help="Store: a SQLite file path or URL, or postgresql+psycopg://... "
        f"(default: ${ENV_DB}, else a SQLite file in the user data directory).",
    )(func)


def actor_option(func: F) -> F:
    """``--actor NAME`` for the history (default: the OS user)."""
    return click.option("--actor", default=_actor, show_default="OS user", help="Who is acting, for the history.")(func)


def _progress(name: str) -> Callable[[int], None] | None:
    if not sys.stderr.isatty():
        return None

    def show(count: int) -> None:
        click.echo(f"\r{name}: {count:,} findings read", nl=False, err=True)

    return show


def _summary_line(s: ImportSummary) -> str:
    return (
        f"{s.source}: {s.tool} on {s.scope!r}, scan #{s.scan_id}: {s.unique} findings "
        f"({s.new} new, {s.seen_again} seen again, {s.reopened} reopened, {s.closed_fixed} closed as fixed"
        + (f", {s.expired} risk acceptances expired" if s.expired else "")
        + ")"
        + (f"; PARTIAL: {s.error_count} malformed item(s) not imported, nothing closed as fixed" if s.partial else "")
        + (f"; {s.not_covered} not reported but outside what the scan covered: left open" if s.not_covered else "")
        + (f"; VEX: {s.vex_changed} finding(s) changed status" if s.vex_changed else "")
    )


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--project", "-p", required=True, help="Project to import into (created if missing).")
@click.option("--format", "fmt", metavar="NAME", help="Report format, when auto-detection is not wanted.")
@click.option(
    "--owners",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Owner rules (YAML); saved in the project.",
)
@click.option(
    "--codeowners",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CODEOWNERS file; saved in the project.",
)
@click.option(
    "--full",
    is_flag=True,
    help="Read and merge every finding even when this exact file was the latest scan of its tool and scope.",
)
@click.option("--sla", multiple=True, metavar="SEVERITY=DAYS", help="Days to fix per severity; saved in the project.")
@click.option("--assign-severity", "assigned", multiple=True, metavar="RULE=SEVERITY",
              help="Severity of RULE's findings when their tool gives none (e.g. CKV_K8S_21=low; SEVERITY 'auto' "
                   "goes back to cnsmm's own); saved in the project.")
@click.option(
    "--scope",
    metavar="NAME",
    help="What the reports covered (e.g. repo:github.com/acme/shop); replaces the scope they name. "
    "Auto-close compares scans of one tool and scope: see docs/tracking.md.",
)
@click.option("--covers", multiple=True, metavar="PATH",
              help="The reports looked only at these paths (repeatable); findings elsewhere are never closed by them.")
@click.option("--excluded", multiple=True, metavar="GLOB",
              help="The reports skipped paths matching this glob (repeatable); findings there are never closed "
                   "by them.")
@click.option("--root", metavar="DIR",
              help="Checkout folder the reports' absolute paths are under (default: the CI checkout, else the git "
                   "top-level of the current folder); paths are stored relative to it.")
@click.option("--repo", "repository", metavar="URL", help="Repository scanned (default: from the report, CI or git).")
@click.option("--commit", metavar="SHA", help="Commit scanned (default: from the report, CI or git).")
@click.option("--upload", "upload_url", metavar="URL", help="Send the reports to a cnsmm service instead of --db.")
@click.option("--token", envvar="CNSMM_TOKEN", help="API token for --upload (env CNSMM_TOKEN).")
@db_option
@actor_option
def import_cmd(
    files: tuple[Path, ...],
    project: str,
    fmt: str | None,
    owners: Path | None,
    codeowners: Path | None,
    full: bool,
    sla: tuple[str, ...],
    assigned: tuple[str, ...],
    scope: str | None,
    covers: tuple[str, ...],
    excluded: tuple[str, ...],
    root: str | None,
    repository: str | None,
    commit: str | None,
    upload_url: str | None,
    token: str | None,
    db: str | None,
    actor: str,
) -> None:
    """Import scanner reports into PROJECT's tracked, deduplicated finding list.

    Each report is imported as one transaction. A malformed item (a finding without its id,
    a reference to nothing) is listed with its position and skipped, the others are imported,
    and the command exits with 3 (partial); a report whose structure is broken imports
    nothing (exit 2). Findings that a new complete scan of the same tool and scope no longer
    reports are closed as fixed (a partial import closes nothing); fixed ones that come back
    are reopened. The scope defaults to what each report says it covered (image, target,
    repository); --scope names it when the report does not, or when CI names report files
    per run. A finding outside what a scan covered (--covers, --excluded, or what a cnsmm
    scan report records) is never closed by it. File paths are stored relative to the
    repository root, with the repository and commit when known.
    With --upload URL the reports go to a cnsmm service, which runs the same import.
    """
    check_project_name(project)
    if scope is not None:
        scope = check_scope(scope)
    options = import_options(scope, covers, excluded, root, repository, commit)
    if upload_url:
        _upload_files(upload_url, token, files, project, fmt, options)
        return
    with open_store(db) as store:
        partial: list[str] = []
        _save_severities(store, project, assigned)
        failed = _import_files(store, files, project, fmt, actor, owners, codeowners, sla, full=full, partial=partial,
                               options=options)
    if failed:
        raise ImportFailed(f"{len(failed)} of {len(files)} report(s) could not be imported: {', '.join(failed)}")
    if partial:
        raise ImportPartial(f"{len(partial)} of {len(files)} report(s) imported partially: {', '.join(partial)}",
                            hint="The malformed items are listed above with their positions; fix or re-run the "
                                 "tool and import again")


def import_options(
    scope: str | None, covers: tuple[str, ...], excluded: tuple[str, ...], root: str | None,
    repository: str | None, commit: str | None,
) -> ImportOptions:
    """The import's options, with the checkout from CI variables or git when not given."""
    from cnsmm.vcs import clean_commit, clean_repository, detect

    if repository and not clean_repository(repository):
        raise click.BadParameter(f"{repository!r} is not a repository URL (e.g. https://github.com/acme/shop)",
                                 param_hint="--repo")
    if commit and not clean_commit(commit):
        raise click.BadParameter(f"{commit!r} is not a commit id (7-64 hexadecimal digits)", param_hint="--commit")
    here = detect(".")
    roots = tuple(os.path.abspath(r) for r in (root, here.root) if r)
    return ImportOptions(scope, roots, repository or here.repository, commit or here.commit, covers, excluded)


def _upload_files(
    url: str, token: str | None, files: tuple[Path, ...], project: str, fmt: str | None,
    options: ImportOptions | None = None,
) -> None:
    from cnsmm.upload import upload_report

    if not token:
        raise click.UsageError("--upload needs --token (or $CNSMM_TOKEN)")
    partial: list[str] = []
    for path in files:
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise ImportFailed(f"{path}: cannot read ({exc.strerror})") from None
        with handle:
            state = upload_report(url, token, project, handle, path.name, fmt, scope=options.scope if options else None,
                                  options=options.query() if options else None)
        result = state.get("result") or {}
        for line in result.get("errors") or ():
            click.echo(f"error: {line}", err=True)
        click.echo(
            f"{path.name}: {result.get('new', 0)} new, {result.get('seen_again', 0)} seen again, "
            f"{result.get('reopened', 0)} reopened, {result.get('closed_fixed', 0)} closed as fixed (on {url})"
            + (f"; PARTIAL: {result['error_count']} malformed item(s) not imported" if result.get("error_count")
               else ""),
            err=True,
        )
        if result.get("error_count"):
            partial.append(str(path))
    if partial:
        raise ImportPartial(f"{len(partial)} of {len(files)} report(s) imported partially: {', '.join(partial)}")


def _import_files(
    store: Store,
    files: tuple[Path, ...],
    project: str,
    fmt: str | None,
    actor: str,
    owners: Path | None,
    codeowners: Path | None,
    sla: tuple[str, ...],
    *,
    full: bool = False,
    partial: list[str] | None = None,
    options: ImportOptions | None = None,
) -> list[str]:
    from cnsmm.tracking.pipeline import file_sha256, import_path

    _save_settings(store, project, owners, codeowners, sla)
    failed: list[str] = []
    for path in files:
        try:
            summary = import_path(
                store,
                path,
                format=fmt,
                project=project,
                source_name=path.name,
                source_sha256=file_sha256(path),
                actor=actor,
                progress=_progress(path.name),
                skip_identical=not full,
                options=options,
            )
        except Error as exc:
            if sys.stderr.isatty():
                click.echo("", err=True)
            click.echo(f"error: {exc.diagnostics()} (nothing was imported from {path})", err=True)
            failed.append(str(path))
            continue
        if sys.stderr.isatty():
            click.echo("", err=True)
        _notify(store, project, summary.scan_id)
        for line in summary.errors:
            click.echo(f"error: {line}", err=True)
        if summary.partial and partial is not None:
            partial.append(str(path))
        click.echo(_summary_line(summary))
    return failed


def _notify(store: Store, project: str, scan_id: int) -> None:
    """Queue and send the project's webhooks for this import (a failed delivery is retried by
    the service, or by the next import)."""
    from cnsmm import notify

    try:
        if notify.queue_import(store, project, scan_id):
            notify.deliver_pending(store, project=project, timeout=5.0)
    except Error as exc:
        click.echo(f"warning: webhooks: {exc.diagnostics()}", err=True)


def _save_severities(store: Store, project: str, assigned: tuple[str, ...]) -> None:
    """Save ``RULE=SEVERITY`` overrides in the project (``auto`` removes one)."""
    if not assigned:
        return
    changes: dict[str, str | None] = {}
    for item in assigned:
        rule, sep, level = item.partition("=")
        rule, level = rule.strip().upper(), level.strip().lower()
        if not sep or not rule or len(rule) > 300 or level not in {*(s.value for s in Severity), "auto"}:
            raise click.BadParameter(f"{item!r} (expected RULE=SEVERITY with SEVERITY one of critical, high, "
                                     "medium, low, info, auto)", param_hint="--assign-severity")
        changes[rule] = level
    set_assigned_severities(store, project, changes)


def _save_settings(
    store: Store, project: str, owners: Path | None, codeowners: Path | None, sla: tuple[str, ...]
) -> None:
    changes: dict[str, Any] = {}
    if owners is not None:
        changes["owners"] = load_owner_file(owners.read_text(encoding="utf-8", errors="replace"), str(owners))
    if codeowners is not None:
        changes["codeowners"] = codeowners.read_text(encoding="utf-8", errors="replace")
    if sla:
        current = SlaPolicy.from_settings(project_settings(store, project).get("sla"))
        changes["sla"] = current.with_overrides(sla).as_settings()
    if changes:
        update_settings(store, project, **changes)


@click.group("findings")
def findings_group() -> None:
    """List, show and work on tracked findings."""


def _choices(values: Iterable[str], parse: Callable[[str], str], what: str) -> list[str]:
    out = []
    for value in values:
        for item in value.split(","):
            if item.strip():
                try:
                    out.append(parse(item))
                except ValueError as exc:
                    raise ConfigError(f"--{what} {item!r}: {exc}") from None
    return out


def filter_options(func: F) -> F:
    """The options that select findings (shared by ``findings list`` and ``findings status``)."""
    options = [
        click.option("--severity", multiple=True, help="Only these severities (repeat or comma-separate)."),
        click.option("--status", multiple=True, help="Only these statuses (repeat or comma-separate)."),
        click.option("--owner", help="Only this owner ('none' for unowned findings)."),
        click.option("--tool", help="Only findings reported by this tool."),
        click.option("--rule", multiple=True, help="Only these rule ids, e.g. CVE-2024-3094 or CKV_K8S_20 (repeat)."),
        click.option("--path", "path_glob", metavar="GLOB", help="Only findings in files matching GLOB (* and ?)."),
        click.option("--text", help="Only findings with TEXT in title, rule, component, resource, file or image."),
        click.option("--overdue", is_flag=True, help="Only open findings past their due date (SLA breaches)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _filter(
    severity: tuple[str, ...],
    status: tuple[str, ...],
    owner: str | None,
    tool: str | None,
    rule: tuple[str, ...],
    path_glob: str | None,
    text: str | None,
    overdue: bool,
) -> FindingFilter:
    return FindingFilter(
        severity=_choices(severity, lambda v: Severity.parse(v).value, "severity"),
        status=_choices(status, lambda v: Status.parse(v).value, "status"),
        owner=owner if owner and owner != "none" else None,
        unowned=owner == "none",
        tool=tool,
        rule=_choices(rule, str.strip, "rule"),
        path=path_glob,
        q=text,
        overdue=overdue,
    )


@findings_group.command("list")
@click.option("--project", "-p", required=True)
@filter_options
@click.option("--sort", type=click.Choice(list(SORT_KEYS)), default="severity", show_default=True)
@click.option("--limit", type=click.IntRange(1, 100_000), help="At most this many findings (then a --after cursor).")
@click.option("--after", metavar="CURSOR", help="Continue after the page that printed this cursor.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
@db_option
def list_cmd(
    project: str,
    severity: tuple[str, ...],
    status: tuple[str, ...],
    owner: str | None,
    tool: str | None,
    rule: tuple[str, ...],
    path_glob: str | None,
    text: str | None,
    overdue: bool,
    sort: str,
    limit: int | None,
    after: str | None,
    fmt: str,
    db: str | None,
) -> None:
    """List PROJECT's findings, most severe first (export with --format csv|json).

    With --limit N, N findings are printed and, when there are more, the command to get the
    next ones (--after CURSOR) is printed on standard error.
    """
    flt = _filter(severity, status, owner, tool, rule, path_glob, text, overdue)
    flt.sort, flt.after = sort, after
    with open_store(db) as store:
        cursor = None
        try:
            if limit is not None:
                page, cursor = findings_page(store, project, flt, limit)
                findings: Iterable[FindingView] = page
            else:
                findings = list_findings(store, project, flt)
            out = sys.stdout
            if fmt == "json":
                for piece in iter_json(findings):
                    out.write(piece)
            elif fmt == "csv":
                write_csv(findings, out)
            else:
                _print_table(findings)
        except CursorError as exc:
            raise ConfigError(f"--after: {exc}") from None
    if cursor is not None:
        click.echo(f"more: add --after {cursor}", err=True)


def _print_table(findings: Iterable[FindingView]) -> None:
    count = print_table(findings, sys.stdout)
    click.echo(f"{count} finding(s)", err=count > 0)


@findings_group.command("show")
@click.argument("finding_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@db_option
def show_cmd(finding_id: int, fmt: str, db: str | None) -> None:
    """Show a finding with its sources, status history and comments."""
    with open_store(db) as store:
        view, history, comments = get_finding(store, finding_id)
    if fmt == "json":
        click.echo(json.dumps({**view.as_dict(), "history": history, "comments": comments}, indent=2))
        return
    for line in finding_lines(view, history, comments):
        click.echo(line)


@findings_group.command("assign")
@click.argument("finding_id", type=int)
@click.argument("owner")
@db_option
@actor_option
def assign_cmd(finding_id: int, owner: str, db: str | None, actor: str) -> None:
    """Make OWNER responsible for a finding."""
    with open_store(db) as store:
        finding = assign(store, finding_id, owner, actor=actor)
    click.echo(f"finding {finding.id} assigned to {finding.owner}")


@findings_group.command("status")
@click.argument("args", nargs=-1, required=True, metavar="[ID]... STATUS")
@click.option("--project", "-p", help="Project of the findings (needed with a filter instead of ids).")
@filter_options
@click.option("--reason", help="Why (required for false_positive and risk_accepted).")
@click.option("--approver", help="Who accepted the risk (risk_accepted).")
@click.option("--expires", type=click.DateTime(["%Y-%m-%d"]), help="Risk acceptance end, YYYY-MM-DD.")
@click.option("--duplicate-of", type=int, help="The finding this one duplicates (duplicate).")
@click.option("--dry-run", is_flag=True, help="Show what would change, change nothing.")
@db_option
@actor_option
def status_cmd(
    args: tuple[str, ...],
    project: str | None,
    severity: tuple[str, ...],
    status: tuple[str, ...],
    owner: str | None,
    tool: str | None,
    rule: tuple[str, ...],
    path_glob: str | None,
    text: str | None,
    overdue: bool,
    reason: str | None,
    approver: str | None,
    expires: Any,
    duplicate_of: int | None,
    dry_run: bool,
    db: str | None,
    actor: str,
) -> None:
    """Move findings to STATUS (open, triaged, in_progress, fixed, risk_accepted, false_positive, duplicate).

    Name one or more finding ids, or select findings of --project with filters (--rule,
    --tool, --severity, --path GLOB, --status, ...). Findings that cannot move to STATUS are
    listed and left as they are. --dry-run shows what would change.

    \b
    Examples:
      cnsmm findings status 12 triaged
      cnsmm findings status 12 13 14 false_positive --reason "test fixture"
      cnsmm findings status -p shop --rule CKV_K8S_21 --path 'charts/legacy/*' risk_accepted \\
          --approver ciso --reason "retired in Q3" --expires 2027-06-30 --dry-run
    """
    *id_args, status_name = args
    try:
        ids = [int(a) for a in id_args]
    except ValueError:
        raise click.UsageError(f"finding ids are numbers (got {' '.join(id_args)!r}); STATUS comes last") from None
    new = Status.parse(status_name)
    expiry: date | None = expires.date() if expires is not None else None
    flt = _filter(severity, status, owner, tool, rule, path_glob, text, overdue)
    details = {"reason": reason, "approver": approver, "expires": expiry, "duplicate_of": duplicate_of}
    with open_store(db) as store:
        if len(ids) == 1 and project is None and flt.is_empty() and not dry_run:
            finding = change_status(store, ids[0], new, actor=actor, **details)  # type: ignore[arg-type]
            click.echo(f"finding {finding.id} is now {finding.status}")
            return
        if project is None:
            if not ids:
                raise click.UsageError("name finding ids, or --project with filters")
            project = _project_of(store, ids)
        flt.ids = ids
        outcome = change_many(store, project, flt, new, actor=actor, dry_run=dry_run, **details)  # type: ignore[arg-type]
    verb = "would move" if dry_run else "moved"
    for fid, old, title in outcome.changed:
        click.echo(printable(f"{fid}: {old} -> {new.value}  {title}"))
    for fid, why in sorted(outcome.skipped.items()):
        click.echo(f"{fid}: unchanged ({why})", err=True)
    missing = sorted(set(ids) - {c[0] for c in outcome.changed} - set(outcome.skipped))
    for fid in missing:
        click.echo(f"{fid}: no such finding in project {project}", err=True)
    click.echo(f"{verb} {len(outcome.changed)} of {outcome.matched} finding(s) to {new.value}"
               + (" (dry run: nothing changed)" if dry_run else ""), err=True)
    if missing or (ids and outcome.skipped):
        raise WorkflowError(f"{len(missing) + len(outcome.skipped)} finding(s) were not changed")


def _project_of(store: Store, ids: list[int]) -> str:
    names = {get_finding(store, fid)[0].extra["project"] for fid in ids}
    if len(names) > 1:
        raise click.UsageError(f"the findings belong to several projects ({', '.join(sorted(names))}); "
                               "change them one project at a time")
    return str(names.pop())


@findings_group.command("comment")
@click.argument("finding_id", type=int)
@click.argument("text")
@db_option
@actor_option
def comment_cmd(finding_id: int, text: str, db: str | None, actor: str) -> None:
    """Add a comment to a finding."""
    with open_store(db) as store:
        add_comment(store, finding_id, text, actor=actor)
    click.echo(f"comment added to finding {finding_id}")


@click.command("metrics")
@click.option("--project", "-p", required=True)
@click.option("--weeks", type=click.IntRange(1, 520), default=12, show_default=True, help="Weeks of trend.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@db_option
def metrics_cmd(project: str, weeks: int, fmt: str, db: str | None) -> None:
    """Open findings by severity, mean time to fix, SLA breaches and the weekly trend."""
    with open_store(db) as store:
        m = compute_metrics(store, project, weeks=weeks)
    if fmt == "json":
        click.echo(json.dumps(m.as_dict(), indent=2))
        return
    for line in metrics_lines(m):
        click.echo(line)


COMMANDS = [import_cmd, findings_group, metrics_cmd]
