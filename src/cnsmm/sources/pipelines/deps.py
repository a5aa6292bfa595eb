"""Dependabot (``.github/dependabot.yml``) and Renovate (``renovate.json`` ...) configurations.

They are SCA evidence: a bot watches dependencies and opens update pull requests. Each
Dependabot ``updates`` entry is one activity (job = ecosystem and directory); a Renovate file
is one activity unless it sets ``"enabled": false``. Neither blocks a build.
"""

from __future__ import annotations

from typing import Any

from cnsmm.sources.pipelines.model import Pipeline
from cnsmm.sources.yamlload import YList, YMap
from cnsmm.vocab import PipelineCategory

_BOT_REASON = "an update bot opens pull requests; it does not fail builds"


def parse_dependabot(doc: Any, file: str, text: str) -> Pipeline:
    """A Dependabot version 2 configuration."""
    activities: list[tuple[PipelineCategory, str, int, str, str | None]] = []
    updates = doc.get("updates") if isinstance(doc, YMap) else None
    if isinstance(updates, YList):
        for item, line in zip(updates, updates.item_lines, strict=False):
            if isinstance(item, YMap):
                where = item.get("directory", item.get("directories", "/"))
                job = f"{item.get('package-ecosystem', '?')} {where}"
                activities.append((PipelineCategory.SCA, "Dependabot", line, job, _BOT_REASON))
    return Pipeline(
        file=file,
        system="dependabot",
        text=text,
        events=("schedule",),
        raw=doc,
        extra_activities=tuple(activities),
    )


def parse_renovate(doc: Any, file: str, text: str) -> Pipeline:
    """A Renovate configuration (JSON, JSON5 read as YAML when possible)."""
    activities: list[tuple[PipelineCategory, str, int, str, str | None]] = []
    enabled = doc.get("enabled", True) if isinstance(doc, dict) else True
    if enabled is not False:
        line = getattr(doc, "line", 1)
        if isinstance(doc, YMap):
            line = doc.key_lines.get("extends", line)
        activities.append((PipelineCategory.SCA, "Renovate", line, "renovate", _BOT_REASON))
    return Pipeline(
        file=file,
        system="renovate",
        text=text,
        events=("schedule",),
        raw=doc,
        extra_activities=tuple(activities),
    )
