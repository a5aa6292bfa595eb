"""`cnsmm assess`, `cnsmm model` and `cnsmm attest`: the maturity assessment commands."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import click

from cnsmm.commands._upload import upload_options, upload_target
from cnsmm.errors import AssessmentIncomplete, ConfigError, InputNotFoundError

_LANG = click.Choice(["zh", "en"])


def _parse_targets(values: tuple[str, ...]) -> tuple[int | None, dict[str, int]]:
    overall: int | None = None
    domains: dict[str, int] = {}
    for value in values:
        m = re.fullmatch(r"(?:([A-Za-z]{2,5})=)?L?([1-5])", value.strip())
        if not m:
            raise ConfigError(f"--target {value!r} (expected L1-L5 or DOMAIN=L3, e.g. DEV=L3)")
        if m.group(1):
            domains[m.group(1).upper()] = int(m.group(2))
        else:
            overall = int(m.group(2))
    return overall, domains


def _write(text: str, output: str | None) -> None:
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{output}: cannot write the output ({exc.strerror})") from None
    else:
        click.echo(text, nl=False)


@click.command("assess", short_help="Maturity levels, evidence, gaps and a plan (CNMM-TAS).")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--reports", "reports", multiple=True, type=click.Path(), help="Imported scanner report (repeatable).")
@click.option("--attestations", type=click.Path(), help="Attestation YAML file (see `cnsmm attest init`).")
@click.option("--lang", type=_LANG, default="en", show_default=True, help="Language of the report.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "md", "html"]), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(), help="Write to FILE instead of standard output.")
@click.option("--target", "targets", multiple=True, help="Target level: L3, or per domain DEV=L3 (repeatable).")
@click.option("--compare", "previous", type=click.Path(), help="Earlier `--format json` output to compare with.")
@click.option(
    "--threshold",
    type=float,
    default=100.0,
    show_default=True,
    help="Percent of relevant objects that must pass a requirement's rules for it to be met.",
)
@click.option("--max-report-age", type=int, default=90, show_default=True, help="Reports older (days) do not count.")
@click.option(
    "--level-mode",
    type=click.Choice(["largely", "strict", "threshold"]),
    default="largely",
    show_default=True,
    help="largely: every requirement of a level fully or largely implemented (docs/assessment.md); "
    "strict: every one met or N/A; threshold: a credit share (--level-share).",
)
@click.option(
    "--level-share",
    type=float,
    default=80.0,
    show_default=True,
    help="Percent: severity-weighted passing share for 'largely' (largely mode); credit share (threshold mode).",
)
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Scan configuration (rules, suppressions); default: cnsmm.yaml or [tool.cnsmm] here.",
)
@upload_options("Also store the assessment on a cnsmm service at URL.")
@click.pass_context
def assess_cmd(
    ctx: click.Context,
    *,
    paths: tuple[str, ...],
    reports: tuple[str, ...],
    attestations: str | None,
    lang: str,
    fmt: str,
    output: str | None,
    targets: tuple[str, ...],
    previous: str | None,
    threshold: float,
    max_report_age: int,
    level_mode: str,
    level_share: float,
    config_path: str | None,
    upload_url: str | None,
    token: str | None,
    project: str | None,
) -> None:
    """Grade PATH... (manifests, Dockerfiles, pipelines, cluster dumps) against CNMM-TAS, with the
    levels per domain, sub-item and practice, the evidence behind every requirement, the gaps to
    the target level and an ordered improvement plan.

    Exit code 3 when some inputs could not be read (the assessment is still written).
    """
    from cnsmm.assess import AssessOptions, Target, assess
    from cnsmm.assess.compare import load_previous
    from cnsmm.assess.gather import gather
    from cnsmm.assess.paths import default_paths
    from cnsmm.model import load_model
    from cnsmm.report import render_assessment

    if not paths and not reports and not attestations:
        raise click.UsageError("give at least one PATH, --reports FILE or --attestations FILE")
    target = upload_target(upload_url, token, project)
    for p in (*paths, *reports, *([attestations] if attestations else [])):
        if p != "-" and not Path(p).exists():
            raise InputNotFoundError(f"{p}: no such file or directory", hint="Check the path")
    overall, domains = _parse_targets(targets)
    options = AssessOptions(
        threshold=threshold,
        report_max_age_days=max_report_age,
        level_mode=level_mode,
        level_share=level_share,
        target=Target(overall, domains),
    )
    prev = load_previous(previous) if previous else None
    model = load_model()
    scan_config = None
    if paths:
        from cnsmm.config import load_config
        from cnsmm.rules import all_rules

        scan_config = load_config(config_path, {r.id for r in all_rules()})
    bundle = gather(
        model, paths, reports=reports, attestations=attestations, now=datetime.now(UTC), scan_config=scan_config
    )
    result = assess(bundle, model, options, default_paths(model))
    text = render_assessment(result, model, fmt, lang, previous=prev)
    _write(text, output)
    if target:
        import json

        from cnsmm.upload import upload_assessment

        doc = json.loads(text if fmt == "json" else render_assessment(result, model, "json", lang, previous=prev))
        stored = upload_assessment(target.url, target.token, target.project, doc)
        click.echo(f"uploaded the assessment to {target.url} ({target.project}): id {stored.get('id')}", err=True)
    if bundle.input_errors:
        raise AssessmentIncomplete(
            f"assessment incomplete: {len(bundle.input_errors)} input(s) could not be read (listed in the report, "
            "`inputs.input_errors`); the levels count only what was read",
            hint="Fix or remove those inputs and run again",
        )


@click.command("model")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option("--lang", type=_LANG, default="en", show_default=True)
def model_cmd(fmt: str, lang: str) -> None:
    """Print the CNMM-TAS model: domains, sub-items, practices, requirements and how each is evidenced.

    `--format markdown` writes docs/model.md.
    """
    from cnsmm.assess.paths import default_paths
    from cnsmm.model import load_model
    from cnsmm.report.model_doc import model_markdown, model_text, render_model_json

    model = load_model()
    paths = default_paths(model)
    if fmt == "json":
        click.echo(render_model_json(model, paths), nl=False)
    elif fmt == "markdown":
        click.echo(model_markdown(model, paths), nl=False)
    else:
        click.echo(model_text(model, paths, lang), nl=False)


@click.group("attest")
def attest_group() -> None:
    """Attestations: answers for requirements that no file can show."""


@attest_group.command("init")
@click.option("--lang", type=_LANG, default="en", show_default=True)
@click.option("--output", "-o", type=click.Path(), help="Write to FILE instead of standard output.")
@click.option("--force", is_flag=True, help="Replace FILE when it exists instead of merging (its answers are lost).")
@click.option(
    "--assessment", type=click.Path(exists=True, dir_okay=False),
    help="An assessment (`cnsmm assess --format json` output): also ask its open questions, the requirements "
    "it found no evidence for.",
)
def attest_init(lang: str, output: str | None, force: bool, assessment: str | None) -> None:
    """Write a questionnaire with every requirement that no automated evidence can make met
    (and, with --assessment, every requirement that assessment found no evidence for).

    When FILE exists its answers are kept, new questions are added and answers for
    requirements the model no longer has are flagged.
    """
    from cnsmm.assess.attest import open_questions_of, questionnaire
    from cnsmm.assess.paths import default_paths
    from cnsmm.model import load_model

    existing = None
    if output and Path(output).exists() and not force:
        try:
            existing = Path(output).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{output}: cannot read the answers to merge ({exc})", hint="Pass --force") from None
    asked: list[str] = []
    if assessment:
        try:
            asked = open_questions_of(Path(assessment).read_text(encoding="utf-8"), assessment)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ConfigError(str(exc), hint="Pass the JSON written by `cnsmm assess --format json`") from None
    model = load_model()
    today = datetime.now(UTC).date()
    _write(questionnaire(model, default_paths(model), lang, today, existing, open_questions=asked), output)


@attest_group.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--soon", type=int, default=30, show_default=True, help="Warn about answers expiring within DAYS.")
@click.pass_context
def attest_check(ctx: click.Context, file: str, soon: int) -> None:
    """Validate an attestation FILE: list problems (expired, malformed, unknown ids), answers
    expiring soon and questions still open. Exit code 1 when an answer does not count."""
    from cnsmm.assess.attest import check_report
    from cnsmm.assess.paths import default_paths
    from cnsmm.model import load_model

    model = load_model()
    text, problems = check_report(file, model, default_paths(model), datetime.now(UTC).date(), soon)
    click.echo(text, nl=False)
    if problems:
        ctx.exit(1)


COMMANDS = [assess_cmd, model_cmd, attest_group]
