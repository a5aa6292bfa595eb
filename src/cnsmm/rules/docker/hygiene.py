"""Hygiene rules: build context, WORKDIR, deprecated and misleading instructions, suppressions."""

from __future__ import annotations

from collections.abc import Iterator

from cnsmm.rules.base import Hit, RuleContext, rule
from cnsmm.rules.docker._common import (
    BEST_PRACTICES,
    IMG_CONFIG,
    TRACEABILITY,
    Dockerfile,
    Instruction,
    Severity,
    meta,
    run_commands,
)
from cnsmm.rules.docker.download import sources
from cnsmm.sources._dockerfile_syntax import key_values, split_words
from cnsmm.sources.dockerfile import suppressions

POLICY_MANAGEMENT = "OPS.MGT.L3.2"
"""应用开发测试阶段策略统一配置管理: exceptions to the checks are managed and explained."""

_CONTEXT_ROOTS = frozenset({".", "./", "*", "./*", "./."})


def _absolute(path: str) -> bool:
    return path.startswith(("/", "\\")) or (len(path) >= 2 and path[1] == ":" and path[0].isalpha())


@rule(meta(
    id="DKR-046", name="copy-context-without-dockerignore",
    title="Whole build context copied with no .dockerignore",
    severity=Severity.MEDIUM, requirements=(IMG_CONFIG,),
    what="Flags `COPY . <dest>` / `ADD . <dest>` (also `./`, `*`) when there is no `.dockerignore` "
         "(nor `<Dockerfile name>.dockerignore`) next to the Dockerfile. Only checked when the "
         "scanner reads the Dockerfile from disk.",
    why="Everything in the folder goes into the image: `.git` with its history, `.env` files, "
        "local credentials, build output and test data.",
    fix="Add a .dockerignore next to the Dockerfile (at least `.git`, `.env*`, `*.pem`, "
        "`node_modules`), or copy only the paths the image needs.",
    bad="COPY . /app    # and no .dockerignore",
    good="COPY src/ /app/src/\nCOPY package.json package-lock.json /app/",
    references=("hadolint DL4007", "https://docs.docker.com/build/concepts/context/#dockerignore-files", "CWE-538"),
))
def check_dockerignore(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report whole-context copies without .dockerignore."""
    if df.has_dockerignore is not False:
        return
    for inst in df.instructions():
        if (inst.keyword in ("COPY", "ADD") and inst.flag("from") is None
                and any(src in _CONTEXT_ROOTS for src in sources(inst))):
            yield Hit(f"{inst.keyword} copies the whole build context and there is no .dockerignore "
                      "next to the Dockerfile", line=inst.line)


@rule(meta(
    id="DKR-047", name="relative-workdir", title="WORKDIR with a relative path",
    severity=Severity.LOW, requirements=(IMG_CONFIG,),
    what="Flags WORKDIR whose path (after ARG/ENV substitution) is relative.",
    why="A relative WORKDIR is resolved against the previous one, which may come from the base "
        "image and change under you; files then land in unexpected places.",
    fix="Use an absolute path: `WORKDIR /app`.",
    bad="WORKDIR app",
    good="WORKDIR /app",
    references=("hadolint DL3000", "Checkov CKV_DOCKER_10"),
))
def check_workdir(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report relative WORKDIR paths."""
    for stage in df.stages:
        for inst in stage.of("WORKDIR"):
            path = inst.expanded.strip().strip("\"'")
            if inst.resolved and path and not _absolute(path):
                yield Hit(f"WORKDIR {path!r} is relative; use an absolute path", line=inst.line)


@rule(meta(
    id="DKR-048", name="maintainer-deprecated", title="MAINTAINER is deprecated",
    severity=Severity.INFO, requirements=(TRACEABILITY,),
    what="Flags the deprecated MAINTAINER instruction.",
    why="MAINTAINER is not part of the OCI image annotations that tools read; ownership "
        "information belongs in labels, where it stays traceable.",
    fix="Replace it with `LABEL org.opencontainers.image.authors=\"team@example.com\"`.",
    bad="MAINTAINER jane@example.com",
    good="LABEL org.opencontainers.image.authors=\"jane@example.com\"",
    references=("hadolint DL4000", "Checkov CKV_DOCKER_6"),
))
def check_maintainer(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report MAINTAINER."""
    for stage in df.stages:
        for inst in stage.of("MAINTAINER"):
            yield Hit("MAINTAINER is deprecated; use an org.opencontainers.image.authors label",
                      line=inst.line)


@rule(meta(
    id="DKR-049", name="cd-in-run", title="cd in RUN instead of WORKDIR",
    severity=Severity.INFO, requirements=(IMG_CONFIG,),
    what="Flags RUN steps that change directory with `cd`.",
    why="The change does not survive the RUN, so later steps silently run elsewhere; WORKDIR "
        "makes the working directory explicit and reviewable.",
    fix="Use `WORKDIR /path` before the RUN (or an absolute path in the command).",
    bad="RUN cd /src && make",
    good="WORKDIR /src\nRUN make",
    references=("hadolint DL3003", BEST_PRACTICES),
))
def check_cd(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report cd in RUN."""
    for _stage, inst, commands in run_commands(df):
        if any(c.name == "cd" for c in commands):
            yield Hit("RUN changes directory with cd; use WORKDIR", line=inst.line)


def _destination(inst: Instruction) -> str | None:
    words = list(inst.exec_form) if inst.exec_form is not None else split_words(inst.expanded)
    return words[-1] if len(words) >= 2 else None


@rule(meta(
    id="DKR-050", name="copy-relative-dest-without-workdir",
    title="COPY to a relative path before any WORKDIR",
    severity=Severity.LOW, requirements=(IMG_CONFIG,),
    what="Flags COPY/ADD with a relative destination in a stage (and the stages it builds on) that "
         "has no WORKDIR before it.",
    why="The destination then depends on the base image's working directory, which may be `/`: "
        "files land in the root of the filesystem, next to system folders.",
    fix="Set `WORKDIR /app` first, or copy to an absolute path.",
    bad="FROM python:3.12-slim\nCOPY app.py .",
    good="FROM python:3.12-slim\nWORKDIR /app\nCOPY app.py .",
    references=("hadolint DL3045",),
))
def check_relative_dest(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report relative COPY destinations with no WORKDIR."""
    for stage in df.stages:
        inherited = any(any(True for _ in s.of("WORKDIR")) for s in df.lineage(stage)[1:])
        has_workdir = inherited
        for inst in stage.instructions:
            if inst.keyword == "WORKDIR":
                has_workdir = True
            elif inst.keyword in ("COPY", "ADD") and not has_workdir:
                dest = _destination(inst)
                if dest and not dest.startswith("<<") and "$" not in dest and not _absolute(dest):
                    yield Hit(f"{inst.keyword} to relative path {dest!r} with no WORKDIR set", line=inst.line)


@rule(meta(
    id="DKR-051", name="persistent-debian-frontend", title="DEBIAN_FRONTEND set with ENV",
    severity=Severity.INFO, requirements=(IMG_CONFIG,),
    what="Flags `ENV DEBIAN_FRONTEND=...`.",
    why="ENV persists into the running container, where it changes the behaviour of every "
        "interactive tool (`apt` in a debug session silently takes defaults).",
    fix="Use `ARG DEBIAN_FRONTEND=noninteractive` (build time only) or set it inline in the RUN.",
    bad="ENV DEBIAN_FRONTEND=noninteractive",
    good="ARG DEBIAN_FRONTEND=noninteractive",
    references=(BEST_PRACTICES,),
))
def check_debian_frontend(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report ENV DEBIAN_FRONTEND."""
    for stage in df.stages:
        for inst in stage.of("ENV"):
            if any(key == "DEBIAN_FRONTEND" for key, _v in key_values(inst.args, legacy=True)):
                yield Hit("ENV DEBIAN_FRONTEND persists into the running container; use ARG", line=inst.line)


@rule(meta(
    id="DKR-052", name="suppression-without-reason",
    title="Suppression comment without a rule id or reason",
    severity=Severity.LOW, requirements=(POLICY_MANAGEMENT,),
    what="Flags `# cnsmm:ignore` and `# cnsmm:ignore-file` comments that name no rule id or give "
         "no reason after the ids. The suppression still applies; this finding keeps it visible. "
         "It points to the instruction the comment suppresses (the comment's own line for "
         "`ignore-file`).",
    why="A suppression hides a finding from every report; without a reason nobody can later tell "
        "whether it is still justified, and reviewers cannot judge it.",
    fix="Write the rule ids and a reason: `# cnsmm:ignore DKR-005 runs as root to bind port 80 "
        "in the test image`.",
    bad="# cnsmm:ignore DKR-005\nUSER root",
    good="# cnsmm:ignore DKR-005 test-only image, never deployed\nUSER root",
    references=("https://bandit.readthedocs.io/en/latest/config.html#exclusions",),
))
def check_suppressions(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report suppression comments without rule ids or reason."""
    for mark in suppressions(df):
        line = mark.target.line if mark.target is not None else mark.line
        if not mark.rule_ids:
            yield Hit(f"suppression comment at line {mark.line} names no rule id (write e.g. "
                      "'cnsmm:ignore DKR-005 reason')", line=line)
        elif not mark.reason:
            yield Hit(f"suppression of {', '.join(mark.rule_ids)} at line {mark.line} gives no reason",
                      line=line)
