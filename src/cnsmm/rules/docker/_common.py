"""Shared pieces of the Dockerfile rules: requirement ids, metadata shortcut, iterators."""

from __future__ import annotations

import fnmatch
import weakref
from collections.abc import Iterator
from typing import Any

from cnsmm.findings import Severity
from cnsmm.rules.base import RuleContext, RuleMeta, Scope, option_value
from cnsmm.rules.docker._shell import Command, split_script
from cnsmm.sources.dockerfile import Dockerfile, Instruction, Stage, parse_image

# CNMM-TAS requirements the Dockerfile rules evidence.
IMG_CONFIG = "PLT.IMG.L3.3"
"""镜像内部配置及恶意程序扫描: scanning of image configuration."""
PRIVILEGE = "PLT.RUN.L2.1"
"""特权容器与特权行为限制: privileged containers and behaviour restricted."""
ALLOWLIST = "PLT.RUN.L2.2"
"""基于白名单的容器内程序运行控制: only intended programs in the container."""
HEALTH = "PLT.RUN.L1.1"
"""容器健康状态监测: container health monitoring."""
ARTIFACT_CHECK = "DEV.DEV.L2.1"
"""制品安全检查: artifact security checks."""
TRACEABILITY = "DEV.DEV.L3.1"
"""制品可追溯性: artifact traceability (pinned inputs)."""
OSS_RULES = "DEV.DEV.L1.1"
"""开源软件使用规范: open-source usage rules (where third-party code comes from)."""
STACK = "DEV.DEV.L3.2"
"""建立标准化、安全的技术栈: a standardised, secure technology stack."""
SECRETS = "PLT.ORC.L2.3"
"""敏感信息加密: sensitive information protected."""
SECRET_STORE = "PLT.ORC.L3.2"  # noqa: S105 - a requirement id
"""敏感信息托管保护: secrets held by a managed store."""
TRANSPORT = "PLT.IMG.L2.4"
"""镜像传输加密: encrypted transfer of image content."""

CIS_4_1 = "CIS Docker Benchmark 4.1 (create a user for the container)"
CIS_4_2 = "CIS Docker Benchmark 4.2 (use trusted base images)"
CIS_4_3 = "CIS Docker Benchmark 4.3 (do not install unnecessary packages)"
CIS_4_6 = "CIS Docker Benchmark 4.6 (add HEALTHCHECK instructions)"
CIS_4_7 = "CIS Docker Benchmark 4.7 (do not use update instructions alone)"
CIS_4_8 = "CIS Docker Benchmark 4.8 (remove setuid and setgid permissions)"
CIS_4_9 = "CIS Docker Benchmark 4.9 (use COPY instead of ADD)"
CIS_4_10 = "CIS Docker Benchmark 4.10 (do not store secrets in Dockerfiles)"
CIS_4_11 = "CIS Docker Benchmark 4.11 (install verified packages only)"
BEST_PRACTICES = "https://docs.docker.com/build/building/best-practices/"


def meta(**fields: Any) -> RuleMeta:
    """A :class:`RuleMeta` with the Dockerfile scope and target filled in."""
    return RuleMeta(scope=Scope.DOCKERFILE, targets=("Dockerfile",), **fields)




def runs(df: Dockerfile) -> Iterator[tuple[Stage, Instruction]]:
    """Every ``RUN`` of every stage, ``ONBUILD RUN`` included (it runs in derived images)."""
    for stage in df.stages:
        for inst in stage.of("RUN", onbuild=True):
            yield stage, inst


_RunCommands = list[tuple[Stage, Instruction, tuple[Command, ...]]]
_last_split: tuple[weakref.ref[Dockerfile], _RunCommands] | None = None


def run_commands(df: Dockerfile) -> Iterator[tuple[Stage, Instruction, tuple[Command, ...]]]:
    """Every ``RUN`` with its simple commands. The scripts of the last Dockerfile asked about are
    split once for all the rules that check it (the shared split cache is bounded, and a file
    with more RUN steps than it holds would be split again by every rule)."""
    global _last_split  # noqa: PLW0603 - a one-entry memo; a race only costs a second split
    cached = _last_split
    if cached is None or cached[0]() is not df:
        cached = (weakref.ref(df), [(stage, inst, split_script(inst.script)) for stage, inst in runs(df)])
        _last_split = cached
    yield from cached[1]


def own_run_commands(df: Dockerfile, stages: list[Stage] | None = None,
                     ) -> Iterator[tuple[Stage, Instruction, tuple[Command, ...]]]:
    """Like :func:`run_commands`, without ``ONBUILD RUN`` (what the stage itself runs), for
    ``stages`` only when given."""
    wanted = {s.index for s in stages} if stages is not None else None
    own = {id(i) for s in df.stages for i in s.instructions}
    for stage, inst, commands in run_commands(df):
        if id(inst) in own and (wanted is None or stage.index in wanted):
            yield stage, inst, commands


def external_base(df: Dockerfile, stage: Stage) -> Stage:
    """The stage of ``stage``'s lineage whose ``FROM`` names an image, not a stage."""
    return df.lineage(stage)[-1]


def base_matches(image: str, patterns: list[str] | tuple[str, ...]) -> bool:
    """True when image name or ``name:tag`` matches one of the glob ``patterns``."""
    ref = parse_image(image)
    if ref is None:
        return False
    name = ref.name
    full = f"{name}:{ref.tag}" if ref.tag else name
    short = name.rsplit("/", 1)[-1]
    candidates = {name, full, short, f"{short}:{ref.tag}" if ref.tag else short}
    return any(fnmatch.fnmatchcase(c, p.lower()) for c in candidates for p in patterns)


def _covers(target: str, path: str) -> bool:
    target, path = target.rstrip("/") or "/", path.rstrip("/") or "/"
    return target == path or path.startswith(target + "/") or target.startswith(path + "/") or target == "/"


def mount_targets(inst: Instruction, *types: str) -> list[str]:
    """Targets of the ``RUN --mount=type=<one of types>`` flags of ``inst``."""
    found: list[str] = []
    for key, value in inst.flags:
        if key != "mount" or not value:
            continue
        parts = dict(p.partition("=")[::2] for p in value.split(","))
        kind = parts.get("type", "bind")
        target = parts.get("target") or parts.get("dst") or parts.get("destination")
        if kind in types and target:
            found.append(target)
    return found


def mounts_cache(inst: Instruction, *paths: str) -> bool:
    """True when the ``RUN`` mounts a build cache or a tmpfs (``--mount=type=cache`` or
    ``type=tmpfs``) on one of ``paths``, on a folder above it or below it: what is written
    there does not stay in the layer."""
    return any(_covers(t, p) for t in mount_targets(inst, "cache", "tmpfs") for p in paths)


def final_lineage(df: Dockerfile) -> list[Stage]:
    """The final stage and the stages it builds on: what ships in the image."""
    final = df.final_stage
    return df.lineage(final) if final else []


PKG_MANAGERS = ("apt-get", "apt", "aptitude", "apk", "yum", "dnf", "dnf5", "microdnf", "tdnf", "zypper")
"""OS package managers the package rules read."""
RPM_MANAGERS = ("yum", "dnf", "dnf5", "microdnf", "tdnf", "zypper")
"""The RPM family among :data:`PKG_MANAGERS`."""

_APT = ("apt-get", "apt", "aptitude")
_DNF = ("yum", "dnf", "dnf5", "microdnf", "tdnf")
INSTALL_VERBS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(_APT, ("install",)), "apk": ("add",),
    **dict.fromkeys(_DNF, ("install", "in")), "microdnf": ("install",), "zypper": ("install", "in"),
}
"""Sub-commands (and their aliases) that install named packages."""
UPGRADE_VERBS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(_APT, ("upgrade", "dist-upgrade", "full-upgrade", "safe-upgrade", "reinstall", "build-dep")),
    "apk": ("upgrade", "fix"),
    **dict.fromkeys(_DNF, ("update", "upgrade", "up", "reinstall", "distro-sync", "dsync", "localinstall",
                           "groupinstall", "group", "module", "downgrade")),
    "zypper": ("update", "up", "dist-upgrade", "dup", "patch", "install-new-recommends", "inr"),
}
"""Other sub-commands that download packages (and so fill the package cache)."""
_SIMULATE = frozenset({
    "-s", "--simulate", "--dry-run", "--just-print", "--no-act", "--recon", "--simulation",
})
_VALUE_OPTIONS: dict[str, frozenset[str]] = {
    **dict.fromkeys(_APT, frozenset({"-t", "--target-release", "--default-release", "-o", "--option", "-c",
                                     "--config-file", "-a", "--host-architecture"})),
    "apk": frozenset({"-t", "--virtual", "-X", "--repository", "-p", "--root", "--keys-dir", "--arch",
                      "--repositories-file", "--cache-dir", "--cache-max-age"}),
    **dict.fromkeys(_DNF, frozenset({"--setopt", "--enablerepo", "--disablerepo", "--repo", "--repoid",
                                     "--installroot", "--releasever", "-x", "--exclude", "--forcearch", "-c",
                                     "--config", "--repofrompath", "--destdir", "--downloaddir", "-d",
                                     "--debuglevel", "-e", "--errorlevel", "--rpmverbosity",
                                     "--color", "--advisory", "--advisories", "--bz", "--cve"})),
    "zypper": frozenset({"-r", "--repo", "--from", "-t", "--type", "-R", "--root", "--installroot", "-c",
                         "--config", "--reposd-dir", "-D", "--cache-dir", "-C", "--raw-cache-dir"}),
}


def package_operation(command: Command) -> tuple[str, list[str]] | None:
    """``(sub-command, package operands)`` of an OS package-manager command, or None (another
    program, a simulation, no sub-command). Values of options that take one are skipped."""
    values = _VALUE_OPTIONS.get(command.name)
    if values is None or _SIMULATE & set(command.args):
        return None
    verb: str | None = None
    operands: list[str] = []
    skip = False
    for arg in command.args:
        if skip:
            skip = False
        elif arg.startswith("-"):
            skip = arg in values
        elif verb is None:
            verb = arg
        else:
            operands.append(arg)
    return (verb, operands) if verb is not None else None


def package_installs(commands: tuple[Command, ...]) -> Iterator[tuple[Command, list[str]]]:
    """Package-manager install commands (``install``, ``add``, aliases such as ``dnf in``) and
    the package operands they name."""
    for command in commands:
        operation = package_operation(command)
        if operation is not None and operation[0] in INSTALL_VERBS.get(command.name, ()):
            yield command, operation[1]


def fills_cache(command: Command, *, update: bool = False) -> bool:
    """True for package-manager commands that download packages into its cache: installs,
    upgrades, re-installs (and, with ``update``, index updates)."""
    operation = package_operation(command)
    if operation is None:
        return False
    verb = operation[0]
    return (verb in INSTALL_VERBS.get(command.name, ()) or verb in UPGRADE_VERBS.get(command.name, ())
            or (update and verb in ("update", "makecache", "refresh", "ref")))


def subcommand(command: Command) -> str | None:
    """First operand of ``command`` (``install`` in ``apt-get -y install x``)."""
    operands = command.operands()
    return operands[0] if operands else None


__all__ = [
    "ALLOWLIST",
    "ARTIFACT_CHECK",
    "BEST_PRACTICES",
    "CIS_4_1",
    "CIS_4_2",
    "CIS_4_3",
    "CIS_4_6",
    "CIS_4_7",
    "CIS_4_8",
    "CIS_4_9",
    "CIS_4_10",
    "CIS_4_11",
    "HEALTH",
    "IMG_CONFIG",
    "INSTALL_VERBS",
    "OSS_RULES",
    "PKG_MANAGERS",
    "PRIVILEGE",
    "RPM_MANAGERS",
    "SECRETS",
    "SECRET_STORE",
    "STACK",
    "TRACEABILITY",
    "TRANSPORT",
    "UPGRADE_VERBS",
    "Command",
    "Dockerfile",
    "Instruction",
    "Severity",
    "Stage",
    "base_matches",
    "external_base",
    "fills_cache",
    "final_lineage",
    "meta",
    "mount_targets",
    "mounts_cache",
    "option",
    "own_run_commands",
    "package_installs",
    "package_operation",
    "parse_image",
    "patterns",
    "run_commands",
    "runs",
    "split_script",
    "subcommand",
]


def option(ctx: RuleContext, key: str, default: Any) -> Any:
    """Option ``dockerfile.<name>``, given flat (``dockerfile.x: ...``) or nested (``dockerfile: {x: ...}``)."""
    value = option_value(ctx.options, key)
    return default if value is None else value


def patterns(ctx: RuleContext, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A list-of-globs option; a single string counts as a one-element list."""
    value = option(ctx, key, default)
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value) if isinstance(value, (list, tuple)) else default
