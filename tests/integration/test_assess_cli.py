"""`cnsmm assess`, `cnsmm model` and `cnsmm attest init` end to end through main(argv)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import CORPUS, REPO

from cnsmm._cli import main

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.25
          securityContext: {privileged: true}
"""


def _run(argv: list[str], capsys) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_assess_json_explains_a_privileged_deployment(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "web.yaml").write_text(DEPLOY)
    att = tmp_path / "att.yaml"
    att.write_text("attestations:\n  - id: PLT.RUN.L2.1\n    status: met\n    owner: ops\n"
                   "    evidence: [https://wiki.example/psa]\n    date: 2020-01-01\n")
    code, out, _ = _run(["assess", str(tmp_path / "k8s"), "--attestations", str(att), "--format", "json",
                         "--target", "L2", "--target", "DEV=L3"], capsys)
    assert code == 0
    data = json.loads(out)
    req = next(r for r in data["requirements"] if r["id"] == "PLT.RUN.L2.1")
    assert req["status"] in ("not-met", "partial")
    assert any("web.yaml" in w for e in req["evidence"] for w in e["where"])
    assert any("expired" in p for p in data["inputs"]["attestation_problems"])
    assert next(d for d in data["domains"] if d["id"] == "DEV")["target"] == 3
    assert any(x["kind"] == "fix-rules" and "PLT.RUN.L2.1" in x["requirements"] for x in data["plan"])
    prev = tmp_path / "prev.json"
    prev.write_text(out)
    code, out, _ = _run(["assess", str(tmp_path / "k8s"), "--compare", str(prev), "--format", "md", "--lang", "zh"],
                        capsys)
    assert code == 0 and "改进计划" in out and "与上次评估相比的变化" in out
    code, out, _ = _run(["assess", str(tmp_path / "k8s"), "--compare", str(prev), "--format", "json"], capsys)
    import jsonschema

    schema = json.loads((REPO / "docs" / "assessment.schema.json").read_text(encoding="utf-8"))
    data = json.loads(out)
    jsonschema.Draft202012Validator(schema).validate(data)
    assert data["comparison"]["overall"]["from"] == data["overall"]["level"]


def test_assess_html_and_text_to_files(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "web.yaml").write_text(DEPLOY)
    out_file = tmp_path / "r.html"
    code, _, _ = _run(["assess", str(tmp_path / "web.yaml"), "--format", "html", "--lang", "zh", "-o", str(out_file)],
                      capsys)
    assert code == 0 and "<svg" in out_file.read_text(encoding="utf-8")
    code, out, _ = _run(["assess", str(tmp_path / "web.yaml")], capsys)
    assert code == 0 and "Overall level" in out


def test_bad_arguments_say_what_is_wrong(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = _run(["assess", str(tmp_path), "--target", "L9"], capsys)
    assert code == 2 and "--target 'L9'" in err
    code, _, err = _run(["assess", str(tmp_path / "missing")], capsys)
    assert code == 2 and "no such file" in err
    bad = tmp_path / "prev.json"
    bad.write_text("[]")
    code, _, err = _run(["assess", str(tmp_path), "--compare", str(bad)], capsys)
    assert code == 2 and "schema_version" in err


def test_model_and_attest_commands(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = _run(["model", "--format", "json"], capsys)
    data = json.loads(out)
    assert code == 0 and len(data["requirements"]) == 184
    kinds = {"check", "capability", "report", "pipeline", "attestation"}
    assert all(set(r["evidence_paths"]) <= kinds and r["practices"] and 1 <= r["level"] <= 5
               for r in data["requirements"])
    code, out, _ = _run(["model", "--lang", "zh"], capsys)
    assert "特权容器与特权行为限制" in out
    q = tmp_path / "q.yaml"
    code, _, _ = _run(["attest", "init", "--lang", "zh", "--output", str(q)], capsys)
    text = q.read_text(encoding="utf-8")
    assert code == 0 and "安全基本需求清单" in text
    answered = text.replace("  - id: DEV.REQ.L1.1\n    status:\n    owner: \"\"\n    evidence: []",
                            "  - id: DEV.REQ.L1.1\n    status: met\n    owner: appsec\n    evidence: [https://w.example]", 1)
    assert answered != text
    q.write_text(answered, encoding="utf-8")
    code, _, _ = _run(["attest", "init", "--output", str(q)], capsys)  # re-running merges: the answer stays
    merged = q.read_text(encoding="utf-8")
    assert code == 0 and "owner: \"appsec\"" in merged and "https://w.example" in merged
    assert sorted(line for line in merged.splitlines() if line.startswith("  - id: ")) == sorted(
        line for line in text.splitlines() if line.startswith("  - id: "))
    code, out, _ = _run(["attest", "check", str(q)], capsys)
    # the answer has no date yet: check says so and fails
    assert code == 1 and "0 valid answer(s), 1 problem(s)" in out and "DEV.REQ.L1.1: date" in out
    code, _, _ = _run(["attest", "init", "--output", str(q), "--force"], capsys)
    assert code == 0 and "Basic security requirements list" in q.read_text(encoding="utf-8")
    assert {r["id"] for r in data["requirements"] if r["questionnaire"]} == {
        line.split(": ")[1] for line in text.splitlines() if line.startswith("  - id: ")}


def test_docs_model_md_is_current_and_automated_share_is_reported(capsys) -> None:  # type: ignore[no-untyped-def]
    _run(["model", "--format", "markdown"], capsys)
    _, out, _ = _run(["model", "--format", "markdown"], capsys)
    doc = REPO / "docs" / "model.md"
    assert doc.read_text(encoding="utf-8") == out, (
        "docs/model.md is stale: run `cnsmm model --format markdown > docs/model.md`")
    _, data, _ = _run(["model", "--format", "json"], capsys)
    model = json.loads(data)
    assert model["automated"] * 100 // model["total"] >= 40
    assert f"{model['automated']} of {model['total']} requirements" in out


@pytest.mark.corpus
def test_assess_a_corpus_repository(capsys) -> None:  # type: ignore[no-untyped-def]
    repo = CORPUS / "GoogleCloudPlatform__microservices-demo"
    if not repo.is_dir():
        pytest.skip("../shared/corpus is absent")
    code, out, _ = _run(["assess", str(repo), "--format", "json"], capsys)
    assert code in (0, 3)
    data = json.loads(out)
    assert data["inputs"]["objects"] > 10
    checked = [r for r in data["requirements"] if r["coverage"]]
    assert checked and all(r["summary"] for r in checked)


def _trivy(created: str) -> str:
    return json.dumps({
        "SchemaVersion": 2, "Trivy": {"Version": "0.67.2"}, "CreatedAt": created,
        "ArtifactName": "registry.example.com/shop/web:1.8.2", "ArtifactType": "container_image",
        "Results": [{"Target": "registry.example.com/shop/web:1.8.2 (debian 12.7)", "Class": "os-pkgs",
                     "Type": "debian", "Vulnerabilities": [{
                         "VulnerabilityID": "CVE-2024-0001", "PkgName": "openssl", "InstalledVersion": "3.0.1",
                         "FixedVersion": "3.0.2", "Severity": "HIGH", "Title": "openssl flaw"}]}],
    })


WORKFLOW = """\
name: ci
on: [push]
jobs:
  scan:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: aquasecurity/trivy-action@0.28.0
        with:
          image-ref: registry.example.com/shop/web:1.8.2
          exit-code: "1"
"""


def test_reports_and_pipelines_count_and_stale_reports_do_not(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    fresh = tmp_path / "trivy-fresh.json"
    fresh.write_text(_trivy((datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")))
    stale = tmp_path / "trivy-old.json"
    stale.write_text(_trivy("2020-01-01T00:00:00Z"))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    wf = tmp_path / "repo" / ".github" / "workflows" / "ci.yml"
    wf.parent.mkdir(parents=True)
    wf.write_text(WORKFLOW)
    code, out, _ = _run(["assess", str(tmp_path / "repo"), "--reports", str(stale), "--format", "json"], capsys)
    data = json.loads(out)
    scan = next(r for r in data["requirements"] if r["id"] == "PLT.IMG.L2.1")
    assert any(e["source"] == "report" and e["verdict"] == "ignored" for e in scan["evidence"])
    code, out, _ = _run(["assess", str(tmp_path / "repo"), "--reports", str(fresh), "--reports", str(broken),
                         "--format", "json"], capsys)
    assert code == 3  # the broken report is listed, the rest still counts
    data = json.loads(out)
    assert any("broken.json" in e for e in data["inputs"]["input_errors"])
    scan = next(r for r in data["requirements"] if r["id"] == "PLT.IMG.L2.1")
    assert scan["status"] == "met"
    assert any(e["source"] == "report" and e["verdict"] == "met" for e in scan["evidence"])
    pipeline_ev = [e for r in data["requirements"] for e in r["evidence"] if e["source"] == "pipeline"]
    assert pipeline_ev and all("ci.yml" in e["ref"] for e in pipeline_ev)


def test_scan_config_is_honoured(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "web.yaml").write_text(DEPLOY)
    _, out, _ = _run(["assess", str(tmp_path / "web.yaml"), "--format", "json"], capsys)
    rules = {e["ref"] for r in json.loads(out)["requirements"] if r["id"] == "PLT.RUN.L2.1"
             for e in r["evidence"] if e["source"] == "check" and e["verdict"] == "not-met"}
    assert rules
    cfg = tmp_path / "cnsmm.yaml"
    cfg.write_text("rules:\n  disable: [" + ", ".join(sorted(rules)) + "]\n")
    _, out, _ = _run(["assess", str(tmp_path / "web.yaml"), "--config", str(cfg), "--format", "json"], capsys)
    after = next(r for r in json.loads(out)["requirements"] if r["id"] == "PLT.RUN.L2.1")
    assert not any(e["ref"] in rules for e in after["evidence"] if e["verdict"] == "not-met")
