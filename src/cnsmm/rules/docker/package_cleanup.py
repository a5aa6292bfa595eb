"""Package cache rules: what a package install leaves behind in the shipped image.

These rules look only at the stages that ship (the final stage and the stages it builds on
with ``FROM <stage>``); caches in builder stages never reach the image. A ``RUN`` that
mounts a build cache over the cache folder (``--mount=type=cache``) passes.
"""

from __future__ import annotations

from collections.abc import Iterator

from cnsmm.rules.base import Hit, RuleContext, rule
from cnsmm.rules.docker._common import (
    BEST_PRACTICES,
    CIS_4_3,
    IMG_CONFIG,
    Command,
    Dockerfile,
    Instruction,
    Severity,
    final_lineage,
    meta,
    mounts_cache,
    package_installs,
    split_script,
    subcommand,
)


def _shipped_runs(df: Dockerfile) -> Iterator[tuple[Instruction, tuple[Command, ...]]]:
    for stage in final_lineage(df):
        for inst in stage.of("RUN"):
            yield inst, split_script(inst.script)


def _removes(commands: tuple[Command, ...], *prefixes: str) -> bool:
    return any(c.name == "rm" and any(a.startswith(prefixes) for a in c.operands()) for c in commands)


def _installs(commands: tuple[Command, ...], *managers: str) -> list[Command]:
    return [c for c, _pkgs in package_installs(commands) if c.name in managers]


@rule(meta(
    id="DKR-019", name="apt-lists-not-cleaned", title="apt package lists left in the image",
    severity=Severity.LOW, requirements=(IMG_CONFIG,),
    what="Flags a shipped RUN with `apt-get install` (or `apt install`) that does not remove "
         "`/var/lib/apt/lists` (or run `apt-get distclean`, apt 3.0+) in the same RUN.",
    why="The package index adds tens of megabytes of stale data to the layer; later layers cannot "
        "shrink it, and a stale index invites installing outdated packages in derived images.",
    fix="End the same RUN with `&& rm -rf /var/lib/apt/lists/*`.",
    bad="RUN apt-get update && apt-get install -y --no-install-recommends curl",
    good="RUN apt-get update && apt-get install -y --no-install-recommends curl \\\n"
         "    && rm -rf /var/lib/apt/lists/*",
    references=("hadolint DL3009", BEST_PRACTICES),
))
def check_apt_lists(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report apt installs that keep the lists."""
    for inst, commands in _shipped_runs(df):
        if (_installs(commands, "apt-get", "apt", "aptitude")
                and not _removes(commands, "/var/lib/apt/lists")
                and not any(subcommand(c) in ("dist-clean", "distclean") for c in commands)
                and not mounts_cache(inst, "/var/lib/apt")):
            yield Hit("apt-get install without removing /var/lib/apt/lists in the same RUN", line=inst.line)


@rule(meta(
    id="DKR-020", name="install-recommends", title="Recommended packages installed",
    severity=Severity.LOW, requirements=(IMG_CONFIG,),
    what="Flags `apt-get install` without `--no-install-recommends` (unless the stage configures "
         "`APT::Install-Recommends` off) and `zypper install` without `--no-recommends`.",
    why="Recommended packages are extra software nobody asked for: more vulnerabilities to scan "
        "and patch, more tools for an intruder (CIS 4.3).",
    fix="Add `--no-install-recommends` (apt) or `--no-recommends` (zypper) and list what you need.",
    bad="RUN apt-get install -y curl && rm -rf /var/lib/apt/lists/*",
    good="RUN apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*",
    references=("hadolint DL3015", CIS_4_3),
))
def check_recommends(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report installs that pull recommended packages."""
    for stage in df.stages:
        configured = any("Install-Recommends" in i.script for i in stage.of("RUN"))
        for inst in stage.of("RUN"):
            commands = split_script(inst.script)
            apt = [c for c in _installs(commands, "apt-get", "apt")
                   if "--no-install-recommends" not in c.args
                   and not any("Install-Recommends=" in a for a in c.args)]
            zypper = [c for c in _installs(commands, "zypper") if "--no-recommends" not in c.args]
            if (apt and not configured) or zypper:
                name = "apt-get" if apt and not configured else "zypper"
                yield Hit(f"{name} install also installs recommended packages", line=inst.line)


@rule(meta(
    id="DKR-021", name="apk-cache-kept", title="apk cache left in the image",
    severity=Severity.LOW, requirements=(IMG_CONFIG,),
    what="Flags a shipped RUN with `apk add` without `--no-cache` (or `--no-network`, which "
         "installs from packages already present) that does not remove `/var/cache/apk` in the same RUN.",
    why="The apk index and package cache bloat the layer with data the running container never needs.",
    fix="Use `apk add --no-cache ...`.",
    bad="RUN apk update && apk add curl=8.9.1-r0",
    good="RUN apk add --no-cache curl=8.9.1-r0",
    references=("hadolint DL3019",),
))
def check_apk_cache(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report apk installs that keep the cache."""
    for inst, commands in _shipped_runs(df):
        keeps = [c for c in _installs(commands, "apk") if not {"--no-cache", "--no-network"} & set(c.args)]
        if (keeps
                and not _removes(commands, "/var/cache/apk") and not mounts_cache(inst, "/var/cache/apk")):
            yield Hit("apk add without --no-cache keeps the package cache in the layer", line=inst.line)


_RPM_MANAGERS = ("yum", "dnf", "microdnf", "tdnf", "zypper")


def _cleans(commands: tuple[Command, ...], manager: str) -> bool:
    for command in commands:
        if command.name == manager and command.operands()[:1] in (["clean"], ["cc"]):
            return True
    return _removes(commands, "/var/cache/yum", "/var/cache/dnf", "/var/cache/zypp", "/var/cache/tdnf",
                    "/var/cache/libdnf5")


@rule(meta(
    id="DKR-022", name="rpm-cache-not-cleaned", title="yum/dnf/zypper cache left in the image",
    severity=Severity.LOW, requirements=(IMG_CONFIG,),
    what="Flags a shipped RUN with `yum`, `dnf`, `microdnf`, `tdnf` or `zypper` install that does "
         "not run `<tool> clean all` (zypper: `clean`/`cc`) or remove the cache folder in the same RUN.",
    why="Repository metadata and downloaded RPMs stay in the layer: size, and stale metadata.",
    fix="End the same RUN with `&& yum clean all` (or `dnf clean all`, `zypper clean -a`).",
    bad="RUN yum install -y httpd-2.4.57",
    good="RUN yum install -y httpd-2.4.57 && yum clean all",
    references=("hadolint DL3032", "hadolint DL3036", "hadolint DL3040"),
))
def check_rpm_cache(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report RPM-family installs without cleanup."""
    for inst, commands in _shipped_runs(df):
        for command in _installs(commands, *_RPM_MANAGERS):
            if not _cleans(commands, command.name) and not mounts_cache(inst, "/var/cache"):
                yield Hit(f"{command.name} install without '{command.name} clean all' in the same RUN",
                          line=inst.line)
                break


def _pip(command: Command) -> bool:
    if command.name.startswith("pip") and command.operands()[:1] == ["install"]:
        return True
    return command.name.startswith("python") and list(command.args[:3]) == ["-m", "pip", "install"]


@rule(meta(
    id="DKR-023", name="pip-cache-kept", title="pip install keeps its download cache",
    severity=Severity.LOW, requirements=(IMG_CONFIG,),
    what="Flags a shipped RUN with `pip install` (or `python -m pip install`) without "
         "`--no-cache-dir`, unless `PIP_NO_CACHE_DIR` is set in the shipped stages or the RUN mounts "
         "a cache on `/root/.cache`.",
    why="pip keeps every downloaded wheel under ~/.cache/pip in the layer: size without use.",
    fix="Add `--no-cache-dir` or set `ENV PIP_NO_CACHE_DIR=1`.",
    bad="RUN pip install -r requirements.txt",
    good="RUN pip install --no-cache-dir -r requirements.txt",
    references=("hadolint DL3042",),
))
def check_pip_cache(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report pip installs that keep the cache."""
    stages = final_lineage(df)
    if any("PIP_NO_CACHE_DIR" in i.args for s in stages for i in s.of("ENV", "ARG")):
        return
    for inst, commands in _shipped_runs(df):
        if mounts_cache(inst, "/root/.cache") or "PIP_NO_CACHE_DIR" in inst.script:
            continue
        if any(_pip(c) and "--no-cache-dir" not in c.args for c in commands):
            yield Hit("pip install without --no-cache-dir keeps downloaded packages in the layer",
                      line=inst.line)
