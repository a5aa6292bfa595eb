"""Secrets leaking into build logs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from cnsmm.findings import Severity
from cnsmm.kube.values import truthy
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.ci._common import (
    AZURE,
    BUILD_SYSTEMS,
    GH_HARDENING_URL,
    GITLAB,
    GITLAB_SECURITY,
    JENKINS,
    JENKINS_CREDENTIALS,
    command_lines,
    is_secret_name,
)
from cnsmm.sources.pipelines.model import Job, Pipeline, Step

_GH_SECRET = re.compile(r"\$\{\{\s*secrets\.(\w+)\s*\}\}")
_PRINT = re.compile(
    r"^\s*(echo|printf|print|Write-Host|Write-Output|Write-Information)\b(.*)$", re.IGNORECASE
)
_VAR = re.compile(r"\$\{?(?:env[.:])?(\w+)\}?|%(\w+)%|\$\((\w+(?:\.\w+)*)\)")
GITLAB_SECRETS = frozenset(
    {
        "CI_JOB_TOKEN",
        "CI_REGISTRY_PASSWORD",
        "CI_DEPLOY_PASSWORD",
        "CI_JOB_JWT",
        "CI_JOB_JWT_V2",
        "CI_DEPENDENCY_PROXY_PASSWORD",
    }
)


def _secret_vars(p: Pipeline, job: Job, step: Step) -> set[str]:
    names: set[str] = set(step.credentials)
    envs: list[dict[str, Any]] = [p.env, step.env]
    if isinstance(job.raw, dict) and isinstance(job.raw.get("env"), dict):
        envs.append(job.raw["env"])
    for env in envs:
        for key, value in env.items():
            if isinstance(value, str) and _GH_SECRET.search(value):
                names.add(str(key))
    return names


def _printed(text: str) -> Iterator[str]:
    """Argument text of print commands whose output goes to the log (not piped, not redirected)."""
    for part in re.split(r"&&|\|\||;", text):
        m = _PRINT.match(part)
        if m and "|" not in m.group(2) and ">" not in m.group(2):
            yield m.group(2)


@rule(
    RuleMeta(
        id="CI-005",
        name="secret-printed",
        title="Secret printed to the build log",
        severity=Severity.HIGH,
        scope=Scope.PIPELINE,
        targets=BUILD_SYSTEMS,
        requirements=("DEV.DEV.L2.1",),
        what=(
            "Flags `echo`/`printf`/`Write-Host` commands whose output goes to the log (not piped into "
            "another command, not redirected to a file) and that print `${{ secrets.* }}`, a variable "
            "set from a secret, a Jenkins credential variable, GitLab's `CI_JOB_TOKEN`/"
            "`CI_REGISTRY_PASSWORD`, or a variable named like a credential (`*_TOKEN`, `*PASSWORD*`, "
            "`*SECRET*`, `*API_KEY`...)."
        ),
        why=(
            "Build logs are kept and widely readable. Masking only hides the exact value: encoded, "
            "split or transformed output (base64, JSON, one character per line) leaks it in clear."
        ),
        fix=(
            "Do not print secrets; pipe them into the command that needs them "
            "(`--password-stdin`) or write them to a file."
        ),
        bad='run: echo "token is ${{ secrets.NPM_TOKEN }}"',
        good='run: echo "$NPM_TOKEN" | npm login --auth-stdin\nenv:\n  NPM_TOKEN: ${{ secrets.NPM_TOKEN }}',
        references=(GH_HARDENING_URL, GITLAB_SECURITY, "CWE-532", "CWE-200"),
    )
)
def secret_printed(p: Pipeline, ctx: RuleContext) -> Iterator[Hit]:
    for job in p.jobs:
        for step in job.steps:
            known = _secret_vars(p, job, step)
            for line, text in command_lines(p, step):
                for args in _printed(text):
                    names = [m.group(1) for m in _GH_SECRET.finditer(args)]
                    for m in _VAR.finditer(args):
                        var = m.group(1) or m.group(2) or m.group(3) or ""
                        if var in known or var in GITLAB_SECRETS or is_secret_name(var.rsplit(".", 1)[-1]):
                            names.append(var)
                    if names:
                        yield Hit(
                            f'job "{job.id}" prints {", ".join(sorted(set(names)))} to the log', line=line
                        )
                        break


@rule(
    RuleMeta(
        id="CI-015",
        name="jenkins-credential-interpolation",
        title="Jenkins credential interpolated by Groovy into a shell step",
        severity=Severity.HIGH,
        scope=Scope.PIPELINE,
        targets=JENKINS,
        requirements=("DEV.DEV.L2.1",),
        what=(
            "Flags `sh`/`bat`/`powershell` steps written as double-quoted Groovy strings that expand a "
            'credential variable (`"${PASSWORD}"`, `"$TOKEN"`, `"${env.TOKEN}"`) bound by '
            "`withCredentials` or by `environment { X = credentials('id') }`."
        ),
        why=(
            "Groovy substitutes the secret into the command text before the shell starts: it shows in "
            "process listings and in the step's recorded arguments, and characters in the secret are "
            "parsed by the shell (injection). Jenkins warns about this but still runs the step."
        ),
        fix=(
            "Use single quotes so the shell expands the variable from the environment: `sh "
            "'curl -u \"$USER:$PASS\" ...'`."
        ),
        bad=(
            'withCredentials([string(credentialsId: "api", variable: "TOKEN")]) {\n  sh '
            '"curl -H \\"Authorization: ${TOKEN}\\" ..."\n}'
        ),
        good="withCredentials([string(credentialsId: 'api', variable: 'TOKEN')]) {\n"
        "  sh 'curl -H \"Authorization: $TOKEN\" ...'\n}",
        references=(
            JENKINS_CREDENTIALS,
            "https://www.jenkins.io/doc/book/pipeline/jenkinsfile/#string-interpolation",
            "CWE-214",
            "CWE-78",
        ),
    )
)
def jenkins_credential_interpolation(p: Pipeline, ctx: RuleContext) -> Iterator[Hit]:
    for job in p.jobs:
        for step in job.steps:
            if not step.interpolated or not step.credentials:
                continue
            pattern = re.compile(r"\$\{?\s*(?:env\.)?(" + "|".join(map(re.escape, step.credentials)) + r")\b")
            for line, text in command_lines(p, step):
                m = pattern.search(text)
                if m and not text[: m.start()].endswith("\\"):
                    yield Hit(
                        (
                            f'{step.name} step in stage "{job.id}" interpolates credential {m.group(1)} in '
                            f'Groovy'
                        ),
                        line=line,
                    )


_DEBUG = {"CI_DEBUG_TRACE": "gitlab-ci", "CI_DEBUG_SERVICES": "gitlab-ci", "system.debug": "azure-pipelines"}


@rule(
    RuleMeta(
        id="CI-016",
        name="debug-trace-enabled",
        title="Debug tracing that prints every variable is enabled",
        severity=Severity.HIGH,
        scope=Scope.PIPELINE,
        targets=GITLAB + AZURE,
        requirements=("DEV.DEV.L2.1",),
        what=(
            "Flags GitLab `CI_DEBUG_TRACE` / `CI_DEBUG_SERVICES` and Azure `system.debug` set to true in "
            "the pipeline's or a job's variables."
        ),
        why=(
            "Debug tracing writes every command with its expanded variables to the job log, including "
            "masked and protected variables: anyone who can read the log gets the secrets."
        ),
        fix=(
            "Remove the variable from the file; enable debug logging only for one manual run "
            "and delete that log."
        ),
        bad='variables:\n  CI_DEBUG_TRACE: "true"',
        good='variables:\n  GIT_DEPTH: "10"',
        references=("GitLab Docs: CI/CD debug logging (security warning)", GITLAB_SECURITY, "CWE-532"),
    )
)
def debug_trace_enabled(p: Pipeline, ctx: RuleContext) -> Iterator[Hit]:
    scopes: list[tuple[str, dict[str, Any], dict[str, int]]] = [("the pipeline", p.env, p.env_line)]
    for job in p.jobs:
        raw_vars = job.raw.get("variables") if isinstance(job.raw, dict) else None
        if isinstance(raw_vars, dict) and job.id != "default":
            lines = getattr(raw_vars, "key_lines", {})
            scopes.append((f'job "{job.id}"', dict(raw_vars), lines))
    seen: set[int] = set()
    for where, env, lines in scopes:
        for key, system in _DEBUG.items():
            value = env.get(key)
            if isinstance(value, dict):
                value = value.get("value")
            line = lines.get(key, 1)
            if system == p.system and key in env and truthy(value) and line not in seen:
                seen.add(line)
                yield Hit(
                    f"{key} is enabled for {where}: every variable, secrets included, goes to the log",
                    line=line,
                )
