"""GitLab CI (``.gitlab-ci.yml`` and the files it includes).

Reference: https://docs.gitlab.com/ci/yaml/ . Jobs are the top-level mappings that are not
global keywords; hidden jobs (``.name``) are templates merged through ``extends`` and are not
jobs themselves. Each ``script``/``before_script``/``after_script`` line is one step.
"""

from __future__ import annotations

import re
from typing import Any

from cnsmm.kube.values import truthy
from cnsmm.sources.pipelines.model import Image, Include, Job, Pipeline, Step
from cnsmm.sources.yamlload import YList, YMap

GLOBAL_KEYS = frozenset(
    {
        "stages",
        "variables",
        "include",
        "default",
        "workflow",
        "image",
        "services",
        "before_script",
        "after_script",
        "cache",
        "spec",
    }
)
"""Top-level keys that are not jobs."""

_SCRIPT_KEYS = ("before_script", "script", "after_script")

_SOURCE_EVENTS = {
    "merge_request_event": "merge_request",
    "push": "push",
    "schedule": "schedule",
    "web": "manual",
    "api": "api",
    "trigger": "trigger",
    "pipeline": "pipeline",
    "parent_pipeline": "pipeline",
    "external_pull_request_event": "pull_request",
    "chat": "chat",
    "webide": "manual",
}
_ONLY_EVENTS = {
    "merge_requests": "merge_request",
    "schedules": "schedule",
    "tags": "tag",
    "branches": "push",
    "pushes": "push",
    "web": "manual",
    "api": "api",
    "triggers": "trigger",
    "pipelines": "pipeline",
    "external_pull_requests": "pull_request",
    "chat": "chat",
}
_SOURCE_RE = re.compile(r"\$CI_PIPELINE_SOURCE\s*==\s*[\"']?(\w+)")


def _events_of_rules(rules: Any) -> set[str]:
    events: set[str] = set()
    if not isinstance(rules, list):
        return events
    for rule in rules:
        if not isinstance(rule, dict):
            continue
        cond = rule.get("if")
        if rule.get("when") == "never":
            continue
        if not isinstance(cond, str):
            events.add("push")
            continue
        found = {_SOURCE_EVENTS.get(s, s) for s in _SOURCE_RE.findall(cond)}
        if "$CI_MERGE_REQUEST" in cond:
            found.add("merge_request")
        if "$CI_COMMIT_TAG" in cond and "== null" not in cond and "!" not in cond:
            found.add("tag")
        if "$CI_COMMIT_BRANCH" in cond and not found:
            found.add("push")
        events |= found or {"push"}
    return events


def _events_of_only(only: Any) -> set[str]:
    refs = only.get("refs") if isinstance(only, dict) else only
    if isinstance(refs, str):
        refs = [refs]
    if not isinstance(refs, list):
        return set()
    return {_ONLY_EVENTS.get(str(r), "push") for r in refs}


def job_events(job: YMap, default: tuple[str, ...]) -> tuple[str, ...]:
    """Events a job runs on, from ``rules:`` or ``only:``; the pipeline's otherwise."""
    if "rules" in job:
        return tuple(sorted(_events_of_rules(job["rules"]))) or default
    if "only" in job:
        return tuple(sorted(_events_of_only(job["only"]))) or default
    return default


def pipeline_events(doc: YMap) -> tuple[str, ...]:
    """Events from ``workflow: rules:``; without them GitLab runs branch and tag pipelines."""
    workflow = doc.get("workflow")
    if isinstance(workflow, dict) and "rules" in workflow:
        found = _events_of_rules(workflow["rules"])
        if found:
            return tuple(sorted(found))
    return ("push",)


def _flatten(value: Any, line: int) -> list[tuple[str, int]]:
    """Script lines of a string or (nested, anchor-expanded) list, each with its line."""
    if isinstance(value, str):
        return [(value, line)]
    out: list[tuple[str, int]] = []
    if isinstance(value, YList):
        for item, item_line in zip(value, value.item_lines, strict=False):
            out.extend(_flatten(item, item_line))
    return out


def _merge_extends(name: str, job: YMap, templates: dict[str, YMap], depth: int = 0,
                   memo: dict[tuple[str, int], YMap] | None = None) -> YMap:
    """``job`` with what it ``extends`` merged in (11 levels at most). Each template is merged
    once per level and a parent named twice counts once, so that templates naming many parents
    at every level cost their size, not the number of paths through them."""
    parents = job.get("extends")
    if isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list) or depth > 10:
        return job
    memo = {} if memo is None else memo
    merged = YMap(job.line)
    for parent in dict.fromkeys(str(p) for p in parents):
        base = templates.get(parent)
        if base is None or base is job:
            continue
        done = memo.get((parent, depth + 1))
        if done is None:
            done = memo[(parent, depth + 1)] = _merge_extends(parent, base, templates, depth + 1, memo)
        base = done
        for k, v in base.items():
            merged[k] = v
            merged.key_lines[k] = base.key_lines.get(k, base.line)
    for k, v in job.items():
        merged[k] = v
        merged.key_lines[k] = job.key_lines.get(k, job.line)
    return merged


def _images(m: YMap, role_line: int) -> list[Image]:
    images: list[Image] = []
    image = m.get("image")
    iline = m.key_lines.get("image", role_line)
    if isinstance(image, str):
        images.append(Image(image, iline))
    elif isinstance(image, YMap) and isinstance(image.get("name"), str):
        images.append(Image(image["name"], image.key_lines.get("name", iline)))
    services = m.get("services")
    if isinstance(services, YList):
        for svc, sline in zip(services, services.item_lines, strict=False):
            if isinstance(svc, str):
                images.append(Image(svc, sline, "service"))
            elif isinstance(svc, YMap) and isinstance(svc.get("name"), str):
                images.append(Image(svc["name"], svc.key_lines.get("name", sline), "service"))
    return images


def _env(m: YMap) -> tuple[dict[str, Any], dict[str, int]]:
    variables = m.get("variables")
    if not isinstance(variables, YMap):
        return {}, {}
    env: dict[str, Any] = {}
    for k, v in variables.items():
        env[str(k)] = v.get("value") if isinstance(v, dict) else v
    return env, {str(k): ln for k, ln in variables.key_lines.items()}


def _steps(m: YMap, env: dict[str, Any], env_line: dict[str, int]) -> tuple[Step, ...]:
    steps: list[Step] = []
    for key in _SCRIPT_KEYS:
        if key in m:
            for command, line in _flatten(m[key], m.key_lines.get(key, m.line)):
                steps.append(Step(line=line, run=command, run_line=line, env=env, env_line=env_line))
    return tuple(steps)


def _job(job_id: str, m: YMap, line: int, events: tuple[str, ...]) -> Job:
    env, env_line = _env(m)
    soft: str | None = None
    soft_line = 0
    if "allow_failure" in m:
        value = m["allow_failure"]
        if truthy(value) or isinstance(value, dict):
            soft = "allow_failure: true" if not isinstance(value, dict) else "allow_failure: exit_codes"
            soft_line = m.key_lines.get("allow_failure", line)
    tags = m.get("tags")
    extends = m.get("extends")
    return Job(
        id=job_id,
        line=line,
        steps=_steps(m, env, env_line),
        images=tuple(_images(m, line)),
        runs_on=tuple(str(t) for t in tags) if isinstance(tags, list) else (),
        runs_on_line=m.key_lines.get("tags", line),
        soft=soft,
        soft_line=soft_line,
        events=job_events(m, events),
        uses=str(extends) if isinstance(extends, str) else None,
        uses_line=m.key_lines.get("extends", line),
        raw=m,
    )


def _includes(value: Any, line: int) -> list[Include]:
    items: list[tuple[Any, int]] = (
        list(zip(value, value.item_lines, strict=False)) if isinstance(value, YList) else [(value, line)]
    )
    out: list[Include] = []
    for item, item_line in items:
        if isinstance(item, str):
            kind = "remote" if item.startswith(("http://", "https://")) else "local"
            out.append(Include(kind, item, item_line))
        elif isinstance(item, YMap):
            for kind in ("local", "template", "remote", "component", "file", "project"):
                val = item.get(kind)
                if isinstance(val, str):
                    out.append(Include(kind, val, item.key_lines.get(kind, item_line)))
                elif isinstance(val, list):  # project: + file: [a, b]
                    out.extend(Include(kind, str(v), item.key_lines.get(kind, item_line)) for v in val)
    return out


def parse(doc: YMap, file: str, text: str) -> Pipeline:
    """A GitLab CI file (the root ``.gitlab-ci.yml`` or an included one)."""
    events = pipeline_events(doc)
    templates = {str(k): v for k, v in doc.items() if isinstance(k, str) and isinstance(v, YMap)}
    defaults = doc.get("default") if isinstance(doc.get("default"), YMap) else doc
    jobs: list[Job] = []
    default_images = _images(defaults, defaults.line) if isinstance(defaults, YMap) else []
    env, env_line = _env(doc)
    top_steps = _steps(defaults, env, env_line) if isinstance(defaults, YMap) else ()
    if default_images or top_steps:
        jobs.append(
            Job(
                id="default",
                line=default_images[0].line if default_images else 1,
                steps=top_steps,
                images=tuple(default_images),
                events=events,
                raw=defaults,
            )
        )
    # A file of hidden jobs only is a template library (an included file): its templates are
    # what runs, so they are checked as jobs.
    library = not any(isinstance(k, str) and k not in GLOBAL_KEYS and not k.startswith(".") for k in doc)
    memo: dict[tuple[str, int], YMap] = {}
    for key, value in doc.items():
        if not isinstance(key, str) or key in GLOBAL_KEYS or not isinstance(value, YMap):
            continue
        if key.startswith(".") and not library:
            continue
        merged = _merge_extends(key, value, templates, memo=memo)
        jobs.append(_job(key, merged, doc.key_lines.get(key, value.line), events))
    includes = _includes(doc["include"], doc.key_lines.get("include", 1)) if "include" in doc else []
    return Pipeline(
        file=file,
        system="gitlab-ci",
        text=text,
        events=events,
        events_line=doc.key_lines.get("workflow", 1),
        jobs=tuple(jobs),
        includes=tuple(includes),
        env=env,
        env_line=env_line,
        raw=doc,
    )


def is_gitlab(doc: YMap) -> bool:
    """Content rule: a job-like mapping with ``script:`` (or ``trigger:``), or ``stages:`` as a
    list of names next to such jobs, or a template ``include:``."""
    jobs = [v for k, v in doc.items() if isinstance(k, str) and k not in GLOBAL_KEYS and isinstance(v, dict)]
    if any("script" in j or ("trigger" in j and "stage" in j) for j in jobs):
        return True
    include = doc.get("include")
    entries = include if isinstance(include, list) else [include]
    return any(isinstance(e, dict) and ("template" in e or "component" in e) for e in entries)
