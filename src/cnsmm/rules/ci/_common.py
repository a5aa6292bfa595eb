"""Helpers shared by the CI pipeline rules (CI-001 ...)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from cnsmm.sources.pipelines.actions import split_ref
from cnsmm.sources.pipelines.model import Job, Pipeline, Step, is_full_sha

GITHUB = ("github-actions",)
GITLAB = ("gitlab-ci",)
JENKINS = ("jenkins",)
AZURE = ("azure-pipelines",)
BUILD_SYSTEMS = ("github-actions", "gitlab-ci", "jenkins", "azure-pipelines")
"""Systems that run commands (Dependabot and Renovate do not)."""

GH_HARDENING = "GitHub Docs: Security hardening for GitHub Actions"
GH_HARDENING_URL = "https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions"
SCORECARD = "OpenSSF Scorecard"
GITLAB_SECURITY = "GitLab Docs: CI/CD pipeline security"
JENKINS_CREDENTIALS = "Jenkins Docs: Using credentials - String interpolation"
SLSA = "SLSA v1.0 Build track"

GITHUB_OWNED = ("actions/", "github/")
"""Owners of actions published by GitHub itself (see CI-001 for the pinning policy)."""

UNTRUSTED_PRIVILEGED_EVENTS = frozenset(
    {
        "pull_request_target",
        "workflow_run",
        "issue_comment",
        "issues",
        "discussion",
        "discussion_comment",
    }
)
"""Events that run with the base repository's secrets and a write token while handling
content that outsiders control."""

PUBLIC_PR_EVENTS = frozenset({"pull_request", "pull_request_target"})
"""Events a fork's pull request can trigger."""

SECRET_NAME = re.compile(
    r"(?i)(^|_)(PASSWORD|PASSWD|PASS|PWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?|AUTH)"
    r"(_\w+)?$|(?-i:AccessToken|Password|Secret|ApiKey)$"
)
"""Variable names that hold credentials: a credential word as a ``_``-separated part of the
name (``DB_PASSWORD``, ``NPM_TOKEN``, ``AWS_SECRET_ACCESS_KEY``, not ``BYPASS_CACHE``), or a
camel-case suffix (Azure ``System.AccessToken``)."""


def is_secret_name(name: str) -> bool:
    """True for names such as ``DB_PASSWORD``, ``NPM_TOKEN``, ``AWS_SECRET_ACCESS_KEY``."""
    return bool(SECRET_NAME.search(name)) and not name.upper().endswith(("_FILE", "_PATH", "_URL"))


def third_party(uses: str) -> bool:
    """True for a remote action/workflow reference (not ``./local`` nor ``docker://``)."""
    return not uses.startswith(("./", "docker://", "."))


def pinned(uses: str) -> bool:
    """True when an action/workflow reference is pinned to a full 40-hex commit SHA."""
    _, ref = split_ref(uses)
    return ref is not None and is_full_sha(ref)


def github_owned(uses: str) -> bool:
    """True for ``actions/*`` and ``github/*`` references."""
    return uses.strip().lower().startswith(GITHUB_OWNED)


def steps(p: Pipeline) -> Iterator[tuple[Job, Step]]:
    """Every (job, step) of a pipeline, in file order."""
    for job in p.jobs:
        for step in job.steps:
            yield job, step


def command_lines(p: Pipeline, step: Step) -> Iterator[tuple[int, str]]:
    """(file line, text) of each line of a step's command, comment lines skipped.

    Lines are found in the file from the command's start, in order, so identical lines of
    one command get their own line numbers. A line that cannot be found as written (folded
    or escaped YAML scalars) gets the line after the previous one.
    """
    if not step.run:
        return
    lines = p.lines
    cursor = step.run_line
    for raw in step.run.splitlines():
        text = raw.strip()
        if not text:
            continue
        line = next((i + 1 for i in range(cursor - 1, len(lines)) if text in lines[i]), cursor)
        cursor = line + 1
        if not text.startswith(("#", "//")):
            yield line, raw


def is_checkout(step: Step) -> bool:
    """True for an ``actions/checkout`` step."""
    return bool(step.uses) and split_ref(step.uses or "")[0] == "actions/checkout"
