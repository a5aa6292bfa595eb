"""Report importers, one module per format.

Public API:

- :data:`FORMATS` maps a format name to its module; each module has ``FORMAT``,
  ``sniff(head: bytes) -> bool`` and ``parse(stream, *, source) -> ImportedReport``.
- :func:`detect_format` recognises a report from its first 64 KiB and its file name;
  :func:`open_report` reads further, streamed, when those do not tell.
- :func:`open_report` opens a file, detects (or is told) its format and parses it.

``ImportedReport.findings`` is a one-shot iterator: a malformed item raises
``ReportParseError`` while iterating, so consume it inside the store's transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import IO

from cnsmm.errors import InputNotFoundError, ReportParseError
from cnsmm.findings import Finding
from cnsmm.importers import (
    bandit_json,
    checkov_json,
    cnsmm_json,
    cyclonedx_json,
    cyclonedx_vex_json,
    cyclonedx_xml,
    detect_secrets_json,
    falco_json,
    github_code_scanning_json,
    github_dependabot_json,
    gitlab_container_scanning_json,
    gitlab_dast_json,
    gitlab_dependency_scanning_json,
    gitlab_sast_json,
    gitlab_secret_detection_json,
    gitleaks_json,
    gosec_json,
    grype_json,
    hadolint_json,
    harbor_json,
    kics_json,
    kube_bench_json,
    kube_hunter_json,
    kube_linter_json,
    kube_score_json,
    kubescape_json,
    neuvector_json,
    npm_audit_json,
    openvex_json,
    osv_scanner_json,
    pip_audit_json,
    polaris_json,
    popeye_json,
    prowler_ocsf_json,
    sarif,
    semgrep_json,
    sonarqube_json,
    spdx_json,
    tfsec_json,
    trivy_json,
    trivy_operator_cluster_compliance,
    trivy_operator_config_audit,
    trivy_operator_exposed_secret,
    trivy_operator_rbac_assessment,
    trivy_operator_vulnerability,
    trufflehog_json,
    twistcli_json,
    yarn_audit_json,
    zap_json,
    zap_xml,
)
from cnsmm.importers.interface import Component, ImportedReport, ItemError, ItemErrors
from cnsmm.plugins import Registry, RegistryError
from cnsmm.vocab import ReportKind

__all__ = ["FORMATS", "HEAD_SIZE", "Component", "FormatInfo", "ImportedReport", "ItemError", "ItemErrors",
           "detect_format", "format_infos", "open_report"]

HEAD_SIZE = 64 * 1024
"""Bytes read from the start of a file to recognise its format."""

_WINDOW = 1024 * 1024
"""When the first 64 KiB do not tell (a report whose identifying keys come after a long first
array), detection reads on, one window of this size at a time, to the end if need be."""

# Order matters: the first module whose sniff() accepts the head wins, so the most
# specific signatures come first.
FORMATS: Registry[ModuleType] = Registry(
    "report format", re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$"), example="trivy-json", sort=False,
    id_rule="is not kebab-case",
)
"""Every format by name, in detection order."""
for _module in (
    cnsmm_json,
    sarif,
    openvex_json,
    cyclonedx_vex_json,
    cyclonedx_json,
    cyclonedx_xml,
    spdx_json,
    trivy_json,
    grype_json,
    harbor_json,
    neuvector_json,
    twistcli_json,
    trivy_operator_vulnerability,
    trivy_operator_config_audit,
    trivy_operator_exposed_secret,
    trivy_operator_rbac_assessment,
    trivy_operator_cluster_compliance,
    github_dependabot_json,
    github_code_scanning_json,
    gitlab_sast_json,
    gitlab_dependency_scanning_json,
    gitlab_container_scanning_json,
    gitlab_secret_detection_json,
    gitlab_dast_json,
    zap_json,
    zap_xml,
    kubescape_json,
    kube_bench_json,
    checkov_json,
    npm_audit_json,
    yarn_audit_json,
    pip_audit_json,
    osv_scanner_json,
    semgrep_json,
    sonarqube_json,
    bandit_json,
    gosec_json,
    kube_linter_json,
    kube_score_json,
    polaris_json,
    popeye_json,
    prowler_ocsf_json,
    kube_hunter_json,
    kics_json,
    tfsec_json,
    hadolint_json,
    detect_secrets_json,
    trufflehog_json,
    gitleaks_json,
    falco_json,
):
    if not (callable(getattr(_module, "sniff", None)) and callable(getattr(_module, "parse", None))):
        raise RegistryError(f"report format {_module.FORMAT!r}: {_module.__name__} needs sniff() and parse()")
    FORMATS.register(_module.FORMAT, _module)

# A document larger than the head that the head says is the key's format may be one of these
# instead: their identifying parts can come anywhere, so each reads the stream (sniff_stream).
_DECIDED_LATE: dict[str, tuple[ModuleType, ...]] = {cyclonedx_json.FORMAT: (cyclonedx_vex_json,)}

# Used only when no signature matches (empty arrays, empty files): a tool name in the file name.
_NAME_HINTS = (
    ("gitleaks", gitleaks_json.FORMAT),
    ("falco", falco_json.FORMAT),
    ("kube-bench", kube_bench_json.FORMAT),
    ("kubebench", kube_bench_json.FORMAT),
    ("checkov", checkov_json.FORMAT),
    ("hadolint", hadolint_json.FORMAT),
    ("kube-score", kube_score_json.FORMAT),
    ("trufflehog", trufflehog_json.FORMAT),
    ("yarn", yarn_audit_json.FORMAT),
    ("pip-audit", pip_audit_json.FORMAT),
    ("tfsec", tfsec_json.FORMAT),
    ("osv", osv_scanner_json.FORMAT),
    ("dependabot", github_dependabot_json.FORMAT),
    ("code-scanning", github_code_scanning_json.FORMAT),
    ("codescanning", github_code_scanning_json.FORMAT),
    ("prowler", prowler_ocsf_json.FORMAT),
)


@dataclass(frozen=True)
class FormatInfo:
    """What ``cnsmm formats`` says about one format."""

    name: str
    tool: str
    kinds: str
    """Report kinds it yields (image-scan, sca, sast, ...)."""
    versions: str
    detection: str


# name -> (tool, kinds)
_ABOUT = {
    "cnsmm-json": ("cnsmm", ReportKind.IAC_SCAN),
    "sarif": ("any SARIF 2.1.0 producer (Semgrep, CodeQL, Bandit, Checkov, gitleaks, Grype, ...)",
              "sast, sca, iac-scan, secret-scan, dast (from the tool)"),
    "cyclonedx-json": ("CycloneDX producers (Trivy, Grype, Syft, Dependency-Track, ...)", ReportKind.SBOM),
    "cyclonedx-xml": ("CycloneDX producers (Trivy, Grype, Syft, Dependency-Track, ...)", ReportKind.SBOM),
    "openvex-json": ("OpenVEX producers (vexctl, ...)", ReportKind.VEX),
    "cyclonedx-vex-json": ("CycloneDX VEX producers (Dependency-Track, ...)", ReportKind.VEX),
    "spdx-json": ("SPDX producers (syft, Trivy, GitHub dependency graph, ...)", ReportKind.SBOM),
    "trivy-json": ("Trivy", "image-scan, sca, iac-scan, secret-scan"),
    "grype-json": ("Grype", "image-scan, sca"),
    "neuvector-json": ("NeuVector (standalone scanner and REST API scan reports)", "image-scan, compliance"),
    "twistcli-json": ("Prisma Cloud Compute / Twistlock (twistcli images scan, Console image list)",
                      "image-scan, compliance"),
    "harbor-json": ("Harbor (vulnerability additions of an artifact; Trivy or another scanner adapter)",
                    ReportKind.IMAGE_SCAN),
    "zap-json": ("OWASP ZAP", ReportKind.DAST),
    "zap-xml": ("OWASP ZAP", ReportKind.DAST),
    "kubescape-json": ("kubescape", "compliance, iac-scan"),
    "kube-bench-json": ("kube-bench", "compliance"),
    "checkov-json": ("Checkov", "iac-scan, sca, secret-scan"),
    "gitleaks-json": ("gitleaks", ReportKind.SECRET_SCAN),
    "falco-json": ("Falco", "runtime"),
    "npm-audit-json": ("npm audit", ReportKind.SCA),
    "yarn-audit-json": ("yarn audit (Yarn 1)", ReportKind.SCA),
    "pip-audit-json": ("pip-audit", ReportKind.SCA),
    "osv-scanner-json": ("OSV-Scanner", ReportKind.SCA),
    "semgrep-json": ("Semgrep", ReportKind.SAST),
    "sonarqube-json": ("SonarQube / SonarCloud web API (issues and security hotspots)", ReportKind.SAST),
    "bandit-json": ("Bandit", ReportKind.SAST),
    "gosec-json": ("gosec", ReportKind.SAST),
    "kube-linter-json": ("kube-linter", ReportKind.IAC_SCAN),
    "kube-score-json": ("kube-score", ReportKind.IAC_SCAN),
    "polaris-json": ("Polaris", "compliance, iac-scan"),
    "popeye-json": ("Popeye", "compliance"),
    "prowler-ocsf-json": ("Prowler (JSON-OCSF: AWS, Azure, GCP, Kubernetes, ...)", "compliance"),
    "kube-hunter-json": ("kube-hunter", ReportKind.PENTEST),
    "kics-json": ("KICS", ReportKind.IAC_SCAN),
    "tfsec-json": ("tfsec", ReportKind.IAC_SCAN),
    "hadolint-json": ("hadolint", ReportKind.IAC_SCAN),
    "detect-secrets-json": ("detect-secrets", ReportKind.SECRET_SCAN),
    "trufflehog-json": ("TruffleHog", ReportKind.SECRET_SCAN),
    "github-dependabot-json": ("GitHub Dependabot alerts (REST API)", ReportKind.SCA),
    "github-code-scanning-json": ("GitHub code scanning alerts (REST API: CodeQL and SARIF uploads)", ReportKind.SAST),
    "gitlab-sast-json": ("GitLab SAST analyzers (Semgrep, SpotBugs, ...)", ReportKind.SAST),
    "gitlab-dependency-scanning-json": ("GitLab Dependency Scanning (Gemnasium)", ReportKind.SCA),
    "gitlab-container-scanning-json": ("GitLab Container Scanning (Trivy)", ReportKind.IMAGE_SCAN),
    "gitlab-secret-detection-json": ("GitLab Secret Detection", ReportKind.SECRET_SCAN),
    "gitlab-dast-json": ("GitLab DAST (ZAP, browser-based DAST)", ReportKind.DAST),
    "trivy-operator-vulnerability": ("Trivy Operator VulnerabilityReport", ReportKind.IMAGE_SCAN),
    "trivy-operator-config-audit": ("Trivy Operator ConfigAuditReport", "compliance"),
    "trivy-operator-exposed-secret": ("Trivy Operator ExposedSecretReport", ReportKind.SECRET_SCAN),
    "trivy-operator-rbac-assessment": ("Trivy Operator RbacAssessmentReport", "compliance"),
    "trivy-operator-cluster-compliance": ("Trivy Operator ClusterComplianceReport", "compliance"),
}


def format_infos() -> list[FormatInfo]:
    """Every format, in detection order."""
    out = []
    for fmt, module in FORMATS.items():
        tool, kinds = _ABOUT.get(fmt, (fmt, ReportKind.SCAN))
        detection = " ".join((module.sniff.__doc__ or "").split())
        hints = [hint for hint, f in _NAME_HINTS if f == fmt]
        if hints:
            detection += f" Empty reports: a file name containing {' or '.join(hints)}."
        out.append(FormatInfo(fmt, tool, str(kinds), str(getattr(module, "VERSIONS", "")), detection))
    return out


def detect_format(head: bytes, name: str) -> str | None:
    """The format of a report from its first bytes and its file name, or ``None``."""
    for fmt, module in FORMATS.items():
        if module.sniff(head):
            return fmt
    lowered = name.lower()
    stripped = head.strip()
    if stripped in (b"", b"[]", b"null"):
        for hint, fmt in _NAME_HINTS:
            if hint in lowered:
                return fmt
    if lowered.endswith(".sarif") or lowered.endswith(".sarif.json"):
        return sarif.FORMAT
    return None


def open_report(path: str | Path, *, format: str | None = None) -> ImportedReport:
    """Open, recognise and parse a report file.

    Raises ``InputNotFoundError`` when the file does not exist and ``ReportParseError``
    (file name first) when the format is unknown or the header is malformed. The file stays
    open until ``findings`` is exhausted or dropped.
    """
    path = Path(path)
    source = str(path)
    if format is not None and format not in FORMATS:
        raise ReportParseError(
            f"{source}: unknown report format {format!r}", hint=f"Use one of: {', '.join(sorted(FORMATS))}"
        )
    try:
        stream = path.open("rb")
    except FileNotFoundError:
        raise InputNotFoundError(f"{source}: no such file", hint="Check the path of the report") from None
    except IsADirectoryError:
        raise ReportParseError(f"{source}: is a directory, not a report file",
                               hint="Pass the report files themselves") from None
    except OSError as exc:
        raise ReportParseError(f"{source}: cannot read ({exc.strerror})") from None
    try:
        head = stream.read(HEAD_SIZE)
        stream.seek(0)
        fmt = format or _detect(stream, head, path.name)
        if fmt is None:
            raise ReportParseError(
                f"{source}: unknown report format ({_describe(head)})",
                hint=f"Known formats: {', '.join(sorted(FORMATS))} (`cnsmm formats` lists the versions each "
                     "reads). Force one with --format NAME",
            )
        report: ImportedReport = FORMATS[fmt].parse(stream, source=source)
    except BaseException:
        stream.close()
        raise
    report.findings = _Closing(report.findings, stream)
    return report


def _detect(stream: IO[bytes], head: bytes, name: str) -> str | None:
    """The format from the head, from the whole stream for the formats that need it, or from
    the windows past the head; the stream is left at its start."""
    fmt = detect_format(head, name)
    if fmt is None:
        return _detect_further(stream, head)
    if len(head) == HEAD_SIZE:
        for module in _DECIDED_LATE.get(fmt, ()):
            if module.sniff_stream(stream):
                return str(module.FORMAT)
    return fmt


def _detect_further(stream: IO[bytes], head: bytes) -> str | None:
    """Detection past the first 64 KiB for JSON and XML text: each next window (with the head
    and an overlap, so that a key cut in two is still seen), as far as the end of the file;
    memory stays at one window."""
    if len(head) < HEAD_SIZE or head.lstrip()[:1] not in (b"{", b"[", b"<"):
        return None
    try:
        stream.seek(HEAD_SIZE)
        previous = head[-4096:]
        while True:
            chunk = stream.read(_WINDOW)
            if not chunk:
                break
            window = head + previous + chunk
            for fmt, module in FORMATS.items():
                if module.sniff(window):
                    return fmt
            previous = chunk[-4096:]
        return None
    finally:
        stream.seek(0)


def _describe(head: bytes) -> str:
    if not head.strip():
        return "the file is empty"
    if head.strip() == b"null":
        return "the file holds only JSON null, not a report: the tool probably wrote nothing"
    if b"\x00" in head[:1024]:
        return "binary data or UTF-16 text, not a JSON or XML report"
    start = head.lstrip()[:1]
    if start in (b"{", b"["):
        return "JSON, but no known tool's report shape"
    if start == b"<":
        return "XML, but no known tool's report shape"
    return "neither JSON nor XML"


class _Closing(Iterator[Finding]):
    """Iterates the findings and closes the file when done, on error, or when dropped."""

    def __init__(self, findings: Iterator[Finding], stream: IO[bytes]) -> None:
        self._findings = findings
        self._stream = stream

    def __iter__(self) -> _Closing:
        return self

    def __next__(self) -> Finding:
        try:
            return next(self._findings)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Close the report file; further iteration ends."""
        close = getattr(self._findings, "close", None)
        if close is not None:
            close()
        self._stream.close()

    def __del__(self) -> None:
        self._stream.close()
