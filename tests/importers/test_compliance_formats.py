"""kube-bench, kubescape and Checkov JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from cnsmm.findings import Severity

from .conftest import Loaded, by_rule


def test_kube_bench_fail_and_warn(load: Callable[..., Loaded]) -> None:
    report, findings = load("kube-bench-json/master.json")
    assert (report.tool, report.kind, report.scope) == ("kube-bench", "compliance", "nodes:master")
    f = by_rule(findings)
    assert set(f) == {"CIS-1.1.12", "CIS-1.2.1", "CIS-1.2.5"}  # 1.1.1 passed
    assert (f["CIS-1.1.12"].severity, f["CIS-1.1.12"].tool_severity) == (Severity.HIGH, "FAIL scored")
    assert f["CIS-1.2.5"].severity is Severity.MEDIUM  # failed, not scored
    assert f["CIS-1.2.1"].severity is Severity.LOW  # WARN (manual check)
    assert f["CIS-1.1.12"].aliases == ("cis-1.9:1.1.12",) and f["CIS-1.1.12"].location.resource == "Node/master"
    assert "(root:root)" in f["CIS-1.1.12"].message
    assert f["CIS-1.1.12"].fix and "chown etcd:etcd" in f["CIS-1.1.12"].fix


def test_kube_bench_legacy_array_and_empty(load: Callable[..., Loaded]) -> None:
    _, findings = load("kube-bench-json/legacy-array.json")
    assert [x.rule for x in findings] == ["CIS-4.2.6"] and findings[0].location.resource == "Node/node"
    _, findings = load("kube-bench-json/empty.json")
    assert findings == []


def test_kubescape_cluster(load: Callable[..., Loaded]) -> None:
    report, findings = load("kubescape-json/cluster.json")
    assert (report.tool_version, report.scope, report.kind) == ("v3.0.21", "cluster:prod-eu-1", "compliance")
    assert [(x.rule, x.location.resource, x.severity) for x in findings] == [
        ("C-0057", "Deployment/shop/web", Severity.HIGH),
        ("C-0013", "Deployment/shop/web", Severity.MEDIUM),
        ("C-0260", "Deployment/shop/web", Severity.MEDIUM),
        ("C-0260", "DaemonSet/kube-system/node-agent", Severity.MEDIUM),
    ]
    assert "spec.template.spec.containers[0].securityContext.privileged" in findings[0].message
    assert findings[0].references == ("https://hub.armosec.io/docs/c-0057",)


def test_kubescape_files_and_empty(load: Callable[..., Loaded]) -> None:
    report, findings = load("kubescape-json/files.json")
    assert report.kind == "iac-scan" and report.scope == "files:shop"
    (only,) = findings
    assert (only.location.file, only.location.resource) == ("deploy/nginx.yaml", "Deployment/nginx-deployment")
    _, findings = load("kubescape-json/empty.json")
    assert findings == []


def test_checkov_frameworks(load: Callable[..., Loaded]) -> None:
    report, findings = load("checkov-json/multi-framework.json")
    assert (report.tool, report.tool_version, report.kind) == ("checkov", "3.2.296", "iac-scan")
    f = by_rule(findings)
    assert set(f) == {"CKV_K8S_20", "CKV_K8S_37", "CKV_DOCKER_3", "CKV_SECRET_6"}  # passed checks are not findings
    k8s = f["CKV_K8S_20"]
    assert (k8s.location.file, k8s.location.line, k8s.location.resource) == ("deploy/k8s/web.yaml", 1,
                                                                            "Deployment/shop/web")
    # no severity without a platform key: cnsmm assigns one from what the check is about
    assert k8s.severity is Severity.HIGH and k8s.tool_severity is None
    assert f["CKV_K8S_37"].severity is Severity.HIGH and f["CKV_K8S_37"].tool_severity == "HIGH"  # the tool's own
    assert f["CKV_DOCKER_3"].location.resource is None
    assert (f["CKV_DOCKER_3"].severity, f["CKV_DOCKER_3"].tool_severity) == (Severity.MEDIUM, None)  # runs as root
    secret = f["CKV_SECRET_6"]
    assert secret.category == "secret" and secret.severity is Severity.HIGH
    assert "5a1f3c8e" not in secret.message  # the secret's hash stays out


def test_checkov_single_object_and_empty(load: Callable[..., Loaded]) -> None:
    _, findings = load("checkov-json/kubernetes.json")
    assert [x.location.resource for x in findings] == ["Pod/default/debug"]
    report, findings = load("checkov-json/empty.json")
    assert findings == [] and report.tool_version == "3.2.296"


def test_kubescape_severity_label_when_no_score_factor() -> None:
    import io
    import json

    from cnsmm.importers import kubescape_json

    doc = {"summaryDetails": {"controls": {"C-0270": {"controlID": "C-0270", "severity": "High"}}},
           "resources": [], "results": [{"resourceID": "apps/v1/shop/Deployment/web", "controls": [
               {"controlID": "C-0270", "name": "Ensure CPU limits are set", "status": {"status": "failed"}}]}]}
    (finding,) = list(kubescape_json.parse(io.BytesIO(json.dumps(doc).encode()), source="ks.json").findings)
    assert (finding.severity, finding.tool_severity) == (Severity.HIGH, "High")
    assert finding.location.resource == "Deployment/shop/web"


def test_kubescape_severity_on_the_failed_control() -> None:
    import io
    import json

    from cnsmm.importers import kubescape_json

    # No grade in summaryDetails: the control's own severity (object or label) is used.
    doc = {"summaryDetails": {"controls": {}}, "resources": [], "results": [
        {"resourceID": "apps/v1/shop/Deployment/web", "controls": [
            {"controlID": "C-0057", "name": "Privileged container", "status": {"status": "failed"},
             "severity": {"severity": "High", "scoreFactor": 8}},
            {"controlID": "C-0270", "name": "Ensure CPU limits are set", "status": {"status": "failed"},
             "severity": "Low"},
            {"controlID": "C-0013", "name": "Non-root containers", "status": {"status": "failed"}}]}]}
    found = list(kubescape_json.parse(io.BytesIO(json.dumps(doc).encode()), source="ks.json").findings)
    assert [(f.rule, f.severity, f.tool_severity) for f in found] == [
        ("C-0057", Severity.HIGH, "scoreFactor 8"), ("C-0270", Severity.LOW, "Low"), ("C-0013", Severity.MEDIUM, None)]


def test_checkov_files_it_could_not_parse_make_the_import_partial(tmp_path: Path) -> None:
    from cnsmm.importers import open_report

    from .conftest import SAMPLES

    doc = json.loads((SAMPLES / "checkov-json/kubernetes.json").read_text())
    doc["results"]["parsing_errors"] = ["/repo/deploy/broken.yaml"]
    doc["summary"]["parsing_errors"] = 1
    path = tmp_path / "checkov.json"
    path.write_text(json.dumps(doc))
    report = open_report(path)
    assert len(list(report.findings)) == 1
    assert [(e.pointer, e.reason) for e in report.errors] == [
        ("/results/parsing_errors/0", "Checkov could not parse /repo/deploy/broken.yaml: none of its checks ran")]
