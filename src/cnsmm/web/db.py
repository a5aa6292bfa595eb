"""Opening the store for the web service: the findings tables plus the service tables."""

from __future__ import annotations

from cnsmm.accounts.store import open_service_store as open_web_store

__all__ = ["open_web_store"]
