"""Security tools recognised in action references, templates, tasks and plugin steps.

GitHub actions are matched by ``owner/repo[/path]`` (letter case ignored, ref dropped); the
action's inputs decide the category where one action does several things (Trivy, Grype,
Snyk, Docker Scout). GitLab ``include: template:`` names and CI/CD components, Azure tasks
and Jenkins plugin steps are matched by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from cnsmm.kube.values import falsy, truthy
from cnsmm.sources.pipelines.commands import Detection
from cnsmm.vocab import PipelineCategory

Inputs = Mapping[str, Any]


def _s(inputs: Inputs, key: str, default: str = "") -> str:
    value = inputs.get(key, default)
    return str(value).strip().lower() if value is not None else default


def _const(
    category: PipelineCategory, tool: str, soft: str | None = None, soft_input: tuple[str, bool] | None = None
) -> Callable[[Inputs], list[Detection]]:
    """Fixed category; ``soft_input`` = (input name, value that makes the scan non-blocking)."""

    def classify(inputs: Inputs) -> list[Detection]:
        if soft_input and soft_input[0] in inputs and truthy(inputs[soft_input[0]]) == soft_input[1]:
            return [Detection(category, tool, f"{soft_input[0]}: {inputs[soft_input[0]]}", True)]
        return [Detection(category, tool, soft)]

    return classify


def _trivy(inputs: Inputs) -> list[Detection]:
    scan_type = _s(inputs, "scan-type", "image")
    fmt = _s(inputs, "format")
    if fmt in ("cyclonedx", "spdx", "spdx-json", "github"):
        return [Detection(PipelineCategory.SBOM, "Trivy")]
    by_scan_type = {"image": PipelineCategory.IMAGE_SCAN, "config": PipelineCategory.IAC_SCAN,
                    "sbom": PipelineCategory.SCA}
    category = by_scan_type.get(scan_type, PipelineCategory.SCA)
    code = _s(inputs, "exit-code", "0")
    soft = None if code not in ("0", "") else "trivy-action exits 0 on findings unless exit-code is set"
    explicit = "exit-code" in inputs and soft is not None
    return [Detection(category, "Trivy", f"exit-code: {code}" if explicit else soft, explicit)]


def _grype(inputs: Inputs) -> list[Detection]:
    category = PipelineCategory.IMAGE_SCAN if "image" in inputs else PipelineCategory.SCA
    if "fail-build" in inputs and not truthy(inputs["fail-build"]):
        return [Detection(category, "Grype", f"fail-build: {inputs['fail-build']}", True)]
    return [Detection(category, "Grype")]


def _snyk(path: str) -> Callable[[Inputs], list[Detection]]:
    def classify(inputs: Inputs) -> list[Detection]:
        command = _s(inputs, "command", "test")
        if path.endswith("/docker") or command.startswith("container"):
            category = PipelineCategory.IMAGE_SCAN
        elif path.endswith("/iac") or command.startswith("iac"):
            category = PipelineCategory.IAC_SCAN
        elif command.startswith("code"):
            category = PipelineCategory.SAST
        else:
            category = PipelineCategory.SCA
        soft = "snyk monitor only records a snapshot" if command == "monitor" else None
        return [Detection(category, "Snyk", soft)]

    return classify


def _scout(inputs: Inputs) -> list[Detection]:
    command = _s(inputs, "command", "quickview")
    if command.startswith("sbom"):
        return [Detection(PipelineCategory.SBOM, "Docker Scout")]
    if "cves" not in command and "quickview" not in command and "recommendations" not in command:
        return []
    blocking = truthy(inputs.get("exit-code"))
    return [
        Detection(
            PipelineCategory.IMAGE_SCAN,
            "Docker Scout",
            None if blocking else "scout-action passes unless exit-code: true",
        )
    ]


def _build_push(inputs: Inputs) -> list[Detection]:
    out = []
    if "sbom" in inputs and truthy(inputs["sbom"]):
        out.append(Detection(PipelineCategory.SBOM, "BuildKit SBOM attestation"))
    prov = _s(inputs, "provenance")
    if prov and not falsy(prov):
        out.append(Detection(PipelineCategory.PROVENANCE, "BuildKit provenance attestation"))
    return out


_ZAP_SOFT = ("fail_action", False)

ACTIONS: dict[str, Callable[[Inputs], list[Detection]]] = {
    "github/codeql-action/analyze": _const(
        PipelineCategory.SAST, "CodeQL", "CodeQL uploads results; it does not fail the job"
    ),
    "semgrep/semgrep-action": _const(PipelineCategory.SAST, "Semgrep"),
    "returntocorp/semgrep-action": _const(PipelineCategory.SAST, "Semgrep"),
    "pycqa/bandit-action": _const(PipelineCategory.SAST, "Bandit"),
    "shundor/python-bandit-scan": _const(PipelineCategory.SAST, "Bandit"),
    "securego/gosec": _const(PipelineCategory.SAST, "gosec"),
    "sonarsource/sonarcloud-github-action": _const(
        PipelineCategory.SAST, "SonarCloud", "the scan does not wait for the quality gate"
    ),
    "sonarsource/sonarqube-scan-action": _const(
        PipelineCategory.SAST, "SonarQube", "the scan does not wait for the quality gate"
    ),
    "sonarsource/sonarqube-quality-gate-action": _const(PipelineCategory.SAST, "SonarQube"),
    "devmasx/brakeman-linter-action": _const(PipelineCategory.SAST, "Brakeman"),
    "reviewdog/action-brakeman": _const(PipelineCategory.SAST, "Brakeman"),
    "aquasecurity/trivy-action": _trivy,
    "anchore/scan-action": _grype,
    "anchore/sbom-action": _const(PipelineCategory.SBOM, "Syft"),
    "google/osv-scanner-action": _const(PipelineCategory.SCA, "OSV-Scanner"),
    "google/osv-scanner/.github/workflows": _const(PipelineCategory.SCA, "OSV-Scanner"),
    "pypa/gh-action-pip-audit": _const(PipelineCategory.SCA, "pip-audit"),
    "pyupio/safety-action": _const(PipelineCategory.SCA, "safety"),
    "dependency-check/dependency-check_action": _const(PipelineCategory.SCA, "OWASP Dependency-Check"),
    "golang/govulncheck-action": _const(PipelineCategory.SCA, "govulncheck"),
    "actions-rs/audit-check": _const(PipelineCategory.SCA, "cargo audit"),
    "rustsec/audit-check": _const(PipelineCategory.SCA, "cargo audit"),
    "actions/dependency-review-action": _const(PipelineCategory.SCA, "Dependency Review"),
    "docker/scout-action": _scout,
    "bridgecrewio/checkov-action": _const(PipelineCategory.IAC_SCAN, "Checkov", soft_input=("soft_fail", True)),
    "stackrox/kube-linter-action": _const(PipelineCategory.IAC_SCAN, "kube-linter"),
    "kubescape/github-action": _const(PipelineCategory.IAC_SCAN, "kubescape"),
    "aquasecurity/tfsec-action": _const(PipelineCategory.IAC_SCAN, "tfsec", soft_input=("soft_fail", True)),
    "aquasecurity/tfsec-sarif-action": _const(
        PipelineCategory.IAC_SCAN, "tfsec", "the SARIF action reports without failing"
    ),
    "tenable/terrascan-action": _const(PipelineCategory.IAC_SCAN, "terrascan", soft_input=("only_warn", True)),
    "accurics/terrascan-action": _const(PipelineCategory.IAC_SCAN, "terrascan", soft_input=("only_warn", True)),
    "checkmarx/kics-github-action": _const(PipelineCategory.IAC_SCAN, "KICS"),
    "hadolint/hadolint-action": _const(PipelineCategory.IAC_SCAN, "hadolint", soft_input=("no-fail", True)),
    "gitleaks/gitleaks-action": _const(PipelineCategory.SECRET_SCAN, "gitleaks"),
    "zricethezav/gitleaks-action": _const(PipelineCategory.SECRET_SCAN, "gitleaks"),
    "trufflesecurity/trufflehog": _const(PipelineCategory.SECRET_SCAN, "TruffleHog"),
    "gitguardian/ggshield-action": _const(PipelineCategory.SECRET_SCAN, "GitGuardian"),
    "gitguardian/ggshield/actions/secret": _const(PipelineCategory.SECRET_SCAN, "GitGuardian"),
    "reviewdog/action-detect-secrets": _const(PipelineCategory.SECRET_SCAN, "detect-secrets"),
    "zaproxy/action-baseline": _const(
        PipelineCategory.DAST, "OWASP ZAP", "ZAP actions pass unless fail_action: true", ("fail_action", False)
    ),
    "zaproxy/action-full-scan": _const(PipelineCategory.DAST, "OWASP ZAP", "ZAP actions pass unless fail_action: true"),
    "zaproxy/action-api-scan": _const(PipelineCategory.DAST, "OWASP ZAP", "ZAP actions pass unless fail_action: true"),
    "projectdiscovery/nuclei-action": _const(PipelineCategory.DAST, "Nuclei", "nuclei exits 0 on findings"),
    "portswigger/dastardly-github-action": _const(PipelineCategory.DAST, "Burp (Dastardly)"),
    "portswigger": _const(PipelineCategory.DAST, "Burp"),
    "cyclonedx/gh-node-module-generatebom": _const(PipelineCategory.SBOM, "CycloneDX"),
    "cyclonedx/gh-python-generate-sbom": _const(PipelineCategory.SBOM, "CycloneDX"),
    "cyclonedx/gh-dotnet-generate-sbom": _const(PipelineCategory.SBOM, "CycloneDX"),
    "cyclonedx/gh-gomod-generate-sbom": _const(PipelineCategory.SBOM, "CycloneDX"),
    "sigstore/gh-action-sigstore-python": _const(PipelineCategory.SIGNING, "sigstore"),
    "notaryproject/notation-action/sign": _const(PipelineCategory.SIGNING, "notation"),
    "slsa-framework/slsa-github-generator": _const(PipelineCategory.PROVENANCE, "SLSA generator"),
    "actions/attest-build-provenance": _const(PipelineCategory.PROVENANCE, "GitHub artifact attestation"),
    "actions/attest-sbom": _const(PipelineCategory.PROVENANCE, "GitHub artifact attestation (SBOM)"),
    "actions/attest": _const(PipelineCategory.PROVENANCE, "GitHub artifact attestation"),
    "in-toto/github-action": _const(PipelineCategory.PROVENANCE, "in-toto"),
    "docker/build-push-action": _build_push,
}
"""Action (``owner/repo[/path]``, lower case) -> classifier of its ``with:`` inputs."""


_ACTION_SEGMENTS = max((key.count("/") + 1 for key in ACTIONS), default=1)
"""Most path segments of a known action name."""


def split_ref(uses: str) -> tuple[str, str | None]:
    """``owner/repo/path@ref`` -> (``owner/repo/path`` lower case, ``ref`` or None)."""
    name, _, ref = uses.strip().partition("@")
    return name.lower().rstrip("/"), (ref or None)


def classify_action(uses: str, inputs: Inputs) -> list[Detection]:
    """Detections of a ``uses:`` reference (step or reusable workflow)."""
    name, _ = split_ref(uses)
    if name.startswith(("docker://", "./", ".")) or not name:
        return []
    # the longest known prefix, trying only as many path segments as a known action has (a
    # name of thousands of segments cost one copy of itself per segment)
    parts = name.split("/", _ACTION_SEGMENTS)[:_ACTION_SEGMENTS]
    for count in range(len(parts), 0, -1):
        classify = ACTIONS.get("/".join(parts[:count]))
        if classify is not None:
            return classify(inputs)
    return []


_GITLAB_SOFT = "GitLab security jobs report findings without failing the pipeline"
GITLAB_TEMPLATES: tuple[tuple[re.Pattern[str], tuple[tuple[PipelineCategory, str, str], ...]], ...] = tuple(
    (re.compile(p, re.IGNORECASE), acts)
    for p, acts in (
        (
            r"(^|/)(SAST-IaC|SAST_IaC)(\.latest)?\.gitlab-ci\.yml$",
            ((PipelineCategory.IAC_SCAN, "GitLab IaC SAST", "SAST_DISABLED"),),
        ),
        (r"(^|/)SAST(\.latest)?\.gitlab-ci\.yml$", ((PipelineCategory.SAST, "GitLab SAST", "SAST_DISABLED"),)),
        (
            r"(^|/)Secret-Detection(\.latest)?\.gitlab-ci\.yml$",
            ((PipelineCategory.SECRET_SCAN, "GitLab Secret Detection", "SECRET_DETECTION_DISABLED"),),
        ),
        (
            r"(^|/)Dependency-Scanning(\.latest)?\.gitlab-ci\.yml$",
            ((PipelineCategory.SCA, "GitLab Dependency Scanning", "DEPENDENCY_SCANNING_DISABLED"),),
        ),
        (
            r"(^|/)Container-Scanning(\.latest)?\.gitlab-ci\.yml$",
            ((PipelineCategory.IMAGE_SCAN, "GitLab Container Scanning", "CONTAINER_SCANNING_DISABLED"),),
        ),
        (
            r"(^|/)DAST(-API|-On-Demand-Scan|-Default-Branch-Deploy)?(\.latest)?\.gitlab-ci\.yml$",
            ((PipelineCategory.DAST, "GitLab DAST", "DAST_DISABLED"),),
        ),
        (
            r"(^|/)API-Fuzzing(\.latest)?\.gitlab-ci\.yml$",
            ((PipelineCategory.DAST, "GitLab API Fuzzing", "API_FUZZING_DISABLED"),),
        ),
        (
            r"(^|/)Auto-DevOps\.gitlab-ci\.yml$",
            (
                (PipelineCategory.SAST, "GitLab SAST", "SAST_DISABLED"),
                (PipelineCategory.SECRET_SCAN, "GitLab Secret Detection", "SECRET_DETECTION_DISABLED"),
                (PipelineCategory.SCA, "GitLab Dependency Scanning", "DEPENDENCY_SCANNING_DISABLED"),
                (PipelineCategory.IMAGE_SCAN, "GitLab Container Scanning", "CONTAINER_SCANNING_DISABLED"),
                (PipelineCategory.DAST, "GitLab DAST", "DAST_DISABLED"),
            ),
        ),
    )
)
"""GitLab template name -> (category, tool, variable that disables it)."""

GITLAB_COMPONENTS: dict[str, tuple[PipelineCategory, str, str]] = {
    PipelineCategory.SAST: (PipelineCategory.SAST, "GitLab SAST", "SAST_DISABLED"),
    "secret-detection": (PipelineCategory.SECRET_SCAN, "GitLab Secret Detection", "SECRET_DETECTION_DISABLED"),
    "dependency-scanning": (PipelineCategory.SCA, "GitLab Dependency Scanning", "DEPENDENCY_SCANNING_DISABLED"),
    "container-scanning": (PipelineCategory.IMAGE_SCAN, "GitLab Container Scanning", "CONTAINER_SCANNING_DISABLED"),
    PipelineCategory.DAST: (PipelineCategory.DAST, "GitLab DAST", "DAST_DISABLED"),
}
"""GitLab CI/CD catalog component name (``.../components/<name>@v``) -> activity."""


def gitlab_include(kind: str, value: str) -> tuple[tuple[PipelineCategory, str, str], ...]:
    """Activities brought in by one ``include:`` entry."""
    if kind == "template":
        for rx, acts in GITLAB_TEMPLATES:
            if rx.search(value.strip()):
                return acts
    if kind == "component":
        name = value.rsplit("/", 1)[-1].split("@", maxsplit=1)[0].lower()
        if name in GITLAB_COMPONENTS:
            return (GITLAB_COMPONENTS[name],)
    return ()


GITLAB_TEMPLATE_SOFT = _GITLAB_SOFT

AZURE_TASKS: dict[str, tuple[PipelineCategory, str]] = {
    "sonarqubeanalyze": (PipelineCategory.SAST, "SonarQube"),
    "sonarcloudanalyze": (PipelineCategory.SAST, "SonarCloud"),
    "dependency-check-build-task": (PipelineCategory.SCA, "OWASP Dependency-Check"),
    "snyksecurityscan": (PipelineCategory.SCA, "Snyk"),
    "advancedsecurity-codeql-analyze": (PipelineCategory.SAST, "CodeQL"),
    "advancedsecurity-dependency-scanning": (PipelineCategory.SCA, "GitHub Advanced Security dependency scanning"),
    "credscan": (PipelineCategory.SECRET_SCAN, "CredScan"),
    "trivy": (PipelineCategory.IMAGE_SCAN, "Trivy"),
    "microsoftsecuritydevops": (PipelineCategory.SAST, "Microsoft Security DevOps"),
    "whitesource": (PipelineCategory.SCA, "Mend"),
    "mend": (PipelineCategory.SCA, "Mend"),
}
"""Azure task name (before ``@``, lower case) -> (category, tool)."""

JENKINS_STEPS: dict[str, tuple[PipelineCategory, str, str | None]] = {
    "dependencyCheck": (PipelineCategory.SCA, "OWASP Dependency-Check", None),
    "snykSecurity": (PipelineCategory.SCA, "Snyk", None),
    "anchore": (PipelineCategory.IMAGE_SCAN, "Anchore", None),
    "grypeScan": (PipelineCategory.IMAGE_SCAN, "Grype", None),
    "zapAttack": (PipelineCategory.DAST, "OWASP ZAP", None),
    "neuvector": (PipelineCategory.IMAGE_SCAN, "NeuVector", None),
    "prismaCloudScanImage": (PipelineCategory.IMAGE_SCAN, "Prisma Cloud", None),
    "aquaMicroscanner": (PipelineCategory.IMAGE_SCAN, "Aqua MicroScanner", None),
}
"""Jenkins plugin step -> (category, tool, non-blocking reason by default)."""

_BUILD_RE = re.compile(
    r"(^|[\s;&|(])(docker|podman|nerdctl)\s+(buildx\s+)?(build|bake)\b|\bbuildah\s+(bud|build)\b"
    r"|/kaniko/executor\b|\bbuildctl\s+build\b|\bko\s+(build|publish|resolve)\b|\bpack\s+build\b"
    r"|\bjib(:build|:dockerBuild)?\b|\bbootBuildImage\b|spring-boot:build-image|\bdocker\.build\s*\("
)
IMAGE_BUILD_ACTIONS = (
    "docker/build-push-action",
    "docker/bake-action",
    "redhat-actions/buildah-build",
    "mr-smithers-excellent/docker-build-push",
    "ko-build/ko-action",
)


def builds_image(uses: str | None, run: str | None, inputs: Inputs) -> bool:
    """True when a step builds a container image."""
    if uses:
        name, _ = split_ref(uses)
        if any(name.startswith(a) for a in IMAGE_BUILD_ACTIONS):
            return True
        if name == "docker":  # Azure Docker@2 task
            return _s(inputs, "command", "buildandpush").lower() in ("build", "buildandpush")
    return bool(run and _BUILD_RE.search(run))
