"""Container images of security tools: for ``docker run IMAGE ...`` and job images."""

from __future__ import annotations

import re

IMAGE_TOOLS: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(p), c, t)
    for p, c, t in (
        (r"(^|/)aquasec/trivy\b", "image-scan", "Trivy"),
        (r"(^|/)anchore/grype\b", "image-scan", "Grype"),
        (r"(^|/)(returntocorp|semgrep)/semgrep\b", "sast", "Semgrep"),
        (r"(^|/)bridgecrew/checkov\b", "iac-scan", "Checkov"),
        (r"(^|/)hadolint/hadolint\b", "iac-scan", "hadolint"),
        (r"(^|/)aquasec/tfsec\b", "iac-scan", "tfsec"),
        (r"(^|/)(tenable|accurics)/terrascan\b", "iac-scan", "terrascan"),
        (r"(^|/)checkmarx/kics\b", "iac-scan", "KICS"),
        (r"(^|/)stackrox/kube-linter\b", "iac-scan", "kube-linter"),
        (r"(^|/)zricethezav/gitleaks\b|(^|/)gitleaks/gitleaks\b", "secret-scan", "gitleaks"),
        (r"(^|/)trufflesecurity/trufflehog\b", "secret-scan", "TruffleHog"),
        (r"zaproxy|owasp/zap2docker|softwaresecurityproject/zap", "dast", "OWASP ZAP"),
        (r"(^|/)projectdiscovery/nuclei\b", "dast", "Nuclei"),
        (r"portswigger/dastardly", "dast", "Burp (Dastardly)"),
        (r"portswigger/", "dast", "Burp"),
        (r"(^|/)anchore/syft\b", "sbom", "Syft"),
        (r"arminc/clair|projectquay/clair|/clair-scanner", "image-scan", "Clair"),
        (r"(^|/)sonarsource/sonar-scanner-cli\b", "sast", "SonarQube"),
        (r"(^|/)owasp/dependency-check\b", "sca", "OWASP Dependency-Check"),
        (r"(^|/)securego/gosec\b", "sast", "gosec"),
        (r"(^|/)snyk/snyk\b", "sca", "Snyk"),
        (r"(^|/)kubescape/kubescape\b", "iac-scan", "kubescape"),
        (r"(^|/)gcr\.io/projectsigstore/cosign\b", "signing", "cosign"),
    )
)
"""Container images of scanners: for ``docker run IMAGE ...`` and job images."""


def image_tool(ref: str) -> tuple[str, str] | None:
    """(category, tool) of a scanner image reference, or None."""
    low = ref.lower()
    for rx, category, tool in IMAGE_TOOLS:
        if rx.search(low):
            return category, tool
    return None
