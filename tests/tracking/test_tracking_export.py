"""CSV export safe against formula injection, JSON export, metrics, SLA policy, migrations."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, update

from cnsmm.errors import ConfigError
from cnsmm.findings import Severity
from cnsmm.tracking import store as store_module
from cnsmm.tracking.csvcells import safe_cell
from cnsmm.tracking.export import iter_json, write_csv
from cnsmm.tracking.metrics import compute_metrics
from cnsmm.tracking.models import Base, TrackedFinding
from cnsmm.tracking.queries import list_findings
from cnsmm.tracking.sla import SlaPolicy
from cnsmm.tracking.states import Status
from cnsmm.tracking.store import Store, utcnow
from cnsmm.tracking.workflow import change_status

from .conftest import Importer, vuln


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil.example","click")', '\'=HYPERLINK("http://evil.example","click")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("plain title", "plain title"),
        (None, ""),
        (["grype", "trivy"], "grype trivy"),
    ],
)
def test_csv_cells_cannot_start_a_formula(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


def test_exports_carry_every_finding(do_import: Importer, store: Store, project: str) -> None:
    hostile = vuln("CVE-2024-0001")
    from dataclasses import replace

    do_import([replace(hostile, title="=cmd|' /C calc'!A0"), vuln("CVE-2024-0002", severity=Severity.CRITICAL)])
    out = io.StringIO()
    assert write_csv(list_findings(store, project), out) == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["severity"] for r in rows] == ["critical", "high"]
    assert rows[1]["title"] == "'=cmd|' /C calc'!A0"
    data = json.loads("".join(iter_json(list_findings(store, project))))
    assert [d["rule"] for d in data] == ["CVE-2024-0002", "CVE-2024-0001"]
    assert set(data[0]) >= {"id", "fingerprint", "status", "severity", "tools", "title", "owner", "due"}
    assert data[0]["tools"] == ["trivy"]
    assert json.loads("".join(iter_json(iter([])))) == []


def test_metrics_count_open_fixed_breaches_and_trend(do_import: Importer, store: Store, project: str) -> None:
    do_import([vuln("CVE-2024-0001", severity=Severity.CRITICAL), vuln("CVE-2024-0002"), vuln("CVE-2024-0003")])
    do_import([vuln("CVE-2024-0001", severity=Severity.CRITICAL), vuln("CVE-2024-0002")])  # 0003 fixed
    ids = {f.rule: f.id for f in list_findings(store, project)}
    change_status(store, ids["CVE-2024-0002"], Status.FALSE_POSITIVE, actor="a", reason="test")
    with store.write() as conn:
        conn.execute(
            update(TrackedFinding)
            .where(TrackedFinding.id == ids["CVE-2024-0001"])
            .values(due=utcnow().date() - timedelta(days=1))
        )
        conn.execute(
            update(TrackedFinding)
            .where(TrackedFinding.id == ids["CVE-2024-0003"])
            .values(first_seen=utcnow() - timedelta(days=4))
        )
    m = compute_metrics(store, project, weeks=4)
    assert m.open_by_severity == {"critical": 1, "high": 0, "medium": 0, "low": 0, "info": 0}
    assert (m.total_open, m.fixed, m.sla_breaches) == (1, 1, 1)
    assert m.mean_days_to_fix is not None and 3.9 < m.mean_days_to_fix < 4.1
    assert len(m.trend) == 4 and sum(t.fixed for t in m.trend) == 1
    assert sum(t.new for t in m.trend) == 3


def test_sla_policy_overrides_and_errors() -> None:
    policy = SlaPolicy().with_overrides(["critical=3", "INFO=10", "low=none"])
    assert policy.days["critical"] == 3 and policy.days["info"] == 10 and policy.days["low"] is None
    assert SlaPolicy.from_settings(policy.as_settings()) == policy
    with pytest.raises(ConfigError, match="unknown severity 'urgent'"):
        SlaPolicy().with_overrides(["urgent=1"])
    with pytest.raises(ConfigError, match="expected SEVERITY=DAYS"):
        SlaPolicy().with_overrides(["high=soon"])


def test_migrations_create_exactly_the_models(store: Store) -> None:
    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diffs == []


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_migrations_go_down_to_the_first_and_up_again(kind: str, tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config
    from tests.conftest import db_url_for

    from cnsmm.tracking.store import open_store

    for url in db_url_for(kind, tmp_path):
        fresh = open_store(url)
        try:
            cfg = Config()
            cfg.set_main_option("script_location", str(Path(store_module.__file__).parent / "migrations"))
            with fresh.write() as conn:
                cfg.attributes["connection"] = conn
                command.downgrade(cfg, "0001")
                names = {i["name"] for i in inspect(conn).get_indexes("findings")}
                assert {"ix_findings_project_owner", "ix_findings_project_status_severity"} <= names
                assert "reference" not in {c["name"] for c in inspect(conn).get_columns("findings")}
                command.upgrade(cfg, "head")
            test_migrations_create_exactly_the_models(fresh)
        finally:
            fresh.dispose()


def test_upgrade_clears_unreadable_empty_due_dates(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import select, text

    from cnsmm.tracking.store import open_store

    from .conftest import report

    fresh = open_store(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        from cnsmm.tracking.importer import import_report

        from .conftest import vuln

        import_report(fresh, report([vuln("CVE-2024-9001")]), project="p", source_name="t.json",
                      source_sha256="1" * 64, actor="t", sla=SlaPolicy.from_settings({"high": 30}))
        cfg = Config()
        cfg.set_main_option("script_location", str(Path(store_module.__file__).parent / "migrations"))
        with fresh.write() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0004")
            conn.execute(text("UPDATE findings SET due = ''"))  # as an earlier version stored it
            command.upgrade(cfg, "head")
        with fresh.read() as conn:
            assert conn.execute(select(TrackedFinding.due)).scalars().all() == [None]
    finally:
        fresh.dispose()
