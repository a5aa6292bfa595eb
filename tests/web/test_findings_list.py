"""The findings list of the API and the findings page: severity and status filters, every sort,
walking a long list by cursor, the overview's figures, and how long a checked credential is
reused. On SQLite and PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from tests.web.conftest import World, bearer, logged_in, seed

from cnsmm.accounts import service as security
from cnsmm.accounts.service import Role, create_token
from cnsmm.tracking.models import Project, TrackedFinding
from cnsmm.tracking.store import utcnow
from cnsmm.web.models import ApiToken
from cnsmm.web.queries import MAX_CURSOR, SORT_KEYS

URL = "/api/v1/projects/gamma/findings"
TITLES = [f"finding {i:02d}" for i in range(24)] + ["same title"] * 6  # ties for the title sort


@pytest.fixture(scope="module")
def listed(world: World) -> tuple[World, str]:
    """Project gamma: 30 findings over every severity, a few fixed, dues with ties and gaps."""
    seed(world.store, "gamma", TITLES)
    today = utcnow().date()
    with world.store.write() as conn:
        pid = conn.scalar(select(Project.id).where(Project.name == "gamma"))
        ids = sorted(conn.scalars(select(TrackedFinding.id).where(TrackedFinding.project_id == pid)))
        for n, fid in enumerate(ids):
            due = None if n % 4 == 0 else today + timedelta(days=(n % 3) - 1)  # past, today, future
            values: dict[str, Any] = {"due": due, "owner": f"team-{n % 3}"}
            if n % 5 == 1:
                values["status"] = "fixed"
            conn.execute(update(TrackedFinding).where(TrackedFinding.id == fid).values(**values))
    token = create_token(world.store, "gamma", Role.VIEWER, name="gamma-viewer", created_by="t")[0]
    return world, token


def _get(world: World, token: str, **params: Any) -> dict[str, Any]:
    r = world.client.get(URL, params=params, headers=bearer(token))
    assert r.status_code == 200, r.text
    return dict(r.json())


def _all(world: World, token: str, **params: Any) -> list[dict[str, Any]]:
    answer = _get(world, token, per_page=500, **params)
    assert not answer["has_more"] and answer["next_cursor"] is None
    return list(answer["items"])


@pytest.mark.parametrize("wanted", [["high"], ["critical", "high"], ["critical", "low"], ["info", "medium", "critical"]])
def test_severity_filters_keep_exactly_those_severities(listed: tuple[World, str], wanted: list[str]) -> None:
    world, token = listed
    everything = _all(world, token)
    got = _all(world, token, severity=wanted)
    assert sorted(i["id"] for i in got) == sorted(i["id"] for i in everything if i["severity"] in wanted)
    assert got and {i["severity"] for i in got} == set(wanted)
    ranks = ["info", "low", "medium", "high", "critical"]
    assert [ranks.index(i["severity"]) for i in got] == sorted((ranks.index(i["severity"]) for i in got), reverse=True)


def test_severity_and_status_filters_combine(listed: tuple[World, str]) -> None:
    world, token = listed
    everything = _all(world, token)
    got = _all(world, token, severity=["high", "medium"], status=["open"])
    expected = [i["id"] for i in everything if i["severity"] in ("high", "medium") and i["status"] == "open"]
    assert sorted(i["id"] for i in got) == sorted(expected) and expected
    assert _get(world, token, severity=["fatal"])["items"] == []  # an unknown severity matches nothing


@pytest.mark.parametrize("sort", sorted(SORT_KEYS))
def test_walking_by_cursor_gives_the_whole_list_once_in_order(listed: tuple[World, str], sort: str) -> None:
    world, token = listed
    whole = [i["id"] for i in _all(world, token, sort=sort)]
    walked: list[int] = []
    answer = _get(world, token, sort=sort, per_page=7)
    while True:
        walked += [i["id"] for i in answer["items"]]
        assert answer["total"] == len(whole) and answer["total_exact"]
        if answer["next_cursor"] is None:
            assert not answer["has_more"]
            break
        answer = _get(world, token, sort=sort, per_page=7, after=answer["next_cursor"])
    assert walked == whole
    if sort == "due":  # findings without a due date come last, on both databases
        dues = [i["due"] for i in _all(world, token, sort=sort)]
        assert dues.index(None) == len([d for d in dues if d is not None])


def test_cursor_walk_with_filters_matches_the_filtered_list(listed: tuple[World, str]) -> None:
    world, token = listed
    params: dict[str, Any] = {"status": ["open"], "severity": ["critical", "medium", "low"], "sort": "title"}
    whole = [i["id"] for i in _all(world, token, **params)]
    first = _get(world, token, per_page=4, **params)
    second = _get(world, token, per_page=4, after=first["next_cursor"], **params)
    assert [i["id"] for i in first["items"] + second["items"]] == whole[:8]
    by_number = _get(world, token, per_page=4, page=2, **params)
    assert by_number["items"] == second["items"]


@pytest.mark.parametrize("cursor", ["not-a-cursor", "W10", "WyJ0aXRsZSIsImEiLDFd", "WyJzZXZlcml0eSIsImEiLDFd"])
def test_bad_or_foreign_cursors_are_refused_with_a_hint(listed: tuple[World, str], cursor: str) -> None:
    # "WyJ0aXRsZSIsImEiLDFd" is a title cursor, refused for the severity sort; the last one
    # names the severity sort but carries text where a rank belongs
    world, token = listed
    r = world.client.get(URL, params={"after": cursor}, headers=bearer(token))
    assert r.status_code == 422
    assert "next_cursor of the previous page" in r.json()["detail"]


def test_findings_page_next_and_previous_links(listed: tuple[World, str]) -> None:
    world, _ = listed
    seed(world.store, "delta", [f"delta {n:02d}" for n in range(60)])  # more than one page of 50
    with logged_in(world.client, "admin") as c:
        first = c.get("/p/delta/findings?sort=title").text
        link = re.search(r'href="\?([^"]+)" id="next-page"', first)
        assert link is not None and "after=" in link.group(1) and "n=2" in link.group(1)
        assert 'id="prev-page"' not in first
        second = c.get("/p/delta/findings?" + link.group(1).replace("&amp;", "&")).text
        prev = re.search(r'href="\?([^"]+)" id="prev-page"', second)
        assert prev is not None and "page=1" in prev.group(1)
        api = c.get("/api/v1/projects/delta/findings", params={"sort": "title", "per_page": 100}).json()["items"]
        assert _ids(first) == [i["id"] for i in api[:50]] and _ids(second) == [i["id"] for i in api[50:]]
        assert [i["title"] for i in api] == [f"delta {n:02d}" for n in range(60)]
        mangled = c.get("/p/delta/findings?sort=title&after=garbage&n=7")
        assert mangled.status_code == 200 and _ids(mangled.text) == _ids(first)  # an edited link: first page


def _ids(html: str) -> list[int]:
    return [int(i) for i in dict.fromkeys(re.findall(r'href="/p/delta/findings/(\d+)"', html))]


def test_overview_figures_match_the_list(listed: tuple[World, str]) -> None:
    world, token = listed
    open_states = ("open", "triaged", "in_progress")
    items = [i for i in _all(world, token) if i["status"] in open_states]
    r = world.client.get("/api/v1/projects/gamma/overview", headers=bearer(token))
    assert r.status_code == 200
    data = r.json()
    for severity, count in data["open_by_severity"].items():
        assert count == len([i for i in items if i["severity"] == severity])
    today = utcnow().date().isoformat()
    late = [i for i in items if i["due"] is not None and i["due"] < today]
    assert late and data["sla_breaches"] == len(late)
    per_owner: dict[str, int] = {}
    for i in late:
        per_owner[i["owner"]] = per_owner.get(i["owner"], 0) + 1
    expected = sorted(per_owner.items(), key=lambda kv: (-kv[1], kv[0]))
    assert [(o["owner"], o["overdue"]) for o in data["top_overdue_owners"]] == expected


def _shifted_clock(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    real = security.time.monotonic
    monkeypatch.setattr(security.time, "monotonic", lambda: real() + seconds)


def test_a_revocation_made_elsewhere_applies_within_the_credential_cache_time(
    listed: tuple[World, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, _ = listed
    secret, token = create_token(world.store, "gamma", Role.VIEWER, name="elsewhere", created_by="t")
    assert world.client.get(URL, headers=bearer(secret)).status_code == 200
    with world.store.write() as conn:  # as another server process or the CLI would
        conn.execute(update(ApiToken).where(ApiToken.id == token.id).values(revoked_at=utcnow()))
    assert world.client.get(URL, headers=bearer(secret)).status_code == 200  # still within the cache time
    _shifted_clock(monkeypatch, security.CREDENTIAL_CACHE_S + 0.1)
    assert world.client.get(URL, headers=bearer(secret)).status_code == 401


def test_a_cached_token_stops_at_its_expiry(listed: tuple[World, str], monkeypatch: pytest.MonkeyPatch) -> None:
    world, _ = listed
    secret = create_token(world.store, "gamma", Role.VIEWER, name="short", created_by="t", days=1)[0]
    assert world.client.get(URL, headers=bearer(secret)).status_code == 200
    later = utcnow() + timedelta(days=1, seconds=1)
    monkeypatch.setattr(security, "utcnow", lambda: later)
    assert world.client.get(URL, headers=bearer(secret)).status_code == 401


def test_a_role_change_in_this_process_applies_at_once(listed: tuple[World, str]) -> None:
    world, _ = listed
    with logged_in(world.client, "viewer-a") as c:
        assert c.get(URL).status_code == 403
        owner = bearer(create_token(world.store, "gamma", Role.OWNER, name="gamma-owner", created_by="t")[0])
        assert c.put("/api/v1/projects/gamma/members", json={"user": "viewer-a", "role": "viewer"},
                     headers=owner).status_code == 200
        assert c.get(URL).status_code == 200


def test_long_and_non_ascii_titles_page_by_cursor(listed: tuple[World, str]) -> None:
    world, _ = listed
    titles = [("漏洞" * 499) + f"{n}" for n in range(5)] + ['"quoted\\\\ \x07' + "x" * 990 + f"{n}" for n in range(5)]
    seed(world.store, "epsilon", titles)
    token = create_token(world.store, "epsilon", Role.VIEWER, name="e", created_by="t")[0]
    url = "/api/v1/projects/epsilon/findings"
    whole = world.client.get(url, params={"sort": "title", "per_page": 100}, headers=bearer(token)).json()["items"]
    walked, after = [], None
    while True:
        params: dict[str, Any] = {"sort": "title", "per_page": 3, **({"after": after} if after else {})}
        answer = world.client.get(url, params=params, headers=bearer(token)).json()
        walked += answer["items"]
        if not (after := answer["next_cursor"]):
            break
        assert len(after) <= MAX_CURSOR
    assert [i["id"] for i in walked] == [i["id"] for i in whole] and len(whole) == 10


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sort=st.sampled_from(sorted(SORT_KEYS)), value=st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30),
    st.lists(st.integers(), max_size=3), st.sampled_from(["2026-11-27", "2026-11-27T10:00:00+05:00", "9999-12-31"])),
    fid=st.one_of(st.integers(), st.booleans(), st.text(max_size=5), st.none()))
def test_any_forged_cursor_gives_a_page_or_422(listed: tuple[World, str], sort: str, value: Any, fid: Any) -> None:
    import base64
    import json

    world, token = listed
    forged = base64.urlsafe_b64encode(json.dumps([sort, value, fid]).encode()).decode().rstrip("=")
    r = world.client.get(URL, params={"sort": sort, "after": forged}, headers=bearer(token))
    assert r.status_code in (200, 422), r.text


@pytest.mark.parametrize(("q", "expected"), [
    ("FINDING 0", {f"finding {n:02d}" for n in range(10)}),  # title, any letter case
    ("cve-2024-1003", {"finding 03"}),  # rule
    ("pkg7", {"finding 07"}),  # component
    ("kg2", {"finding 02", *(f"finding {n}" for n in range(20, 24)), "same title"}),  # pkg2, pkg20-pkg29
    ("%", set()),  # literal, not a wildcard
    ("_", set()),
    ("finding 03\x1fCVE", set()),  # never across two fields
])
def test_text_search_looks_in_every_text_field(listed: tuple[World, str], q: str, expected: set[str]) -> None:
    world, token = listed
    assert {i["title"] for i in _all(world, token, q=q)} == expected


def test_text_search_matches_the_image(listed: tuple[World, str]) -> None:
    world, token = listed
    assert len(_all(world, token, q="SHOP/API:1.0")) == len(TITLES)


def test_csv_export_has_every_match_in_order_and_is_formula_safe(listed: tuple[World, str]) -> None:
    import csv
    import io

    world, _ = listed
    titles = [f"bulk {n:03d}" for n in range(520)] + ['=HYPERLINK("http://evil.example","x")', "@SUM(1)", "-2+3"]
    seed(world.store, "zeta", titles)
    token = create_token(world.store, "zeta", Role.VIEWER, name="z", created_by="t")[0]
    r = world.client.get("/api/v1/projects/zeta/findings.csv", params={"sort": "title"}, headers=bearer(token))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="zeta-findings.csv"' in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    listed_ids = [i["id"] for i in world.client.get("/api/v1/projects/zeta/findings", params={
        "sort": "title", "per_page": 500}, headers=bearer(token)).json()["items"]]
    assert len(rows) == len(titles) and [int(x["id"]) for x in rows[:500]] == listed_ids  # past one page, in order
    assert {x["title"] for x in rows} >= {"'=HYPERLINK(\"http://evil.example\",\"x\")", "'@SUM(1)", "'-2+3"}
    high = list(csv.DictReader(io.StringIO(world.client.get(
        "/api/v1/projects/zeta/findings.csv", params={"severity": "high"}, headers=bearer(token)).text)))
    assert high and {x["severity"] for x in high} == {"high"}
    empty = world.client.get("/api/v1/projects/nothing-here/findings.csv", headers=bearer(token))
    assert empty.status_code == 403  # another project


def test_findings_page_offers_its_list_as_csv(listed: tuple[World, str]) -> None:
    world, _ = listed
    with logged_in(world.client, "admin") as c:
        page = c.get("/p/gamma/findings?severity=critical&sort=title&page=2").text
        link = re.search(r'href="(/p/gamma/findings\.csv\?[^"]*)" id="export-csv"', page)
        assert link is not None and "page=" not in link.group(1) and "severity=critical" in link.group(1)
        r = c.get(link.group(1).replace("&amp;", "&"))
        assert r.status_code == 200 and r.text.startswith("id,severity,status,title")
        assert {line.split(",")[1] for line in r.text.strip().splitlines()[1:]} == {"critical"}
        nothing = c.get("/p/no-data-yet/findings.csv")  # a project without findings: the header only
        assert nothing.status_code == 200 and nothing.text == "id,severity,status,title,rule,category,component," \
            "file,line,resource,image,owner,due,first_seen,tools,fingerprint\n"


def test_findings_page_offers_the_projects_tools(listed: tuple[World, str]) -> None:
    world, _ = listed
    with logged_in(world.client, "admin") as c:
        page = c.get("/p/gamma/findings?tool=trivy").text
        assert '<option selected>trivy</option>' in page and ">grype<" not in page
        odd = c.get("/p/gamma/findings?tool=%3Cb%3Ezap").text  # kept (escaped), matches nothing
        assert "<option selected>&lt;b&gt;zap</option>" in odd


@pytest.mark.parametrize("path", ["/api/v1/projects/gamma/findings/3000000000",
                                  "/api/v1/projects/gamma/assessments/3000000000"])
def test_ids_beyond_the_stores_integers_are_refused_not_failed(listed: tuple[World, str], path: str) -> None:
    world, token = listed
    assert world.client.get(path, headers=bearer(token)).status_code == 422
    import base64
    import json

    cursor = base64.urlsafe_b64encode(json.dumps(["severity", 3, 2**40]).encode()).decode().rstrip("=")
    assert world.client.get(URL, params={"after": cursor}, headers=bearer(token)).status_code == 422


def test_a_tool_imported_through_the_service_appears_in_the_filter_at_once(listed: tuple[World, str]) -> None:
    import time

    from tests.conftest import REPO

    world, _ = listed
    seed(world.store, "theta", ["openssl overflow"])
    owner = bearer(create_token(world.store, "theta", Role.OWNER, name="o", created_by="t")[0])
    with logged_in(world.client, "admin") as c:
        assert ">grype<" not in c.get("/p/theta/findings").text  # the tools are now kept for a while
        report = (REPO / "tests" / "importers" / "samples" / "grype-json" / "image.json").read_bytes()
        job = c.post("/api/v1/projects/theta/imports?name=grype.json", content=report, headers=owner).json()
        deadline = time.monotonic() + 60
        while c.get(job["poll"], headers=owner).json()["status"] not in ("done", "failed"):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert ">grype<" in c.get("/p/theta/findings").text
