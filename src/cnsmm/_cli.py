"""Command-line entry point: assembles the command groups and maps errors to exit codes.

This is the only module that exits the process. Commands live in ``cnsmm.commands``; each
module there exposes click commands that :func:`main` registers.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from cnsmm import __version__
from cnsmm.errors import Error


class _Group(click.Group):
    """Click group that turns library errors into a message and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Error as exc:
            click.echo(f"{exc.prefix}: {exc.diagnostics()}", err=True)
            sys.exit(exc.exit_code)
        except BrokenPipeError:  # e.g. `cnsmm rules | head`
            sys.stderr.close()
            sys.exit(0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cnsmm")
def cli() -> None:
    """Grade cloud-native security against the CNMM-TAS maturity model, scan manifests,
    Dockerfiles and CI pipelines, and track findings from every tool until they are fixed.

    \b
    Exit codes:
      0  nothing at or above --fail-on
      1  findings at or above --fail-on
      2  usage or input error that stopped the command
      3  scan finished, but some inputs could not be read (see the errors)
    """


def _register() -> None:
    import importlib

    for module_name in (
        "cnsmm.commands.scan",
        "cnsmm.commands.track",
        "cnsmm.commands.formats",
        "cnsmm.commands.assess",
        "cnsmm.commands.serve",
    ):
        module = importlib.import_module(module_name)
        for command in module.COMMANDS:
            cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI (``argv`` defaults to ``sys.argv[1:]``)."""
    _register()
    cli.main(args=argv, prog_name="cnsmm")
