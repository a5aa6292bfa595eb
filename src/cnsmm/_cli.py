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
    """Click group that loads command modules on demand and turns library errors into a
    message and exit code 2."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMAND_MODULES) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            import importlib

            module = importlib.import_module(COMMAND_MODULES[cmd_name])
            for command in module.COMMANDS:
                if command.name == cmd_name:
                    self.add_command(command)
        return self.commands.get(cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Error as exc:
            from cnsmm.renderers.common import printable

            click.echo(printable(f"{exc.prefix}: {exc.diagnostics()}", single_line=False), err=True)
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


COMMAND_MODULES: dict[str, str] = {
    "scan": "cnsmm.commands.scan",
    "rules": "cnsmm.commands.scan",
    "baseline": "cnsmm.commands.scan",
    "import": "cnsmm.commands.track",
    "findings": "cnsmm.commands.track",
    "metrics": "cnsmm.commands.track",
    "formats": "cnsmm.commands.formats",
    "assess": "cnsmm.commands.assess",
    "model": "cnsmm.commands.assess",
    "attest": "cnsmm.commands.assess",
    "serve": "cnsmm.commands.serve",
    "worker": "cnsmm.commands.serve",
    "user": "cnsmm.commands.serve",
    "token": "cnsmm.commands.serve",
    "webhook": "cnsmm.commands.webhook",
    "org": "cnsmm.commands.org",
}
"""Command name -> module whose ``COMMANDS`` list holds it. A command's module is imported only
when that command runs (or ``--help`` lists them), so ``cnsmm --version`` and ``cnsmm scan`` do
not load the database or web stacks."""


def _register() -> None:
    """Kept for callers that expect every command to be loaded; :class:`_Group` loads on demand."""


def main(argv: list[str] | None = None) -> None:
    """Run the CLI (``argv`` defaults to ``sys.argv[1:]``)."""
    _register()
    cli.main(args=argv, prog_name="cnsmm")
