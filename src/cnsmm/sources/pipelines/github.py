"""GitHub Actions workflows (``.github/workflows/*.yml``) and composite actions (``action.yml``).

Reference: https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-actions
and https://docs.github.com/en/actions/sharing-automations/creating-actions/metadata-syntax-for-github-actions
"""

from __future__ import annotations

from typing import Any

from cnsmm.kube.values import truthy
from cnsmm.sources.pipelines.model import Image, Job, Pipeline, Step
from cnsmm.sources.yamlload import YList, YMap


def _on(doc: YMap) -> tuple[Any, int]:
    # YAML 1.1 reads the bare key `on` as the boolean true.
    for key in ("on", True):
        if key in doc:
            return doc[key], doc.key_lines.get(key, doc.line)
    return None, doc.line


def events_of(on: Any) -> tuple[str, ...]:
    """Event names of an ``on:`` value (string, list or mapping)."""
    if isinstance(on, str):
        return (on,)
    if isinstance(on, list):
        return tuple(str(e) for e in on if isinstance(e, str))
    if isinstance(on, dict):
        return tuple(str(k) for k in on)
    return ()


def _mapping(value: Any) -> tuple[dict[str, Any], dict[str, int]]:
    if isinstance(value, YMap):
        return {str(k): v for k, v in value.items()}, {str(k): ln for k, ln in value.key_lines.items()}
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}, {}
    return {}, {}


def _soft(m: YMap, key: str, label: str) -> tuple[str | None, int]:
    if key not in m:
        return None, 0
    value = m[key]
    line = m.key_lines.get(key, m.line)
    if isinstance(value, str) and "${{" in value:
        return f"{label}: {value.strip()} (an expression that can be true)", line
    if truthy(value):
        return f"{label}: true", line
    return None, 0


def parse_step(item: Any, line: int) -> Step | None:
    """One ``steps:`` item (a mapping) as a :class:`Step`."""
    if not isinstance(item, YMap):
        return None
    kl = item.key_lines
    uses = item.get("uses")
    run = item.get("run")
    inputs, inputs_line = _mapping(item.get("with"))
    env, env_line = _mapping(item.get("env"))
    soft, soft_line = _soft(item, "continue-on-error", "continue-on-error")
    name = item.get("name")
    return Step(
        line=line,
        name=str(name) if name is not None else None,
        uses=str(uses).strip() if isinstance(uses, str) else None,
        uses_line=kl.get("uses", line),
        run=run if isinstance(run, str) else None,
        run_line=kl.get("run", line),
        inputs=inputs,
        inputs_line=inputs_line,
        env=env,
        env_line=env_line,
        soft=soft,
        soft_line=soft_line,
    )


def _steps(value: Any) -> tuple[Step, ...]:
    if not isinstance(value, YList):
        return ()
    steps = []
    for item, line in zip(value, value.item_lines, strict=False):
        step = parse_step(item, line)
        if step is not None:
            steps.append(step)
    return tuple(steps)


def _runs_on(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value if isinstance(v, (str, int)))
    if isinstance(value, dict):
        labels = value.get("labels")
        group = value.get("group")
        out = list(_runs_on(labels))
        if isinstance(group, str):
            out.append(f"group:{group}")
        return tuple(out)
    return ()


def _images(job: YMap, steps: tuple[Step, ...]) -> tuple[Image, ...]:
    images: list[Image] = []
    container = job.get("container")
    cline = job.key_lines.get("container", job.line)
    if isinstance(container, str):
        images.append(Image(container, cline))
    elif isinstance(container, YMap) and isinstance(container.get("image"), str):
        images.append(Image(container["image"], container.key_lines.get("image", cline)))
    services = job.get("services")
    if isinstance(services, YMap):
        for svc in services.values():
            if isinstance(svc, YMap) and isinstance(svc.get("image"), str):
                images.append(Image(svc["image"], svc.key_lines.get("image", svc.line), "service"))
    for step in steps:
        if step.uses and step.uses.startswith("docker://"):
            images.append(Image(step.uses[len("docker://") :], step.uses_line, "uses"))
    return tuple(images)


def parse_job(job_id: str, job: YMap, line: int) -> Job:
    """One entry of ``jobs:``."""
    steps = _steps(job.get("steps"))
    soft, soft_line = _soft(job, "continue-on-error", "continue-on-error")
    name = job.get("name")
    uses = job.get("uses")
    return Job(
        id=job_id,
        line=line,
        name=str(name) if name is not None else None,
        steps=steps,
        images=_images(job, steps),
        runs_on=_runs_on(job.get("runs-on")),
        runs_on_line=job.key_lines.get("runs-on", line),
        soft=soft,
        soft_line=soft_line,
        uses=str(uses) if isinstance(uses, str) else None,
        uses_line=job.key_lines.get("uses", line),
        raw=job,
    )


def parse_workflow(doc: YMap, file: str, text: str) -> Pipeline:
    """A workflow file (``on:`` + ``jobs:``)."""
    on, on_line = _on(doc)
    jobs_value = doc.get("jobs")
    jobs: list[Job] = []
    if isinstance(jobs_value, YMap):
        for job_id, job in jobs_value.items():
            if isinstance(job, YMap):
                jobs.append(parse_job(str(job_id), job, jobs_value.key_lines.get(job_id, job.line)))
    env, env_line = _mapping(doc.get("env"))
    return Pipeline(
        file=file,
        system="github-actions",
        text=text,
        events=events_of(on),
        events_line=on_line,
        jobs=tuple(jobs),
        env=env,
        env_line=env_line,
        raw=doc,
    )


def parse_action(doc: YMap, file: str, text: str) -> Pipeline:
    """An action metadata file; composite steps become one job named ``composite``."""
    runs = doc.get("runs")
    jobs: list[Job] = []
    if isinstance(runs, YMap):
        steps = _steps(runs.get("steps"))
        images: tuple[Image, ...] = ()
        image = runs.get("image")
        if isinstance(image, str) and image.startswith("docker://"):
            images = (Image(image[len("docker://") :], runs.key_lines.get("image", runs.line), "uses"),)
        jobs.append(
            Job(
                id="composite",
                line=doc.key_lines.get("runs", runs.line),
                steps=steps,
                images=images,
                raw=runs,
            )
        )
    return Pipeline(file=file, system="github-actions", text=text, jobs=tuple(jobs), raw=doc)


def is_action(doc: YMap) -> bool:
    """True for an action metadata mapping (``runs:`` with ``using:``)."""
    runs = doc.get("runs")
    return isinstance(runs, dict) and "using" in runs


def is_workflow(doc: YMap) -> bool:
    """Content rule: ``on:`` and ``jobs:``, with a job that has ``runs-on``, ``steps`` or ``uses``."""
    on, _ = _on(doc)
    jobs = doc.get("jobs")
    if on is None or not isinstance(jobs, dict):
        return False
    return any(isinstance(j, dict) and ({"runs-on", "steps", "uses"} & set(j)) for j in jobs.values())
