"""Importing a report file with the parsing in a second process.

Parsing a large report costs about as much CPU as storing it. :func:`import_path` parses the
file and computes the staging rows (fingerprints, owners, due dates) in a child process and
stages them in this one as they arrive, so both run at once on two cores. The pipe between
them holds a few batches at most, so memory stays bounded; the import stays all or nothing
(an error in the child is raised here before anything is merged).
"""

from __future__ import annotations

import hashlib
import multiprocessing
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from cnsmm.errors import Error, ReportParseError
from cnsmm.importers.interface import ImportedReport, ItemErrors
from cnsmm.tracking import staging
from cnsmm.tracking.importer import ImportOptions, ImportSummary, import_rows
from cnsmm.tracking.owners import OwnerResolver
from cnsmm.tracking.projects import project_settings
from cnsmm.tracking.store import Store

_BATCH = 2000


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a report file, read in chunks; "" when it cannot be read (the import then
    reports the problem with its own message)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest()


def _child(path: str, fmt: str | None, owners: OwnerResolver, due: dict[str, Any], out: Connection,
           options: ImportOptions) -> None:
    """Parse ``path`` and send ("meta", ...), ("rows", [...])..., ("end", None) or ("error", ...)."""
    try:
        from cnsmm.importers import open_report

        report = open_report(path, format=fmt)
        paths = options.apply(report)
        meta = {
            "format": report.format,
            "tool": report.tool,
            "tool_version": report.tool_version,
            "scope": report.scope,
            "generated_at": report.generated_at,
            "kind": report.kind,
            "coverage": report.coverage,
            "repository": report.repository,
            "commit": report.commit,
        }
        out.send(("meta", meta))
        batch: list[tuple[Any, ...]] = []
        for row in staging.rows(report.findings, report.scope, owners, due, paths, dict(options.severities)):
            batch.append(row)
            if len(batch) >= _BATCH:
                out.send(("rows", batch))
                batch = []
        out.send(("rows", batch))
        out.send(("end", (list(report.errors), len(report.errors), list(report.vex))))
    except Error as exc:
        out.send(("error", (type(exc), exc.message, exc.hint)))
    except BrokenPipeError:
        pass  # the importing process is gone
    except Exception as exc:  # an importer bug must not look like a clean, short report
        out.send(("error", (ReportParseError, f"{path}: cannot parse the report ({exc!r})", None)))
    finally:
        out.close()


def _raise(payload: tuple[type[Error], str, str | None]) -> None:
    cls, message, hint = payload
    raise cls(message, hint=hint)


def import_path(
    store: Store,
    path: str | Path,
    *,
    format: str | None = None,
    project: str,
    source_name: str,
    source_sha256: str,
    actor: str,
    progress: Callable[[int], None] | None = None,
    skip_identical: bool = True,
    scope: str | None = None,
    options: ImportOptions | None = None,
    on_merge: Callable[[Any, ImportSummary], None] | None = None,
) -> ImportSummary:
    """Open, parse (in a child process) and import the report at ``path``, all or nothing.

    ``scope`` replaces the scope the report names (what it covered; see docs/tracking.md);
    ``options`` say more about the report (checkout folders, repository, commit, coverage);
    ``on_merge`` runs in the merge transaction (see :func:`import_rows`)."""
    ctx = multiprocessing.get_context("spawn")
    opts = (options or ImportOptions()).with_project(project_settings(store, project))
    if scope:
        opts = replace(opts, scope=scope)

    def source(owners: OwnerResolver, due: dict[str, date | str | None]) -> tuple[ImportedReport, Iterator[Any]]:
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(str(path), format, owners, due, send, opts), daemon=True)
        proc.start()
        send.close()

        def message() -> tuple[str, Any]:
            try:
                kind, payload = receive.recv()
            except EOFError:
                raise ReportParseError(
                    f"{path}: the parsing process stopped unexpectedly (exit code {proc.exitcode})",
                    hint="Retry; if it happens again, report the file as a bug",
                ) from None
            if kind == "error":
                _raise(payload)
            return str(kind), payload

        def rows() -> Iterator[tuple[Any, ...]]:
            try:
                while True:
                    kind, payload = message()
                    if kind == "end":
                        if payload:  # the items the parser skipped as malformed; VEX statements
                            first, total, *rest = payload
                            report.errors = ItemErrors(first, total)
                            report.vex = list(rest[0]) if rest else []
                        return
                    yield from payload
            finally:
                receive.close()
                if proc.is_alive():
                    proc.terminate()
                proc.join(timeout=10)

        try:
            _kind, meta = message()
        except BaseException:
            receive.close()
            proc.join(timeout=10)
            raise
        report = ImportedReport(findings=iter(()), **meta)
        return report, rows()

    return import_rows(
        store,
        source,
        project=project,
        source_name=source_name,
        source_sha256=source_sha256,
        actor=actor,
        progress=progress,
        skip_identical=skip_identical,
        on_merge=on_merge,
    )
