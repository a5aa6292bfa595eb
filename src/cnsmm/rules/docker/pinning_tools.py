"""Version pins for PHP extensions (pecl) and Rust tools (cargo install).

The pinning policy of :mod:`cnsmm.rules.docker.pinning` applies: a package named on the
command line carries an exact version; local paths and archives pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from cnsmm.rules.base import Hit, RuleContext, rule
from cnsmm.rules.docker._common import (
    TRACEABILITY,
    Command,
    Dockerfile,
    Severity,
    meta,
)
from cnsmm.rules.docker.pinning import POLICY, report_unpinned

_PECL_VERSION_RE = re.compile(r"-\d+(\.\d+)*([a-zA-Z]+\d*)?$")
_PECL_VALUE_OPTIONS = frozenset({"-P", "--packagingroot", "-R", "--installroot", "-d"})


def _pecl_unpinned(commands: tuple[Command, ...]) -> Iterator[tuple[str, str]]:
    for command in commands:
        operands: list[str] = []
        skip = False
        for arg in command.args:
            if skip:
                skip = False
            elif arg.startswith("-"):
                skip = arg in _PECL_VALUE_OPTIONS
            else:
                operands.append(arg)
        if command.name != "pecl" or operands[:1] not in (["install"], ["i"]):
            continue
        for operand in operands[1:]:
            name = operand.rsplit("/", 1)[-1]
            if "$" in operand or operand.startswith((".", "/")) or name.endswith((".tgz", ".tar", ".xml")):
                continue
            if not _PECL_VERSION_RE.search(name):
                yield "pecl install", operand


@rule(meta(
    id="DKR-063", name="pecl-package-unpinned", title="pecl extension installed without a version",
    severity=Severity.LOW, requirements=(TRACEABILITY,),
    what="Flags `pecl install` operands without `-<version>` (`redis-6.0.2`, "
         "`channel://pecl.php.net/xdebug-3.3.2`); a stability name (`xdebug-beta`) is not a version. "
         "Local package files pass." + POLICY,
    why="pecl installs the newest release of the extension at build time: the PHP runtime changes "
        "between two builds of the same commit, and a compromised release is compiled straight in.",
    fix="Name the version: `pecl install redis-6.0.2 && docker-php-ext-enable redis`.",
    bad="RUN pecl install redis && docker-php-ext-enable redis",
    good="RUN pecl install redis-6.0.2 && docker-php-ext-enable redis",
    references=("CWE-1357", "CWE-829", "https://pear.php.net/manual/en/guide.users.commandline.installing.php"),
))
def check_pecl(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report unpinned pecl installs."""
    yield from report_unpinned(df, _pecl_unpinned)


_CARGO_VALUE_OPTIONS = frozenset({
    "--version", "--vers", "--git", "--branch", "--tag", "--rev", "--path", "--root", "--index", "--registry",
    "--bin", "--example", "--features", "-F", "--target", "--target-dir", "--profile", "-j", "--jobs", "--config",
    "-Z", "--color",
})
_EXACT_SEMVER_RE = re.compile(r"^=?\s*v?\d+\.\d+\.\d+([-+][\w.+-]+)?$")


def _option(args: list[str], *names: str) -> str | None:
    for index, arg in enumerate(args):
        key, eq, value = arg.partition("=")
        if key in names:
            if eq:
                return value
            return args[index + 1] if index + 1 < len(args) else ""
    return None


def _cargo_unpinned(commands: tuple[Command, ...]) -> Iterator[tuple[str, str]]:
    for command in commands:
        args = list(command.args)
        if command.name != "cargo" or "install" not in args:
            continue
        args = args[args.index("install") + 1:]
        if _option(args, "--path") is not None:
            continue  # a local crate
        git = _option(args, "--git")
        if git is not None:
            if _option(args, "--rev", "--tag") is None:
                yield "cargo install", f"--git {git}"
            continue
        version = _option(args, "--version", "--vers")
        crates: list[str] = []
        skip = False
        for arg in args:
            if skip:
                skip = False
            elif arg.startswith("-"):
                skip = arg in _CARGO_VALUE_OPTIONS
            else:
                crates.append(arg)
        for crate in crates:
            pinned = crate.split("@", 1)[1] if "@" in crate else version
            if "$" in crate or (pinned is not None and ("$" in pinned or _EXACT_SEMVER_RE.match(pinned))):
                continue
            yield "cargo install", crate


@rule(meta(
    id="DKR-064", name="cargo-install-unpinned", title="cargo install without an exact version",
    severity=Severity.LOW, requirements=(TRACEABILITY,),
    what="Flags `cargo install <crate>` without an exact `--version x.y.z` or `crate@x.y.z` (a "
         "requirement such as `^1.2` or `14` lets cargo pick the newest match), and `cargo install "
         "--git <url>` without `--rev` or `--tag`. Local crates (`--path`) pass." + POLICY,
    why="cargo resolves the newest crates.io release (or the default branch) at build time, so the "
        "tool in the image changes between builds and a malicious release is installed unseen.",
    fix="Pin the version and keep the lockfile: `cargo install --locked ripgrep --version 14.1.1`.",
    bad="RUN cargo install ripgrep",
    good="RUN cargo install --locked ripgrep --version 14.1.1",
    references=("CWE-1357", "CWE-829", "https://doc.rust-lang.org/cargo/commands/cargo-install.html"),
))
def check_cargo(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report unpinned cargo installs."""
    yield from report_unpinned(df, _cargo_unpinned)
