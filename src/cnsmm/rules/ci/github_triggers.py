"""GitHub Actions token permissions and untrusted triggers."""

from __future__ import annotations

import re
from collections.abc import Iterator

from cnsmm.findings import Severity
from cnsmm.kube.values import truthy
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.ci._common import (
    GH_HARDENING,
    GH_HARDENING_URL,
    GITHUB,
    PUBLIC_PR_EVENTS,
    SCORECARD,
    UNTRUSTED_PRIVILEGED_EVENTS,
    command_lines,
    is_checkout,
    steps,
)
from cnsmm.sources.pipelines.model import Pipeline
from cnsmm.sources.yamlload import YMap

GHSL_PWN = (
    "GitHub Security Lab: Keeping your GitHub Actions and workflows secure Part 1: Preventing pwn requests"
)


def _write_all(value: object) -> bool:
    return isinstance(value, str) and value.strip() == "write-all"


@rule(
    RuleMeta(
        id="CI-002",
        name="default-token-permissions",
        title="Workflow token permissions missing or write-all",
        severity=Severity.MEDIUM,
        scope=Scope.PIPELINE,
        targets=GITHUB,
        requirements=("DEV.DEV.L2.1", "DEV.DEV.L3.1"),
        what=(
            "Flags workflows without a top-level `permissions:` block when some job has none either "
            "(reported on `jobs:`), and `permissions: write-all` at workflow or job level. Composite "
            "actions are not concerned."
        ),
        why=(
            "Without `permissions:` the GITHUB_TOKEN gets the repository default, which is read-write "
            "on many organisations and older repositories: any compromised step can push code, "
            "rewrite releases or approve pull requests."
        ),
        fix=(
            "Add `permissions: contents: read` at the top and grant extra scopes only to the "
            "jobs that need them."
        ),
        bad="on: push\njobs:\n  build:\n    runs-on: ubuntu-latest",
        good="on: push\npermissions:\n  contents: read\njobs:\n  build:\n    runs-on: ubuntu-latest",
        references=(
            f"{SCORECARD}: Token-Permissions",
            f"{GH_HARDENING}: Using GITHUB_TOKEN",
            GH_HARDENING_URL,
            "CWE-250",
            "CWE-732",
        ),
    )
)
def default_token_permissions(p: Pipeline, ctx: RuleContext) -> Iterator[Hit]:
    doc = p.raw
    if not isinstance(doc, YMap) or "jobs" not in doc:
        return
    if _write_all(doc.get("permissions")):
        yield Hit(
            "the workflow grants write-all permissions to GITHUB_TOKEN", line=doc.key_lines.get("permissions", doc.line)
        )
    for job in p.jobs:
        raw = job.raw if isinstance(job.raw, YMap) else None
        if raw is not None and _write_all(raw.get("permissions")):
            yield Hit(
                f'job "{job.id}" grants write-all permissions to GITHUB_TOKEN',
                line=raw.key_lines.get("permissions", raw.line),
            )
    if "permissions" not in doc:
        bare = [j.id for j in p.jobs if isinstance(j.raw, YMap) and "permissions" not in j.raw]
        if bare:
            yield Hit(
                f"no top-level permissions, and job(s) {', '.join(bare)} set none: the token gets "
                "the repository default",
                line=doc.key_lines.get("jobs", doc.line),
            )


_HEAD_REF = re.compile(
    r"github\.event\.pull_request\.head\.(sha|ref)|github\.head_ref|refs/pull/|"
    r"github\.event\.workflow_run\.head_(sha|branch)|github\.event\.issue\.pull_request"
)
_HEAD_COMMAND = re.compile(
    r"\bgh\s+pr\s+checkout\b|\bgit\s+(fetch|checkout|pull)\b.*(pull/|" + _HEAD_REF.pattern + ")"
)


@rule(
    RuleMeta(
        id="CI-003",
        name="pull-request-target-checkout",
        title="pull_request_target or workflow_run workflow checks out the pull request's code",
        severity=Severity.CRITICAL,
        scope=Scope.PIPELINE,
        targets=GITHUB,
        requirements=("DEV.DEV.L2.1", "DEV.DEV.L3.1"),
        what=(
            "In workflows triggered by `pull_request_target` or `workflow_run`, flags `actions/checkout` "
            "with a `ref` naming the pull request head (`github.event.pull_request.head.sha/ref`, "
            "`github.head_ref`, `refs/pull/...`, `github.event.workflow_run.head_sha`) and commands "
            "that fetch it (`gh pr checkout`, `git fetch origin pull/...`)."
        ),
        why=(
            "These triggers run with the base repository's secrets and a write token. Checking out the "
            "fork's code and then building or testing it runs the attacker's code with those "
            'privileges (a "pwn request").'
        ),
        fix=(
            "Use the `pull_request` trigger for building untrusted code; keep `pull_request_target` for "
            "labelling and commenting without checking out the head, or split into two workflows "
            "passing artifacts only."
        ),
        bad="on: pull_request_target\n...\n- uses: actions/checkout@v4\n  with:\n"
        "    ref: ${{ github.event.pull_request.head.sha }}",
        good="on: pull_request\n...\n- uses: actions/checkout@v4",
        references=(GHSL_PWN, f"{SCORECARD}: Dangerous-Workflow", GH_HARDENING_URL, "CWE-829", "CWE-94"),
    )
)
def pull_request_target_checkout(p: Pipeline, ctx: RuleContext) -> Iterator[Hit]:
    trigger = next((e for e in p.events if e in ("pull_request_target", "workflow_run")), None)
    if trigger is None:
        return
    for job, step in steps(p):
        if is_checkout(step):
            ref = step.inputs.get("ref")
            if isinstance(ref, str) and _HEAD_REF.search(ref):
                yield Hit(
                    f'job "{job.id}" checks out the pull request head ({ref.strip()}) on {trigger}',
                    line=step.inputs_line.get("ref", step.uses_line),
                )
        for line, text in command_lines(p, step):
            if _HEAD_COMMAND.search(text):
                yield Hit(
                    f'job "{job.id}" fetches the pull request head on {trigger}: {text.strip()[:80]}',
                    line=line,
                )


@rule(
    RuleMeta(
        id="CI-007",
        name="self-hosted-runner-on-pull-request",
        title="Self-hosted runner used by a workflow that forks' pull requests can trigger",
        severity=Severity.HIGH,
        scope=Scope.PIPELINE,
        targets=GITHUB,
        requirements=("INF.CMP.L2.1", "DEV.DEV.L2.1"),
        what="Flags jobs with `runs-on` containing `self-hosted` in workflows triggered by `pull_request` or "
        "`pull_request_target`.",
        why=(
            "On a public repository anyone can open a pull request; the job then runs their code on "
            "your machine, which is not wiped between jobs: they can persist on it, read other jobs' "
            "data and reach your internal network."
        ),
        fix=(
            "Run pull request jobs on GitHub-hosted or ephemeral, isolated runners, and keep "
            "self-hosted runners for trusted events (push to protected branches, releases)."
        ),
        bad="on: pull_request\njobs:\n  test:\n    runs-on: [self-hosted, linux]",
        good="on: pull_request\njobs:\n  test:\n    runs-on: ubuntu-latest",
        references=(
            f"{GH_HARDENING}: Hardening for self-hosted runners",
            GH_HARDENING_URL,
            f"{SCORECARD}: Dangerous-Workflow",
            "CWE-668",
        ),
    )
)
def self_hosted_runner_on_pull_request(p: Pipeline, ctx: RuleContext) -> Iterator[Hit]:
    events = sorted(PUBLIC_PR_EVENTS & set(p.events))
    if not events:
        return
    for job in p.jobs:
        if any(label.strip().lower() == "self-hosted" for label in job.runs_on):
            yield Hit(
                f'job "{job.id}" runs on a self-hosted runner and is triggered by {", ".join(events)}',
                line=job.runs_on_line,
            )


@rule(
    RuleMeta(
        id="CI-011",
        name="checkout-persists-credentials",
        title="actions/checkout keeps the token on disk in a privileged untrusted-input workflow",
        severity=Severity.MEDIUM,
        scope=Scope.PIPELINE,
        targets=GITHUB,
        requirements=("DEV.DEV.L2.1",),
        what=(
            "In workflows triggered by events that carry outsiders' content with a privileged token "
            "(`pull_request_target`, `workflow_run`, `issue_comment`, `issues`, `discussion`, "
            "`discussion_comment`), flags `actions/checkout` steps without `persist-credentials: false`."
        ),
        why=(
            "By default checkout writes the GITHUB_TOKEN into `.git/config`; any later step - or an "
            "uploaded artifact containing the workspace - exposes a write token to code or people "
            "handling untrusted input."
        ),
        fix=(
            "Set `persist-credentials: false` on the checkout step and pass the token "
            "explicitly where needed."
        ),
        bad="on: issue_comment\n...\n- uses: actions/checkout@v4",
        good="on: issue_comment\n...\n- uses: actions/checkout@v4\n  with:\n    persist-credentials: false",
        references=(GH_HARDENING_URL, "actions/checkout README: persist-credentials", "CWE-522"),
    )
)
def checkout_persists_credentials(p: Pipeline, ctx: RuleContext) -> Iterator[Hit]:
    events = sorted(UNTRUSTED_PRIVILEGED_EVENTS & set(p.events))
    if not events:
        return
    for job, step in steps(p):
        if is_checkout(step) and truthy(step.inputs.get("persist-credentials", True)):
            yield Hit(
                f'checkout in job "{job.id}" persists the token ({", ".join(events)} trigger)',
                line=step.uses_line,
            )
