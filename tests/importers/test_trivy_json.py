"""Trivy JSON: image, filesystem, config, secret and k8s report shapes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from cnsmm.findings import Severity

from .conftest import Loaded, by_rule

HOSTILE = ('<script>alert("x")</script> **bold** [link](javascript:alert(1)) '
           '=HYPERLINK("http://evil.example","click") | pipe |')


def test_image_report(load: Callable[..., Loaded]) -> None:
    report, findings = load("trivy-json/image.json")
    assert (report.format, report.tool, report.tool_version) == ("trivy-json", "trivy", "0.67.2")
    assert report.scope == "image:registry.example.com/shop/web"  # tag dropped: the next build replaces it
    assert report.kind == "image-scan"
    assert report.generated_at == datetime(2026, 11, 20, 8, 14, 3, 482911, tzinfo=UTC)
    f = by_rule(findings)
    assert set(f) == {"CVE-2024-5535", "CVE-2023-45853", "CVE-2011-3374", "GHSA-952p-6rrq-rcjv", "aws-access-key-id"}
    ssl = f["CVE-2024-5535"]
    assert (ssl.severity, ssl.tool_severity) == (Severity.LOW, "LOW")
    assert (ssl.component, ssl.installed_version, ssl.fixed_version) == ("libssl3", "3.0.14-1~deb12u1",
                                                                        "3.0.15-1~deb12u1")
    assert ssl.location.image == "registry.example.com/shop/web:1.8.2"
    assert ssl.location.layer == "sha256:98b5f35ea9d3eca6ed1881b5fe5d1e02024e1450822879e4c13bb48c9386d0ad"
    assert ssl.location.file is None  # OS packages have no file of their own
    assert ssl.cwe == ("CWE-200",)
    assert ssl.references[0] == "https://avd.aquasec.com/nvd/cve-2024-5535"
    assert ssl.category == "vulnerability"
    assert f["CVE-2011-3374"].severity is Severity.INFO  # UNKNOWN
    assert f["CVE-2023-45853"].fixed_version is None and f["CVE-2023-45853"].aliases == ("DLA-3980-1",)
    node = f["GHSA-952p-6rrq-rcjv"]
    assert node.aliases == ("CVE-2024-4068",)
    assert node.location.file == "app/node_modules/braces/package.json"
    assert node.title == HOSTILE  # hostile strings come through as data
    secret = f["aws-access-key-id"]
    assert (secret.category, secret.severity) == ("secret", Severity.CRITICAL)
    assert (secret.location.file, secret.location.line) == ("/app/config/.env.production", 4)


def test_filesystem_report(load: Callable[..., Loaded]) -> None:
    report, findings = load("trivy-json/fs.json")
    assert report.scope == "filesystem:." and report.kind == "sca" and report.tool_version is None
    f = by_rule(findings)
    assert f["CVE-2024-29041"].location.file == "services/cart/package-lock.json"
    assert f["CVE-2024-29041"].cwe == ("CWE-601", "CWE-1286")
    assert f["CVE-2024-35195"].fix == "Upgrade requests to 2.32.0."
    assert f["github-pat"].location.line == 12


def test_config_report_skips_passes(load: Callable[..., Loaded]) -> None:
    report, findings = load("trivy-json/config.json")
    assert report.kind == "iac-scan"
    f = by_rule(findings)
    assert set(f) == {"KSV001", "KSV017", "DS002"}  # KSV012 is a PASS
    assert (f["KSV017"].location.file, f["KSV017"].location.line) == ("k8s/web-deployment.yaml", 29)
    assert f["KSV017"].severity is Severity.HIGH and f["KSV017"].aliases == ("AVD-KSV-0017",)
    assert f["KSV001"].fix == "Set 'set containers[].securityContext.allowPrivilegeEscalation' to 'false'."
    assert f["DS002"].location.line is None


def test_k8s_report(load: Callable[..., Loaded]) -> None:
    report, findings = load("trivy-json/k8s.json")
    assert report.scope == "k8s:prod-eu-1"
    f = by_rule(findings)
    assert f["CVE-2024-2511"].location.resource == "Deployment/shop/web"
    assert f["CVE-2024-2511"].location.image == "nginx:1.25.4-alpine"
    assert f["KSV014"].location.resource == "Deployment/shop/web" and f["KSV014"].location.file is None
    assert f["KSV041"].location.resource == "ClusterRole/ci-deployer"  # cluster-scoped: no namespace


def test_empty_report(load: Callable[..., Loaded]) -> None:
    report, findings = load("trivy-json/empty.json")
    assert findings == [] and report.scope == "image:alpine"


def test_legacy_k8s_shape_and_version_after_results() -> None:
    import io
    import json

    from cnsmm.importers import trivy_json

    legacy = {"ClusterName": "staging", "Vulnerabilities": [
        {"Namespace": "shop", "Kind": "Deployment", "Name": "api", "Results": [
            {"Target": "python:3.12-slim (debian 12.7)", "Class": "os-pkgs", "Vulnerabilities": [
                {"VulnerabilityID": "CVE-2024-6345", "PkgName": "setuptools", "InstalledVersion": "68.1.2",
                 "Severity": "HIGH"}]}]}],
        "Misconfigurations": [
        {"Namespace": "shop", "Kind": "Deployment", "Name": "api", "Results": [
            {"Target": "Deployment/api", "Class": "config", "Misconfigurations": [
                {"ID": "KSV003", "Title": "Default capabilities not dropped", "Severity": "LOW", "Status": "FAIL"}]}]}]}
    report = trivy_json.parse(io.BytesIO(json.dumps(legacy).encode()), source="k8s-old.json")
    findings = list(report.findings)
    assert report.scope == "k8s:staging"
    assert [(f.rule, f.location.resource, f.location.image) for f in findings] == [
        ("CVE-2024-6345", "Deployment/shop/api", "python:3.12-slim"), ("KSV003", "Deployment/shop/api", None)]
    late = {"SchemaVersion": 2, "ArtifactName": "app:1", "ArtifactType": "container_image", "Results": [],
            "Trivy": {"Version": "0.68.0"}}
    assert trivy_json.parse(io.BytesIO(json.dumps(late).encode()), source="t.json").tool_version == "0.68.0"


def test_k8s_summary_report_and_a_resource_trivy_could_not_scan(load: Callable[..., Loaded]) -> None:
    # `trivy k8s --format json` writes the summary report by default: the resources under
    # "Findings". A resource Trivy could not scan carries "Error": the import says so (partial),
    # so that the resource's open findings are not closed as fixed.
    report, findings = load("trivy-json/k8s-summary.json")
    assert (report.format, report.scope) == ("trivy-json", "k8s:prod-eu-1")
    assert [(f.rule, f.location.resource) for f in findings] == [
        ("CVE-2024-2961", "StatefulSet/payments/ledger-db"), ("KSV012", "StatefulSet/payments/ledger-db"),
        ("KSV020", "StatefulSet/payments/ledger-db")]
    assert findings[0].location.image == "postgres:16.2"
    assert [(e.pointer, e.reason) for e in report.errors] == [(
        "/Findings/1", "Trivy could not scan Deployment/payments/gateway (scan error: unable to initialize a scanner: "
        "unable to initialize an image scanner: 4 errors occurred: registry.example.com/payments/gateway:3.1.0: "
        "unauthorized)")]
