"""Version pinning rules for OS and language packages.

Policy (the same for every package manager): a package named on the command line must carry
an explicit version, in the manager's own syntax. Installs driven by a lock or requirements
file (`pip install -r`, `npm ci`, `npm install` without names, `bundle install`,
`go mod download`), local paths, archives and URLs pass: the file or the path decides.
Operands that are shell variables (`$PKGS`) cannot be judged and pass. Ranges and floating
tags (`>=1.0`, `^1.2`, `@latest`) are not pins.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from cnsmm.rules.base import Hit, RuleContext, rule
from cnsmm.rules.docker._common import (
    TRACEABILITY,
    Command,
    Dockerfile,
    Severity,
    meta,
    package_installs,
    run_commands,
)

_FLOATING = frozenset({"latest", "next", "master", "main", "head", "canary", "beta", "stable"})
_PIP_VALUE_OPTIONS = frozenset({
    "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix",
    "--root", "--platform", "--python-version", "--implementation", "--abi", "--only-binary",
    "--no-binary", "--trusted-host", "--progress-bar", "--upgrade-strategy", "--src", "--cache-dir",
    "-C", "--config-settings", "--global-option", "--log", "--python", "--report",
})
_REQ_OPTIONS = frozenset({"-r", "--requirement", "-c", "--constraint", "-e", "--editable"})
_NPM_VALUE_OPTIONS = frozenset({"--registry", "--prefix", "--cache", "--tag", "-w", "--workspace",
                                "--omit", "--include", "--loglevel"})


def _local(operand: str) -> bool:
    return (operand.startswith((".", "/", "~", "$", "http://", "https://", "git+", "file:", "git:"))
            or ("/" in operand.split("@", maxsplit=1)[0] and not operand.startswith("@"))
            or operand.endswith((".deb", ".rpm", ".apk", ".whl", ".tar.gz", ".tgz", ".zip")))


def _report(df: Dockerfile, commands_of: Callable[[tuple[Command, ...]], Iterator[tuple[str, str]]],
            ) -> Iterator[Hit]:
    for _stage, inst, commands in run_commands(df):
        found = list(commands_of(commands))
        if found:
            names = ", ".join(sorted({pkg for _m, pkg in found})[:5])
            yield Hit(f"{found[0][0]} installs without a version pin: {names}", line=inst.line)


def _os_unpinned(managers: tuple[str, ...], pinned: Callable[[str], bool]
                 ) -> Callable[[tuple[Command, ...]], Iterator[tuple[str, str]]]:
    def unpinned(commands: tuple[Command, ...]) -> Iterator[tuple[str, str]]:
        for command, packages in package_installs(commands):
            if command.name in managers:
                for pkg in packages:
                    if "$" not in pkg and not _local(pkg) and not pinned(pkg):
                        yield command.name, pkg
    return unpinned


POLICY = (" Pinning policy (all package rules): every package named on the command line carries an "
          "exact version in the manager's syntax; ranges and floating tags (`>=1`, `^1.2`, `@latest`) "
          "are not pins. Installs from lock or requirements files, local paths, archives and URLs pass "
          "(the file decides); operands that are shell variables cannot be judged and pass.")
"""The pinning policy, shown on every pinning rule's page."""

_OS_WHY = ("Without a version the build installs whatever the mirror serves that day; the image "
           "cannot be rebuilt identically, and what was scanned is not what ships.")


@rule(meta(
    id="DKR-029", name="apt-package-unpinned", title="apt package installed without a version",
    severity=Severity.LOW, requirements=(TRACEABILITY,),
    what="Flags `apt-get install` operands without `=version` (`curl=7.88.1-10+deb12u7`; a "
         "trailing `*` is allowed)." + POLICY,
    why=_OS_WHY,
    fix="Pin each package: `apt-get install -y pkg=<version>` (find it with `apt-cache policy pkg`).",
    bad="RUN apt-get install -y --no-install-recommends curl",
    good="RUN apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u7",
    references=("hadolint DL3008", "CWE-1357"),
))
def check_apt(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report unpinned apt packages."""
    yield from _report(df, _os_unpinned(("apt-get", "apt", "aptitude"), lambda p: "=" in p))


@rule(meta(
    id="DKR-030", name="apk-package-unpinned", title="apk package installed without a version",
    severity=Severity.LOW, requirements=(TRACEABILITY,),
    what="Flags `apk add` operands without a version constraint (`=`, `~`, `<`, `>`). Virtual "
         "package names (`.build-deps`) pass." + POLICY,
    why=_OS_WHY,
    fix="Pin each package: `apk add --no-cache pkg=<version>` (or `pkg~1.2` for a patch range).",
    bad="RUN apk add --no-cache curl",
    good="RUN apk add --no-cache curl=8.9.1-r0",
    references=("hadolint DL3018", "CWE-1357"),
))
def check_apk(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report unpinned apk packages."""
    yield from _report(df, _os_unpinned(("apk",), lambda p: bool(re.search(r"[=~<>]", p))))


_RPM_PIN_RE = re.compile(r"-\d[\w.+~^]*(?:-[\w.+~^]+)?$|[=<>]")


@rule(meta(
    id="DKR-031", name="rpm-package-unpinned", title="yum/dnf/zypper package installed without a version",
    severity=Severity.LOW, requirements=(TRACEABILITY,),
    what="Flags `yum/dnf/microdnf/tdnf/zypper install` operands without a version "
         "(`httpd-2.4.57` or `httpd-2.4.57-5.el9`; zypper also `pkg=1.2`). Groups (`@group`) pass." + POLICY,
    why=_OS_WHY,
    fix="Pin each package: `dnf install -y pkg-<version>`.",
    bad="RUN dnf install -y httpd && dnf clean all",
    good="RUN dnf install -y httpd-2.4.57 && dnf clean all",
    references=("hadolint DL3033", "hadolint DL3037", "hadolint DL3041", "CWE-1357"),
))
def check_rpm(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report unpinned RPM-family packages."""
    managers = ("yum", "dnf", "microdnf", "tdnf", "zypper")
    yield from _report(df, _os_unpinned(managers, lambda p: p.startswith("@") or bool(_RPM_PIN_RE.search(p))))


def _pip_operands(command: Command) -> list[str] | None:
    args = list(command.args)
    if command.name.startswith("python") and args[:2] == ["-m", "pip"]:
        args = args[2:]
    elif not command.name.startswith("pip") or command.name == "pipx":
        return None
    if not args or args[0] != "install":
        return None
    operands: list[str] = []
    skip = False
    for arg in args[1:]:
        if skip:
            skip = False
        elif arg in _REQ_OPTIONS:
            skip = True
        elif arg.startswith("-"):
            skip = arg in _PIP_VALUE_OPTIONS
        else:
            operands.append(arg)
    return operands


def _pip_unpinned(commands: tuple[Command, ...]) -> Iterator[tuple[str, str]]:
    for command in commands:
        for operand in _pip_operands(command) or []:
            if not _local(operand) and not re.search(r"===?|@ ", operand) and " @ " not in operand:
                yield "pip", operand


@rule(meta(
    id="DKR-032", name="pip-package-unpinned", title="pip package installed without an exact version",
    severity=Severity.LOW, requirements=(TRACEABILITY,),
    what="Flags `pip install` (and `python -m pip install`) operands without `==version`. "
         "Requirement and constraint files (`-r`, `-c`), editable and local paths, wheels and URLs pass." + POLICY,
    why="An unpinned PyPI package resolves to the newest upload, including a hijacked or "
        "typo-squatted release; the image differs from build to build.",
    fix="Pin with `pkg==1.2.3`, better in a requirements file with hashes (`--require-hashes`).",
    bad="RUN pip install --no-cache-dir flask",
    good="RUN pip install --no-cache-dir flask==3.0.3",
    references=("hadolint DL3013", "CWE-1357", "CWE-829"),
))
def check_pip(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report unpinned pip packages."""
    yield from _report(df, _pip_unpinned)


def _npm_version(operand: str) -> str | None:
    body = operand[1:] if operand.startswith("@") else operand
    return body.split("@", 1)[1] if "@" in body else None


def _npm_unpinned(commands: tuple[Command, ...]) -> Iterator[tuple[str, str]]:
    for command in commands:
        if command.name not in ("npm", "yarn", "pnpm"):
            continue
        words = list(command.args)
        verbs = ("install", "i", "add") if command.name == "npm" else ("add",)
        if command.name == "yarn" and words[:1] == ["global"]:
            words = words[1:]
        if not words or words[0] not in verbs:
            continue
        skip = False
        for arg in words[1:]:
            if skip:
                skip = False
            elif arg.startswith("-"):
                skip = arg in _NPM_VALUE_OPTIONS
            elif not _local(arg):
                version = _npm_version(arg)
                if version is None or version.lower() in _FLOATING or version.startswith(("^", "~", ">")):
                    yield command.name, arg


@rule(meta(
    id="DKR-033", name="npm-package-unpinned", title="npm/yarn package installed without a version",
    severity=Severity.LOW, requirements=(TRACEABILITY,),
    what="Flags package names given to `npm install`/`npm i`/`npm add`, `yarn add`, `yarn global "
         "add` and `pnpm add` without `@<version>`, or with a range (`^`, `~`, `>`) or a dist-tag "
         "(`@latest`). Installing from package.json (no names) is DKR-028's business." + POLICY,
    why="npm resolves to the newest publish of the package and of its dependencies; malicious "
        "releases of popular packages are a recurring supply-chain attack.",
    fix="Name an exact version: `npm install -g pkg@1.2.3`, or add it to package.json and use npm ci.",
    bad="RUN npm install -g typescript",
    good="RUN npm install -g typescript@5.6.3",
    references=("hadolint DL3016", "CWE-1357", "CWE-829"),
))
def check_npm(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report unpinned npm packages."""
    yield from _report(df, _npm_unpinned)


def _gem_unpinned(commands: tuple[Command, ...]) -> Iterator[tuple[str, str]]:
    for command in commands:
        operands = command.operands()
        if command.name != "gem" or operands[:1] != ["install"] or command.has("-v", "--version"):
            continue
        if any(a.startswith("--version=") for a in command.args):
            continue
        for operand in operands[1:]:
            if ":" not in operand and not _local(operand):
                yield "gem", operand


@rule(meta(
    id="DKR-034", name="gem-package-unpinned", title="gem installed without a version",
    severity=Severity.LOW, requirements=(TRACEABILITY,),
    what="Flags `gem install name` without `-v <version>` / `--version` or `name:<version>`." + POLICY,
    why="The newest release of the gem and its dependencies is installed at build time.",
    fix="Pin with `gem install name -v 1.2.3` or `name:1.2.3`, or use a Gemfile.lock with bundle install.",
    bad="RUN gem install bundler",
    good="RUN gem install bundler -v 2.5.22",
    references=("hadolint DL3028", "CWE-1357"),
))
def check_gem(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report unpinned gems."""
    yield from _report(df, _gem_unpinned)


def _go_unpinned(commands: tuple[Command, ...]) -> Iterator[tuple[str, str]]:
    for command in commands:
        operands = command.operands()
        if command.name != "go" or operands[:1] not in (["install"], ["get"]):
            continue
        for operand in operands[1:]:
            if operand.startswith((".", "/", "$")) or "." not in operand.split("/")[0]:
                continue  # local packages and std
            version = operand.rsplit("@", 1)[1] if "@" in operand else None
            if version is None or version.lower() in _FLOATING:
                yield f"go {operands[0]}", operand


@rule(meta(
    id="DKR-035", name="go-install-unpinned", title="go install/get without a version",
    severity=Severity.LOW, requirements=(TRACEABILITY,),
    what="Flags `go install` and `go get` of a remote module path without `@<version>` or with "
         "`@latest`/`@master`/`@main`. Local packages (`./...`) pass." + POLICY,
    why="`@latest` resolves to whatever the module's newest tag or commit is at build time.",
    fix="Name a released version: `go install example.com/tool@v1.2.3`.",
    bad="RUN go install golang.org/x/tools/cmd/goimports@latest",
    good="RUN go install golang.org/x/tools/cmd/goimports@v0.26.0",
    references=("https://go.dev/ref/mod#go-install", "CWE-1357"),
))
def check_go(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report unpinned go installs."""
    yield from _report(df, _go_unpinned)
