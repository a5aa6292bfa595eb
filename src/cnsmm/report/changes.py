"""Lines describing the changes since a previous assessment (from ``compare``)."""

from __future__ import annotations

from typing import Any

from cnsmm.assess.messages import status_name


def change_lines(comparison: dict[str, Any] | None, lang: str) -> list[str]:
    """One line per changed level or status; empty when nothing was compared."""
    if not comparison:
        return []
    zh = lang == "zh"
    ov = comparison.get("overall", {})
    f, t, sf, st = ov.get("from"), ov.get("to"), ov.get("score_from"), ov.get("score_to")
    lines = [f"总体：L{f} → L{t}（得分 {sf} → {st}）" if zh else f"overall: L{f} → L{t} (score {sf} → {st})"]
    for key in ("domains", "sub_items", "practices"):
        lines += [f"{c['id']}: L{c['from']} → L{c['to']}" for c in comparison.get(key, [])]
    for c in comparison.get("requirements", []):
        before = status_name(str(c["from"])).get(lang) if c["from"] else ("新增" if zh else "new")
        lines.append(f"{c['id']}: {before} → {status_name(str(c['to'])).get(lang)}")
    return lines
