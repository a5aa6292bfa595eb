"""Every format: its samples import with the right count, and a valid report with one bad
item imports the others and names the bad one (position and why)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cnsmm.importers import FORMATS, format_infos, open_report

from .conftest import SAMPLES

# sample -> (format, findings)
COUNTS = {
    "hadolint-json/Dockerfile.hadolint.json": ("hadolint-json", 4),
    "bandit-json/bandit.json": ("bandit-json", 3),
    "gosec-json/gosec.json": ("gosec-json", 2),  # the third is #nosec
    "semgrep-json/semgrep.json": ("semgrep-json", 2),  # the third is ignored (nosemgrep)
    "kube-linter-json/kube-linter.json": ("kube-linter-json", 2),
    "tfsec-json/tfsec.json": ("tfsec-json", 2),  # the third passed
    "kics-json/results.json": ("kics-json", 3),
    "trufflehog-json/trufflehog.jsonl": ("trufflehog-json", 2),
    "detect-secrets-json/.secrets.baseline": ("detect-secrets-json", 2),  # one audited as not a secret
    "kube-score-json/kube-score.json": ("kube-score-json", 2),
    "polaris-json/audit.json": ("polaris-json", 2),
    "popeye-json/popeye.json": ("popeye-json", 4),
    "kube-hunter-json/kube-hunter.json": ("kube-hunter-json", 2),
    "pip-audit-json/pip-audit.json": ("pip-audit-json", 3),
    "osv-scanner-json/osv.json": ("osv-scanner-json", 2),
    "npm-audit-json/npm7.json": ("npm-audit-json", 1),  # express-helper is affected through lodash
    "npm-audit-json/npm6.json": ("npm-audit-json", 1),
    "yarn-audit-json/yarn-audit.jsonl": ("yarn-audit-json", 2),  # one advisory repeated per path
    "trivy-json/image.json": ("trivy-json", None),
    "gitlab-sast-json/gl-sast-report.json": ("gitlab-sast-json", 2),
    "gitlab-dependency-scanning-json/gl-dependency-scanning-report.json": ("gitlab-dependency-scanning-json", 2),
    "gitlab-container-scanning-json/gl-container-scanning-report.json": ("gitlab-container-scanning-json", 2),
    "gitlab-secret-detection-json/gl-secret-detection-report.json": ("gitlab-secret-detection-json", 2),
    "gitlab-dast-json/gl-dast-report.json": ("gitlab-dast-json", 2),
    "trivy-operator-vulnerability/vulnerabilityreports.yaml": ("trivy-operator-vulnerability", 2),
    "trivy-operator-config-audit/configauditreports.json": ("trivy-operator-config-audit", 2),  # one passed
    "trivy-operator-exposed-secret/exposedsecretreports.yaml": ("trivy-operator-exposed-secret", 1),
    "trivy-operator-rbac-assessment/rbacassessmentreports.json": ("trivy-operator-rbac-assessment", 2),
    "trivy-operator-cluster-compliance/clustercompliancereports.yaml": ("trivy-operator-cluster-compliance", 2),
    "cyclonedx-xml/grype-1.2-vuln-ext.xml": ("cyclonedx-xml", 3),
    "github-dependabot-json/alerts.json": ("github-dependabot-json", 2),  # one dismissed, one fixed
    "github-code-scanning-json/alerts-paginated.json": ("github-code-scanning-json", 2),  # two pages, one dismissed
    "sonarqube-json/issues-10.json": ("sonarqube-json", 2),  # a code smell without security impact, a false positive
    "sonarqube-json/hotspots.json": ("sonarqube-json", 1),  # one reviewed as safe
    "harbor-json/additions-vulnerabilities.json": ("harbor-json", 3),
    "harbor-json/adapter-1.0.json": ("harbor-json", 1),
    "neuvector-json/scan_result.json": ("neuvector-json", 3),  # two vulnerabilities, one benchmark warning
    "neuvector-json/workload-4.x.json": ("neuvector-json", 1),
    "twistcli-json/twistcli-images-scan.json": ("twistcli-json", 4),  # three vulnerabilities, one compliance issue
    "prowler-ocsf-json/prowler-output-v5.ocsf.json": ("prowler-ocsf-json", 2),  # one muted, one passed
    "prowler-ocsf-json/prowler-3.ocsf.json": ("prowler-ocsf-json", 1),
    "spdx-json/syft-image-2.3.spdx.json": ("spdx-json", 0),
    "gitleaks-json/gitleaks-7.json": ("gitleaks-json", 1),
    "falco-json/k8s-audit.jsonl": ("falco-json", 2),
    "npm-audit-json/yarn3-npm-audit.json": ("npm-audit-json", 1),  # Yarn 2/3 write npm 6's advisories
    "trufflehog-json/docker-with-log-lines.jsonl": ("trufflehog-json", 1),  # its JSON log lines are not secrets
    "popeye-json/popeye-0.11.json": ("popeye-json", 3),  # "sanitizers" before Popeye 0.20 (0 findings before)
    "yarn-audit-json/yarn4-npm-audit.jsonl": ("yarn-audit-json", 3),  # minimist in two versions; a deprecation
    "zap-json/zap-2.7-single-site.json": ("zap-json", 3),
    "gitleaks-json/gitleaks-legacy-no-line-number.json": ("gitleaks-json", 1),  # lower-case keys, no lineNumber
    "osv-scanner-json/osv-early-packagesource.json": ("osv-scanner-json", 1),  # packageSource, no groups
    # the cluster-scoped kind (ClusterRoles); one check passed
    "trivy-operator-rbac-assessment/clusterrbacassessmentreports.yaml": ("trivy-operator-rbac-assessment", 2),
    "npm-audit-json/npm-7.0-npmjs-advisories.json": ("npm-audit-json", 3),  # npmjs.com advisory numbers
    # reportType summary (the default): controls with totalFail > 0; one passed, one manual
    "trivy-operator-cluster-compliance/summary-report.json": ("trivy-operator-cluster-compliance", 2),  # one site as an object, ZAP 2.7
    "gosec-json/gosec-2.4-suppressions.json": ("gosec-json", 1),  # the other is suppressed in the source  # an inventory: no findings
    "openvex-json/shop-web.openvex.json": ("openvex-json", 0),  # statements, applied to findings in the store
    "cyclonedx-vex-json/shop-web.vex.cdx.json": ("cyclonedx-vex-json", 0),
}


@pytest.mark.parametrize("sample", sorted(COUNTS))
def test_sample_is_detected_and_counted(sample: str) -> None:
    fmt, count = COUNTS[sample]
    report = open_report(SAMPLES / sample)
    findings = list(report.findings)
    assert report.format == fmt
    assert not report.errors, list(map(str, report.errors))
    if count is not None:
        assert len(findings) == count


def _json(mutate: Callable[[Any], None]) -> Callable[[str], str]:
    def apply(text: str) -> str:
        doc = json.loads(text)
        mutate(doc)
        return json.dumps(doc)

    return apply


def _set(path: list[Any], key: str, value: Any) -> Callable[[Any], None]:
    def mutate(doc: Any) -> None:
        for step in path:
            doc = doc[step]
        if value is _DROP:
            del doc[key]
        else:
            doc[key] = value

    return mutate


_DROP = object()


def _lines(n: int, old: str, new: str) -> Callable[[str], str]:
    def apply(text: str) -> str:
        lines = text.splitlines()
        assert old in lines[n]
        lines[n] = lines[n].replace(old, new, 1)
        return "\n".join(lines) + "\n"

    return apply


# format -> (sample, mutation that breaks exactly one item, findings left, pointer of the bad item, reason)
BAD: dict[str, tuple[str, Callable[[str], str], int, str, str]] = {
    "trivy-json": ("trivy-json/legacy-array.json", _json(_set([0, "Vulnerabilities", 1], "VulnerabilityID", _DROP)),
                   1, "/0/Vulnerabilities/1", "missing VulnerabilityID"),
    "grype-json": ("grype-json/image.json", _json(_set(["matches", 0], "artifact", _DROP)), -1, "/matches/0",
                   "missing artifact"),
    "sarif": ("sarif/multi-location-cwe.sarif", _json(_set(["runs", 0, "results", 1], "locations", 7)), 3,
              "/runs/0/results/1", "locations must be an array (got number)"),
    "cnsmm-json": ("cnsmm-json/scan.json", _json(_set(["findings", 0], "rule", _DROP)), -1, "/findings/0",
                   "missing rule"),
    "cyclonedx-json": ("cyclonedx-json/image-1.5.json", _json(_set(["vulnerabilities", 0], "id", _DROP)), -1,
                       "/vulnerabilities/0", "missing id"),
    "cyclonedx-xml": ("cyclonedx-xml/grype-1.2-vuln-ext.xml",
                      lambda t: t.replace("<v:id>CVE-2022-0778</v:id>", ""), 2,
                      "/bom/components/component[1]/vulnerabilities/vulnerability[2]", "missing id"),
    "zap-json": ("zap-json/baseline.json", _json(_set(["site", 0, "alerts", 0], "riskcode", "9")), 2,
                 "/site/0/alerts/0", "riskcode must be 0, 1, 2 or 3"),
    "zap-xml": ("zap-xml/baseline.xml", lambda t: t.replace("<riskcode>", "<riskcode>9", 1), -1,
                "/OWASPZAPReport/site[1]/alerts/alertitem[1]", "riskcode must be 0, 1, 2 or 3"),
    "kubescape-json": ("kubescape-json/cluster.json", _json(_set(["results", 0], "controls", {})), 1,
                       "/results/0", "controls must be an array (got object)"),
    "kube-bench-json": ("kube-bench-json/master.json",
                        _json(_set(["Controls", 0, "tests", 0, "results", 1], "status", _DROP)), -1,
                        "/Controls/0/tests/0/results/1", "missing status"),
    "checkov-json": ("checkov-json/kubernetes.json", _json(_set(["results", "failed_checks", 0], "check_id", _DROP)),
                     -1, "/results/failed_checks/0", "missing check_id"),
    "gitleaks-json": ("gitleaks-json/leaks.json", _json(_set([0], "RuleID", _DROP)), -1, "/0", "missing RuleID"),
    "falco-json": ("falco-json/alerts.jsonl", _lines(0, '"priority"', '"priority_"'), -1, "line 1", "missing priority"),
    "hadolint-json": ("hadolint-json/Dockerfile.hadolint.json", _json(_set([1], "code", _DROP)), 3, "/1",
                      "missing code"),
    "bandit-json": ("bandit-json/bandit.json", _json(_set(["results", 2], "test_id", _DROP)), 2, "/results/2",
                    "missing test_id"),
    "gosec-json": ("gosec-json/gosec.json", _json(_set(["Issues", 0], "rule_id", _DROP)), 1, "/Issues/0",
                   "missing rule_id"),
    "semgrep-json": ("semgrep-json/semgrep.json", _json(_set(["results", 1], "path", _DROP)), 1, "/results/1",
                     "missing path"),
    "kube-linter-json": ("kube-linter-json/kube-linter.json", _json(_set(["Reports", 0], "Check", _DROP)), 1,
                         "/Reports/0", "missing Check"),
    "tfsec-json": ("tfsec-json/tfsec.json", _json(_set(["results", 0], "rule_id", _DROP)), 1, "/results/0",
                   "missing rule_id"),
    "kics-json": ("kics-json/results.json", _json(_set(["queries", 0, "files", 1], "file_name", _DROP)), 1,
                  "/queries/0/files/1", "missing file_name"),
    "trufflehog-json": ("trufflehog-json/trufflehog.jsonl", _lines(1, '"DetectorName"', '"Detector"'), 1, "line 2",
                        "missing DetectorName"),
    "detect-secrets-json": ("detect-secrets-json/.secrets.baseline",
                            _json(_set(["results", "config/settings.py", 0], "type", _DROP)), 1,
                            "/results/config~1settings.py/0", "missing type"),
    "kube-score-json": ("kube-score-json/kube-score.json", _json(_set([0], "checks", "none")), 0, "/0",
                        "checks must be an array (got string)"),
    "polaris-json": ("polaris-json/audit.json", _json(_set(["Results", 0], "PodResult", [])), 0, "/Results/0",
                     "PodResult must be an object (got array)"),
    "popeye-json": ("popeye-json/popeye.json", _json(_set(["popeye", "sections", 1], "issues", [])), 3,
                    "/popeye/sections/1", "issues must be an object (got array)"),
    "kube-hunter-json": ("kube-hunter-json/kube-hunter.json",
                         _json(_set(["vulnerabilities", 0], "severity", ["high"])), 1, "/vulnerabilities/0",
                         "severity must be a string (got array)"),
    "pip-audit-json": ("pip-audit-json/pip-audit.json", _json(_set(["dependencies", 0, "vulns", 1], "id", _DROP)), 1,
                       "/dependencies/0/vulns/1", "missing id"),
    "osv-scanner-json": ("osv-scanner-json/osv.json", _json(_set(["results", 0, "packages", 1], "package", {})), 1,
                         "/results/0/packages/1", "missing name"),
    "npm-audit-json": ("npm-audit-json/npm6.json", _json(_set(["advisories", "1179"], "module_name", _DROP)), 0,
                       "/advisories/1179/0", "missing module_name"),
    "yarn-audit-json": ("yarn-audit-json/yarn-audit.jsonl", _lines(2, '"module_name"', '"module"'), 1, "line 3",
                        "missing module_name"),
    "gitlab-sast-json": ("gitlab-sast-json/gl-sast-report.json",
                         _json(_set(["vulnerabilities", 1], "identifiers", "CWE-327")), 1, "/vulnerabilities/1",
                         "identifiers must be an array (got string)"),
    "gitlab-dependency-scanning-json": ("gitlab-dependency-scanning-json/gl-dependency-scanning-report.json",
                                        _json(_set(["vulnerabilities", 0], "location", [])), 1, "/vulnerabilities/0",
                                        "location must be an object (got array)"),
    "gitlab-container-scanning-json": ("gitlab-container-scanning-json/gl-container-scanning-report.json",
                                       _json(_set(["vulnerabilities", 1], "severity", ["High"])), 1, "/vulnerabilities/1",
                                       "severity must be a string (got array)"),
    "gitlab-secret-detection-json": ("gitlab-secret-detection-json/gl-secret-detection-report.json",
                                     _json(_set(["vulnerabilities", 0, "identifiers", 0], "value", [])), 1,
                                     "/vulnerabilities/0", "value must be a string (got array)"),
    "gitlab-dast-json": ("gitlab-dast-json/gl-dast-report.json",
                         _json(_set(["vulnerabilities", 1, "identifiers"], 0, "10011")), 1,
                         "/vulnerabilities/1/identifiers/0", "identifier must be an object (got string)"),
    "trivy-operator-vulnerability": ("trivy-operator-vulnerability/vulnerabilityreports.yaml",
                                     lambda t: t.replace("- vulnerabilityID: CVE-2023-5363", "- vulnID: CVE-2023-5363"),
                                     1, "/items/0/report/vulnerabilities/1", "missing vulnerabilityID"),
    "trivy-operator-config-audit": ("trivy-operator-config-audit/configauditreports.json",
                                    _json(_set(["items", 0, "report", "checks", 1], "checkID", _DROP)), 1,
                                    "/items/0/report/checks/1", "missing checkID"),
    "trivy-operator-exposed-secret": ("trivy-operator-exposed-secret/exposedsecretreports.yaml",
                                      lambda t: t.replace("ruleID: aws-access-key-id", "rule: aws-access-key-id"), 0,
                                      "/items/0/report/secrets/0", "missing ruleID"),
    "trivy-operator-rbac-assessment": ("trivy-operator-rbac-assessment/rbacassessmentreports.json",
                                       _json(_set(["items", 1], "report", "none")), 1, "/items/1",
                                       "report must be an object (got string)"),
    "trivy-operator-cluster-compliance": ("trivy-operator-cluster-compliance/clustercompliancereports.yaml",
                                          lambda t: t.replace('      - id: "5.2.2"', '      - ident: "5.2.2"'), 1,
                                          "/items/0/status/detailReport/results/0", "missing id"),
    "github-dependabot-json": ("github-dependabot-json/alerts.json",
                               _json(_set([0, "security_vulnerability", "package"], "name", _DROP)), 1, "/0",
                               "missing name"),
    "github-code-scanning-json": ("github-code-scanning-json/alerts-paginated.json",
                                  lambda t: t.replace('"state": "open",\n    "rule": {\n      "id": "CKV_K8S_20"',
                                                      '"state": ["open"],\n    "rule": {\n      "id": "CKV_K8S_20"'),
                                  1, "/page2/0", "state must be a string (got array)"),
    "sonarqube-json": ("sonarqube-json/issues-10.json", _json(_set(["issues", 0], "rule", _DROP)), 1, "/issues/0",
                       "missing rule"),
    "harbor-json": ("harbor-json/additions-vulnerabilities.json",
                    _json(_set(["application/vnd.security.vulnerability.report; version=1.1", "vulnerabilities", 1],
                               "package", _DROP)), 2,
                    "/application~1vnd.security.vulnerability.report; version=1.1/vulnerabilities/1", "missing package"),
    "neuvector-json": ("neuvector-json/scan_result.json", _json(_set(["report", "vulnerabilities", 0], "name", _DROP)),
                       2, "/report/vulnerabilities/0", "missing name"),
    "twistcli-json": ("twistcli-json/twistcli-images-scan.json",
                      _json(_set(["results", 0, "vulnerabilities", 2], "packageName", _DROP)), 3,
                      "/results/0/vulnerabilities/2", "missing packageName"),
    "openvex-json": ("openvex-json/shop-web.openvex.json", _json(_set(["statements", 2], "status", "wontfix")), 3,
                     "/statements/2", "status must be one of not_affected, affected, fixed, under_investigation"),
    "cyclonedx-vex-json": ("cyclonedx-vex-json/shop-web.vex.cdx.json",
                           _json(_set(["vulnerabilities", 1], "id", _DROP)), 2, "/vulnerabilities/1", "missing id"),
    "spdx-json": ("spdx-json/syft-image-2.3.spdx.json", _json(_set(["packages", 1], "name", _DROP)), 1,
                  "/packages/1", "missing name"),
    "prowler-ocsf-json": ("prowler-ocsf-json/prowler-output-v5.ocsf.json", _json(_set([3], "status_code", _DROP)), 1,
                          "/3", "missing status_code"),
}


INVENTORIES = {"spdx-json"}
"""Formats that yield components, not findings: the bad item is a component."""
VEX = {"openvex-json", "cyclonedx-vex-json"}
"""Formats that yield VEX statements, not findings: the bad item is a statement."""


def _items(fmt: str, report: Any) -> int:
    found = len(list(report.findings))
    if fmt in INVENTORIES:
        return len(report.components)
    if fmt in VEX:
        return len(report.vex)
    return found


def test_every_format_has_a_bad_item_case() -> None:
    assert set(BAD) == set(FORMATS)


@pytest.mark.parametrize("fmt", sorted(BAD))
def test_one_bad_item_is_listed_and_the_rest_imported(fmt: str, tmp_path: Path) -> None:
    sample, mutate, left, pointer, reason = BAD[fmt]
    source = SAMPLES / sample
    whole = open_report(source, format=fmt)
    complete = _items(fmt, whole)
    path = tmp_path / source.name
    path.write_text(mutate(source.read_text(encoding="utf-8")), encoding="utf-8")
    report = open_report(path, format=fmt)
    findings = [None] * _items(fmt, report)
    assert [(e.pointer, e.reason[: len(reason)]) for e in report.errors] == [(pointer, reason)]
    expected = complete - 1 if left == -1 else left
    assert len(findings) == expected
    assert len(findings) < complete


def test_formats_command_lists_every_format() -> None:
    infos = format_infos()
    assert [i.name for i in infos] == list(FORMATS)
    assert all(i.versions and i.detection and i.tool for i in infos)


@pytest.mark.parametrize(("sample", "scope"), [
    ("checkov-json/kubernetes.json", "checkov:project"),
    ("gitleaks-json/leaks.json", "gitleaks:project"),
    ("kube-bench-json/master.json", "nodes:master"),
    ("falco-json/alerts.jsonl", "falco:project"),
    ("pip-audit-json/pip-audit.json", "pip-audit:project"),
])
def test_scope_never_comes_from_the_file_name(sample: str, scope: str, tmp_path: Path) -> None:
    # A CI artefact named per run is the same stream every run: scan N+1 can close what scan N saw.
    source = SAMPLES / sample
    scopes = set()
    for name in (source.name, f"run-1234-{source.name}", f"other-{source.name}"):
        copy = tmp_path / name
        copy.write_bytes(source.read_bytes())
        scopes.add(open_report(copy).scope)
    assert scopes == {scope}


def test_older_layouts_map_their_fields() -> None:
    (leak,) = open_report(SAMPLES / "gitleaks-json/gitleaks-7.json").findings
    assert (leak.rule, leak.title, leak.location.file, leak.location.line) == (
        "aws-secret-key", "AWS Secret Key", "deploy/aws.env", 14)
    (issue,) = open_report(SAMPLES / "gosec-json/gosec-2.4-suppressions.json").findings
    assert (issue.rule, issue.location.line, issue.cwe) == ("G201", 57, ("CWE-89",))  # a range: its first line


def test_trufflehog_docker_source_names_the_image() -> None:
    (secret,) = open_report(SAMPLES / "trufflehog-json/docker-with-log-lines.jsonl").findings
    assert (secret.location.image, secret.location.file, secret.severity.value) == (
        "registry.example.com/shop/api:2.4.0", "/app/.env", "critical")


def test_falco_kubernetes_audit_alerts_name_the_object() -> None:
    found = [f.location.resource for f in open_report(SAMPLES / "falco-json/k8s-audit.jsonl").findings]
    assert found == ["pods/shop/web-7d9c5b8f6-x2kqp", "clusterrolebindings/ci-bot-admin"]


@pytest.mark.parametrize(("name", "text", "fmt"), [
    ("trivy.json", '{"SchemaVersion": 2, "ArtifactName": "alpine:3.20", "ArtifactType": "container_image", '
                   '"Metadata": {}, "Results": null}', "trivy-json"),
    ("grype.json", '{"matches": null, "source": {"type": "image", "target": {"userInput": "alpine:3.20"}}, '
                   '"descriptor": {"name": "grype", "version": "0.84.0"}}', "grype-json"),
    ("bom.json", '{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": null, "vulnerabilities": null}',
     "cyclonedx-json"),
])
def test_go_nil_slices_read_as_empty(name: str, text: str, fmt: str, tmp_path: Path) -> None:
    # Go writes a nil slice as null: a scan that found nothing, not a malformed report.
    path = tmp_path / name
    path.write_text(text)
    report = open_report(path)
    assert report.format == fmt and list(report.findings) == [] and not report.errors


def test_npm_7_0_npmjs_advisory_numbers() -> None:
    found = list(open_report(SAMPLES / "npm-audit-json/npm-7.0-npmjs-advisories.json").findings)
    assert [(f.rule, f.component, f.installed_version) for f in found] == [
        ("npm:1179", "minimist", "<0.2.1 || >=1.0.0 <1.2.3"),
        ("npm:1316", "handlebars", "<3.0.8 || >=4.0.0 <4.5.2"),
        ("npm:1324", "handlebars", "<3.0.8 || >=4.0.0 <4.5.3")]


def test_cluster_scoped_trivy_operator_kinds_are_detected(tmp_path: Path) -> None:
    source = SAMPLES / "trivy-operator-vulnerability/vulnerabilityreports.yaml"
    cluster = tmp_path / "clustervulnerabilityreports.yaml"
    cluster.write_text(source.read_text().replace("kind: VulnerabilityReport", "kind: ClusterVulnerabilityReport"))
    report = open_report(cluster)
    assert report.format == "trivy-operator-vulnerability"
    assert len(list(report.findings)) == 2 and not report.errors


def test_compliance_summary_report_names_a_bad_control(tmp_path: Path) -> None:
    source = SAMPLES / "trivy-operator-cluster-compliance/summary-report.json"
    bad = tmp_path / "compliance.json"
    bad.write_text(source.read_text().replace('"severity": "HIGH", "totalFail": 1', '"severity": "HIGH", "totalFail": "one"'))
    report = open_report(bad)
    assert [f.rule for f in report.findings] == ["k8s-nsa-1.0:1.0"]
    assert [(e.pointer, e.reason) for e in report.errors] == [
        ("/items/0/status/summaryReport/controlCheck/2", "totalFail must be an integer (got string 'one')")]


def test_semgrep_run_errors_mark_the_import_partial() -> None:
    # An invalid rule (exit code 7) stops part of the scan: the report's one result is read, and
    # the import is partial, so that findings of the rules that did not run are not closed.
    report = open_report(SAMPLES / "semgrep-json/invalid-rule-run.json")
    assert [f.rule for f in report.findings] == [
        "python.lang.security.audit.insecure-hash-algorithms.insecure-hash-algorithm-md5"]
    assert [(e.pointer, e.reason) for e in report.errors] == [(
        "/errors/1", "Semgrep reported an error (InvalidRuleSchemaError: Invalid rule schema --> "
        ".semgrep/shop-rules.yml:12 | pattern-either must be a list): the scan did not run completely")]


def test_hadolint_levels(tmp_path: Path) -> None:
    path = tmp_path / "hadolint.json"
    path.write_text(json.dumps([
        {"code": code, "column": 1, "file": "Dockerfile", "level": level, "line": n, "message": code}
        for n, (code, level) in enumerate([("DL3002", "error"), ("DL3008", "warning"), ("DL3059", "info"),
                                           ("DL3045", "style")], 1)]))
    assert [(f.rule, f.severity.value) for f in open_report(path).findings] == [
        ("DL3002", "high"), ("DL3008", "medium"), ("DL3059", "low"), ("DL3045", "info")]


def _one_json_document(path: Path) -> bool:
    try:
        json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return False  # pages back to back (gh api --paginate)
    return True


_JSON_SAMPLES = sorted(p for d in SAMPLES.iterdir() if d.is_dir() and d.name in FORMATS for p in d.iterdir()
                       if p.suffix == ".json" and not p.name.startswith("empty") and _one_json_document(p))


@pytest.mark.parametrize("sample", _JSON_SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sample_with_keys_in_alphabetical_order_imports_the_same(sample: Path, tmp_path: Path) -> None:
    # Reports passed through `jq -S` (or written by a tool that sorts keys) put Trivy's
    # SchemaVersion, SARIF's version, Grype's descriptor, ... after the big arrays.
    fmt = sample.parent.name
    original = open_report(sample, format=fmt)
    expected = (fmt, len(list(original.findings)), len(original.errors), len(original.vex), len(original.components))
    path = tmp_path / sample.name
    path.write_text(json.dumps(json.loads(sample.read_text(encoding="utf-8")), sort_keys=True), encoding="utf-8")
    report = open_report(path)
    assert (report.format, len(list(report.findings)), len(report.errors), len(report.vex),
            len(report.components)) == expected


_EMPTY_SAMPLES = sorted(p for d in SAMPLES.iterdir() if d.is_dir() and d.name in FORMATS for p in d.iterdir()
                        if p.name.startswith("empty"))


@pytest.mark.parametrize("sample", _EMPTY_SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_empty_sample_imports_nothing_and_completely(sample: Path) -> None:
    report = open_report(sample, format=sample.parent.name)
    assert list(report.findings) == [] and not report.errors


def test_openvex_draft_statement() -> None:
    report = open_report(SAMPLES / "openvex-json/draft-0.0.2.json")
    assert list(report.findings) == [] and not report.errors
    assert [(v.vulnerability, v.status, v.products) for v in report.vex] == [
        ("CVE-2022-42003", "not_affected", ("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.2",))]


def test_bandit_files_it_could_not_analyse_make_the_import_partial(tmp_path: Path) -> None:
    doc = json.loads((SAMPLES / "bandit-json/bandit.json").read_text())
    doc["errors"] = [{"filename": "./app/legacy.py", "reason": "syntax error while parsing AST from file"}]
    path = tmp_path / "bandit.json"
    path.write_text(json.dumps(doc))
    report = open_report(path)
    assert len(list(report.findings)) == 3
    assert [(e.pointer, e.reason) for e in report.errors] == [
        ("/errors/0", "Bandit could not analyse ./app/legacy.py (syntax error while parsing AST from file)")]


def test_gitlab_failed_scan_makes_the_import_partial(tmp_path: Path) -> None:
    doc = json.loads((SAMPLES / "gitlab-sast-json/gl-sast-report.json").read_text())
    doc["scan"]["status"] = "failure"
    doc["scan"]["messages"] = [{"level": "info", "value": "Semgrep analyzer v5.12.0"},
                               {"level": "fatal", "value": "semgrep exited with status 2:   out of memory"}]
    path = tmp_path / "gl-sast-report.json"
    path.write_text(json.dumps(doc))
    report = open_report(path)
    assert len(list(report.findings)) == 2
    assert [(e.pointer, e.reason) for e in report.errors] == [
        ("/scan/status", "the analyzer reports the scan failed (semgrep exited with status 2: out of memory)")]
