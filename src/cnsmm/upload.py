"""Sending results to a cnsmm service from CI (``--upload URL --token T``).

Uses only the standard library so that CI images need nothing beyond cnsmm itself. The
token goes in an ``Authorization`` header, never in the URL, and is never printed. A
redirect to another origin (scheme, host, port) is refused instead of followed, so the token
never reaches a host it was not meant for; sending it over plain http to a host other than
this machine prints a warning.
"""

from __future__ import annotations

import ipaddress
import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any, BinaryIO
from urllib.parse import quote, urlencode, urlsplit

from cnsmm.errors import UploadError

POLL_SECONDS = 1.0
_warned: set[str] = set()


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only within the origin of the request; the token goes along only then."""

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> urllib.request.Request | None:
        if _origin(newurl) != _origin(req.full_url):
            raise UploadError(
                f"{req.full_url}: the service redirects to another origin ({newurl}); the token is not sent there",
                hint="Use the service's final URL with --upload (e.g. https:// instead of http://)",
            )
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        auth = req.get_header("Authorization") or req.unredirected_hdrs.get("Authorization")
        if new is not None and auth:
            new.add_unredirected_header("Authorization", auth)
        return new


_opener = urllib.request.build_opener(_SameOriginRedirects)


def _is_local(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _warn_plain_http(url: str) -> None:
    scheme, host, _ = _origin(url)
    if scheme == "http" and not _is_local(host) and host not in _warned:
        _warned.add(host)
        sys.stderr.write(f"warning: sending the API token to {host} over plain http (readable on the network); "
                         "use https://\n")


def _request(method: str, url: str, token: str, body: bytes | BinaryIO | None = None,
             content_type: str = "application/octet-stream", timeout: float = 300) -> Any:
    if not url.startswith(("http://", "https://")):
        raise UploadError(f"upload URL must start with http:// or https:// (got {url!r})")
    _warn_plain_http(url)
    req = urllib.request.Request(url, data=body, method=method)  # noqa: S310 - scheme checked above
    req.add_unredirected_header("Authorization", f"Bearer {token}")
    req.add_header("Accept", "application/json")
    if body is not None:
        req.add_header("Content-Type", content_type)
        if not isinstance(body, bytes):  # a file: streamed, not read into memory
            req.add_header("Content-Length", str(os.fstat(body.fileno()).st_size - body.tell()))
    try:
        with _opener.open(req, timeout=timeout) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:500]
        hint = {401: "Check --token (or $CNSMM_TOKEN); tokens expire and can be revoked",
                403: "The token's project or role does not allow this; uploads need the security role"}.get(exc.code)
        raise UploadError(f"{url}: the service answered {exc.code}: {detail}", hint=hint) from None
    except (urllib.error.URLError, OSError) as exc:
        raise UploadError(f"{url}: cannot reach the service ({exc})", hint="Check the URL and the network") from None


def upload_report(base: str, token: str, project: str, data: bytes | BinaryIO, name: str, fmt: str | None = None,
                  wait: bool = True, timeout: float = 3600, *, scope: str | None = None,
                  options: Mapping[str, str | Sequence[str] | None] | None = None) -> dict[str, Any]:
    """Upload a report (bytes, or a binary file streamed from its position) for import.

    ``scope`` names what the report covered (else the service takes the report's own);
    ``options`` are further query parameters of the import (``covers``, ``excluded``, ``root``,
    ``repo``, ``commit``; None values are left out).
    With ``wait``, poll until the job ends and return its state with the import summary.
    """
    params: dict[str, str | Sequence[str]] = {"name": name, **({"format": fmt} if fmt else {}),
                                              **({"scope": scope} if scope else {})}
    params.update({k: v for k, v in (options or {}).items() if v})
    url = f"{base.rstrip('/')}/api/v1/projects/{quote(project, safe='')}/imports?{urlencode(params, doseq=True)}"
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
