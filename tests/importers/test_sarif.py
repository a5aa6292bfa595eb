"""SARIF 2.1.0 from Semgrep, CodeQL, Bandit, Checkov, gitleaks and kube-linter."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

from cnsmm.findings import Severity
from cnsmm.importers import sarif

from .conftest import Loaded, by_rule

HOSTILE = ('<script>alert("x")</script> **bold** [link](javascript:alert(1)) '
           '=HYPERLINK("http://evil.example","click") | pipe |')


def test_semgrep(load: Callable[..., Loaded]) -> None:
    report, findings = load("sarif/semgrep.sarif")
    assert (report.tool, report.tool_version, report.kind) == ("semgrep", "1.95.0", "sast")
    assert report.scope == "semgrep:project"
    assert len(findings) == 2  # the third result is suppressed in source
    sql, xss = findings
    assert sql.rule == "python.lang.security.audit.formatted-sql-query.formatted-sql-query"
    assert (sql.severity, sql.tool_severity) == (Severity.HIGH, "error")  # from defaultConfiguration
    assert sql.cwe == ("CWE-89",)
    assert (sql.location.file, sql.location.line, sql.location.column) == ("services/orders/db.py", 42, 5)
    assert sql.tool_fingerprint and sql.tool_fingerprint.startswith("matchBasedId/v1=4f9a1c0e")
    assert xss.title == HOSTILE and xss.message == HOSTILE
    assert xss.severity is Severity.MEDIUM and xss.cwe == ("CWE-79",)


def test_codeql_rules_in_extensions_and_security_severity(load: Callable[..., Loaded]) -> None:
    report, findings = load("sarif/codeql.sarif")
    assert (report.tool, report.tool_version) == ("codeql", "2.19.3")
    assert report.scope == "codeql:/language:python"  # automationDetails category
    f = by_rule(findings)
    sql = f["py/sql-injection"]
    assert (sql.severity, sql.tool_severity) == (Severity.HIGH, "8.8")
    assert sql.cwe == ("CWE-89",) and sql.title == "SQL query built from user-controlled sources"
    assert sql.location.file == "services/orders/api.py"
    assert sql.tool_fingerprint == ("primaryLocationLineHash=e4b5c1c2a3a0d9f8:1;"
                                    "primaryLocationStartColumnFingerprint=19")
    log = f["py/clear-text-logging-sensitive-data"]
    assert log.location.file == "services/auth/login.py"  # absolute file: URI made relative to %SRCROOT%
    assert log.cwe == ("CWE-312", "CWE-359", "CWE-532")
    unused = f["py/unused-import"]  # rule found by ruleIndex into the extension's rules
    assert unused.severity is Severity.LOW and unused.location.file == "services/auth/util helpers.py"


def test_bandit_checkov_gitleaks_kube_linter(load: Callable[..., Loaded]) -> None:
    _, bandit = load("sarif/bandit.sarif")
    f = by_rule(bandit)
    assert f["B602"].severity is Severity.HIGH and f["B602"].cwe == ("CWE-78",)
    assert f["B602"].location.file == "app/jobs/export.py"  # "./" dropped
    assert f["B105"].severity is Severity.LOW
    report, checkov = load("sarif/checkov.sarif")
    assert report.kind == "iac-scan" and {x.category for x in checkov} == {"misconfiguration"}
    report, leaks = load("sarif/gitleaks.sarif")
    assert report.kind == "secret-scan" and report.tool_version == "v8.21.2"
    assert leaks[0].category == "secret" and leaks[0].severity is Severity.HIGH  # no level on a leak
    assert leaks[0].tool_fingerprint is None  # gitleaks' partialFingerprints hold author data, not identity
    _, linter = load("sarif/kube-linter.sarif")
    assert [x.location.resource for x in linter] == ["Deployment/shop/web", "DaemonSet/node-agent"]


def test_multi_run_and_empty(load: Callable[..., Loaded]) -> None:
    report, findings = load("sarif/multi-run.sarif")
    assert [x.rule for x in findings] == ["CKV_K8S_8", "CKV_DOCKER_2"]  # the "pass" result is dropped
    assert report.tool == "checkov"
    report, findings = load("sarif/empty.sarif")
    assert findings == [] and report.tool == "semgrep"


def _log(run: dict[str, object]) -> io.BytesIO:
    return io.BytesIO(json.dumps({"version": "2.1.0", "runs": [run]}).encode())


def test_results_before_tool_and_relative_base() -> None:
    # Key order as some producers write it: results first, tool last; uriBaseId with a relative base.
    run = {"results": [{"ruleId": "R1", "level": "warning", "message": {"text": "m"},
                        "properties": {"security-severity": "9.1"},
                        "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a%20b.py", "uriBaseId": "SRC"},
                                                            "region": {"startLine": 4}}}]}],
           "originalUriBaseIds": {"SRC": {"uri": "src/"}},
           "tool": {"driver": {"name": "Acme Analyzer", "version": "2.0", "rules": [{"id": "R1"}]}}}
    report = sarif.parse(_log(run), source="acme.sarif")
    (finding,) = list(report.findings)
    assert report.tool == "acme-analyzer" and report.tool_version == "2.0"
    assert finding.severity is Severity.CRITICAL and finding.tool_severity == "9.1"
    assert finding.location.file == "src/a b.py" and finding.location.line == 4


def test_message_from_rule_message_strings() -> None:
    run = {"tool": {"driver": {"name": "X", "rules": [{"id": "R", "messageStrings": {"default": {
        "text": "Variable {0} is tainted by {1}."}}}]}},
           "results": [{"ruleIndex": 0, "message": {"id": "default", "arguments": ["q", "request"]}}]}
    (finding,) = list(sarif.parse(_log(run), source="x.sarif").findings)
    assert finding.rule == "R" and finding.message == "Variable q is tainted by request."


def test_thousands_of_results_stream() -> None:
    results = [{"ruleId": f"R{i % 7}", "level": "error", "message": {"text": f"m{i}"},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": f"f{i}.py"},
                                                    "region": {"startLine": i + 1}}}]} for i in range(5000)]
    run = {"tool": {"driver": {"name": "Semgrep OSS", "rules": []}}, "results": results}
    findings = list(sarif.parse(_log(run), source="big.sarif").findings)
    assert len(findings) == 5000 and findings[-1].location.line == 5000


def test_secret_scanner_message_never_carries_the_matched_value() -> None:
    run = {"tool": {"driver": {"name": "gitleaks", "rules": [{"id": "generic-api-key"}]}},
           "results": [{"ruleId": "generic-api-key", "message": {"text": "found key sk_live_ABCDEF123456 in app.py"},
                        "locations": [{"physicalLocation": {"artifactLocation": {"uri": "app.py"}, "region": {
                            "startLine": 2, "snippet": {"text": "sk_live_ABCDEF123456"}}}}]}]}
    (finding,) = list(sarif.parse(_log(run), source="leaks.sarif").findings)
    assert finding.message == "found key [redacted] in app.py"


def test_trivy_run_files_each_result_by_its_rule_kind(load: Callable[..., Loaded]) -> None:
    # One Trivy run holds vulnerabilities, misconfigurations and secrets; its rules say which
    # in their first tag. Only the vulnerability has a package.
    report, findings = load("sarif/trivy-image.sarif")
    assert (report.tool, report.tool_version, report.scope) == ("trivy", "0.57.1", "image:registry.example.com/shop/web")
    assert [(f.rule, f.category, f.component, f.installed_version, f.fixed_version, f.severity.value)
            for f in findings] == [
        ("CVE-2024-5535", "vulnerability", "libssl3", "3.0.14-1~deb12u1", "3.0.15-1~deb12u1", "low"),
        ("DS002", "misconfiguration", None, None, None, "high"),
        ("aws-access-key-id", "secret", None, None, None, "critical"),
    ]
    # The run names its image: the OS package's "file" is the image itself.
    assert [(f.location.file, f.location.image) for f in findings] == [
        (None, "registry.example.com/shop/web:1.8.2"), ("Dockerfile", "registry.example.com/shop/web:1.8.2"),
        ("app/.env", "registry.example.com/shop/web:1.8.2")]


def test_trivy_sarif_and_json_give_one_finding_for_one_vulnerability(load: Callable[..., Loaded]) -> None:
    from cnsmm.tracking.fingerprint import fingerprint

    sarif_report, sarif_findings = load("sarif/trivy-image.sarif")
    json_report, json_findings = load("trivy-json/image.json")
    (from_json,) = [f for f in json_findings if f.rule == "CVE-2024-5535"]
    assert sarif_report.scope == json_report.scope
    assert fingerprint(sarif_findings[0], sarif_report.scope) == fingerprint(from_json, json_report.scope)


def test_a_run_that_did_not_complete_makes_the_import_partial(tmp_path: Path) -> None:
    # SARIF 3.20.14: executionSuccessful false says the tool stopped early; its results are kept
    # and the import is marked partial, so that nothing is closed as fixed by an incomplete run.
    from cnsmm.importers import open_report

    from .conftest import SAMPLES

    doc = json.loads((SAMPLES / "sarif/codeql.sarif").read_text())
    complete = len(list(open_report(SAMPLES / "sarif/codeql.sarif").findings))
    doc["runs"][0]["invocations"] = [{"executionSuccessful": False, "toolExecutionNotifications": [
        {"level": "warning", "message": {"text": "Could not process some files due to syntax errors."}},
        {"level": "error", "message": {"text": "Out of memory while\n   evaluating queries."}}]}]
    path = tmp_path / "codeql.sarif"
    path.write_text(json.dumps(doc))
    report = open_report(path)
    assert len(list(report.findings)) == complete
    assert [(e.pointer, e.reason) for e in report.errors] == [(
        "/runs/0/invocations/0",
        "CodeQL reports that its run did not complete (executionSuccessful false: Out of memory while evaluating "
        "queries.)")]
