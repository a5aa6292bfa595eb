"""Checks every request passes before a route sees it: no NUL in its URL, a bounded body.

:class:`RequestGuard` answers 400 to a URL whose path or query holds a NUL character (no
name, filter or id of the service holds one, and PostgreSQL refuses them in text), and 413
to a body larger than its route allows: from its ``Content-Length`` before any byte is read,
or as soon as a streamed body passes the limit, whoever sends it (FastAPI reads a JSON body
before it checks the caller, so the limit must come first). :func:`read_form` parses the
service's own HTML forms: never a file part (a multipart file would be spooled to disk),
never a NUL character, never more than the limit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import Request
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_UPLOAD = 2 * 1024**3
"""Largest report upload (``POST /api/v1/projects/{p}/imports``, and the report of the pages'
import form, ``POST /p/{p}/import`` or ``/org/import``)."""
MAX_ASSESSMENT = 32 * 1024**2
"""Largest assessment document (``POST /api/v1/projects/{p}/assessments``): a full
assessment in JSON is well under 2 MiB."""
MAX_BODY = 8 * 1024**2
"""Largest body of any other request (forms, JSON changes; the attestation document is at
most 2,000,000 characters)."""
_ROUTES = ((re.compile(r"^/api/v1/projects/[^/]+/imports$"), MAX_UPLOAD),
           (re.compile(r"^/(p/[^/]+|org)/import$"), MAX_UPLOAD + 64 * 1024),  # the page's form: file and fields
           (re.compile(r"^/api/v1/projects/[^/]+/assessments$"), MAX_ASSESSMENT))


def limit_for(path: str) -> int:
    """The largest body accepted on ``path``."""
    return next((limit for pattern, limit in _ROUTES if pattern.match(path)), MAX_BODY)


def _too_large(limit: int) -> HTTPException:
    return HTTPException(status_code=413, detail=f"request body larger than {limit} bytes")


class RequestGuard:
    """ASGI middleware: 400 for a NUL in the URL, 413 for bodies over :func:`limit_for` their path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        if "\x00" in path or b"%00" in bytes(scope.get("query_string", b"")):
            await _answer(send, 400, "NUL characters are not allowed in URLs")
            return
        limit = limit_for(path)
        length = dict(scope.get("headers") or []).get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            await _answer(send, 413, f"request body larger than {limit} bytes")
            return
        seen = 0

        async def bounded() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _too_large(limit)
            return message

        await self.app(scope, bounded, send)


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


async def read_form(request: Request) -> FormData:
    """The fields of an HTML form post (URL-encoded or multipart without files; 400 for a file
    part, before anything of it is written anywhere, or for a NUL character; an empty form for
    other bodies)."""
    form = await request.form(max_files=0, max_fields=2000, max_part_size=MAX_BODY)
    if any(isinstance(v, str) and "\x00" in v for _k, v in form.multi_items()):
        raise HTTPException(status_code=400, detail="form fields must not contain NUL characters")
    return form
