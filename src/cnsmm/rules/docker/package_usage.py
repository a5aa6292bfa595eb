"""Package manager usage rules: prompts, upgrades, lone updates, apt vs apt-get, npm ci."""

from __future__ import annotations

from collections.abc import Iterator

from cnsmm.rules.base import Hit, RuleContext, rule
from cnsmm.rules.docker._common import (
    BEST_PRACTICES,
    CIS_4_7,
    IMG_CONFIG,
    TRACEABILITY,
    Command,
    Dockerfile,
    Severity,
    meta,
    package_installs,
    run_commands,
    subcommand,
)

_YES = {
    "apt-get": ("-y", "--yes", "--assume-yes", "-qq", "-q=2", "--quiet=2"),
    "apt": ("-y", "--yes", "--assume-yes", "-qq", "-q=2", "--quiet=2"),
    "yum": ("-y", "--assumeyes"),
    "dnf": ("-y", "--assumeyes"),
    "tdnf": ("-y", "--assumeyes"),
    "zypper": ("-n", "--non-interactive", "-y", "--no-confirm"),
}


_ASSUME_YES_CONFIG = ("APT::Get::Assume-Yes", "assumeyes=1", "assumeyes=True", "assumeyes=true")


def _asks(command: Command) -> bool:
    options = _YES.get(command.name)
    if options is None or "yes" in command.piped_from:
        return False
    if command.has(*options):
        return False
    if any(a.startswith("-q") and a.count("q") >= 2 and command.name in ("apt-get", "apt") for a in command.args):
        return False  # -qq, -qqy: quiet level 2 implies -y
    return not any(a.startswith(("-y", "--assume-yes=", "--yes=")) for a in command.args)


@rule(meta(
    id="DKR-024", name="package-install-prompts", title="Package install without -y",
    severity=Severity.LOW, requirements=(TRACEABILITY,),
    what="Flags `apt-get/apt/yum/dnf/tdnf install` (and aliases such as `dnf in`) without `-y` (or "
         "`--yes`, `--assumeyes`, `-qq`, which implies `-y` for apt) and `zypper install` without "
         "`-n`/`-y`. Input piped from `yes` and an assume-yes setting made earlier in the stage "
         "(`APT::Get::Assume-Yes`, dnf `assumeyes`) answer the prompt.",
    why="The build has no terminal: the install either aborts on the confirmation prompt or "
        "behaves differently between builders, so the image is not reproducible.",
    fix="Add `-y` (apt, yum, dnf) or `-n` (zypper).",
    bad="RUN apt-get install --no-install-recommends curl=7.88.1-10+deb12u7",
    good="RUN apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u7",
    references=("hadolint DL3014", "hadolint DL3030", "hadolint DL3038", "hadolint DL3034"),
))
def check_prompts(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report interactive package installs."""
    configured_at = {stage.index: min((i.line for i in stage.of("RUN")
                                       if any(c in i.script for c in _ASSUME_YES_CONFIG)), default=None)
                     for stage in df.stages}
    for stage, inst, commands in run_commands(df):
        first = configured_at.get(stage.index)
        if first is not None and first <= inst.line:
            continue  # assume-yes configured in this RUN or an earlier one of the stage
        for command, _pkgs in package_installs(commands):
            if _asks(command):
                yield Hit(f"{command.name} install without -y waits for a confirmation", line=inst.line)
                break


_UPGRADES = {
    "apt-get": ("upgrade", "dist-upgrade", "full-upgrade"),
    "apt": ("upgrade", "full-upgrade", "dist-upgrade"),
    "apk": ("upgrade",), "yum": ("update", "upgrade"), "dnf": ("update", "upgrade", "distro-sync"),
    "microdnf": ("update", "upgrade"), "zypper": ("update", "up", "dist-upgrade", "dup"),
}


@rule(meta(
    id="DKR-025", name="distribution-upgrade", title="Whole distribution upgraded during the build",
    severity=Severity.LOW, requirements=(TRACEABILITY,),
    what="Flags `apt-get upgrade/dist-upgrade`, `apk upgrade`, `yum/dnf update` (with no package "
         "named) and `zypper update/dup`.",
    why="The image then contains whatever versions the mirrors served that day: two builds of the "
        "same commit differ, and a breaking or malicious update lands unreviewed. Security fixes "
        "belong in the base image, rebuilt and pinned.",
    fix="Move to a newer, pinned base image, or upgrade the specific packages with pinned versions.",
    bad="RUN apt-get update && apt-get -y dist-upgrade",
    good="FROM debian:12.7-slim@sha256:<digest>  # rebuilt regularly",
    references=("hadolint DL3005 (retired)", BEST_PRACTICES),
))
def check_upgrade(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report whole-system upgrades."""
    for _stage, inst, commands in run_commands(df):
        for command in commands:
            verbs = _UPGRADES.get(command.name, ())
            operands = command.operands()
            if operands and operands[0] in verbs and len(operands) == 1:
                yield Hit(f"'{command.name} {operands[0]}' upgrades the whole distribution", line=inst.line)
                break


@rule(meta(
    id="DKR-026", name="apt-instead-of-apt-get", title="apt used instead of apt-get",
    severity=Severity.INFO, requirements=(TRACEABILITY,),
    what="Flags RUN steps that call `apt` (the interactive front end) rather than `apt-get`.",
    why="`apt` has no stable command-line interface and warns so; its behaviour may change between "
        "releases, which makes builds unpredictable.",
    fix="Use `apt-get` (and `apt-cache`) in scripts.",
    bad="RUN apt install -y curl",
    good="RUN apt-get install -y --no-install-recommends curl",
    references=("hadolint DL3027", "Checkov CKV_DOCKER_9"),
))
def check_apt(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report ``apt`` in scripts."""
    for _stage, inst, commands in run_commands(df):
        if any(c.name == "apt" and subcommand(c) not in (None, "-h", "--help") for c in commands):
            yield Hit("RUN uses 'apt', whose CLI is not stable; use apt-get", line=inst.line)


_UPDATES = {"apt-get": "update", "apt": "update", "apk": "update"}


@rule(meta(
    id="DKR-027", name="package-update-alone", title="Package index updated in a RUN of its own",
    severity=Severity.MEDIUM, requirements=(IMG_CONFIG, TRACEABILITY),
    what="Flags a RUN that runs `apt-get update` (or `apk update`) without installing anything in "
         "the same RUN.",
    why="The builder caches that layer: later installs in other RUN steps use a stale index and "
        "may install outdated, vulnerable package versions (CIS 4.7).",
    fix="Combine `apt-get update && apt-get install -y ...` in one RUN.",
    bad="RUN apt-get update\nRUN apt-get install -y --no-install-recommends curl",
    good="RUN apt-get update && apt-get install -y --no-install-recommends curl \\\n"
         "    && rm -rf /var/lib/apt/lists/*",
    references=(CIS_4_7, "Checkov CKV_DOCKER_5", BEST_PRACTICES),
))
def check_update_alone(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report lone index updates."""
    for _stage, inst, commands in run_commands(df):
        updates = [c for c in commands if c.name in _UPDATES and _UPDATES[c.name] == subcommand(c)]
        if updates and not list(package_installs(commands)) and not any(
            subcommand(c) in ("upgrade", "dist-upgrade", "full-upgrade") for c in commands
        ):
            yield Hit(f"'{updates[0].name} update' without an install in the same RUN leaves a stale "
                      "index cached", line=inst.line)


@rule(meta(
    id="DKR-028", name="npm-install-not-ci", title="npm install used instead of npm ci",
    severity=Severity.LOW, requirements=(TRACEABILITY,),
    what="Flags `npm install` / `npm i` with no package named (installing a project's dependencies).",
    why="`npm install` may resolve newer versions than the lockfile and rewrite it; `npm ci` "
        "installs exactly the locked, integrity-checked tree or fails.",
    fix="Copy package-lock.json and run `npm ci` (with `--omit=dev` for runtime images).",
    bad="COPY package*.json ./\nRUN npm install",
    good="COPY package*.json ./\nRUN npm ci --omit=dev",
    references=("https://docs.npmjs.com/cli/commands/npm-ci", "CWE-1357"),
))
def check_npm_ci(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report dependency installs with ``npm install``."""
    for _stage, inst, commands in run_commands(df):
        for command in commands:
            operands = command.operands()
            if command.name == "npm" and operands[:1] in (["install"], ["i"]) and len(operands) == 1:
                yield Hit("npm install may not follow the lockfile; use npm ci", line=inst.line)
                break
