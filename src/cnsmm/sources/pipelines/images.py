"""Container images of security tools: for ``docker run IMAGE ...`` and job images."""

from __future__ import annotations

import re

from cnsmm.vocab import PipelineCategory

IMAGE_TOOLS: tuple[tuple[re.Pattern[str], PipelineCategory, str], ...] = tuple(
    (re.compile(p), c, t)
    for p, c, t in (
        (r"(^|/)aquasec/trivy\b", PipelineCategory.IMAGE_SCAN, "Trivy"),
        (r"(^|/)anchore/grype\b", PipelineCategory.IMAGE_SCAN, "Grype"),
        (r"(^|/)(returntocorp|semgrep)/semgrep\b", PipelineCategory.SAST, "Semgrep"),
        (r"(^|/)bridgecrew/checkov\b", PipelineCategory.IAC_SCAN, "Checkov"),
        (r"(^|/)hadolint/hadolint\b", PipelineCategory.IAC_SCAN, "hadolint"),
        (r"(^|/)aquasec/tfsec\b", PipelineCategory.IAC_SCAN, "tfsec"),
        (r"(^|/)(tenable|accurics)/terrascan\b", PipelineCategory.IAC_SCAN, "terrascan"),
        (r"(^|/)checkmarx/kics\b", PipelineCategory.IAC_SCAN, "KICS"),
        (r"(^|/)stackrox/kube-linter\b", PipelineCategory.IAC_SCAN, "kube-linter"),
        (r"(^|/)zricethezav/gitleaks\b|(^|/)gitleaks/gitleaks\b", PipelineCategory.SECRET_SCAN, "gitleaks"),
        (r"(^|/)trufflesecurity/trufflehog\b", PipelineCategory.SECRET_SCAN, "TruffleHog"),
        (r"zaproxy|owasp/zap2docker|softwaresecurityproject/zap", PipelineCategory.DAST, "OWASP ZAP"),
        (r"(^|/)projectdiscovery/nuclei\b", PipelineCategory.DAST, "Nuclei"),
        (r"portswigger/dastardly", PipelineCategory.DAST, "Burp (Dastardly)"),
        (r"portswigger/", PipelineCategory.DAST, "Burp"),
        (r"(^|/)anchore/syft\b", PipelineCategory.SBOM, "Syft"),
        (r"arminc/clair|projectquay/clair|/clair-scanner", PipelineCategory.IMAGE_SCAN, "Clair"),
        (r"(^|/)sonarsource/sonar-scanner-cli\b", PipelineCategory.SAST, "SonarQube"),
        (r"(^|/)owasp/dependency-check\b", PipelineCategory.SCA, "OWASP Dependency-Check"),
        (r"(^|/)securego/gosec\b", PipelineCategory.SAST, "gosec"),
        (r"(^|/)snyk/snyk\b", PipelineCategory.SCA, "Snyk"),
        (r"(^|/)kubescape/kubescape\b", PipelineCategory.IAC_SCAN, "kubescape"),
        (r"(^|/)gcr\.io/projectsigstore/cosign\b", PipelineCategory.SIGNING, "cosign"),
    )
)
"""Container images of scanners: for ``docker run IMAGE ...`` and job images."""


def image_tool(ref: str) -> tuple[PipelineCategory, str] | None:
    """(category, tool) of a scanner image reference, or None."""
    low = ref.lower()
    for rx, category, tool in IMAGE_TOOLS:
        if rx.search(low):
            return category, tool
    return None
