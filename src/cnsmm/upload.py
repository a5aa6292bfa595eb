"""Sending results to a cnsmm service from CI (``--upload URL --token T``).

Uses only the standard library so that CI images need nothing beyond cnsmm itself. The
token goes in an ``Authorization`` header, never in the URL, and is never printed.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from typing import Any, BinaryIO
from urllib.parse import quote, urlencode

from cnsmm.errors import Error

POLL_SECONDS = 1.0


class UploadError(Error):
    """The service refused the upload or could not be reached."""


def _request(method: str, url: str, token: str, body: bytes | BinaryIO | None = None,
             content_type: str = "application/octet-stream", timeout: float = 300) -> Any:
    if not url.startswith(("http://", "https://")):
        raise UploadError(f"upload URL must start with http:// or https:// (got {url!r})")
    req = urllib.request.Request(url, data=body, method=method)  # noqa: S310 - scheme checked above
    req.add_header("Authorization", f"Bearer {token}")
    req.add_header("Accept", "application/json")
    if body is not None:
        req.add_header("Content-Type", content_type)
        if not isinstance(body, bytes):  # a file: streamed, not read into memory
            req.add_header("Content-Length", str(os.fstat(body.fileno()).st_size - body.tell()))
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:  # noqa: S310
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:500]
        hint = {401: "Check --token (or $CNSMM_TOKEN); tokens expire and can be revoked",
                403: "The token's project or role does not allow this; uploads need the security role"}.get(exc.code)
        raise UploadError(f"{url}: the service answered {exc.code}: {detail}", hint=hint) from None
    except (urllib.error.URLError, OSError) as exc:
        raise UploadError(f"{url}: cannot reach the service ({exc})", hint="Check the URL and the network") from None


def upload_report(base: str, token: str, project: str, data: bytes | BinaryIO, name: str, fmt: str | None = None,
                  wait: bool = True, timeout: float = 3600) -> dict[str, Any]:
    """Upload a report (bytes, or a binary file streamed from its position) for import.

    With ``wait``, poll until the job ends and return its state with the import summary.
    """
    params = {"name": name, **({"format": fmt} if fmt else {})}
    url = f"{base.rstrip('/')}/api/v1/projects/{quote(project, safe='')}/imports?{urlencode(params)}"
    job = _request("POST", url, token, data)
    if not wait:
        return dict(job)
    poll = f"{base.rstrip('/')}{job['poll']}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = _request("GET", poll, token)
        if state["status"] in ("done", "failed"):
            if state["status"] == "failed":
                raise UploadError(f"the service could not import {name}: {state.get('error')}")
            return dict(state)
        time.sleep(POLL_SECONDS)
    raise UploadError(f"import of {name} still running after {timeout:.0f} s; poll {poll}")


def upload_assessment(base: str, token: str, project: str, doc: dict[str, Any]) -> dict[str, Any]:
    """Store an assessment JSON document on the service."""
    url = f"{base.rstrip('/')}/api/v1/projects/{quote(project, safe='')}/assessments"
    return dict(_request("POST", url, token, json.dumps(doc).encode(), "application/json"))
