"""Revision 0008: streams named after report files (one per CI run) merge into the project
stream the importers now name, so that the next import can close what is gone."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

import cnsmm.tracking.store as store_module
from cnsmm.tracking.importer import import_report
from cnsmm.tracking.store import open_store

from .conftest import misconfig, report


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_file_named_streams_merge_into_the_project_stream(kind: str, tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config
    from tests.conftest import db_url_for

    from cnsmm.tracking.workflow import Status

    a = misconfig("CKV_K8S_20", "deploy/web.yaml", 17, "Deployment/shop/web", "privilege escalation allowed")
    b = misconfig("CKV_K8S_21", "deploy/web.yaml", 1, "Deployment/shop/web", "default namespace")
    c = misconfig("CKV_K8S_8", "deploy/api.yaml", 20, "Deployment/shop/api", "no liveness probe")
    for url in db_url_for(kind, tmp_path):
        fresh = open_store(url)
        try:
            cfg = Config()
            cfg.set_main_option("script_location", str(Path(store_module.__file__).parent / "migrations"))
            with fresh.write() as conn:
                cfg.attributes["connection"] = conn
                command.downgrade(cfg, "0007")
            # Two CI runs of the old version: two streams named after the artefacts.
            for n, found in ((1, [a, b]), (2, [a, b, c])):
                import_report(fresh, report(found, tool="checkov", scope=f"checkov:checkov-{n}.json"), project="p",
                              source_name=f"checkov-{n}.json", source_sha256=str(n) * 64, actor="ci")
            # A stream whose scope is a real target is left alone.
            import_report(fresh, report([a, b], tool="checkov", scope="repo:github.com/acme/shop"), project="p",
                          source_name="named.json", source_sha256="9" * 64, actor="ci")
            with fresh.write() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
            with fresh.read() as conn:
                scopes = sorted(r[0] for r in conn.execute(text("SELECT scope FROM scan_streams")))
                scan_scopes = sorted({r[0] for r in conn.execute(text("SELECT scope FROM scans"))})
                sources = conn.execute(text(
                    "SELECT COUNT(*) FROM finding_sources fs JOIN scan_streams s ON s.id = fs.stream_id "
                    "WHERE s.scope = 'checkov:project'")).scalar()
            assert scopes == ["checkov:project", "repo:github.com/acme/shop"]
            assert scan_scopes == ["checkov:project", "repo:github.com/acme/shop"]
            assert sources == 3  # a, b, c once each
            # The first import after the upgrade, named per run again, closes what is gone.
            summary = import_report(fresh, report([a], tool="checkov", scope="checkov:project"), project="p",
                                    source_name="checkov-3.json", source_sha256="3" * 64, actor="ci")
            assert (summary.seen_again, summary.closed_fixed) == (1, 1)  # c closed; b still in the named stream
            with fresh.read() as conn:
                status = dict(conn.execute(text("SELECT rule, status FROM findings")).all())
            assert status == {"CKV_K8S_20": Status.OPEN.value, "CKV_K8S_21": Status.OPEN.value,
                              "CKV_K8S_8": Status.FIXED.value}
        finally:
            fresh.dispose()


def test_which_scopes_change() -> None:
    from importlib import import_module

    mod = import_module("cnsmm.tracking.migrations.versions.v0008_project_scopes")
    assert mod.new_scope("checkov-json", "checkov:checkov-1234.json") == "checkov:project"
    assert mod.new_scope("kube-bench-json", "master+node:kube-bench.json") == "nodes:master+node"
    assert mod.new_scope("sarif", "semgrep:semgrep.sarif") == "semgrep:project"
    assert mod.new_scope("trivy-operator-vulnerability", "trivy-operator:VulnerabilityReport:vr.yaml") == \
        "trivy-operator:VulnerabilityReport:project"
    assert mod.new_scope("sarif", "codeql:https://github.com/acme/shop") is None  # a repository
    assert mod.new_scope("trivy-json", "filesystem:requirements.txt") is None  # a real target of Trivy
    assert mod.new_scope("checkov-json", "checkov:project") is None
