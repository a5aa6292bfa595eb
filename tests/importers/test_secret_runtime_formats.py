"""gitleaks, Falco and cnsmm's own JSON."""

from __future__ import annotations

from collections.abc import Callable

from cnsmm.findings import Severity

from .conftest import Loaded


def test_gitleaks(load: Callable[..., Loaded]) -> None:
    report, findings = load("gitleaks-json/leaks.json")
    assert (report.tool, report.kind, report.scope) == ("gitleaks", "secret-scan", "gitleaks:project")
    aws, generic = findings
    assert (aws.rule, aws.location.file, aws.location.line, aws.location.column) == (
        "aws-access-token", "deploy/ci/env.sh", 7, 23)
    assert aws.severity is Severity.HIGH and aws.category == "secret"
    assert aws.tool_fingerprint is None  # gitleaks' Fingerprint includes the line number
    assert "commit 8d1f0c2b7a9e" in aws.message
    assert "dev@example.com" not in repr(aws)  # no author data
    assert generic.title.startswith('<script>alert("x")</script>')
    _, findings = load("gitleaks-json/empty.json", "gitleaks-json")
    assert findings == []


def test_falco(load: Callable[..., Loaded]) -> None:
    report, findings = load("falco-json/alerts.jsonl")
    assert (report.tool, report.kind) == ("falco", "runtime")
    shell, shadow, drift = findings
    assert (shell.rule, shell.severity, shell.tool_severity) == ("Terminal shell in container", Severity.LOW, "Notice")
    assert shell.location.resource == "Pod/shop/web-7d9c5b8f6-x2kqp"
    assert shell.location.image == "registry.example.com/shop/web:1.8.2"
    assert shell.aliases == ("T1059",) and shell.category == "runtime"
    assert shadow.severity is Severity.MEDIUM
    assert drift.severity is Severity.CRITICAL and drift.location.resource == "Node/ip-10-0-1-4"
    _, findings = load("falco-json/empty.jsonl", "falco-json")
    assert findings == []


def test_cnsmm_scan_output(load: Callable[..., Loaded]) -> None:
    report, findings = load("cnsmm-json/scan.json")
    assert (report.tool, report.tool_version, report.scope) == ("cnsmm", "0.1.0", "cnsmm:deploy/k8s")
    first = findings[0]
    assert (first.rule, first.severity, first.location.file, first.location.line) == (
        "K8S-001", Severity.HIGH, "deploy/k8s/web.yaml", 31)
    assert first.location.resource == "Deployment/shop/web" and first.requirements == ("PLT.RUN.L2.1",)
    assert findings[1].fix is None
    _, findings = load("cnsmm-json/empty.json")
    assert findings == []
