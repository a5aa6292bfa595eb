"""JSON API, version 1 (``/api/v1``). Handlers only translate HTTP to library calls."""

from __future__ import annotations

import logging
import os
import re
from dataclasses import asdict, replace
from datetime import date
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, model_validator
from starlette.concurrency import run_in_threadpool

from cnsmm import notify
from cnsmm.accounts.service import (
    Principal,
    Role,
    create_token,
    list_tokens,
    project_members,
    revoke_token,
    set_membership,
)
from cnsmm.errors import Error
from cnsmm.jobs import queue as jobs_queue
from cnsmm.jobs import spool
from cnsmm.model.types import LEVELS
from cnsmm.tracking import organisation, projects
from cnsmm.tracking.importer import ImportOptions, check_scope
from cnsmm.tracking.states import Status
from cnsmm.tracking.store import Store
from cnsmm.tracking.workflow import API_NAMES, add_comment, assign, change_many, change_status
from cnsmm.vcs import clean_commit, clean_repository
from cnsmm.web import limits, queries, records
from cnsmm.web.deps import CurrentPrincipal, need, need_admin, store_dependency
from cnsmm.web.schemas import (
    AssessmentSummary,
    FindingOut,
    FindingsPageOut,
    JobOut,
    MeOut,
    OrgProjectOut,
    OrgSearchOut,
    OverviewOut,
    ProjectOut,
    ok,
)


class ErrorOut(BaseModel):
    """An error answer: a message, or the list of request validation problems."""

    detail: str | list[Any]


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "No valid credentials (API token or session cookie)."},
    403: {"model": ErrorOut, "description": "No sufficient role in this project (whether or not it exists), "
                                            "or a missing CSRF token on a cookie-authenticated change."},
    404: {"model": ErrorOut, "description": "No such finding, job, assessment or token in this project."},
    422: {"model": ErrorOut, "description": "Invalid request or a change the workflow refuses."},
}
router = APIRouter(prefix="/api/v1", responses=ERRORS)
log = logging.getLogger("cnsmm.web")
StoreDep = Annotated[Store, Depends(store_dependency)]
Viewer = Annotated[Principal, Depends(need(Role.VIEWER))]
Developer = Annotated[Principal, Depends(need(Role.DEVELOPER))]
Security = Annotated[Principal, Depends(need(Role.SECURITY))]
Owner = Annotated[Principal, Depends(need(Role.OWNER))]
Admin = Annotated[Principal, Depends(need_admin)]
MAX_UPLOAD = limits.MAX_UPLOAD
PROJECT_NAME = projects.PROJECT_NAME
MAX_ID = queries.MAX_ID


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class ApiIn(BaseModel):
    """A request body. No text in it may hold a NUL character (none means anything here, and
    PostgreSQL refuses them): 422 instead of an error from the store."""

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if _has_nul(data):
            raise ValueError("text must not contain NUL characters")
        return data


class ProjectIn(ApiIn):
    """A project to create."""

    name: str = Field(pattern=PROJECT_NAME)


class FindingPatch(ApiIn):
    """A change to a finding: status (with its details) and/or owner."""

    status: str | None = Field(default=None, max_length=30)
    reason: str | None = Field(default=None, max_length=2000)
    approver: str | None = Field(default=None, max_length=200)
    expires: date | None = None
    duplicate_of: int | None = Field(default=None, ge=1, le=MAX_ID)
    owner: str | None = Field(default=None, max_length=200)


class BulkFilter(ApiIn):
    """Which findings a bulk change selects (every field given must match)."""

    severity: list[str] = Field(default_factory=list, max_length=10)
    status: list[str] = Field(default_factory=list, max_length=10)
    tool: str | None = Field(default=None, max_length=100)
    rule: list[Annotated[str, Field(max_length=300)]] = Field(default_factory=list, max_length=100)
    path: str | None = Field(default=None, max_length=1000, description="Glob over the file (* and ?).")
    owner: str | None = Field(default=None, max_length=200)
    q: str | None = Field(default=None, max_length=200)
    overdue: bool = Field(default=False, description="Only open findings past their due date.")


class BulkStatus(ApiIn):
    """The same status change on several findings: named by ``ids``, or selected by ``filter``."""

    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(default_factory=list, max_length=1000)
    filter: BulkFilter | None = None
    status: str = Field(max_length=30)
    reason: str | None = Field(default=None, max_length=2000)
    approver: str | None = Field(default=None, max_length=200)
    expires: date | None = None
    duplicate_of: int | None = Field(default=None, ge=1, le=MAX_ID)
    dry_run: bool = False


class CommentIn(ApiIn):
    """A comment."""

    text: str = Field(min_length=1, max_length=10000)


class MemberIn(ApiIn):
    """A membership to set."""

    user: str = Field(min_length=1, max_length=100)
    role: Role | None


class TokenIn(ApiIn):
    """A token to create."""

    name: str = Field(min_length=1, max_length=200)
    role: Role
    days: int = Field(default=90, ge=1, le=3650, description="Days until the token expires (every token expires).")


class AttestationsIn(ApiIn):
    """The attestation document (YAML text)."""

    text: str = Field(max_length=2_000_000)


def _pid(store: Store, project: str) -> int:
    pid = queries.project_id(store, project)
    if pid is None:
        raise HTTPException(status_code=404, detail=f"project {project!r} has no data yet")
    return pid


def _in_project(store: Store, project: str, finding_id: int) -> None:
    if queries.detail(store, _pid(store, project), finding_id) is None:
        raise HTTPException(status_code=404, detail=f"no finding {finding_id} in this project")


def workflow_error(exc: Error) -> HTTPException:
    """A refused change as a 422 answer: the request fields at fault, in the shape of FastAPI's
    own validation errors, or the message when no field is to blame."""
    fields = getattr(exc, "fields", ())
    if fields:
        detail: Any = [{"loc": ["body", f], "msg": exc.diagnostics(), "type": "value_error"} for f in fields]
    else:
        detail = exc.diagnostics()
    return HTTPException(status_code=exc.http_status, detail=detail)


def error_text(detail: Any) -> str:
    """The message of an error answer's detail (a text, or a list of field problems)."""
    if isinstance(detail, list):
        return "; ".join(dict.fromkeys(str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail))
    return str(detail)


def _status_allowed(who: Principal, project: str, status: Status) -> None:
    role = who.role_in(project)
    if status in (Status.RISK_ACCEPTED, Status.FALSE_POSITIVE) and (role is None or role.rank < Role.SECURITY.rank):
        raise HTTPException(status_code=403, detail=f"setting {status.value} needs the security role")


def _apply(store: Store, who: Principal, project: str, fid: int, patch: FindingPatch) -> None:
    try:
        if patch.status:
            status = Status.parse(patch.status)
            _status_allowed(who, project, status)
            change_status(store, fid, status, actor=who.name, reason=patch.reason, approver=patch.approver,
                          expires=patch.expires, duplicate_of=patch.duplicate_of, names=API_NAMES)
        if patch.owner is not None:
            assign(store, fid, patch.owner, actor=who.name)
    except Error as exc:
        raise workflow_error(exc) from None
    finally:
        queries.project_changed(store, project)


@router.get("/me", responses=ok(MeOut))
def me(who: CurrentPrincipal) -> dict[str, Any]:
    """The caller and their roles."""
    return {"name": who.name, "admin": who.is_admin, "via": who.via,
            "roles": {p: r.value for p, r in sorted(who.roles.items())}}


@router.get("/projects", responses=ok(list[ProjectOut]))
def list_projects(who: CurrentPrincipal, store: StoreDep) -> list[dict[str, Any]]:
    """Projects the caller may see."""
    return [{"name": n, "role": r} for n, r in visible_projects(who, store).items()]


def visible_projects(who: Principal, store: Store) -> dict[str, str]:
    """Project -> the caller's role, for every project the caller may see."""
    names = set(queries.project_names(store)) | set(who.roles)
    return {n: r.value for n in sorted(names) if (r := who.role_in(n)) is not None}


@router.get("/org/projects", responses=ok(list[OrgProjectOut]))
def org_projects(who: CurrentPrincipal, store: StoreDep) -> list[dict[str, Any]]:
    """Every project the caller may see with its open findings by severity, SLA breaches,
    accepted and fixed counts, and its maturity level and change (organisation view)."""
    roles = visible_projects(who, store)
    out = []
    for item in organisation.summaries(store, list(roles)):
        trend = records.maturity_trend(store, item.project, limit=2)
        level = trend[-1]["overall"] if trend else None
        change = level - trend[-2]["overall"] if len(trend) == 2 and level is not None \
            and trend[-2]["overall"] is not None else None
        out.append({**asdict(item), "role": roles[item.project], "maturity": level, "maturity_change": change})
    return out


@router.get("/org/search", responses=ok(OrgSearchOut))
def org_search(who: CurrentPrincipal, store: StoreDep,
               q: Annotated[str, Query(min_length=1, max_length=300, description="A CVE, GHSA or rule id")],
               all_statuses: Annotated[bool, Query(alias="all")] = False) -> dict[str, Any]:
    """Where a CVE or rule is found across the projects the caller may see (open findings;
    ``all=true`` for every status): exact counts per project and the first findings."""
    return organisation.search(store, list(visible_projects(who, store)), q, open_only=not all_statuses)


@router.post("/projects", status_code=201)
def create_project(body: ProjectIn, who: Admin, store: StoreDep) -> dict[str, str]:
    """Create a project (admins)."""
    records.create_project(store, body.name)
    return {"name": body.name}


async def list_filter(
    severity: Annotated[list[str] | None, Query(max_length=10)] = None,
    status: Annotated[list[str] | None, Query(max_length=10)] = None,
    tool: Annotated[str | None, Query(max_length=100)] = None,
    owner: Annotated[str | None, Query(max_length=200)] = None,
    overdue: bool = False,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: Annotated[str, Query(pattern="^-?(severity|due|newest|oldest|title)$")] = "severity",
    rule: Annotated[list[Annotated[str, Field(max_length=300)]] | None,
                    Query(max_length=100, description="Rule ids (CVE, check id), exactly; repeatable.")] = None,
    path: Annotated[str | None, Query(max_length=1000, description="Glob over the file (* and ?).")] = None,
) -> queries.FindingFilter:
    """The filters and sort of a findings list (query parameters)."""
    return queries.FindingFilter(severity or [], status or [], tool, owner, overdue, q, sort, rule=rule or [],
                                 path=path or None)


ListFilter = Annotated[queries.FindingFilter, Depends(list_filter)]


@router.get("/projects/{project}/findings", responses=ok(FindingsPageOut))
def findings(
    project: str, who: Viewer, store: StoreDep, flt: ListFilter,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
    after: Annotated[str | None, Query(max_length=queries.MAX_CURSOR)] = None,
) -> dict[str, Any]:
    """A filtered, sorted page of the project's findings.

    ``total`` is exact up to 1000 matches; past that ``total_exact`` is false and ``total`` a
    lower bound (use the overview for exact counts). ``has_more`` tells whether a next page exists.
    To walk a long list, pass each answer's ``next_cursor`` back as ``after`` (with the same
    filters and sort): every page then costs the same, however deep. ``page`` numbers skip the
    rows before the page, which costs more the deeper the page.
    """
    pid = queries.project_id(store, project)
    found = queries.FindingsPage([], 0, True, False)
    if pid is not None:
        try:
            found = queries.list_page(store, pid, replace(flt, page=page, per_page=per_page, after=after))
        except queries.CursorError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None
    return {"items": found.items, "total": found.total, "total_exact": found.total_exact, "has_more": found.has_more,
            "next_cursor": found.next_cursor, "page": page, "per_page": per_page}


@router.get("/projects/{project}/findings.csv", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}, "description": "Every matching finding, as CSV."}})
def findings_csv(project: str, who: Viewer, store: StoreDep, flt: ListFilter) -> StreamingResponse:
    """Every finding the filters match, in the sort order, as CSV (for spreadsheets: cells that
    would run as formulas are quoted with a leading apostrophe)."""
    return csv_response(store, project, flt)


def csv_response(store: Store, project: str, flt: queries.FindingFilter) -> StreamingResponse:
    """A streamed CSV download of a findings list (empty, with its header, for a project with no data)."""
    lines = queries.export_csv(store, queries.project_id(store, project), flt)
    name = re.sub(r"[^A-Za-z0-9._-]", "_", project)
    return StreamingResponse(lines, media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{name}-findings.csv"'})


@router.get("/projects/{project}/findings/{finding_id}", responses=ok(FindingOut))
def finding(project: str, finding_id: Annotated[int, Path(ge=1, le=MAX_ID)], who: Viewer,
            store: StoreDep) -> dict[str, Any]:
    """One finding with its sources, history and comments."""
    item = queries.detail(store, _pid(store, project), finding_id)
    if item is None:
        raise HTTPException(status_code=404, detail=f"no finding {finding_id} in this project")
    return item


@router.patch("/projects/{project}/findings/{finding_id}")
def update_finding(project: str, finding_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: FindingPatch,
                   who: Developer, store: StoreDep) -> dict[str, Any]:
    """Change status and/or owner."""
    _in_project(store, project, finding_id)
    _apply(store, who, project, finding_id, body)
    return finding(project, finding_id, who, store)


@router.post("/projects/{project}/findings/bulk-status")
def bulk_status(project: str, body: BulkStatus, who: Developer, store: StoreDep) -> dict[str, Any]:
    """The same status change on the findings named by ``ids`` or selected by ``filter``, in one
    transaction, with the details the status needs (``reason``; ``approver``, ``reason`` and
    ``expires`` for a risk acceptance; ``duplicate_of``). Findings that cannot move are listed in
    ``failed`` with the reason; ``dry_run`` answers what would change and changes nothing."""
    if not body.ids and body.filter is None:
        raise HTTPException(status_code=422, detail=[{"loc": ["body", "ids"], "type": "missing",
                                                      "msg": "name findings by `ids`, or select them by `filter`"}])
    try:
        status = Status.parse(body.status)
    except Error as exc:
        raise HTTPException(status_code=422, detail=[{"loc": ["body", "status"], "type": "value_error",
                                                      "msg": exc.diagnostics()}]) from None
    _status_allowed(who, project, status)
    chosen = body.filter or BulkFilter()
    flt = queries.FindingFilter(severity=chosen.severity, status=chosen.status, tool=chosen.tool, owner=chosen.owner,
                                q=chosen.q, rule=chosen.rule, path=chosen.path, overdue=chosen.overdue, ids=body.ids)
    if queries.project_id(store, project) is None:
        return {"changed": [], "failed": {str(i): "not in this project" for i in body.ids}, "matched": 0,
                "dry_run": body.dry_run}
    try:
        outcome = change_many(store, project, flt, status, actor=who.name, reason=body.reason,
                              approver=body.approver, expires=body.expires, duplicate_of=body.duplicate_of,
                              dry_run=body.dry_run, names=API_NAMES)
    except Error as exc:
        raise workflow_error(exc) from None
    finally:
        queries.project_changed(store, project)
    changed = [fid for fid, _old, _title in outcome.changed]
    failed = {str(fid): why for fid, why in outcome.skipped.items()}
    moved = set(changed)
    failed |= {str(fid): "not in this project" for fid in body.ids if fid not in moved and fid not in outcome.skipped}
    return {"changed": changed, "failed": failed, "matched": outcome.matched, "dry_run": outcome.dry_run}


@router.post("/projects/{project}/findings/{finding_id}/comments", status_code=201)
def comment(project: str, finding_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: CommentIn, who: Developer,
            store: StoreDep) -> dict[str, str]:
    """Add a comment."""
    _in_project(store, project, finding_id)
    add_comment(store, finding_id, body.text, actor=who.name)
    return {"status": "added"}


@router.get("/projects/{project}/overview", responses=ok(OverviewOut))
def project_overview(project: str, who: Viewer, store: StoreDep) -> dict[str, Any]:
    """Open findings by severity, SLA breaches, top overdue owners and the maturity trend."""
    pid = queries.project_id(store, project)
    data: dict[str, Any] = queries.overview(store, pid) if pid is not None else queries.empty_overview()
    data["maturity_trend"] = records.maturity_trend(store, project)
    return data


@router.post("/projects/{project}/imports", status_code=202)
async def upload_report(project: str, request: Request, who: Security, store: StoreDep,
                        format: Annotated[str | None, Query(max_length=50)] = None,
                        name: Annotated[str, Query(max_length=300)] = "upload",
                        scope: Annotated[str | None, Query(max_length=500)] = None,
                        covers: Annotated[list[str] | None, Query(max_length=100)] = None,
                        excluded: Annotated[list[str] | None, Query(max_length=100)] = None,
                        root: Annotated[list[str] | None, Query(max_length=10)] = None,
                        repo: Annotated[str | None, Query(max_length=300)] = None,
                        commit: Annotated[str | None, Query(max_length=64)] = None) -> dict[str, str]:
    """Upload a report (request body: the file). Returns a job id to poll.

    The report is kept in the store before the answer: a job accepted here is imported once,
    even when the service or a worker stops meanwhile (a job whose worker stopped is started
    again, at most three times, then failed with the reason).

    ``scope`` names what the report covered (as ``cnsmm import --scope``); without it the
    report's own (image, target, repository) is used. ``covers`` and ``excluded`` (repeatable)
    say which paths the scan looked at: findings outside are never closed by it. ``root``
    (the checkout folder on the machine that scanned), ``repo`` and ``commit`` make paths
    repository-relative. See docs/tracking.md."""
    if not re.match(PROJECT_NAME, project):
        raise HTTPException(status_code=422, detail="invalid project name")
    if scope is not None:
        try:
            scope = check_scope(scope, where="scope")
        except Error as exc:
            raise HTTPException(status_code=422, detail=[{"loc": ["query", "scope"], "type": "value_error",
                                                          "msg": exc.diagnostics()}]) from None
    options = import_options(scope, covers or [], excluded or [], root or [], repo, commit)
    for label, value in (("name", name), ("format", format or "")):
        if "\x00" in value:
            raise HTTPException(status_code=422, detail=[{"loc": ["query", label], "type": "value_error",
                                                          "msg": f"{label} must not contain NUL characters"}])
    try:
        upload = await spool.receive(request.stream(), MAX_UPLOAD)
    except spool.UploadTooLarge:
        raise HTTPException(status_code=413, detail="report larger than 2 GiB") from None
    try:
        if upload.size == 0:
            raise HTTPException(status_code=422, detail="empty upload: send the report file as the request body")
        params = {"format": format, "name": os.path.basename(name), "scope": scope, **options.params()}
        job_id = await run_in_threadpool(jobs_queue.create_import, store, project, who.name, params, upload)
    finally:
        os.unlink(upload.path)
    try:
        await request.app.state.jobs.submitted(job_id, project)
    except Exception:  # the job is kept: a worker's maintenance loop hands it out again
        log.exception("job %s: could not hand it to the workers now", job_id)
    return {"job": job_id, "poll": f"/api/v1/projects/{project}/jobs/{job_id}"}


def import_options(scope: str | None, covers: list[str], excluded: list[str], roots: list[str],
                    repo: str | None, commit: str | None) -> ImportOptions:
    """The import options from query parameters, or a 422 naming the parameter."""

    def bad(field: str, msg: str) -> HTTPException:
        return HTTPException(status_code=422, detail=[{"loc": ["query", field], "type": "value_error", "msg": msg}])

    for field, values in (("covers", covers), ("excluded", excluded), ("root", roots)):
        for value in values:
            if not value or len(value) > 1000 or any(ord(c) < 32 for c in value):
                raise bad(field, f"{field} must be 1-1000 printable characters")
    for value in roots:
        if not value.startswith("/") and not re.match(r"^[A-Za-z]:[\\/]", value):
            raise bad("root", f"root must be an absolute path (got {value[:60]!r})")
    if repo and not clean_repository(repo):
        raise bad("repo", f"not a repository URL (got {repo[:60]!r}, expected e.g. https://github.com/acme/shop)")
    if commit and not clean_commit(commit):
        raise bad("commit", f"not a commit id (got {commit[:64]!r}, expected 7-64 hexadecimal digits)")
    return ImportOptions(scope, tuple(roots), repo, commit, tuple(covers), tuple(excluded))


@router.get("/projects/{project}/jobs/{job_id}", responses=ok(JobOut))
def job(project: str, job_id: Annotated[str, Path(max_length=36)], who: Viewer, store: StoreDep) -> dict[str, Any]:
    """State of a background job (read without the write lock: polling never waits for an import)."""
    state = records.job_state(store, project, job_id)
    if state is None:
        raise HTTPException(status_code=404, detail="no such job in this project")
    return state


@router.post("/projects/{project}/assessments", status_code=201)
async def upload_assessment(project: str, request: Request, who: Security, store: StoreDep) -> dict[str, Any]:
    """Store an assessment (the JSON of `cnsmm assess --format json`)."""
    try:
        doc = await request.json()
    except ValueError:
        raise HTTPException(status_code=422, detail="body is not JSON") from None
    overall = doc.get("overall") if isinstance(doc, dict) else None
    level = overall.get("level") if isinstance(overall, dict) else None
    if not isinstance(level, int) or not isinstance(doc.get("practices"), list):
        raise HTTPException(status_code=422,
                            detail="not a cnsmm assessment (expected `overall.level` and `practices`)")
    if isinstance(level, bool) or not 0 <= level <= max(LEVELS):
        raise HTTPException(status_code=422,
                            detail=f"overall.level must be a level from 0 to {max(LEVELS)} "
                                   f"(got {level if abs(level) < 10**6 else 'a larger number'})")
    return await run_in_threadpool(records.store_assessment, store, project, who.name, level, doc)


@router.get("/projects/{project}/assessments", responses=ok(list[AssessmentSummary]))
def assessments(project: str, who: Viewer, store: StoreDep) -> list[dict[str, Any]]:
    """Assessments of the project, newest first."""
    return records.list_assessments(store, project)


@router.get("/projects/{project}/assessments/{assessment_id}")
def assessment(project: str, assessment_id: Annotated[int, Path(ge=1, le=MAX_ID)], who: Viewer,
               store: StoreDep) -> dict[str, Any]:
    """One assessment document."""
    data = records.assessment_document(store, project, assessment_id)
    if data is None:
        raise HTTPException(status_code=404, detail="no such assessment in this project")
    return data


@router.get("/projects/{project}/attestations")
def get_attestations(project: str, who: Viewer, store: StoreDep) -> dict[str, Any]:
    """The project's attestation document."""
    return records.attestations(store, project)


@router.put("/projects/{project}/attestations")
def put_attestations(project: str, body: AttestationsIn, who: Security, store: StoreDep) -> dict[str, Any]:
    """Replace the attestation document after validating it."""
    problems = request_validation_problems(body.text)
    if problems:
        raise HTTPException(status_code=422, detail=problems)
    records.save_attestations(store, project, body.text, who.name)
    return {"status": "saved"}


def request_validation_problems(text: str) -> list[str]:
    """Problems in an attestation document (empty when valid)."""
    from cnsmm.web.attest_check import attestation_problems

    return attestation_problems(text)


@router.get("/projects/{project}/members")
def members(project: str, who: Owner, store: StoreDep) -> list[dict[str, str]]:
    """Members and their roles."""
    return project_members(store, project)


@router.put("/projects/{project}/members")
def set_member(project: str, body: MemberIn, who: Owner, store: StoreDep) -> dict[str, str]:
    """Give a user a role in the project (role null removes them)."""
    try:
        set_membership(store, body.user, project, body.role)
    except Error as exc:
        raise HTTPException(status_code=422, detail=exc.diagnostics()) from None
    return {"status": "saved"}


@router.get("/projects/{project}/tokens")
def tokens(project: str, who: Owner, store: StoreDep) -> list[dict[str, Any]]:
    """API tokens of the project (never their secrets)."""
    return list_tokens(store, project)


@router.post("/projects/{project}/tokens", status_code=201)
def new_token(project: str, body: TokenIn, who: Owner, store: StoreDep) -> dict[str, Any]:
    """Create a token; its secret is in this answer only."""
    secret, token = create_token(store, project, body.role, name=body.name, created_by=who.name, days=body.days)
    return {"id": token.id, "token": secret, "role": token.role,
            "expires_at": token.expires_at.isoformat(timespec="seconds") if token.expires_at else None}


@router.delete("/projects/{project}/tokens/{token_id}")
def delete_token(project: str, token_id: Annotated[int, Path(ge=1, le=MAX_ID)], who: Owner,
                 store: StoreDep) -> dict[str, str]:
    """Revoke a token."""
    if not revoke_token(store, project, token_id):
        raise HTTPException(status_code=404, detail="no such active token in this project")
    return {"status": "revoked"}


WebhookEvent = Literal["findings.new", "sla.breached", "risk.expiring"]
"""An event a webhook may ask for (:data:`cnsmm.notify.EVENTS`)."""
ALL_EVENTS: tuple[WebhookEvent, ...] = get_args(WebhookEvent)


class WebhookIn(ApiIn):
    """A webhook to register: where to send which events, in which format."""

    url: str = Field(min_length=8, max_length=2000, description="http(s) URL that receives the POSTs")
    events: list[WebhookEvent] = Field(default_factory=lambda: list(ALL_EVENTS), min_length=1, max_length=10)
    format: Literal["json", "slack"] = Field(default="json", description="`json` (signed document) or `slack`")


@router.get("/projects/{project}/webhooks")
def webhooks(project: str, who: Owner, store: StoreDep) -> list[dict[str, Any]]:
    """The project's webhooks (their secrets are never shown again)."""
    return notify.list_webhooks(store, project)


@router.post("/projects/{project}/webhooks", status_code=201)
def add_webhook(project: str, body: WebhookIn, who: Owner, store: StoreDep) -> dict[str, Any]:
    """Register a webhook; the answer holds its signing secret, shown this once."""
    try:
        hook_id, secret = notify.add_webhook(store, project, body.url, events=body.events, fmt=body.format,
                                             created_by=who.name)
    except Error as exc:
        raise HTTPException(status_code=422, detail=[{"loc": ["body", "url"], "type": "value_error",
                                                      "msg": exc.diagnostics()}]) from None
    return {"id": hook_id, "secret": secret, "url": body.url.strip(), "events": body.events, "format": body.format}


@router.delete("/projects/{project}/webhooks/{hook_id}")
def delete_webhook(project: str, hook_id: Annotated[int, Path(ge=1, le=MAX_ID)], who: Owner,
                   store: StoreDep) -> dict[str, str]:
    """Remove a webhook and its delivery log."""
    if not notify.delete_webhook(store, project, hook_id):
        raise HTTPException(status_code=404, detail="no such webhook in this project")
    return {"status": "deleted"}


@router.get("/projects/{project}/webhook-deliveries")
def webhook_deliveries(project: str, who: Owner, store: StoreDep) -> list[dict[str, Any]]:
    """The latest 100 deliveries of the project's webhooks, newest first: event, status
    (pending, delivered, failed), attempts, last HTTP status and error."""
    return notify.deliveries(store, project)


class AssignedSeveritiesIn(ApiIn):
    """Changes to the severities a project assigns to rules whose tool gives none."""

    rules: dict[Annotated[str, Field(min_length=1, max_length=300)], str | None] = Field(
        max_length=1000, description="Rule id -> critical, high, medium, low, info; null or `auto` for cnsmm's own.")


@router.get("/projects/{project}/assigned-severities")
def assigned_severities(project: str, who: Viewer, store: StoreDep) -> dict[str, Any]:
    """The severities the project assigns to rules whose tool gives none (as `cnsmm import
    --assign-severity`), over cnsmm's own mapping."""
    table = projects.project_settings(store, project).get("severity") or {}
    return {"rules": dict(sorted(table.items()))}


@router.put("/projects/{project}/assigned-severities")
def set_assigned_severities(project: str, body: AssignedSeveritiesIn, who: Security,
                            store: StoreDep) -> dict[str, Any]:
    """Change some of them (the others are kept); applied on every later import (stored findings
    change on their stream's next import)."""
    try:
        table = projects.set_assigned_severities(store, project, body.rules)
    except Error as exc:
        raise HTTPException(status_code=422, detail=[{"loc": ["body", "rules"], "type": "value_error",
                                                      "msg": exc.diagnostics()}]) from None
    return {"rules": table}
