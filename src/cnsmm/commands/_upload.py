"""The ``--upload URL --token T --project P`` options of the commands that can send their
results to a cnsmm service (``scan`` and ``assess``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def upload_options(what: str) -> Callable[[F], F]:
    """Add ``--upload`` (help: ``what``), ``--token`` (or $CNSMM_TOKEN) and ``--project``."""

    def add(command: F) -> F:
        command = click.option("--project", help="Project on the service, for --upload.")(command)
        command = click.option("--token", envvar="CNSMM_TOKEN", help="API token for --upload (env CNSMM_TOKEN).")(
            command)
        return click.option("--upload", "upload_url", metavar="URL", help=what)(command)

    return add


@dataclass(frozen=True)
class UploadTarget:
    """Where to send results: the service's URL, a project token and the project."""

    url: str
    token: str
    project: str


def upload_target(url: str | None, token: str | None, project: str | None) -> UploadTarget | None:
    """The target of ``--upload``, None without it; a usage error when a part is missing."""
    if not url:
        return None
    if not (token and project):
        raise click.UsageError("--upload needs --project and --token (or $CNSMM_TOKEN)")
    return UploadTarget(url, token, project)
