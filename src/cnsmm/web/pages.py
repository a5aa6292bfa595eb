"""Server-rendered pages (Jinja2 with autoescape). Forms post back here with the CSRF token."""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, QueryParams

from cnsmm.accounts.service import Principal, Role, create_user, list_users, login, logout
from cnsmm.errors import AuthError, Error, LoginFailedError
from cnsmm.findings import Severity
from cnsmm.report.html import code_spans
from cnsmm.tracking.projects import ASSIGNABLE
from cnsmm.tracking.states import OPEN_STATES, Status
from cnsmm.web import api, queries, records
from cnsmm.web.advisories import advisory_links
from cnsmm.web.deps import SESSION_COOKIE, get_store, optional_principal
from cnsmm.web.i18n import LANGS, t, value_label
from cnsmm.web.limits import read_form

router = APIRouter(include_in_schema=False)
log = logging.getLogger("cnsmm.web")
LOGIN_CSRF = "cnsmm_login_csrf"
_env = Environment(
    loader=FileSystemLoader(str(Path(__file__).parent / "templates")),
    autoescape=select_autoescape(["html", "j2"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["code"] = code_spans  # plan and evidence texts name commands as Markdown code spans
SEVERITIES = tuple(s.value for s in Severity)


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("cnsmm_lang") or "en"
    return lang if lang in LANGS else "en"


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page; sets the language cookie when ``?lang=`` was given."""
    lang = _lang(request)
    who = context.pop("who", None)
    context.setdefault("project", None)
    held = who.role_in(context["project"]) if isinstance(who, Principal) and context["project"] else None
    context["project_owner"] = held is not None and held.rank >= Role.OWNER.rank  # the nav links webhooks
    html = _env.get_template(template).render(
        request=request, lang=lang, T=lambda key: t(key, lang), V=lambda value: value_label(str(value), lang), who=who,
        csrf=who.csrf_token if isinstance(who, Principal) else "", quote=quote, **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    if request.query_params.get("lang") in LANGS:
        response.set_cookie("cnsmm_lang", lang, max_age=365 * 86400, samesite="lax")
    response.headers["Content-Security-Policy"] = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


async def _who(request: Request, project: str | None = None, role: Role = Role.VIEWER) -> Principal | Response:
    try:
        who = await optional_principal(request)
    except HTTPException as exc:
        return render(request, "error.html", exc.status_code, message=exc.detail)
    if who is None:
        return RedirectResponse(f"/login?next={quote(str(request.url.path))}", status_code=303)
    if project is not None:
        held = who.role_in(project)
        if held is None or held.rank < role.rank:
            return render(request, "error.html", 403, who=who, message=t("forbidden", _lang(request)))
    return who


async def _viewed(request: Request, project: str, view: Callable[..., Response], *args: Any) -> Response:
    """A page of ``project`` for its viewers: the caller is checked on the event loop, then
    ``view(request, who, project, *args)`` does the store work and rendering in a worker thread."""
    who = await _who(request, project)
    if isinstance(who, Response):
        return who
    return await run_in_threadpool(view, request, who, project, *args)


def is_page(path: str) -> bool:
    """Whether ``path`` is (or would be) a page of the service rather than the API, a static
    file or the health check: its errors are pages too."""
    return not path.startswith(("/api/", "/static/", "/healthz", "/docs", "/redoc", "/openapi"))


async def error_page(request: Request, status: int, message: str | None = None) -> Response:
    """An error page (an unknown page, a malformed id) with the header and, for a caller who
    may see the project named by the path, the project's navigation."""
    try:
        who = await optional_principal(request, check_csrf=False)
    except HTTPException:
        who = None
    parts = request.url.path.split("/")
    project = parts[2] if len(parts) > 2 and parts[1] == "p" and parts[2] else None
    if who is None or project is None or who.role_in(project) is None:
        project = None  # names only a project the caller may see
    text = message or t("page_not_found" if status == 404 else "forbidden", _lang(request))
    return render(request, "error.html", status, who=who, project=project, message=text)


@router.get("/login")
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", login_csrf=token, next=_safe_next(next), error=None)
    response.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.post("/login")
async def login_submit(request: Request) -> Response:
    expected = request.cookies.get(LOGIN_CSRF, "")
    if not expected:  # not from the login form: refused before the body is read
        return render(request, "login.html", 403, login_csrf="", next="/", error="form expired; try again")
    form = await read_form(request)
    sent = str(form.get("csrf_token", ""))
    if not secrets.compare_digest(sent, expected):
        return render(request, "login.html", 403, login_csrf=expected, next="/", error="form expired; try again")
    address = request.client.host if request.client else "unknown"
    try:
        cookie, _ = await run_in_threadpool(login, get_store(request), str(form.get("username", "")),
                                            str(form.get("password", "")), address)
    except LoginFailedError as exc:
        return render(request, "login.html", exc.http_status, login_csrf=expected,
                      next=_safe_next(str(form.get("next", "/"))), error=exc.message)
    response = RedirectResponse(_safe_next(str(form.get("next", "/"))), status_code=303)
    response.set_cookie(SESSION_COOKIE, cookie, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        max_age=12 * 3600)
    response.delete_cookie(LOGIN_CSRF)
    return response


@router.post("/logout")
async def logout_submit(request: Request) -> Response:
    who = await _who(request)
    if isinstance(who, Response):
        return who
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await run_in_threadpool(logout, get_store(request), cookie)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/")
async def home(request: Request) -> Response:
    who = await _who(request)
    if isinstance(who, Response):
        return who
    return await run_in_threadpool(_home_view, request, who)


def _home_view(request: Request, who: Principal, status: int = 200, error: str | None = None,
               notice: str | None = None) -> HTMLResponse:
    """The projects the caller may see; for admins also the users and the forms to add both."""
    store = get_store(request)
    users = list_users(store) if who.is_admin else []
    return render(request, "projects.html", status, who=who, projects=api.list_projects(who, store), users=users,
                  error=error, notice=notice)


@router.post("/")
async def home_action(request: Request) -> Response:
    """Admins: create a project (then its settings page opens) or a local user."""
    who = await _who(request)
    if isinstance(who, Response):
        return who
    if not who.is_admin:
        return render(request, "error.html", 403, who=who, message=t("forbidden", _lang(request)))
    form = await read_form(request)
    return await run_in_threadpool(_home_change, request, who, form)


def _home_change(request: Request, who: Principal, form: FormData) -> Response:
    store = get_store(request)
    action = str(form.get("action", ""))
    try:
        if action == "project":
            name = str(form.get("name", "")).strip()
            api.create_project(api.ProjectIn(name=name), who, store)
            return RedirectResponse(f"/p/{quote(name)}/settings", status_code=303)
        if action == "user":
            name = str(form.get("name", "")).strip()
            create_user(store, name, str(form.get("password", "")), admin=form.get("admin") == "1")
            return _home_view(request, who, notice=t("user_created", _lang(request)) + f" {name}")
        raise ValueError(f"unknown action {action!r}")
    except ValidationError:
        return _home_view(request, who, 422, error=t("bad_project_name", _lang(request)))
    except (AuthError, ValueError) as exc:
        return _home_view(request, who, 422, error=exc.message if isinstance(exc, AuthError) else str(exc))


def _latest(store: Any, project: str, assessment_id: int | None = None) -> dict[str, Any] | None:
    return records.assessment_document(store, project, assessment_id)


def _radar(doc: dict[str, Any] | None, lang: str) -> Any:
    if not doc:
        return None
    from cnsmm.report.radar import radar

    levels = records.domain_levels(doc.get("domains"))  # uploads are loosely checked: odd entries are left out
    domains = [d for d in doc.get("domains") or [] if isinstance(d, dict) and d.get("id") in levels]
    names = _model_names(lang)
    return radar([str(d["id"]) for d in domains], [levels[d["id"]] for d in domains],
                 [_number(d.get("score"), 0.0, 5.0) for d in domains],
                 [int(_number(d.get("target"), 0, 5)) for d in domains],
                 titles=[f"{d['id']} {names.get(str(d['id']), str(d.get('name', '')))}" for d in domains])


def _number(value: Any, low: float, high: float) -> float:
    """``value`` as a number within [low, high]; anything else is ``low``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return low
    return min(max(float(value), low), high)


@router.get("/org")
async def org_page(request: Request) -> Response:
    """Every project the caller may see with its open work, and a search across them."""
    who = await _who(request)
    if isinstance(who, Response):
        return who
    return await run_in_threadpool(_org_view, request, who)


def _org_view(request: Request, who: Principal) -> HTMLResponse:
    store = get_store(request)
    q = request.query_params.get("q", "").strip()[:300]
    all_statuses = request.query_params.get("all") == "1"
    hits = api.org_search(who, store, q, all_statuses) if q else None
    rows = api.org_projects(who, store)
    importable = [r["project"] for r in rows if _can_import(who, r["project"])]
    return render(request, "org.html", who=who, rows=rows, severities=SEVERITIES, q=q,
                  all_statuses=all_statuses, hits=hits, importable=importable)


@router.get("/p/{project}")
async def overview_page(request: Request, project: str) -> Response:
    return await _viewed(request, project, _overview_view)


def _overview_view(request: Request, who: Principal, project: str) -> Response:
    store = get_store(request)
    data = api.project_overview(project, who, store)
    doc = _latest(store, project)
    lang = _lang(request)
    from cnsmm.report.i18n import label

    held = who.role_in(project)
    return render(request, "overview.html", who=who, project=project, data=data, doc=doc,
                  chart=_radar(doc, lang), severities=SEVERITIES, tr=_trend(data["maturity_trend"], lang),
                  trend_title=label("trend", lang), can_import=held is not None and held.rank >= Role.SECURITY.rank)


@router.get("/p/{project}/maturity")
async def maturity_page(request: Request, project: str, id: Annotated[int | None, Query(ge=1, le=api.MAX_ID)] = None,
                        compare: Annotated[int | None, Query(ge=1, le=api.MAX_ID)] = None) -> Response:
    return await _viewed(request, project, _maturity_view, id, compare)


@lru_cache(maxsize=len(LANGS))
def _model_names(lang: str) -> dict[str, str]:
    """Names of the model's domains, sub-items, practices and requirements in ``lang`` (the
    packaged model does not change while the service runs)."""
    from cnsmm.model import load_model

    model = load_model()
    names = {d.id: d.name.get(lang) for d in model.domains}
    names |= {i: s.name.get(lang) for i, s in model.sub_items.items()}
    names |= {i: p.name.get(lang) for i, p in model.practices.items()}
    return names | {i: r.text.get(lang) for i, r in model.requirements.items()}


def _summary(doc: dict[str, Any] | None, lang: str) -> list[str]:
    """The evidence coverage, open questions and the level they would reach, and the plan's total
    effort, from an assessment document (parts the document lacks or gives oddly are left out)."""
    from cnsmm.report.i18n import label, plural

    overall = (doc or {}).get("overall")
    out: list[str] = []
    if not isinstance(overall, dict):
        return out
    level, cov, target = overall.get("level"), overall.get("coverage"), overall.get("target")
    if type(cov) is int and type(target) is int:
        out.append(label("coverage_line", lang, pct=cov, target=target))
    opened, answered = overall.get("open_questions"), overall.get("level_if_answered")
    if type(opened) is int and opened > 0 and type(answered) is int and type(level) is int:
        tail = label("reachable", lang, n=answered) if answered > level else label("not_raised", lang)
        out.append(plural("open", opened, lang) + label("semi", lang) + tail)
    plan = (doc or {}).get("plan_summary")
    if isinstance(plan, dict) and type(plan.get("actions")) is int and isinstance(plan.get("effort_days"), int | float):
        out.append(label("plan_total", lang, k=plural("actions", plan["actions"], lang), n=f"{plan['effort_days']:g}"))
    return out


def _trend(points: list[dict[str, Any]], lang: str) -> Any:
    """The overall level and each domain's level over ``points`` (oldest first) as a line chart;
    a domain missing from an assessment has no dot there. None with fewer than two points."""
    from cnsmm.report.i18n import label
    from cnsmm.report.trend import trend

    names = _model_names(lang)
    domains = list(dict.fromkeys(d for p in points for d in p.get("domains") or {}))
    series: list[tuple[str, list[int | None]]] = [(label("overall", lang), [int(p["overall"] or 0) for p in points])]
    series += [(f"{d} {names[d]}" if d in names else d, [(p.get("domains") or {}).get(d) for p in points])
               for d in domains]
    return trend([str(p["at"])[:10] for p in points], series)


def _maturity_view(request: Request, who: Principal, project: str, id: int | None, compare: int | None) -> Response:
    from cnsmm.assess.messages import status_name

    store = get_store(request)
    doc = _latest(store, project, id)
    comparison = None
    if doc and compare:
        previous = _latest(store, project, compare)
        if previous:
            from cnsmm.assess.compare import compare as compare_docs

            comparison = compare_docs(previous, doc)
    history = api.assessments(project, who, store)
    lang = _lang(request)
    from cnsmm.report.i18n import label

    tr = _trend(records.maturity_trend(store, project, 30), lang)
    return render(request, "maturity.html", who=who, project=project, doc=doc, chart=_radar(doc, lang), tr=tr,
                  trend_title=label("trend", lang), summary=_summary(doc, lang),
                  history=history, comparison=comparison, selected=id, compare_id=compare,
                  names=_model_names(lang), status_text=lambda status: status_name(status).get(lang),
                  doc_lang=(doc or {}).get("lang", lang))


@router.get("/p/{project}/findings")
async def findings_page(request: Request, project: str) -> Response:
    return await _viewed(request, project, _findings_view)


def _page_filter(request: Request, qp: Any = None) -> queries.FindingFilter:
    """The findings page's filters, sort and page from its query string, or from ``qp`` (bad
    values ignored)."""
    qp = request.query_params if qp is None else qp
    statuses = qp.getlist("status")
    if not statuses:  # open work by default; "all" shows every status
        statuses = [s.value for s in Status if s in OPEN_STATES]
    return queries.FindingFilter(
        severity=[s for s in qp.getlist("severity") if s in SEVERITIES],
        status=[s for s in statuses if s in {x.value for x in Status}],
        tool=(qp.get("tool") or None), owner=(qp.get("owner") or None), overdue=qp.get("overdue") == "1",
        q=(qp.get("q") or "")[:200] or None, sort=qp.get("sort") or "severity",
        page=min(max(1, _int(qp.get("page"), 1)), 100_000), per_page=50, after=(qp.get("after") or None),
        rule=[r.strip() for value in qp.getlist("rule") for r in value.split(",") if r.strip()][:100],
        path=(qp.get("path") or "").strip()[:1000] or None,
    )


@router.get("/p/{project}/findings.csv")
async def findings_csv_page(request: Request, project: str) -> Response:
    """The findings page's list (its filters and sort, every page) as a CSV download."""
    return await _viewed(request, project, _findings_csv)


def _findings_csv(request: Request, who: Principal, project: str) -> Response:
    return api.csv_response(get_store(request), project, replace(_page_filter(request), after=None))


def _findings_view(request: Request, who: Principal, project: str) -> Response:
    qp = request.query_params
    flt = _page_filter(request)
    store = get_store(request)
    pid = queries.project_id(store, project)
    found = queries.FindingsPage([], 0, True, False)
    if pid is not None:
        try:
            found = queries.list_page(store, pid, flt)
        except queries.CursorError:  # an edited or outdated link: start from the first page
            flt.after, flt.page = None, 1
            found = queries.list_page(store, pid, flt)
    # "next" continues after the last row shown (as cheap on page 2000 as on page 2) and
    # carries the page number along; "previous" asks for that page by number
    base = [(k, v) for k, v in qp.multi_items() if k not in ("page", "after", "n")]
    shown = min(max(1, _int(qp.get("n"), 1)), 100_000) if flt.after else flt.page
    pages = {"csv": urlencode(base),
             "prev": urlencode([*base, ("page", shown - 1)]) if shown > 1 else None,
             "next": urlencode([*base, ("after", found.next_cursor), ("n", shown + 1)]) if found.next_cursor else None,
             "number": shown}
    total = f"{found.total}" if found.total_exact else f"{found.total}+"
    tools = queries.project_tools(store, pid) if pid is not None else []
    return render(request, "findings.html", who=who, project=project, items=found.items, total=total, flt=flt,
                  tools=tools, pages=pages, severities=SEVERITIES, statuses=[s.value for s in Status],
                  can_edit=(who.role_in(project) or Role.VIEWER).rank >= Role.DEVELOPER.rank)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        return default


@router.post("/p/{project}/findings/bulk")
async def bulk_page(request: Request, project: str) -> Response:
    """A status change of the ticked findings, or (``scope=matching``) of every finding the
    list's filters match; ``dry_run`` shows what would change, with a button to apply it."""
    who = await _who(request, project, Role.DEVELOPER)
    if isinstance(who, Response):
        return who
    form = await read_form(request)
    back = str(form.get("back", ""))
    back = back if len(back) < 4000 else ""
    ids = [_int(str(v), 0) for v in form.getlist("ids")]
    ids = [i for i in ids if 0 < i <= api.MAX_ID][:1000]
    matching = form.get("scope") == "matching"
    dry_run = form.get("dry_run") == "1"
    if (ids or matching) and form.get("status"):
        try:
            expires = str(form.get("expires") or "")
            chosen = None
            if matching:
                flt = _page_filter(request, QueryParams(back))
                chosen = api.BulkFilter(severity=flt.severity, status=flt.status, tool=flt.tool, rule=flt.rule,
                                        path=flt.path, owner=flt.owner, q=flt.q, overdue=flt.overdue)
            change = api.BulkStatus(ids=[] if matching else ids, filter=chosen, status=str(form["status"]),
                                    reason=str(form.get("reason") or "") or None,
                                    approver=str(form.get("approver") or "") or None,
                                    expires=date.fromisoformat(expires) if expires else None, dry_run=dry_run)
            outcome = await run_in_threadpool(api.bulk_status, project, change, who, get_store(request))
        except (HTTPException, ValueError, ValidationError) as exc:
            message = api.error_text(exc.detail) if isinstance(exc, HTTPException) else str(exc)
            status = exc.status_code if isinstance(exc, HTTPException) else 422
            return render(request, "error.html", status, who=who, project=project, message=message)
        if dry_run:
            fields = [(k, str(v)) for k, v in form.multi_items() if k not in ("dry_run", "csrf_token")]
            return render(request, "bulk_preview.html", who=who, project=project, outcome=outcome, fields=fields,
                          status=str(form["status"]), back=back, matching=matching)
    return RedirectResponse(f"/p/{quote(project)}/findings?{back}", status_code=303)


@router.get("/p/{project}/findings/{finding_id}")
async def finding_page(request: Request, project: str,
                       finding_id: Annotated[int, PathParam(ge=1, le=api.MAX_ID)]) -> Response:
    return await _viewed(request, project, _finding_view, finding_id)


def _finding_view(request: Request, who: Principal, project: str, finding_id: int) -> Response:
    store = get_store(request)
    pid = queries.project_id(store, project)
    item = queries.detail(store, pid, finding_id) if pid is not None else None
    if item is None:
        return render(request, "error.html", 404, who=who, project=project, message=t("not_found", _lang(request)))
    links = advisory_links(item.get("vuln_id"), item.get("rule"), item.get("aliases"), item.get("cwe"))
    return render(request, "finding.html", who=who, project=project, f=item, statuses=[s.value for s in Status],
                  can_edit=(who.role_in(project) or Role.VIEWER).rank >= Role.DEVELOPER.rank, error=None,
                  links=links)


@router.post("/p/{project}/findings/{finding_id}")
async def finding_action(request: Request, project: str,
                         finding_id: Annotated[int, PathParam(ge=1, le=api.MAX_ID)]) -> Response:
    who = await _who(request, project, Role.DEVELOPER)
    if isinstance(who, Response):
        return who
    form = await read_form(request)
    return await run_in_threadpool(_finding_change, request, who, project, finding_id, form)


def _finding_change(request: Request, who: Principal, project: str, finding_id: int, form: FormData) -> Response:
    store = get_store(request)
    try:
        action = form.get("action")
        if action == "comment":
            api.comment(project, finding_id, api.CommentIn(text=str(form.get("text", ""))), who, store)
        elif action in ("status", "assign"):
            expires = str(form.get("expires") or "")
            patch = api.FindingPatch(
                status=str(form.get("status")) if action == "status" else None,
                reason=str(form.get("reason") or "") or None, approver=str(form.get("approver") or "") or None,
                expires=date.fromisoformat(expires) if expires else None,
                owner=str(form.get("owner", "")) if action == "assign" else None,
            )
            api.update_finding(project, finding_id, patch, who, store)
    except (HTTPException, ValueError, Error) as exc:
        item = queries.detail(store, queries.project_id(store, project) or 0, finding_id)
        message = api.error_text(exc.detail) if isinstance(exc, HTTPException) else str(exc)
        if item is None:
            return render(request, "error.html", 404, who=who, project=project, message=t("not_found", _lang(request)))
        return render(request, "finding.html", 422, who=who, project=project, f=item,
                      statuses=[s.value for s in Status], can_edit=True, error=message)
    return RedirectResponse(f"/p/{quote(project)}/findings/{finding_id}", status_code=303)


@router.get("/p/{project}/settings")
async def settings_page(request: Request, project: str) -> Response:
    return await _viewed(request, project, _settings_view)


def _status_text(lang: str) -> Callable[[str], str]:
    from cnsmm.assess.messages import status_name

    return lambda status: status_name(status).get(lang)


def _attest_groups(text: str, lang: str, latest: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The form's questions; with the latest assessment, its open questions too."""
    from cnsmm.assess.attest import open_questions
    from cnsmm.web.attest_form import form_groups

    return form_groups(text, lang, open_questions((latest or {}).get("requirements")))


def _settings_view(request: Request, who: Principal, project: str, status: int = 200,
                   new_token: str | None = None, error: str | None = None) -> HTMLResponse:
    """The settings page: members and tokens for owners, attestations for everyone (editable
    from the security role up)."""
    store = get_store(request)
    role = who.role_in(project) or Role.VIEWER
    owner = role.rank >= Role.OWNER.rank
    return render(request, "settings.html", status, who=who, project=project, role=role.value,
                  members=api.members(project, who, store) if owner else [],
                  tokens=api.tokens(project, who, store) if owner else [],
                  attestations=(att := api.get_attestations(project, who, store)), roles=[r.value for r in Role],
                  questions=_attest_groups(str(att.get("text") or ""), _lang(request), _latest(store, project)),
                  status_text=_status_text(_lang(request)),
                  can_attest=role.rank >= Role.SECURITY.rank, owner=owner, new_token=new_token, error=error,
                  assigned=api.assigned_severities(project, who, store)["rules"], levels=ASSIGNABLE)


@router.post("/p/{project}/settings")
async def settings_action(request: Request, project: str) -> Response:
    who = await _who(request, project)  # the caller first: nothing of the body is read for strangers
    if isinstance(who, Response):
        return who
    form = await read_form(request)
    action = str(form.get("action", ""))
    needed = Role.SECURITY if action in ("attestations", "attestation-form", "severity") else Role.OWNER
    held = who.role_in(project)
    if held is None or held.rank < needed.rank:
        return render(request, "error.html", 403, who=who, message=t("forbidden", _lang(request)))
    return await run_in_threadpool(_settings_change, request, who, project, action, form)


def _settings_change(request: Request, who: Principal, project: str, action: str, form: FormData) -> Response:
    store = get_store(request)
    new_token = error = None
    try:
        if action == "member":
            role = str(form.get("role", ""))
            if not role:
                raise ValueError("choose a role (removing a member is the Remove button next to them)")
            api.set_member(project, api.MemberIn(user=str(form.get("user", "")), role=Role(role)), who, store)
        elif action == "remove-member":
            api.set_member(project, api.MemberIn(user=str(form.get("user", "")), role=None), who, store)
        elif action == "token":
            role = str(form.get("role", ""))
            if not role:
                raise ValueError("choose a role for the token")
            created = api.new_token(project, api.TokenIn(name=str(form.get("name", "")), role=Role(role),
                                                         days=_int(str(form.get("days", "")), 90)), who, store)
            new_token = created["token"]
        elif action == "revoke":
            token_id = _int(str(form.get("token_id")), 0)
            if not 0 < token_id <= api.MAX_ID:
                raise ValueError(f"invalid token id {form.get('token_id')!r}")
            api.delete_token(project, token_id, who, store)
        elif action == "severity":
            rule = str(form.get("rule", "")).strip()
            if not rule:
                raise ValueError("name the rule whose severity to assign")
            api.set_assigned_severities(project, api.AssignedSeveritiesIn(rules={rule: str(form.get("level", ""))}),
                                        who, store)
        elif action == "attestations":
            api.put_attestations(project, api.AttestationsIn(text=str(form.get("text", ""))), who, store)
        elif action == "attestation-form":
            from cnsmm.web.attest_form import text_from_form

            current = str(api.get_attestations(project, who, store).get("text") or "")
            api.put_attestations(project, api.AttestationsIn(text=text_from_form(form, current)), who, store)
    except (HTTPException, ValueError, ValidationError) as exc:
        error = api.error_text(exc.detail) if isinstance(exc, HTTPException) else str(exc)
    if new_token is None and error is None:
        return RedirectResponse(f"/p/{quote(project)}/settings", status_code=303)
    return _settings_view(request, who, project, 422 if error else 200, new_token, error)


@router.get("/p/{project}/webhooks")
async def webhooks_page(request: Request, project: str) -> Response:
    """The project's webhooks and their delivery log (owners and admins)."""
    who = await _who(request, project, Role.OWNER)
    if isinstance(who, Response):
        return who
    return await run_in_threadpool(_webhooks_view, request, who, project)


def _webhooks_view(request: Request, who: Principal, project: str, status: int = 200, new_secret: str | None = None,
                   error: str | None = None, form: FormData | None = None) -> HTMLResponse:
    from cnsmm import notify

    store = get_store(request)
    kept = form if error and form is not None else None  # a refused form keeps what was typed
    return render(request, "webhooks.html", status, who=who, project=project,
                  hooks=api.webhooks(project, who, store), deliveries=api.webhook_deliveries(project, who, store),
                  events=notify.EVENTS, formats=notify.FORMATS, new_secret=new_secret, error=error,
                  form_url=str(kept.get("url", "")) if kept else "",
                  form_events=[str(e) for e in kept.getlist("events")] if kept else list(notify.EVENTS),
                  form_format=str(kept.get("format", "json")) if kept else "json")


@router.post("/p/{project}/webhooks")
async def webhooks_action(request: Request, project: str) -> Response:
    """Add or remove a webhook (owners and admins; the session's CSRF token is checked first)."""
    who = await _who(request, project, Role.OWNER)
    if isinstance(who, Response):
        return who
    form = await read_form(request)
    return await run_in_threadpool(_webhooks_change, request, who, project, form)


def _webhooks_change(request: Request, who: Principal, project: str, form: FormData) -> Response:
    store = get_store(request)
    action = str(form.get("action", ""))
    try:
        if action == "add":
            events = [str(e) for e in form.getlist("events")]
            if not events:
                raise ValueError("choose at least one event")
            wanted = api.WebhookIn.model_validate({"url": str(form.get("url", "")), "events": events,
                                                   "format": str(form.get("format") or "json")})
            created = api.add_webhook(project, wanted, who, store)
            return _webhooks_view(request, who, project, new_secret=str(created["secret"]))
        if action == "remove":
            hook_id = _int(str(form.get("hook_id")), 0)
            if not 0 < hook_id <= api.MAX_ID:
                raise ValueError(f"invalid webhook id {str(form.get('hook_id'))[:20]!r}")
            api.delete_webhook(project, hook_id, who, store)
            return RedirectResponse(f"/p/{quote(project)}/webhooks", status_code=303)
        raise ValueError(f"unknown action {action[:40]!r}")
    except HTTPException as exc:
        return _webhooks_view(request, who, project, exc.status_code, error=api.error_text(exc.detail), form=form)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors())
        return _webhooks_view(request, who, project, 422, error=problems, form=form)
    except ValueError as exc:
        return _webhooks_view(request, who, project, 422, error=str(exc), form=form)


def _can_import(who: Principal, project: str) -> bool:
    held = who.role_in(project)
    return held is not None and held.rank >= Role.SECURITY.rank


@router.post("/p/{project}/import")
async def import_page(request: Request, project: str) -> Response:
    """Import a report sent by the overview page's form (multipart; works without JavaScript)."""
    return await _import_form(request, project)


@router.post("/org/import")
async def org_import_page(request: Request) -> Response:
    """Import a report into the project chosen in the organisation view's form."""
    return await _import_form(request, None)


async def _import_form(request: Request, project: str | None) -> Response:
    """Queue the import of a report posted by a page's form and show its job.

    The caller's role is checked before any of the body is read: the security role in the
    project of the URL, or (organisation view, where the project is a form field) in at least
    one project, then in the chosen one once the form is read. The CSRF token is a form field."""
    lang = _lang(request)
    try:
        who = await optional_principal(request, check_csrf=False)
    except HTTPException as exc:
        return render(request, "error.html", exc.status_code, message=exc.detail)
    if who is None:
        return RedirectResponse(f"/login?next={quote(f'/p/{project}' if project else '/org')}", status_code=303)
    may_import = _can_import(who, project) if project is not None else (
        who.is_admin or any(r.rank >= Role.SECURITY.rank for r in who.roles.values()))
    if not may_import:
        return render(request, "error.html", 403, who=who, project=project, message=t("forbidden", lang))
    try:
        form = await request.form(max_files=1, max_fields=20, max_part_size=64 * 1024)
    except HTTPException as exc:
        return render(request, "error.html", exc.status_code, who=who, project=project, message=str(exc.detail))
    try:
        return await _queue_form_import(request, who, project, form)
    finally:
        await form.close()


async def _queue_form_import(request: Request, who: Principal, project: str | None, form: FormData) -> Response:
    from starlette.datastructures import UploadFile

    from cnsmm.jobs import queue as jobs_queue
    from cnsmm.jobs import spool
    from cnsmm.tracking.importer import check_scope

    lang = _lang(request)

    def refuse(status: int, message: str) -> HTMLResponse:
        return render(request, "error.html", status, who=who, project=project, message=message)

    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    if any("\x00" in v for v in fields.values()):
        return refuse(400, "form fields must not contain NUL characters")
    sent = fields.get("csrf_token", "")
    if who.via != "token" and not (sent and who.csrf_token and secrets.compare_digest(sent, who.csrf_token)):
        return refuse(403, "missing or wrong CSRF token")
    if project is None:
        project = fields.get("project", "").strip()
        if not re.match(api.PROJECT_NAME, project):
            project = None  # no navigation to a project that cannot exist
            return refuse(422, t("bad_project_name", lang))
        if not _can_import(who, project):
            return refuse(403, t("forbidden", lang))
    report = form.get("report")
    if not isinstance(report, UploadFile) or not report.filename:
        return refuse(422, "choose a report file to import")
    scope = fields.get("scope", "").strip() or None
    if scope is not None:
        try:
            scope = check_scope(scope, where="scope")
        except Error as exc:
            return refuse(422, exc.diagnostics())

    async def chunks() -> AsyncIterator[bytes]:
        while data := await report.read(spool.CHUNK):
            yield data

    try:
        upload = await spool.receive(chunks(), api.MAX_UPLOAD)
    except spool.UploadTooLarge:
        return refuse(413, "report larger than 2 GiB")
    try:
        if upload.size == 0:
            return refuse(422, f"{report.filename}: the file is empty")
        name = os.path.basename(report.filename.replace("\\", "/"))[:300] or "upload"
        params = {"format": None, "name": name, "scope": scope,
                  **api.import_options(scope, [], [], [], None, None).params()}
        job_id = await run_in_threadpool(jobs_queue.create_import, get_store(request), project, who.name, params,
                                         upload)
    finally:
        os.unlink(upload.path)
    try:
        await request.app.state.jobs.submitted(job_id, project)
    except Exception:  # the job is kept: a worker's maintenance loop hands it out again
        log.exception("job %s: could not hand it to the workers now", job_id)
    return RedirectResponse(f"/p/{quote(project)}/jobs/{quote(job_id)}", status_code=303)


@router.get("/p/{project}/jobs/{job_id}")
async def job_page(request: Request, project: str, job_id: Annotated[str, PathParam(max_length=36)]) -> Response:
    """A background job of the project: its state, reloading while it runs; the summary when done."""
    return await _viewed(request, project, _job_view, job_id)


def _job_view(request: Request, who: Principal, project: str, job_id: str) -> Response:
    state = records.job_state(get_store(request), project, job_id)
    if state is None:
        return render(request, "error.html", 404, who=who, project=project, message=t("not_found", _lang(request)))
    return render(request, "job.html", who=who, project=project, job=state,
                  running=state["status"] in ("queued", "running"))
