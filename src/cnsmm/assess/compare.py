"""Changes since an earlier assessment (its JSON output): levels and requirement statuses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cnsmm.assess.result import SCHEMA_VERSION
from cnsmm.errors import ConfigError

_HINT = "Pass a file written by `cnsmm assess --format json`"


def load_previous(path: str) -> dict[str, Any]:
    """Read an earlier JSON assessment; raise :class:`ConfigError` saying what is wrong."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the previous assessment ({exc.strerror})", hint=_HINT) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: not a JSON assessment ({exc})", hint=_HINT) from None
    if not isinstance(data, dict) or "schema_version" not in data:
        raise ConfigError(f"{path}: no `schema_version` (expected an assessment JSON)", hint=_HINT)
    major = str(data["schema_version"]).split(".")[0]
    if major != SCHEMA_VERSION.split(".")[0]:
        raise ConfigError(
            f"{path}: schema_version {data['schema_version']} (expected {SCHEMA_VERSION.split('.')[0]}.x)",
            hint=_HINT,
        )
    for key, kind in (
        ("overall", dict),
        ("domains", list),
        ("sub_items", list),
        ("practices", list),
        ("requirements", list),
    ):
        if not isinstance(data.get(key), kind):
            got = type(data.get(key)).__name__ if key in data else "nothing"
            raise ConfigError(f"{path}: `{key}` must be a {kind.__name__} (got {got})", hint=_HINT)
    return data


def _by_id(items: Any, field: str) -> dict[str, Any]:
    if not isinstance(items, list):
        return {}
    return {str(i["id"]): i.get(field) for i in items if isinstance(i, dict) and "id" in i}


def compare(previous: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """Level and status changes from ``previous`` to ``current`` (both in the JSON schema)."""
    out: dict[str, Any] = {
        "previous_generated_at": previous.get("generated_at"),
        "overall": {
            "from": (previous.get("overall") or {}).get("level"),
            "to": current["overall"]["level"],
            "score_from": (previous.get("overall") or {}).get("score"),
            "score_to": current["overall"]["score"],
        },
    }
    for key, field in (
        ("domains", "level"),
        ("sub_items", "level"),
        ("practices", "level"),
        ("requirements", "status"),
    ):
        before = _by_id(previous.get(key), field)
        after = _by_id(current.get(key), field)
        out[key] = [{"id": i, "from": before.get(i), "to": v} for i, v in after.items() if before.get(i) != v]
    return out
