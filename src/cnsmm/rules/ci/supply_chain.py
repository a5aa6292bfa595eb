"""Pipeline dependencies that can change under you: actions, reusable workflows, job images."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from cnsmm.findings import Severity
from cnsmm.imageref import parse_image
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.ci._common import (
    BUILD_SYSTEMS,
    GH_HARDENING,
    GH_HARDENING_URL,
    GITHUB,
    SCORECARD,
    SLSA,
    github_owned,
    pinned,
    steps,
    third_party,
)
from cnsmm.sources.pipelines.model import Pipeline


def _refs(p: Pipeline) -> Iterator[tuple[str, int, str]]:
    """(reference, line, where) of every remote action and reusable workflow."""
    for job in p.jobs:
        if job.uses and third_party(job.uses):
            yield job.uses, job.uses_line, f'job "{job.id}"'
        for step in job.steps:
            if step.uses and third_party(step.uses):
                yield step.uses, step.uses_line, f'a step of job "{job.id}"'


@rule(
    RuleMeta(
        id="CI-001",
        name="unpinned-action",
        title="Third-party action not pinned to a full commit SHA",
        severity=Severity.MEDIUM,
        scope=Scope.PIPELINE,
        targets=GITHUB,
        requirements=("DEV.DEV.L3.1", "DEV.DEV.L3.2"),
        what=(
            "Flags `uses:` references to actions and reusable workflows whose ref is a tag or branch "
            "instead of a full 40-hex commit SHA. Policy: actions owned by GitHub (`actions/*`, "
            "`github/*`) are exempt by default because GitHub publishes them under the same trust as "
            "the runner; set `ci.pin_github_owned_actions: true` to require SHAs for them too. Local "
            "actions (`./path`) and `docker://` references (see CI-013) are not concerned."
        ),
        why=(
            "A tag or branch can be moved by whoever controls the action's repository: a compromised "
            "maintainer account (as with tj-actions/changed-files in 2025) then runs its code in your "
            "workflow with your secrets and token. Only a commit SHA is immutable."
        ),
        fix=(
            "Pin the action to the full commit SHA of the release you reviewed and keep the tag as a "
            "comment (`uses: owner/action@<sha> # v1.2.3`); let Dependabot or Renovate update it."
        ),
        bad="- uses: aquasecurity/trivy-action@master",
        good="- uses: aquasecurity/trivy-action@18f2510ee396bbf400402947b394f2dd8c87dbb0  # 0.29.0",
        references=(
            f"{SCORECARD}: Pinned-Dependencies",
            f"{GH_HARDENING}: Using third-party actions",
            GH_HARDENING_URL,
            "CWE-829",
            "CWE-494",
        ),
        options={
            "ci.pin_github_owned_actions": "also require SHAs for actions/* and github/* (default false)"
        },
    )
)
def unpinned_action(p: Pipeline, ctx: RuleContext) -> Iterator[Hit]:
    strict = bool(ctx.option("ci.pin_github_owned_actions", False))
    for uses, line, where in _refs(p):
        if pinned(uses) or (github_owned(uses) and not strict):
            continue
        ref = uses.partition("@")[2] or "no ref"
        yield Hit(f'{where} uses "{uses}" pinned to "{ref}", not to a full commit SHA', line=line)


_SECRET_EXPR = re.compile(r"\$\{\{\s*secrets\.(\w+)", re.IGNORECASE)


def _secret_inputs(values: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (k, m.group(1)) for k, v in values.items() if isinstance(v, str) for m in _SECRET_EXPR.finditer(v)
    ]


@rule(
    RuleMeta(
        id="CI-006",
        name="secret-to-unpinned-action",
        title="Secret passed to an unpinned third-party action",
        severity=Severity.HIGH,
        scope=Scope.PIPELINE,
        targets=GITHUB,
        requirements=("DEV.DEV.L2.1", "DEV.DEV.L3.1"),
        what=(
            "Flags `${{ secrets.* }}` given in `with:` or `env:` to a step whose action is not owned by "
            "GitHub and not pinned to a commit SHA, and `secrets: inherit` or explicit `secrets:` given "
            "to such a reusable workflow."
        ),
        why=(
            "The secret goes to whatever code the tag points to today. If the action's repository is "
            "compromised, the new code receives the secret directly; pinning limits this to the "
            "reviewed commit."
        ),
        fix="Pin the action or reusable workflow to a full commit SHA, or stop passing it the secret.",
        bad="- uses: some-org/deploy-action@v2\n  with:\n    token: ${{ secrets.DEPLOY_TOKEN }}",
        good="- uses: some-org/deploy-action@4f1d0a3b0c6f5b2f3e1a9d8c7b6a5f4e3d2c1b0a  # v2.1.0\n"
        "  with:\n    token: ${{ secrets.DEPLOY_TOKEN }}",
        references=(f"{GH_HARDENING}: Using third-party actions", GH_HARDENING_URL, "CWE-829", "CWE-522"),
    )
)
def secret_to_unpinned_action(p: Pipeline, ctx: RuleContext) -> Iterator[Hit]:
    def risky(uses: str) -> bool:
        return third_party(uses) and not github_owned(uses) and not pinned(uses)

    for job in p.jobs:
        if job.uses and risky(job.uses) and isinstance(job.raw, dict) and "secrets" in job.raw:
            yield Hit(
                f'job "{job.id}" passes secrets to the unpinned reusable workflow "{job.uses}"',
                line=getattr(job.raw, "key_lines", {}).get("secrets", job.uses_line),
            )
    for _, step in steps(p):
        if not step.uses or not risky(step.uses):
            continue
        for key, name in _secret_inputs(step.inputs):
            yield Hit(
                f'secret {name} is passed as input "{key}" to the unpinned action "{step.uses}"',
                line=step.inputs_line.get(key, step.uses_line),
            )
        for key, name in _secret_inputs(step.env):
            yield Hit(
                f'secret {name} is passed in env "{key}" to the unpinned action "{step.uses}"',
                line=step.env_line.get(key, step.uses_line),
            )


def image_problem(ref: str, require_digest: bool) -> str | None:
    """Why an image reference is not pinned, or None when it is (or cannot be judged)."""
    image = parse_image(ref)
    if image is None or image.pinned:
        return None
    if image.tag is None:
        return "has no tag (it means latest)"
    if image.tag == "latest":
        return 'uses the "latest" tag'
    if not require_digest:
        return None
    if image.digest is not None:
        return f"has a digest that does not pin it ({image.digest_problem})"
    return "is pinned by tag, not by digest"


@rule(
    RuleMeta(
        id="CI-013",
        name="unpinned-job-image",
        title="Job container image has no tag or uses latest",
        severity=Severity.MEDIUM,
        scope=Scope.PIPELINE,
        targets=BUILD_SYSTEMS,
        requirements=("DEV.DEV.L3.1", "DEV.DEV.L3.2"),
        what=(
            "Flags images that jobs run in or next to - GitHub `container:`, `services:` and "
            "`docker://` steps, GitLab `image:`/`services:`, Azure `container:`, Jenkins `docker` "
            "agents - given without a tag or with `:latest`. References built from variables are "
            "skipped. With `ci.require_image_digest: true`, tags without `@sha256:` digests are flagged too."
        ),
        why=(
            "The job then runs whatever the registry serves that day: builds stop being reproducible, "
            "and a pushed or hijacked tag changes the toolchain that handles your source and secrets."
        ),
        fix="Use an explicit version tag, ideally with its digest (`image: node:20.11-alpine@sha256:...`).",
        bad="image: node",
        good=(
            "image: node:20.11.1-alpine3.19"
            "@sha256:2d8a4b1b3d2d1e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f"
        ),
        references=(f"{SCORECARD}: Pinned-Dependencies", SLSA, "CWE-829", "CWE-1357"),
        options={"ci.require_image_digest": "also flag images pinned by tag only (default false)"},
    )
)
def unpinned_job_image(p: Pipeline, ctx: RuleContext) -> Iterator[Hit]:
    require_digest = bool(ctx.option("ci.require_image_digest", False))
    for job in p.jobs:
        for image in job.images:
            problem = image_problem(image.ref, require_digest)
            if problem:
                yield Hit(f'{image.role} image "{image.ref}" of job "{job.id}" {problem}', line=image.line)
