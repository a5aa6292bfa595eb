"""Package cache rules: what a package install leaves behind in the shipped image.

These rules look only at the stages that ship (the final stage and the stages it builds on
with ``FROM <stage>``); caches in builder stages never reach the image. Every sub-command that
downloads packages fills the cache (install and its aliases, upgrade, reinstall...); the
clean-up must come after the last of them in the same ``RUN`` (a clean-up before the install
cleans nothing). A ``RUN`` that mounts a build cache or a tmpfs over the cache folder
(``--mount=type=cache`` or ``type=tmpfs``) passes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from cnsmm.rules.base import Hit, RuleContext, rule
from cnsmm.rules.docker._common import (
    BEST_PRACTICES,
    CIS_4_3,
    IMG_CONFIG,
    RPM_MANAGERS,
    Command,
    Dockerfile,
    Instruction,
    Severity,
    fills_cache,
    final_lineage,
    meta,
    mount_targets,
    mounts_cache,
    own_run_commands,
    package_installs,
    subcommand,
)
from cnsmm.rules.docker.pinning import is_pip
from cnsmm.sources._dockerfile_syntax import key_values

_APT = ("apt-get", "apt", "aptitude")


def _shipped_runs(df: Dockerfile) -> Iterator[tuple[Instruction, tuple[Command, ...]]]:
    for _stage, inst, commands in own_run_commands(df, final_lineage(df)):
        yield inst, commands


def _removes(command: Command, *prefixes: str) -> bool:
    return command.name == "rm" and any(a.startswith(prefixes) for a in command.operands())


def _installs(commands: tuple[Command, ...], *managers: str) -> list[Command]:
    return [c for c, _pkgs in package_installs(commands) if c.name in managers]


def _left_behind(commands: tuple[Command, ...], managers: tuple[str, ...], cleans: Callable[[Command], bool],
                 *, update: bool = False) -> Command | None:
    """The last command of ``managers`` that fills the cache when no clean-up follows it."""
    last: Command | None = None
    for command in commands:
        if command.name in managers and fills_cache(command, update=update):
            last = command
        elif last is not None and cleans(command):
            last = None
    return last


@rule(meta(
    id="DKR-019", name="apt-lists-not-cleaned", title="apt package lists left in the image",
    severity=Severity.LOW, requirements=(IMG_CONFIG,),
    what="Flags a shipped RUN with `apt-get update`, `install`, `upgrade` or `reinstall` (also "
         "`apt`, `aptitude`) that does not remove `/var/lib/apt/lists` (or run `apt-get distclean`, "
         "apt 3.0+) after it in the same RUN, unless the RUN mounts a cache or tmpfs on "
         "`/var/lib/apt`.",
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
    def cleans(c: Command) -> bool:
        return _removes(c, "/var/lib/apt/lists") or (c.name in _APT and subcommand(c) in ("dist-clean", "distclean"))

    for inst, commands in _shipped_runs(df):
        left = _left_behind(commands, _APT, cleans, update=True)
        if left is not None and not mounts_cache(inst, "/var/lib/apt/lists"):
            yield Hit(f"{left.name} {subcommand(left)} without removing /var/lib/apt/lists after it in the "
                      "same RUN", line=inst.line)


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
    configured = {stage.index for stage in df.stages
                  if any("Install-Recommends" in i.script for i in stage.of("RUN"))}
    for stage, inst, commands in own_run_commands(df):
        apt = [c for c in _installs(commands, "apt-get", "apt")
               if "--no-install-recommends" not in c.args
               and not any("Install-Recommends=" in a for a in c.args)]
        zypper = [c for c in _installs(commands, "zypper") if "--no-recommends" not in c.args]
        apt_prompts = bool(apt) and stage.index not in configured
        if apt_prompts or zypper:
            name = "apt-get" if apt_prompts else "zypper"
            yield Hit(f"{name} install also installs recommended packages", line=inst.line)


@rule(meta(
    id="DKR-021", name="apk-cache-kept", title="apk cache left in the image",
    severity=Severity.LOW, requirements=(IMG_CONFIG,),
    what="Flags a shipped RUN with `apk add`, `apk upgrade` or `apk update` without `--no-cache` (or "
         "`--no-network`, which installs from packages already present) that does not remove "
         "`/var/cache/apk` after it in the same RUN, unless the RUN mounts a cache or tmpfs on it.",
    why="The apk index and package cache bloat the layer with data the running container never needs.",
    fix="Use `apk add --no-cache ...`.",
    bad="RUN apk update && apk add curl=8.9.1-r0",
    good="RUN apk add --no-cache curl=8.9.1-r0",
    references=("hadolint DL3019",),
))
def check_apk_cache(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report apk installs that keep the cache."""
    def keeps(c: Command) -> bool:
        return c.name == "apk" and not {"--no-cache", "--no-network"} & set(c.args) and fills_cache(c, update=True)

    for inst, commands in _shipped_runs(df):
        left = _left_behind(tuple(c for c in commands if c.name != "apk" or keeps(c)), ("apk",),
                            lambda c: _removes(c, "/var/cache/apk"), update=True)
        if left is not None and not mounts_cache(inst, "/var/cache/apk", "/etc/apk/cache"):
            yield Hit(f"apk {subcommand(left)} without --no-cache keeps the package cache in the layer",
                      line=inst.line)


_RPM_CACHES = ("/var/cache/yum", "/var/cache/dnf", "/var/cache/zypp", "/var/cache/tdnf", "/var/cache/libdnf5")


def _rpm_cleans(command: Command) -> bool:
    if command.name in RPM_MANAGERS and command.operands()[:1] in (["clean"], ["cc"]):
        return True
    return _removes(command, *_RPM_CACHES)


@rule(meta(
    id="DKR-022", name="rpm-cache-not-cleaned", title="yum/dnf/zypper cache left in the image",
    severity=Severity.LOW, requirements=(IMG_CONFIG,),
    what="Flags a shipped RUN with a `yum`, `dnf`, `microdnf`, `tdnf` or `zypper` install, upgrade "
         "or reinstall (aliases such as `dnf in` included) that is not followed, in the same RUN, by "
         "`<tool> clean all` (zypper: `clean`/`cc`) or the removal of the cache folder, unless the RUN "
         "mounts a cache or tmpfs on it.",
    why="Repository metadata and downloaded RPMs stay in the layer: size, and stale metadata.",
    fix="End the same RUN with `&& yum clean all` (or `dnf clean all`, `zypper clean -a`).",
    bad="RUN yum install -y httpd-2.4.57",
    good="RUN yum install -y httpd-2.4.57 && yum clean all",
    references=("hadolint DL3032", "hadolint DL3036", "hadolint DL3040"),
))
def check_rpm_cache(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report RPM-family installs without cleanup."""
    for inst, commands in _shipped_runs(df):
        left = _left_behind(commands, RPM_MANAGERS, _rpm_cleans)
        if left is not None and not mounts_cache(inst, *_RPM_CACHES):
            yield Hit(f"{left.name} {subcommand(left)} without '{left.name} clean all' after it in the same RUN",
                      line=inst.line)


def _pip_cache_mounted(inst: Instruction, cache_dir: str | None) -> bool:
    for raw in mount_targets(inst, "cache", "tmpfs"):
        target = raw.rstrip("/")
        if target.endswith(("/.cache", "/.cache/pip")) or (cache_dir and target == cache_dir.rstrip("/")):
            return True
    return False


@rule(meta(
    id="DKR-023", name="pip-cache-kept", title="pip install keeps its download cache",
    severity=Severity.LOW, requirements=(IMG_CONFIG,),
    what="Flags a shipped RUN with `pip install` (or `python -m pip install`; not pipenv or pipx) "
         "without `--no-cache-dir`, unless `PIP_NO_CACHE_DIR` is set in the shipped stages or the RUN "
         "mounts a cache or tmpfs on a `.cache` or `.cache/pip` folder (any user's) or on `PIP_CACHE_DIR`.",
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
    cache_dir = next((value for s in stages for i in s.of("ENV", "ARG")
                      for key, value in key_values(i.args, legacy=i.keyword == "ENV")
                      if key == "PIP_CACHE_DIR" and value), None)
    for inst, commands in _shipped_runs(df):
        if _pip_cache_mounted(inst, cache_dir) or "PIP_NO_CACHE_DIR" in inst.script:
            continue
        if any(is_pip(c) == "install" and "--no-cache-dir" not in c.args for c in commands):
            yield Hit("pip install without --no-cache-dir keeps downloaded packages in the layer",
                      line=inst.line)


def _yarn_installs(command: Command) -> bool:
    if command.name != "yarn":
        return False
    operands = command.operands()
    if not operands:  # bare `yarn` installs, unless it only prints its version or help
        return not {"--version", "-v", "-V", "--help", "-h"} & set(command.args)
    return operands[:1] in (["install"], ["add"]) or operands[:2] == ["global", "add"]


def _yarn_cleans(command: Command) -> bool:
    return ((command.name == "yarn" and command.operands()[:2] == ["cache", "clean"])
            or _removes(command, "/usr/local/share/.cache/yarn", "/root/.cache/yarn", "/root/.yarn/berry/cache")
            or (command.name == "rm" and any(a.rstrip("/").endswith(("/.cache/yarn", "/.yarn/berry/cache"))
                                             for a in command.operands())))


@rule(meta(
    id="DKR-058", name="yarn-cache-kept", title="yarn install keeps its package cache",
    severity=Severity.LOW, requirements=(IMG_CONFIG,),
    what="Flags a shipped RUN with `yarn`, `yarn install`, `yarn add` or `yarn global add` that is not "
         "followed, in the same RUN, by `yarn cache clean` or the removal of the cache folder, unless the "
         "RUN mounts a cache or tmpfs on a `.cache/yarn` (or `.yarn/berry/cache`) folder or on "
         "`YARN_CACHE_FOLDER`.",
    why="yarn keeps a copy of every downloaded package in its global cache: hundreds of megabytes in "
        "the layer that the running application never reads.",
    fix="End the RUN with `&& yarn cache clean`, or mount a build cache on the cache folder.",
    bad="RUN yarn install --frozen-lockfile",
    good="RUN yarn install --frozen-lockfile && yarn cache clean",
    references=("hadolint DL3060",),
))
def check_yarn_cache(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report yarn installs that keep the cache."""
    stages = final_lineage(df)
    folder = next((value for s in stages for i in s.of("ENV", "ARG")
                   for key, value in key_values(i.args, legacy=i.keyword == "ENV")
                   if key == "YARN_CACHE_FOLDER" and value), None)
    for inst, commands in _shipped_runs(df):
        mounted = [t.rstrip("/") for t in mount_targets(inst, "cache", "tmpfs")]
        if any(t.endswith(("/.cache/yarn", "/.cache", "/.yarn/berry/cache", "/.yarn/cache")) or t == folder
               for t in mounted):
            continue
        last: Command | None = None
        for command in commands:
            if _yarn_installs(command):
                last = command
            elif last is not None and _yarn_cleans(command):
                last = None
        if last is not None:
            yield Hit("yarn install without 'yarn cache clean' after it keeps the package cache in the layer",
                      line=inst.line)
