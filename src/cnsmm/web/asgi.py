"""ASGI entry point for ``cnsmm serve`` (uvicorn imports ``app`` from here in each worker)."""

from __future__ import annotations

import os

from cnsmm.web.app import create_app

app = create_app(os.environ.get("CNSMM_DB"))
