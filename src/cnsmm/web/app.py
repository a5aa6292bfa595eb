"""The FastAPI application: JSON API under /api/v1, pages, static assets, health check."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from cnsmm import __version__
from cnsmm.errors import Error
from cnsmm.jobs.dispatch import dispatcher
from cnsmm.notify import Notifier
from cnsmm.tracking.store import Store
from cnsmm.web import api, pages, queries
from cnsmm.web.db import open_web_store
from cnsmm.web.limits import RequestGuard


def create_app(db_url: str | None = None, *, store: Store | None = None, job_workers: int | None = None) -> FastAPI:
    """The service over the store at ``db_url`` (or an already open ``store``), running
    ``job_workers`` background jobs at a time (default ``$CNSMM_JOB_WORKERS`` or 2; 0 leaves
    them to ``cnsmm worker`` processes)."""
    store = store or open_web_store(db_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # the job workers start with the first lifespan and stop with it (a test client may
        # open another one on a running app: it shares them)
        first = app.state.lifespans == 0
        app.state.lifespans += 1
        if first:
            await app.state.jobs.start()
            notifier = Notifier(store)  # sends webhook deliveries and their retries
            notifier.start()
        try:
            yield
        finally:
            app.state.lifespans -= 1
            if first:
                await app.state.jobs.stop()
                await run_in_threadpool(notifier.stop)

    # the API pages (/docs, /redoc) load their scripts from this package, never from a CDN
    app = FastAPIOffline(
        title="cnsmm",
        version=__version__,
        description="Cloud-native security maturity and finding tracking. JSON API version 1.",
        lifespan=lifespan,
    )
    app.add_middleware(RequestGuard)
    app.state.store = store
    store.listeners["web-overview"] = partial(queries.project_changed, store)  # background imports
    app.state.jobs = dispatcher(store, workers=job_workers)
    app.state.lifespans = 0

    @app.exception_handler(Error)
    async def library_error(request: Request, exc: Error) -> JSONResponse:
        return JSONResponse({"detail": exc.diagnostics()}, status_code=exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if pages.is_page(request.url.path):  # e.g. /p/shop/findings/abc: no such page
            return await pages.error_page(request, 404)
        # FastAPI's own handler echoes the input, and a body such as {"days": 1e999} parses to
        # inf, which JSON cannot carry: the answer was a 500 instead of this 422.
        return JSONResponse({"detail": _json_safe(jsonable_encoder(exc.errors()))}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if pages.is_page(request.url.path):  # an unknown page: the error page, with the navigation
            return await pages.error_page(request, exc.status_code, None if exc.status_code == 404 else exc.detail)
        return await http_exception_handler(request, exc)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """Liveness and store reachability."""
        with store.read() as conn:
            conn.exec_driver_sql("SELECT 1")
        return {"status": "ok", "version": __version__}

    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    return app


def _json_safe(value: Any) -> Any:
    """``value`` with every infinite or NaN float written as a string (JSON has no such numbers)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value
