"""The upload client against real local HTTP servers: a redirect to another origin is refused
(the token never reaches it), and plain http to a remote host is warned about."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import ClassVar

import pytest

from cnsmm import upload
from cnsmm.errors import UploadError
from cnsmm.upload import upload_report


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str | None]]] = []
    target = ""

    def do_POST(self) -> None:
        self.seen.append((self.path, self.headers.get("Authorization")))
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.target:
            self.send_response(307)
            self.send_header("Location", self.target + self.path)
            self.end_headers()
            return
        self.send_response(202)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"job": "1", "poll": "/jobs/1"}')

    def log_message(self, *args: object) -> None:
        pass


def _serve(target: str = "") -> Iterator[tuple[str, list[tuple[str, str | None]]]]:
    handler = type("Handler", (_Recorder,), {"seen": [], "target": target})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def elsewhere() -> Iterator[tuple[str, list[tuple[str, str | None]]]]:
    yield from _serve()


def test_a_redirect_to_another_origin_is_refused_and_gets_no_token(
    elsewhere: tuple[str, list[tuple[str, str | None]]]
) -> None:
    other_url, other_seen = elsewhere
    for base, seen in _serve(target=other_url.replace("127.0.0.1", "localhost")):
        with pytest.raises(UploadError, match="redirects to another origin"):
            upload_report(base, "cnsmm_secret", "shop", b"{}", "r.json", wait=False, scope="repo:acme/shop")
        assert seen and seen[0][1] == "Bearer cnsmm_secret" and "scope=repo%3Aacme%2Fshop" in seen[0][0]
    assert other_seen == []


def test_same_origin_upload_works_and_plain_http_to_a_remote_host_warns(
    elsewhere: tuple[str, list[tuple[str, str | None]]], capsys: pytest.CaptureFixture[str]
) -> None:
    base, _seen = elsewhere
    assert upload_report(base, "cnsmm_secret", "shop", b"{}", "r.json", wait=False)["job"] == "1"
    assert "warning" not in capsys.readouterr().err  # this machine: no warning
    upload._warned.discard("cnsmm.invalid")
    upload._warn_plain_http("http://cnsmm.invalid/api")
    assert "over plain http" in capsys.readouterr().err
