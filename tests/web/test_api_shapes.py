"""The JSON API's answers have the shapes its OpenAPI document gives (cnsmm.web.schemas),
checked on answers with every part filled: history, comments, sources, trend, a job."""

from __future__ import annotations

import time

from tests.conftest import REPO
from tests.web.conftest import World, bearer, seed

from cnsmm.web import schemas


def test_answers_match_the_documented_models(world: World) -> None:
    seed(world.store, "alpha", ["openssl overflow", "zlib inflate bug"])
    c, owner = world.client, bearer(world.tokens["owner-a"])
    page = c.get("/api/v1/projects/alpha/findings?per_page=1", headers=owner).json()
    schemas.FindingsPageOut.model_validate(page)
    assert page["next_cursor"]
    fid = page["items"][0]["id"]
    assert c.patch(f"/api/v1/projects/alpha/findings/{fid}", json={"status": "triaged", "reason": "seen"},
                   headers=owner).status_code == 200
    assert c.post(f"/api/v1/projects/alpha/findings/{fid}/comments", json={"text": "on it"},
                  headers=owner).status_code == 201
    detail = c.get(f"/api/v1/projects/alpha/findings/{fid}", headers=owner).json()
    parsed = schemas.FindingOut.model_validate(detail)
    assert parsed.history and parsed.comments and parsed.sources
    assert parsed.history[-1].to == "triaged" and parsed.history[-1].from_ == "open"
    doc = {"overall": {"level": 1}, "practices": [], "schema_version": 1}
    assert c.post("/api/v1/projects/alpha/assessments", json=doc, headers=owner).status_code == 201
    overview = c.get("/api/v1/projects/alpha/overview", headers=owner).json()
    assert schemas.OverviewOut.model_validate(overview).maturity_trend
    for item in c.get("/api/v1/projects/alpha/assessments", headers=owner).json():
        schemas.AssessmentSummary.model_validate(item)
    schemas.MeOut.model_validate(c.get("/api/v1/me", headers=owner).json())
    for item in c.get("/api/v1/projects", headers=owner).json():
        schemas.ProjectOut.model_validate(item)
    report = (REPO / "tests" / "importers" / "samples" / "trivy-json" / "image.json").read_bytes()
    job = c.post("/api/v1/projects/alpha/imports?name=image.json", content=report, headers=owner).json()
    deadline = time.monotonic() + 60
    while True:
        state = c.get(job["poll"], headers=owner).json()
        schemas.JobOut.model_validate(state)
        if state["status"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert state["status"] == "done" and state["result"]
