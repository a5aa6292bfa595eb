"""Azure Pipelines (``azure-pipelines.yml``).

Reference: https://learn.microsoft.com/en-us/azure/devops/pipelines/yaml-schema/ . A file holds
``stages`` of ``jobs`` of ``steps``, or just ``jobs``, or just ``steps``. Steps are ``script``,
``bash``, ``pwsh``, ``powershell`` (commands) or ``task: Name@version`` with ``inputs``.
"""

from __future__ import annotations

from typing import Any

from cnsmm.kube.values import truthy
from cnsmm.sources.pipelines.model import Image, Job, Pipeline, Step
from cnsmm.sources.yamlload import YList, YMap

_COMMAND_KEYS = ("script", "bash", "pwsh", "powershell")


def _env(m: Any) -> tuple[dict[str, Any], dict[str, int]]:
    if isinstance(m, YMap):
        return {str(k): v for k, v in m.items()}, {str(k): ln for k, ln in m.key_lines.items()}
    env: dict[str, Any] = {}
    lines: dict[str, int] = {}
    if isinstance(m, YList):  # variables as a list of {name, value} / {group} / {template}
        for item, line in zip(m, m.item_lines, strict=False):
            if isinstance(item, YMap) and "name" in item:
                env[str(item["name"])] = item.get("value")
                lines[str(item["name"])] = line
    return env, lines


def _step(item: YMap, line: int) -> Step:
    kl = item.key_lines
    run = next((item[k] for k in _COMMAND_KEYS if isinstance(item.get(k), str)), None)
    run_key = next((k for k in _COMMAND_KEYS if isinstance(item.get(k), str)), None)
    task = item.get("task")
    inputs, inputs_line = _env(item.get("inputs"))
    env, env_line = _env(item.get("env"))
    soft = "continueOnError: true" if truthy(item.get("continueOnError")) else None
    name = item.get("displayName")
    return Step(
        line=line,
        name=str(name) if name is not None else None,
        uses=str(task) if isinstance(task, str) else None,
        uses_line=kl.get("task", line),
        run=run,
        run_line=kl.get(run_key, line) if run_key else line,
        inputs=inputs,
        inputs_line=inputs_line,
        env=env,
        env_line=env_line,
        soft=soft,
        soft_line=kl.get("continueOnError", 0) if soft else 0,
    )


def _find_steps(value: Any, depth: int = 0) -> list[Step]:
    """Steps under a job, including deployment strategies (``strategy.runOnce.deploy.steps``)."""
    out: list[Step] = []
    if depth > 8 or not isinstance(value, YMap):
        return out
    for key, sub in value.items():
        if key == "steps" and isinstance(sub, YList):
            out.extend(
                _step(i, ln) for i, ln in zip(sub, sub.item_lines, strict=False) if isinstance(i, YMap)
            )
        elif key in (
            "strategy",
            "runOnce",
            "rolling",
            "canary",
            "deploy",
            "preDeploy",
            "postRouteTraffic",
            "routeTraffic",
            "on",
            "success",
            "failure",
        ):
            out.extend(_find_steps(sub, depth + 1))
    return out


def _job(m: YMap, line: int, containers: dict[str, tuple[str, int]]) -> Job:
    job_id = next((str(m[k]) for k in ("job", "deployment") if k in m), f"job@{line}")
    images: list[Image] = []
    container = m.get("container")
    cline = m.key_lines.get("container", line)
    if isinstance(container, str):
        ref, ref_line = containers.get(container, (container, cline))
        images.append(Image(ref, ref_line))
    elif isinstance(container, YMap) and isinstance(container.get("image"), str):
        images.append(Image(container["image"], container.key_lines.get("image", cline)))
    pool = m.get("pool")
    runs_on: tuple[str, ...] = ()
    if isinstance(pool, str):
        runs_on = (pool,)
    elif isinstance(pool, YMap):
        runs_on = tuple(str(pool[k]) for k in ("vmImage", "name") if isinstance(pool.get(k), str))
    soft = "continueOnError: true" if truthy(m.get("continueOnError")) else None
    name = m.get("displayName")
    return Job(
        id=job_id,
        line=line,
        name=str(name) if name is not None else None,
        steps=tuple(_find_steps(m)),
        images=tuple(images),
        runs_on=runs_on,
        runs_on_line=m.key_lines.get("pool", line),
        soft=soft,
        soft_line=m.key_lines.get("continueOnError", 0) if soft else 0,
        raw=m,
    )


def _events(doc: YMap) -> tuple[str, ...]:
    events = set()
    trigger = doc.get("trigger", "default")
    if trigger != "none":
        events.add("push")
    if doc.get("pr", "default") != "none":
        events.add("pull_request")
    if "schedules" in doc:
        events.add("schedule")
    return tuple(sorted(events))


def parse(doc: YMap, file: str, text: str) -> Pipeline:
    """An Azure Pipelines file."""
    containers: dict[str, tuple[str, int]] = {}
    resources = doc.get("resources")
    if isinstance(resources, YMap) and isinstance(resources.get("containers"), YList):
        for c in resources["containers"]:
            if (
                isinstance(c, YMap)
                and isinstance(c.get("container"), str)
                and isinstance(c.get("image"), str)
            ):
                containers[c["container"]] = (c["image"], c.key_lines.get("image", c.line))
    raw_jobs: list[tuple[YMap, int]] = []

    def add_jobs(jobs: Any) -> None:
        if isinstance(jobs, YList):
            raw_jobs.extend(
                (j, ln) for j, ln in zip(jobs, jobs.item_lines, strict=False) if isinstance(j, YMap)
            )

    stages = doc.get("stages")
    if isinstance(stages, YList):
        for stage in stages:
            if isinstance(stage, YMap):
                add_jobs(stage.get("jobs"))
    add_jobs(doc.get("jobs"))
    jobs = [_job(m, ln, containers) for m, ln in raw_jobs]
    if isinstance(doc.get("steps"), YList):
        top = YMap(doc.line)
        top["steps"] = doc["steps"]
        top.key_lines["steps"] = doc.key_lines.get("steps", 1)
        for key in ("container", "pool", "continueOnError"):
            if key in doc:
                top[key] = doc[key]
                top.key_lines[key] = doc.key_lines.get(key, doc.line)
        top["job"] = "(pipeline)"
        jobs.insert(0, _job(top, doc.key_lines.get("steps", 1), containers))
    env, env_line = _env(doc.get("variables"))
    events_line = next((doc.key_lines.get(k, doc.line) for k in ("trigger", "pr", "schedules") if k in doc), 1)
    return Pipeline(
        file=file,
        system="azure-pipelines",
        text=text,
        events=_events(doc),
        events_line=events_line,
        jobs=tuple(jobs),
        env=env,
        env_line=env_line,
        raw=doc,
    )


def is_azure(doc: YMap) -> bool:
    """Content rule: ``stages``/``jobs``/``steps`` shaped the Azure way (``- stage:``, ``- job:``,
    ``- task:``/``- script:`` items, or ``pool:``/``trigger:`` next to them)."""
    for key, inner in (("stages", "stage"), ("jobs", "job"), ("jobs", "deployment")):
        items = doc.get(key)
        if isinstance(items, list) and any(isinstance(i, dict) and inner in i for i in items):
            return True
    steps = doc.get("steps")
    if isinstance(steps, list) and ("pool" in doc or "trigger" in doc):
        return any(isinstance(s, dict) and ({"task", "script", "bash", "pwsh"} & set(s)) for s in steps)
    return False
