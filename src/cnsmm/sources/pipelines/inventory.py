"""The security-activity inventory of a pipeline, and its summary for the assessment.

An activity is one security tool run found in a pipeline: its category, tool, whether a
finding fails the pipeline (``blocking``), where it is and on which events it runs. See
docs/pipelines.md for the detection rules and the blocking signals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cnsmm.kube.values import truthy
from cnsmm.sources.pipelines.actions import (
    AZURE_TASKS,
    GITLAB_TEMPLATE_SOFT,
    JENKINS_STEPS,
    classify_action,
    gitlab_include,
    split_ref,
)
from cnsmm.sources.pipelines.commands import Detection, detect
from cnsmm.sources.pipelines.images import image_tool
from cnsmm.sources.pipelines.model import CATEGORIES, Job, Pipeline, Step
from cnsmm.vocab import PipelineCategory

_SONAR_GATE = re.compile(r"waitForQualityGate\b[^\n]*abortPipeline\s*:\s*true")


@dataclass(frozen=True)
class Activity:
    """One security activity found in a pipeline file."""

    category: PipelineCategory
    tool: str
    blocking: bool
    file: str
    line: int
    job: str
    events: tuple[str, ...]
    reason: str | None = None
    """Why it is not blocking (None when blocking)."""
    explicit: bool = False
    """The reason is a setting written in the pipeline (``allow_failure``, ``|| true``...)."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of the inventory."""
        return {
            "category": self.category,
            "tool": self.tool,
            "blocking": self.blocking,
            "file": self.file,
            "line": self.line,
            "job": self.job,
            "events": list(self.events),
            "reason": self.reason,
        }


def _step_detections(p: Pipeline, step: Step) -> list[tuple[Detection, int]]:
    found: list[tuple[Detection, int]] = []
    if step.uses:
        if p.system == "github-actions":
            found += [(d, step.uses_line) for d in classify_action(step.uses, step.inputs)]
        elif p.system == "azure-pipelines":
            name, _ = split_ref(step.uses)
            hit = AZURE_TASKS.get(name)
            if hit:
                found.append((Detection(*hit), step.uses_line))
        elif p.system == "jenkins" and step.uses in JENKINS_STEPS:
            category, tool, soft = JENKINS_STEPS[step.uses]
            found.append((Detection(category, tool, soft), step.uses_line))
    if step.run:
        found += [(d, p.locate(step.run_line, seg)) for d, seg in detect(step.run)]
    if p.system == "jenkins" and _SONAR_GATE.search(p.text):
        # waitForQualityGate abortPipeline: true makes the SonarQube analysis gate the build
        found = [(Detection(d.category, d.tool, None, False) if d.tool == "SonarQube" and not d.explicit else d, ln)
                 for d, ln in found]
    return found


def _job_activities(p: Pipeline, job: Job) -> list[Activity]:
    events = job.events or p.events
    out: list[Activity] = []

    def add(d: Detection, line: int, step_soft: str | None) -> None:
        reason, explicit = d.soft, d.explicit
        if not explicit and (step_soft or job.soft):
            reason, explicit = step_soft or job.soft, True
        out.append(
            Activity(d.category, d.tool, reason is None, p.file, line, job.id, events, reason, explicit)
        )

    if job.uses and p.system == "github-actions":
        inputs = job.raw.get("with") if isinstance(job.raw, dict) else None
        for d in classify_action(job.uses, inputs if isinstance(inputs, dict) else {}):
            add(d, job.uses_line, None)
    for step in job.steps:
        for d, line in _step_detections(p, step):
            add(d, line, step.soft)
    seen_tools = {a.tool for a in out}
    for image in job.images:
        hit = image_tool(image.ref)
        if hit and hit[1] not in seen_tools and image.role != "service":
            add(Detection(*hit), image.line, None)
    return out


_CACHE: list[tuple[Pipeline, list[Activity]]] = []


def activities(p: Pipeline) -> list[Activity]:
    """Every security activity of a parsed pipeline, in file order (computed once per pipeline:
    rules and the inventory ask for the same one)."""
    for cached, acts in _CACHE:
        if cached is p:
            return list(acts)
    acts = _activities(p)
    _CACHE.insert(0, (p, acts))
    del _CACHE[4:]
    return list(acts)


def _activities(p: Pipeline) -> list[Activity]:
    out: list[Activity] = []
    for job in p.jobs:
        out += _job_activities(p, job)
    for inc in p.includes:
        for category, tool, disable in gitlab_include(inc.kind, inc.value):
            if truthy(p.env.get(disable)):
                continue
            out.append(
                Activity(
                    category, tool, False, p.file, inc.line, inc.value, p.events, GITLAB_TEMPLATE_SOFT, False
                )
            )
    for category, tool, line, job_id, reason in p.extra_activities:
        out.append(Activity(category, tool, reason is None, p.file, line, job_id, p.events, reason, False))
    unique: dict[tuple[str, str, str, int], Activity] = {}
    for a in out:
        unique.setdefault((a.category, a.tool, a.job, a.line), a)
    return sorted(unique.values(), key=lambda a: (a.line, a.category, a.tool))


def summarize(pipelines: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per category: ``present``, ``blocking`` (some activity blocks), ``tools``, ``files``,
    ``events``. Takes the ``pipelines`` entries of the scan output (dicts)."""
    summary: dict[str, dict[str, Any]] = {
        c: {"present": False, "blocking": False, "tools": [], "files": [], "events": []} for c in CATEGORIES
    }
    for entry in pipelines:
        for act in entry.get("activities", ()):
            cat = summary.get(str(act.get("category")))
            if cat is None:
                continue
            cat["present"] = True
            cat["blocking"] = cat["blocking"] or bool(act.get("blocking"))
            for key, value in (("tools", act.get("tool")), ("files", act.get("file"))):
                if value and value not in cat[key]:
                    cat[key].append(value)
            for ev in act.get("events", ()):
                if ev not in cat["events"]:
                    cat["events"].append(ev)
    for cat in summary.values():
        for key in ("tools", "files", "events"):
            cat[key].sort()
    return summary
