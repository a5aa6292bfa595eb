"""Security scanning that is missing from a pipeline or allowed to fail."""

from __future__ import annotations

import re
from collections.abc import Iterator

from cnsmm.findings import Severity
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.ci._common import BUILD_SYSTEMS, GITLAB_SECURITY, SCORECARD, steps
from cnsmm.sources.pipelines.actions import builds_image
from cnsmm.sources.pipelines.inventory import activities
from cnsmm.sources.pipelines.model import SCAN_CATEGORIES, Pipeline

OWASP_DSOMM = "OWASP DevSecOps Maturity Model: Test and Verification"


@rule(
    RuleMeta(
        id="CI-009",
        name="security-scan-allowed-to-fail",
        title="Security scan allowed to fail",
        severity=Severity.MEDIUM,
        scope=Scope.PIPELINE,
        targets=BUILD_SYSTEMS,
        requirements=("DEV.TST.L3.3", "PLT.IMG.L4.2"),
        what=(
            "Flags security scans (SAST, SCA, image, IaC, secret and DAST scanners found by the "
            "inventory) that the pipeline itself makes non-blocking: `continue-on-error: true`, GitLab "
            "`allow_failure: true`, Azure `continueOnError: true`, Jenkins `catchError`/`warnError`/"
            "`returnStatus: true`, `|| true`, `set +e`, or scanner options such as `--exit-code 0`, "
            "`--soft-fail`, `soft_fail: true`, `no-fail: true`. Tool defaults that do not fail (Trivy "
            "without `--exit-code`, GitLab security templates) are reported in the inventory, not here."
        ),
        why=(
            "A scan whose result cannot stop the pipeline is a report nobody has to read: vulnerable "
            "images and leaked keys ship anyway, and the pipeline looks protected when it is not."
        ),
        fix=(
            "Let the scan fail the job on the severities you do not accept (`--exit-code 1 --severity "
            "HIGH,CRITICAL`), and handle known exceptions in the tool's ignore file with a reason."
        ),
        bad="trivy_scan:\n  script: trivy image --exit-code 1 $IMAGE\n  allow_failure: true",
        good="trivy_scan:\n  script: trivy image --exit-code 1 --severity HIGH,CRITICAL $IMAGE",
        references=(OWASP_DSOMM, GITLAB_SECURITY, "CWE-1068"),
    )
)
def security_scan_allowed_to_fail(p: Pipeline, ctx: RuleContext) -> Iterator[Hit]:
    for act in activities(p):
        if act.explicit and not act.blocking and act.category in SCAN_CATEGORIES:
            yield Hit(
                f'{act.tool} ({act.category}) in job "{act.job}" cannot fail the pipeline: {act.reason}',
                line=act.line,
            )


_JENKINS_BUILD = re.compile(r"\bdocker\.build\s*\(")


@rule(
    RuleMeta(
        id="CI-014",
        name="image-build-without-scanning",
        title="Pipeline builds a container image but runs no security scan",
        severity=Severity.MEDIUM,
        scope=Scope.PIPELINE,
        targets=BUILD_SYSTEMS,
        requirements=("DEV.TST.L3.3", "PLT.IMG.L4.1", "DEV.DEV.L2.2"),
        what=(
            "Flags pipeline files that build a container image (`docker build`, `docker buildx`, "
            "buildah, kaniko, ko, pack, Jib, `docker/build-push-action`, Azure `Docker@2`, Jenkins "
            "`docker.build`) and contain no security scan of any kind (no SAST, SCA, image, IaC, "
            "secret or DAST activity in the inventory). Reported on the first build step."
        ),
        why=(
            "Images are what reaches production. Building them without any automated check means "
            "known-vulnerable packages and misconfigurations are only found, if ever, after deployment."
        ),
        fix=(
            "Scan the image you built before pushing it (Trivy, Grype, Docker Scout, GitLab "
            "Container Scanning) and fail on high severities."
        ),
        bad="- run: docker build -t app . && docker push app",
        good="- run: docker build -t app .\n- run: trivy image --exit-code 1 --severity HIGH,CRITICAL app\n"
        "- run: docker push app",
        references=(OWASP_DSOMM, f"{SCORECARD}: SAST", "NIST SP 800-190 4.1", "CWE-1104"),
    )
)
def image_build_without_scanning(p: Pipeline, ctx: RuleContext) -> Iterator[Hit]:
    first: int | None = None
    for _, step in steps(p):
        if builds_image(step.uses, step.run, step.inputs):
            first = step.uses_line if step.uses else step.run_line
            break
    if first is None and p.system == "jenkins":
        m = _JENKINS_BUILD.search(p.text)
        first = p.text.count("\n", 0, m.start()) + 1 if m else None
    if first is None:
        return
    if not any(a.category in SCAN_CATEGORIES for a in activities(p)):
        yield Hit("this pipeline builds a container image but runs no security scan", line=first)
