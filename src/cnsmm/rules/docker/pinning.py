"""Version pinning rules for OS and language packages.

Policy (the same for every package manager): a package named on the command line must carry
an explicit version, in the manager's own syntax. Installs driven by a lock, requirements or
constraints file (`pip install -r`, `pip install -c`, `npm ci`, `npm install` without names,
`bundle install`, `go mod download`), local paths, archives and URLs of archives pass: the
file or the path decides. Version-control URLs pass only with a ref that is not a branch
name (`git+https://...@v1.2.0`, `github:org/repo#<sha>`). Operands that are shell variables
(`$PKGS`) cannot be judged and pass. Ranges and floating tags (`>=1.0`, `^1.2`, `@latest`)
are not pins.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from cnsmm.rules.base import Hit, RuleContext, rule
from cnsmm.rules.docker._common import (
    RPM_MANAGERS,
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
_REQ_OPTIONS = frozenset({"-r", "--requirement", "-e", "--editable"})
_CONSTRAINT_OPTIONS = ("-c", "--constraint")
_NPM_VALUE_OPTIONS = frozenset({"--registry", "--prefix", "--cache", "--tag", "-w", "--workspace",
                                "--omit", "--include", "--loglevel", "--location", "--userconfig",
                                "--globalconfig", "--install-strategy"})
_PIPX_VALUE_OPTIONS = frozenset({"--python", "--pip-args", "--suffix", "--index-url", "-i", "--spec",
                                 "--preinstall", "--backend", "--fetch-missing-python"})
_GEM_VALUE_OPTIONS = frozenset({"-i", "--install-dir", "-n", "--bindir", "-s", "--source", "--platform",
                                "-P", "--trust-policy", "-g", "--file", "--build-root"})
_NPM_INSTALL = frozenset({"install", "i", "add", "in", "ins", "inst", "insta", "instal", "isnt", "isnta",
                          "isntal", "isntall"})
_ARCHIVES = (".deb", ".rpm", ".apk", ".whl", ".tar.gz", ".tgz", ".zip", ".gem", ".tar.bz2", ".tar.xz",
             ".tar", ".egg")
_PIP_VCS = ("git+", "hg+", "svn+", "bzr+")
_NPM_HOSTED = ("github:", "gitlab:", "bitbucket:", "gist:", "git+", "git://")
_PIP_RE = re.compile(r"^pip(\d+(\.\d+)?)?$")
_PYTHON_RE = re.compile(r"^python(\d+(\.\d+)?)?$")


def _local(operand: str) -> bool:
    return (operand.startswith((".", "/", "~", "$", "http://", "https://", "git+", "file:", "git:"))
            or ("/" in operand.split("@", maxsplit=1)[0] and not operand.startswith("@"))
            or operand.lower().endswith(_ARCHIVES))


def _floating_ref(ref: str | None) -> bool:
    return not ref or ref.lower() in _FLOATING


def _pip_vcs_unpinned(operand: str) -> bool | None:
    """For a VCS requirement (``git+https://host/repo@ref``, ``name @ git+...``): True when it
    names no ref or a branch; None for anything else."""
    url = operand
    direct = re.match(r"^\s*[A-Za-z0-9][\w.\-\[\], ]*?\s*@\s*(?=\w+\+)", operand)
    if direct and not operand.startswith(_PIP_VCS):
        url = operand[direct.end():]  # PEP 508 direct reference: name @ git+https://...
    url = url.strip()
    if not url.startswith(_PIP_VCS):
        return None
    rest = url.split("#", 1)[0].split("://", 1)[-1]
    path = rest.split("/", 1)[1] if "/" in rest else ""
    ref = path.rsplit("@", 1)[1] if "@" in path else None
    return _floating_ref(ref)


def _npm_vcs_unpinned(operand: str) -> bool | None:
    """For a git dependency (``github:org/repo``, ``org/repo``, ``git+https://...``): True
    when it names no commit-ish, a branch or a semver range; None for anything else."""
    body, _, ref = operand.partition("#")
    hosted = body.startswith(_NPM_HOSTED) or (
        not body.startswith(("@", ".", "/", "~", "$", "http://", "https://", "file:"))
        and re.fullmatch(r"[\w.-]+/[\w.-]+", body) is not None and not body.lower().endswith(_ARCHIVES))
    if not hosted:
        return None
    if ref.startswith("semver:"):
        return not re.fullmatch(r"v?\d+\.\d+\.\d+[\w.+-]*", ref[len("semver:"):])
    return _floating_ref(ref)


def is_pip(command: Command) -> str | None:
    """The sub-command of a pip invocation (``pip``, ``pip3.12``, ``python -m pip``; not pipenv or
    pipx), or None for other commands."""
    args = list(command.args)
    if _PYTHON_RE.match(command.name) and args[:2] == ["-m", "pip"]:
        args = args[2:]
    elif not _PIP_RE.match(command.name):
        return None
    operands = [a for a in args if not a.startswith("-")]
    return operands[0] if operands else None


def report_unpinned(df: Dockerfile, commands_of: Callable[[tuple[Command, ...]], Iterator[tuple[str, str]]],
                    ) -> Iterator[Hit]:
    """One hit per RUN naming the unpinned packages ``commands_of`` finds in it."""
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
    yield from report_unpinned(df, _os_unpinned(("apt-get", "apt", "aptitude"), lambda p: "=" in p))


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
    yield from report_unpinned(df, _os_unpinned(("apk",), lambda p: bool(re.search(r"[=~<>]", p))))


_RPM_PIN_RE = re.compile(r"-(?:\d+:)?\d[\w.+~^]*(?:-[\w.+~^]+)?$|[=<>]")


@rule(meta(
    id="DKR-031", name="rpm-package-unpinned", title="yum/dnf/zypper package installed without a version",
    severity=Severity.LOW, requirements=(TRACEABILITY,),
    what="Flags `yum/dnf/microdnf/tdnf/zypper install` (and `in`) operands without a version "
         "(`httpd-2.4.57`, `httpd-2.4.57-5.el9` or with an epoch, `httpd-0:2.4.57-5.el9`; zypper also "
         "`pkg=1.2`). Groups (`@group`) pass." + POLICY,
    why=_OS_WHY,
    fix="Pin each package: `dnf install -y pkg-<version>`.",
    bad="RUN dnf install -y httpd && dnf clean all",
    good="RUN dnf install -y httpd-2.4.57 && dnf clean all",
    references=("hadolint DL3033", "hadolint DL3037", "hadolint DL3041", "CWE-1357"),
))
def check_rpm(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report unpinned RPM-family packages."""
    pinned = _os_unpinned(RPM_MANAGERS, lambda p: p.startswith("@") or bool(_RPM_PIN_RE.search(p)))
    yield from report_unpinned(df, pinned)


def _options_and_operands(args: list[str], values: frozenset[str]) -> tuple[list[str], list[str]]:
    options: list[str] = []
    operands: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg.startswith("-"):
            options.append(arg.split("=", 1)[0])
            skip = arg in values
        else:
            operands.append(arg)
    return options, operands


def _pip_operands(command: Command) -> list[str] | None:
    if is_pip(command) != "install":
        return None
    args = list(command.args)
    args = args[args.index("install") + 1:]
    options, operands = _options_and_operands(args, _PIP_VALUE_OPTIONS | _REQ_OPTIONS | set(_CONSTRAINT_OPTIONS))
    if any(o in _CONSTRAINT_OPTIONS for o in options) or any(k == "PIP_CONSTRAINT" for k, _v in command.env):
        return []  # a constraints file pins what it names
    return operands


def _python_spec_unpinned(operand: str) -> bool:
    vcs = _pip_vcs_unpinned(operand)
    if vcs is not None:
        return vcs
    return not _local(operand) and not re.search(r"===?", operand) and " @ " not in operand


def _pipx_operands(command: Command) -> list[str]:
    operands = command.operands()
    if command.name != "pipx" or not operands or operands[0] not in ("install", "run", "inject"):
        return []
    args = list(command.args)
    args = args[args.index(operands[0]) + 1:]
    if operands[0] == "run":
        spec = next((a.split("=", 1)[1] for a in args if a.startswith("--spec=")), None)
        if spec is None and "--spec" in args and args.index("--spec") + 1 < len(args):
            spec = args[args.index("--spec") + 1]
        if spec is not None:
            return [spec]
    _options, names = _options_and_operands(args, _PIPX_VALUE_OPTIONS)
    if operands[0] == "run":
        return names[:1]
    return names[1:] if operands[0] == "inject" else names


def _pip_unpinned(commands: tuple[Command, ...]) -> Iterator[tuple[str, str]]:
    for command in commands:
        for operand in _pip_operands(command) or []:
            if _python_spec_unpinned(operand):
                yield "pip", operand
        for operand in _pipx_operands(command):
            if _python_spec_unpinned(operand):
                yield "pipx", operand


@rule(meta(
    id="DKR-032", name="pip-package-unpinned", title="pip package installed without an exact version",
    severity=Severity.LOW, requirements=(TRACEABILITY,),
    what="Flags `pip install` (and `python -m pip install`) and `pipx install/run/inject` operands "
         "without `==version`, and version-control URLs without a ref or with a branch "
         "(`git+https://...` with no `@<tag or commit>`). A constraints file (`-c`, `PIP_CONSTRAINT`) "
         "pins the names given with it; requirement files (`-r`), editable and local paths, wheels "
         "and archive URLs pass; pipenv is not pip." + POLICY,
    why="An unpinned PyPI package resolves to the newest upload, including a hijacked or "
        "typo-squatted release; the image differs from build to build.",
    fix="Pin with `pkg==1.2.3`, better in a requirements file with hashes (`--require-hashes`).",
    bad="RUN pip install --no-cache-dir flask",
    good="RUN pip install --no-cache-dir flask==3.0.3",
    references=("hadolint DL3013", "CWE-1357", "CWE-829", "https://pip.pypa.io/en/stable/topics/vcs-support/"),
))
def check_pip(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report unpinned pip packages."""
    yield from report_unpinned(df, _pip_unpinned)


def _npm_version(operand: str) -> str | None:
    body = operand[1:] if operand.startswith("@") else operand
    return body.split("@", 1)[1] if "@" in body else None


def _npm_unpinned(commands: tuple[Command, ...]) -> Iterator[tuple[str, str]]:
    for command in commands:
        if command.name not in ("npm", "yarn", "pnpm", "bun"):
            continue
        _options, words = _options_and_operands(list(command.args), _NPM_VALUE_OPTIONS)
        verbs = _NPM_INSTALL if command.name == "npm" else frozenset({"add"})
        if command.name == "yarn" and words[:1] == ["global"]:
            words = words[1:]
        if not words or words[0] not in verbs:
            continue
        for arg in words[1:]:
            vcs = _npm_vcs_unpinned(arg)
            if vcs is not None:
                if vcs:
                    yield command.name, arg
            elif not _local(arg):
                version = _npm_version(arg)
                if version is None or version.lower() in _FLOATING or version.startswith(("^", "~", ">", "<", "*")):
                    yield command.name, arg


@rule(meta(
    id="DKR-033", name="npm-package-unpinned", title="npm/yarn package installed without a version",
    severity=Severity.LOW, requirements=(TRACEABILITY,),
    what="Flags package names given to `npm install`/`npm i`/`npm add`, `yarn add`, `yarn global "
         "add`, `pnpm add` and `bun add` without `@<version>`, or with a range (`^`, `~`, `>`) or a dist-tag "
         "(`@latest`), and git dependencies (`org/repo`, `github:org/repo`, `git+https://...`) without "
         "a `#<tag or commit>` or with a branch or `#semver:` range. Installing from package.json (no "
         "names) is DKR-028's business." + POLICY,
    why="npm resolves to the newest publish of the package and of its dependencies; malicious "
        "releases of popular packages are a recurring supply-chain attack.",
    fix="Name an exact version: `npm install -g pkg@1.2.3`, or add it to package.json and use npm ci.",
    bad="RUN npm install -g typescript",
    good="RUN npm install -g typescript@5.6.3",
    references=("hadolint DL3016", "CWE-1357", "CWE-829"),
))
def check_npm(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report unpinned npm packages."""
    yield from report_unpinned(df, _npm_unpinned)


def _gem_version(args: list[str]) -> str | None:
    for index, arg in enumerate(args):
        if arg in ("-v", "--version") and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--version="):
            return arg.split("=", 1)[1]
    return None


def _gem_unpinned(commands: tuple[Command, ...]) -> Iterator[tuple[str, str]]:
    for command in commands:
        args = list(command.args)
        _options, operands = _options_and_operands(args, _GEM_VALUE_OPTIONS | {"-v", "--version"})
        if command.name != "gem" or operands[:1] not in (["install"], ["i"]):
            continue
        version = _gem_version(args)
        ranged = version is not None and version.strip().startswith(("~>", ">", "<", "!="))
        for operand in operands[1:]:
            if _local(operand):
                continue
            if ":" in operand:
                if operand.split(":", 1)[1].strip().startswith(("~>", ">", "<")):
                    yield "gem", operand
            elif version is None or ranged:
                yield "gem", operand


@rule(meta(
    id="DKR-034", name="gem-package-unpinned", title="gem installed without a version",
    severity=Severity.LOW, requirements=(TRACEABILITY,),
    what="Flags `gem install name` (or `gem i`) without `-v <version>` / `--version` or "
         "`name:<version>`, or with a range (`-v '~> 2.4'`). Local `.gem` files pass." + POLICY,
    why="The newest release of the gem and its dependencies is installed at build time.",
    fix="Pin with `gem install name -v 1.2.3` or `name:1.2.3`, or use a Gemfile.lock with bundle install.",
    bad="RUN gem install bundler",
    good="RUN gem install bundler -v 2.5.22",
    references=("hadolint DL3028", "CWE-1357"),
))
def check_gem(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report unpinned gems."""
    yield from report_unpinned(df, _gem_unpinned)


def _go_unpinned(commands: tuple[Command, ...]) -> Iterator[tuple[str, str]]:
    for command in commands:
        operands = command.operands()
        if command.name != "go" or operands[:1] not in (["install"], ["get"], ["run"]):
            continue
        # go run: the first operand is the package, the rest are the program's arguments
        packages = operands[1:2] if operands[0] == "run" else operands[1:]
        for operand in packages:
            if (operand.startswith((".", "/", "$")) or "." not in operand.split("/")[0]
                    or operand.endswith(".go")):
                continue  # local packages, files and std
            version = operand.rsplit("@", 1)[1] if "@" in operand else None
            if version is None and operands[0] == "run":
                continue  # the main module's go.mod decides the version
            if version is None or version.lower() in _FLOATING:
                yield f"go {operands[0]}", operand


@rule(meta(
    id="DKR-035", name="go-install-unpinned", title="go install/get/run without a version",
    severity=Severity.LOW, requirements=(TRACEABILITY,),
    what="Flags `go install` and `go get` of a remote module path without `@<version>` or with "
         "`@latest`/`@master`/`@main`, and `go run <module>@latest` (a `go run` without a version "
         "uses the main module's go.mod). Local packages (`./...`) and files pass." + POLICY,
    why="`@latest` resolves to whatever the module's newest tag or commit is at build time.",
    fix="Name a released version: `go install example.com/tool@v1.2.3`.",
    bad="RUN go install golang.org/x/tools/cmd/goimports@latest",
    good="RUN go install golang.org/x/tools/cmd/goimports@v0.26.0",
    references=("https://go.dev/ref/mod#go-install", "CWE-1357"),
))
def check_go(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report unpinned go installs."""
    yield from report_unpinned(df, _go_unpinned)
