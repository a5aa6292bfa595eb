"""Fixtures of the web service tests: an app over SQLite or PostgreSQL, users and tokens."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from cnsmm.accounts.service import Role, create_token, create_user, set_membership
from cnsmm.tracking.store import Store
from cnsmm.web.app import create_app
from cnsmm.web.db import open_web_store

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing() -> Iterator[None]:
    """Cheaper Argon2 parameters in tests (still real Argon2id hashing and verification)."""
    from argon2 import PasswordHasher

    from cnsmm.accounts import service as security

    saved = security._hasher
    security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    security._hasher = saved


@pytest.fixture(scope="module")
def store(db_url: str) -> Iterator[Store]:
    """The service's store over the module's database (tests/conftest.py ``db_url``: SQLite and PostgreSQL)."""
    s = open_web_store(db_url)
    yield s
    s.dispose()


@dataclass
class World:
    """Two projects (alpha, beta), a user per role in alpha, an owner of beta, tokens."""

    client: TestClient
    store: Store
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def world(store: Store) -> Iterator[World]:
    app = create_app(store=store)
    tokens: dict[str, str] = {}
    create_user(store, "admin", PASSWORD, admin=True)
    for role in Role:
        create_user(store, f"{role.value}-a", PASSWORD)
        set_membership(store, f"{role.value}-a", "alpha", role)
        tokens[f"{role.value}-a"] = create_token(store, "alpha", role, name=f"{role.value}-tok", created_by="t")[0]
    create_user(store, "owner-b", PASSWORD)
    set_membership(store, "owner-b", "beta", Role.OWNER)
    tokens["owner-b"] = create_token(store, "beta", Role.OWNER, name="b", created_by="t")[0]
    with TestClient(app) as client:
        yield World(client, store, tokens)


def bearer(token: str) -> dict[str, str]:
    """Authorization header for an API token."""
    return {"Authorization": f"Bearer {token}"}


def seed(store: Store, project: str, titles: list[str], tool: str = "trivy") -> None:
    """Import one finding per title into ``project``."""
    from cnsmm.findings import Finding, Location, Severity
    from cnsmm.importers.interface import ImportedReport
    from cnsmm.tracking.importer import import_report

    sevs = list(Severity)
    findings = [
        Finding(rule=f"CVE-2024-{1000 + i}", severity=sevs[i % len(sevs)], title=title, message=title,
                location=Location(image="registry.example.com/shop/api:1.0"), tool=tool,
                category="vulnerability", component=f"pkg{i}", installed_version="1.0", fixed_version="1.1",
                references=(f"https://avd.aquasec.com/nvd/cve-2024-{1000 + i}",),
                description=f"What {title} is.\nHow it is exploited: <b>not markup</b>.")
        for i, title in enumerate(titles)
    ]
    report = ImportedReport(format="trivy-json", tool=tool, tool_version="0.50.0",
                            scope="registry.example.com/shop/api", findings=iter(findings), kind="image-scan")
    import_report(store, report, project=project, source_name="trivy.json", source_sha256="0" * 64, actor="test")


def login_as(client: TestClient, name: str, password: str = PASSWORD) -> None:
    """Log ``client`` in through the login form, as a browser does (with the form's token)."""
    import re

    form = client.get("/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert csrf is not None
    client.post("/login", data={"username": name, "password": password, "csrf_token": csrf.group(1), "next": "/"})
    assert "cnsmm_session" in client.cookies, f"login as {name} failed"


@contextmanager
def logged_in(client: TestClient, name: str) -> Iterator[TestClient]:
    """``client`` logged in as ``name`` for the ``with`` block, logged out (cookies cleared) after."""
    login_as(client, name)
    try:
        yield client
    finally:
        client.cookies.clear()


def trend_docs(hostile: str) -> list[dict[str, object]]:
    """Three assessments whose domain levels differ: nothing known, every L1 question answered,
    and the same with a domain entry named ``hostile`` and a malformed one added (uploads are loosely
    checked)."""
    from tests.assess.helpers_assess import MODEL, attest, bundle, paths

    from cnsmm.assess import assess
    from cnsmm.report.json_out import to_dict

    answers = tuple(attest(r.id, "met") for r in MODEL.requirements.values() if r.level == 1)
    docs = [to_dict(assess(ev, MODEL, None, paths()), MODEL, "en") for ev in (bundle(), bundle(attestations=answers))]
    odd = dict(docs[1], domains=[*docs[1]["domains"], {"id": hostile, "level": 2}, {"id": 7, "level": "x"}])
    return [*docs, odd]
