"""Request authentication and per-project authorisation (FastAPI dependencies).

Credentials: ``Authorization: Bearer <API token>`` or the ``cnsmm_session`` cookie. A
cookie-authenticated request that changes something must carry the session's CSRF token
(``X-CSRF-Token`` header or ``csrf_token`` form field). No credentials: 401. Credentials
without the needed role in the project named by the URL: 403 (the same answer whether or
not the project exists, so that names do not leak).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from cnsmm.accounts.service import Principal, Role, recall, session_principal, token_principal
from cnsmm.tracking.store import Store
from cnsmm.web.limits import read_form

SESSION_COOKIE = "cnsmm_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_store(request: Request) -> Store:
    """The store the app was created with."""
    store: Store = request.app.state.store
    return store


async def store_dependency(request: Request) -> Store:
    """:func:`get_store` as a dependency. The dependencies here that do no I/O are coroutines:
    FastAPI runs a plain function dependency in a worker thread, a hop that costs about a
    millisecond of CPU per request at a few hundred requests per second."""
    return get_store(request)


async def _csrf_from(request: Request) -> str | None:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    if request.headers.get("content-type", "").startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await read_form(request)
        value = form.get("csrf_token")
        return value if isinstance(value, str) else None
    return None


async def optional_principal(request: Request, *, check_csrf: bool = True) -> Principal | None:
    """The caller, or None when no valid credentials were sent. ``check_csrf=False`` leaves the
    CSRF check of a cookie-authenticated change to the caller (a form with a file, whose body is
    read only once the caller's role allows it)."""
    store = get_store(request)
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        secret = auth[7:].strip()
        return recall(store, "token", secret) or await run_in_threadpool(token_principal, store, secret)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    principal = recall(store, "session", cookie) or await run_in_threadpool(session_principal, store, cookie)
    if principal is None:
        return None
    if request.method not in SAFE_METHODS and check_csrf:
        sent = await _csrf_from(request)
        if not sent or not principal.csrf_token or not hmac.compare_digest(sent, principal.csrf_token):
            raise HTTPException(status_code=403, detail="missing or wrong CSRF token")
    return principal


async def principal(request: Request) -> Principal:
    """The caller; 401 without valid credentials."""
    who = await optional_principal(request)
    if who is None:
        raise HTTPException(status_code=401, detail="authentication required",
                            headers={"WWW-Authenticate": "Bearer"})
    return who


CurrentPrincipal = Annotated[Principal, Depends(principal)]


def need(role: Role) -> Callable[..., Awaitable[Principal]]:
    """Dependency: the caller must hold at least ``role`` in the path's ``project``."""

    async def check(project: str, who: CurrentPrincipal) -> Principal:
        held = who.role_in(project)
        if held is None or held.rank < role.rank:
            raise HTTPException(status_code=403, detail=f"needs the {role.value} role in this project")
        return who

    return check


async def need_admin(who: CurrentPrincipal) -> Principal:
    """Dependency: the caller must be a global admin."""
    if not who.is_admin:
        raise HTTPException(status_code=403, detail="needs the admin role")
    return who
