"""Fixtures of the store tests: the same tests run on SQLite and on a real PostgreSQL.

The database comes from ``db_url`` of tests/conftest.py (one per module and store kind).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cnsmm.findings import Finding, Location, Severity
from cnsmm.importers.interface import ImportedReport
from cnsmm.tracking.importer import ImportSummary, import_report
from cnsmm.tracking.store import Store, open_store

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def store(db_url: str) -> Iterator[Store]:
    """An open store shared by the tests of a module (each test uses its own project)."""
    s = open_store(db_url)
    yield s
    s.dispose()


@pytest.fixture
def project() -> str:
    """A fresh project name, so tests sharing a store do not see each other's findings."""
    return "proj-" + uuid.uuid4().hex[:10]


def vuln(
    cve: str,
    package: str = "openssl",
    version: str = "3.0.14",
    *,
    image: str | None = "registry.example.com/shop/web:1.8.2",
    severity: Severity = Severity.HIGH,
    tool: str = "trivy",
    aliases: tuple[str, ...] = (),
    file: str | None = None,
) -> Finding:
    """A vulnerability finding as an image scanner reports it."""
    return Finding(
        rule=cve,
        severity=severity,
        title=f"{cve} in {package}",
        message=f"{package} {version} is affected by {cve}",
        location=Location(image=image, file=file),
        tool=tool,
        category="vulnerability",
        component=package,
        installed_version=version,
        aliases=aliases,
    )


def misconfig(rule: str, file: str, line: int, resource: str, message: str, tool: str = "trivy") -> Finding:
    """A misconfiguration finding at a line of a manifest."""
    return Finding(
        rule=rule,
        severity=Severity.MEDIUM,
        title=f"{rule} check",
        message=message,
        location=Location(file=file, line=line, resource=resource),
        tool=tool,
        category="misconfiguration",
    )


def report(
    findings: Iterable[Finding], *, tool: str = "trivy", scope: str = "image:registry.example.com/shop/web"
) -> ImportedReport:
    """An imported report of ``findings`` (consumed lazily, like a parsed file)."""
    return ImportedReport(
        format=f"{tool}-json",
        tool=tool,
        tool_version="1.0",
        scope=scope,
        findings=iter(list(findings)),
        generated_at=datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
    )


Importer = Callable[..., ImportSummary]


@pytest.fixture
def do_import(store: Store, project: str) -> Importer:
    """Import findings into the test's project: ``do_import(findings, tool=..., scope=...)``."""

    def _do(
        findings: Iterable[Finding], *, tool: str = "trivy", scope: str = "image:web", **kw: object
    ) -> ImportSummary:
        return import_report(
            store,
            report(findings, tool=tool, scope=scope),
            project=str(kw.pop("project", project)),
            source_name=f"{tool}.json",
            source_sha256=uuid.uuid4().hex * 2,  # a different file each time
            actor="tester",
            **kw,  # type: ignore[arg-type]
        )

    return _do


REPO_ROOT = Path(__file__).resolve().parents[2]
"""Repository root (the working directory of worker processes)."""
