"""The service's Helm chart rendered with the real `helm`, then scanned by cnsmm: nothing at or
above medium, with every part the chart promises."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.conftest import REPO, require_service

from cnsmm.config import Config
from cnsmm.findings import Severity
from cnsmm.scan import scan_paths

CHART = REPO / "deploy" / "helm" / "cnsmm"
DB_URL = "postgresql+psycopg://cnsmm:s3cret@postgres.db.svc:5432/cnsmm"


def _helm(*args: str) -> subprocess.CompletedProcess[str]:
    helm = shutil.which("helm")
    if helm is None:
        require_service("helm (https://helm.sh; .ci/run installs it)")
    return subprocess.run([str(helm), *args], capture_output=True, text=True, timeout=120, check=False)


def _render(tmp_path: Path, *sets: str) -> tuple[Path, list[dict[str, Any]]]:
    args = ["template", "shop", str(CHART), "--namespace", "cnsmm"]
    for s in sets:
        args += ["--set", s]
    proc = _helm(*args)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "rendered.yaml"
    out.write_text(proc.stdout, encoding="utf-8")
    return out, [d for d in yaml.safe_load_all(proc.stdout) if d]


def _kinds(docs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    kinds: dict[str, list[dict[str, Any]]] = {}
    for d in docs:
        kinds.setdefault(d["kind"], []).append(d)
    return kinds


@pytest.mark.parametrize("extra", [(), ("ingress.enabled=true", "ingress.tlsSecret=cnsmm-tls"),
                                   ("image.digest=sha256:" + "ab" * 32, "replicaCount=3")])
def test_rendered_chart_scans_clean_at_medium(tmp_path: Path, extra: tuple[str, ...]) -> None:
    rendered, docs = _render(tmp_path, f"database.url={DB_URL}", *extra)
    result = scan_paths([str(rendered)], Config())
    assert result.complete and result.objects == len(docs)
    worst = [f"{f.rule} {f.location.resource}: {f.message}" for f in result.findings
             if f.severity.at_least(Severity.MEDIUM)]
    assert worst == []
    kinds = _kinds(docs)
    assert {"Deployment", "Service", "Secret", "ServiceAccount", "NetworkPolicy", "PodDisruptionBudget"} <= set(kinds)
    assert ("Ingress" in kinds) == ("ingress.enabled=true" in extra)


def test_chart_parts(tmp_path: Path) -> None:
    _, docs = _render(tmp_path, f"database.url={DB_URL}")
    kinds = _kinds(docs)
    pod = kinds["Deployment"][0]["spec"]["template"]["spec"]
    server = pod["containers"][0]
    assert server["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert server["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert server["resources"]["limits"] and server["resources"]["requests"]
    for c in pod["containers"] + pod["initContainers"]:
        ctx = c["securityContext"]
        assert ctx["readOnlyRootFilesystem"] and not ctx["allowPrivilegeEscalation"] and ctx["runAsNonRoot"]
        assert ctx["capabilities"]["drop"] == ["ALL"]
        env = {e["name"]: e for e in c["env"]}
        assert env["CNSMM_DB"]["valueFrom"]["secretKeyRef"] == {"name": "shop-cnsmm-db", "key": "url"}
    assert pod["initContainers"][0]["name"] == "migrate"  # tables created or upgraded before the server
    assert pod["automountServiceAccountToken"] is False
    assert DB_URL not in yaml.safe_dump(kinds["Deployment"])  # the URL lives only in the Secret
    assert kinds["Secret"][0]["stringData"]["url"] == DB_URL
    policies = {p["metadata"]["name"]: p["spec"] for p in kinds["NetworkPolicy"]}
    assert policies["shop-cnsmm-default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    assert kinds["PodDisruptionBudget"][0]["spec"]["minAvailable"] == 1


def test_worker_pods_run_the_imports_and_reach_only_the_database(tmp_path: Path) -> None:
    _, docs = _render(tmp_path, f"database.url={DB_URL}")
    deployments = {d["metadata"]["name"]: d for d in _kinds(docs)["Deployment"]}
    server, worker = deployments["shop-cnsmm"], deployments["shop-cnsmm-worker"]
    args = server["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--job-workers") + 1] == "0"  # the servers leave imports to the workers
    pod = worker["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["args"][:3] == ["worker", "--concurrency", "2"]
    assert container["livenessProbe"]["exec"]["command"][0] == "python"
    assert {e["name"]: e.get("value") for e in container["env"]}["CNSMM_JOB_LEASE"] == "60"
    assert worker["spec"]["replicas"] == 2 and pod["automountServiceAccountToken"] is False
    # the Service and the server's policy never select worker pods
    worker_labels = pod_labels = worker["spec"]["template"]["metadata"]["labels"]
    service = _kinds(docs)["Service"][0]["spec"]["selector"]
    assert not all(pod_labels.get(k) == v for k, v in service.items())
    policies = {p["metadata"]["name"]: p["spec"] for p in _kinds(docs)["NetworkPolicy"]}
    assert policies["shop-cnsmm-worker"]["podSelector"]["matchLabels"] == {
        k: v for k, v in worker_labels.items() if k in ("app.kubernetes.io/name", "app.kubernetes.io/instance")}
    assert policies["shop-cnsmm-worker"]["ingress"] == []
    assert policies["shop-cnsmm-worker"]["egress"] == policies["shop-cnsmm"]["egress"]  # PostgreSQL and DNS
    # without worker pods, the servers run the imports
    _, docs = _render(tmp_path, f"database.url={DB_URL}", "jobs.worker.enabled=false")
    assert [d["metadata"]["name"] for d in _kinds(docs)["Deployment"]] == ["shop-cnsmm"]
    args = _kinds(docs)["Deployment"][0]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--job-workers") + 1] == "2"


def test_existing_secret_and_missing_database(tmp_path: Path) -> None:
    _, docs = _render(tmp_path, "database.existingSecret=pg-url", "database.secretKey=dsn", "migrations.enabled=false")
    kinds = _kinds(docs)
    assert "Secret" not in kinds
    pod = kinds["Deployment"][0]["spec"]["template"]["spec"]
    assert "initContainers" not in pod
    assert pod["containers"][0]["env"][0]["valueFrom"]["secretKeyRef"] == {"name": "pg-url", "key": "dsn"}
    proc = _helm("template", "shop", str(CHART))
    assert proc.returncode != 0 and "set database.url" in proc.stderr
