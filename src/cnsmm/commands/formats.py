"""``cnsmm formats``: the report formats that ``cnsmm import`` reads."""

from __future__ import annotations

import dataclasses
import json

import click


@click.command("formats")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
def formats_cmd(output: str) -> None:
    """List every report format: name, tool, report kind, versions read, how it is detected."""
    from cnsmm.importers import format_infos

    infos = format_infos()
    if output == "json":
        click.echo(json.dumps([dataclasses.asdict(i) for i in infos], indent=2, ensure_ascii=False))
        return
    for info in infos:
        click.echo(f"{info.name}\n  tool:      {info.tool}\n  kind:      {info.kinds}\n"
                   f"  versions:  {info.versions}\n  detection: {info.detection}\n")
    click.echo(f"{len(infos)} formats. Detection is automatic; force one with `cnsmm import --format NAME`.")


COMMANDS = [formats_cmd]
