"""File permission and remote-access rules: world-writable files, setuid bits, SSH."""

from __future__ import annotations

import re
from collections.abc import Iterator

from cnsmm.rules.base import Hit, RuleContext, rule
from cnsmm.rules.docker._common import (
    ALLOWLIST,
    CIS_4_8,
    IMG_CONFIG,
    Command,
    Dockerfile,
    Instruction,
    Severity,
    meta,
    package_installs,
    run_commands,
)
from cnsmm.sources._dockerfile_syntax import split_words

_SYMBOLIC_RE = re.compile(r"^([ugoa]*)([-+=])([rwxXst]*)$")
SSH_PACKAGES = frozenset({"openssh-server", "openssh", "dropbear", "openssh-server-pam"})


def _chmod_modes(commands: tuple[Command, ...]) -> Iterator[str]:
    """Mode arguments of ``chmod`` commands."""
    for command in commands:
        operands = command.operands()
        if command.name == "chmod" and operands:
            yield operands[0]


def world_writable(mode: str) -> bool:
    """True when ``mode`` (octal or symbolic) grants write to others, sticky-bit dirs excepted."""
    if mode.isdigit():
        digits = mode.lstrip("0").rjust(3, "0")
        if len(digits) == 4 and int(digits[0]) & 1:
            return False  # sticky bit: the /tmp pattern, only owners may delete
        return int(digits[-1]) & 2 == 2
    for clause in mode.split(","):
        match = _SYMBOLIC_RE.match(clause)
        if match and match.group(2) in "+=" and "w" in match.group(3) and (
            "o" in match.group(1) or "a" in match.group(1)
        ):
            return "t" not in match.group(3)
    return False


def sets_id_bit(mode: str) -> bool:
    """True when ``mode`` sets the setuid or setgid bit."""
    if mode.isdigit():
        digits = mode.lstrip("0")
        return len(digits) == 4 and int(digits[0]) & 6 != 0
    for clause in mode.split(","):
        match = _SYMBOLIC_RE.match(clause)
        if match and match.group(2) in "+=" and "s" in match.group(3):
            return True
    return False


def _all_modes(df: Dockerfile) -> Iterator[tuple[Instruction, str]]:
    for stage in df.stages:
        for inst in stage.of("COPY", "ADD", onbuild=True):
            mode = inst.flag("chmod")
            if mode:
                yield inst, mode
    for _stage, inst, commands in run_commands(df):
        for mode in _chmod_modes(commands):
            yield inst, mode


@rule(meta(
    id="DKR-009", name="world-writable-permissions", title="Files made world-writable",
    severity=Severity.MEDIUM, requirements=(IMG_CONFIG,),
    what="Flags `chmod` in RUN and `COPY/ADD --chmod` that grant write permission to others "
         "(`777`, `666`, `o+w`, `a+w`). Sticky-bit modes such as `1777` (the /tmp pattern) pass.",
    why="Any process in the container, whatever its user, can then replace binaries, scripts or "
        "configuration, turning a foothold into code execution as the application's owner.",
    fix="Give ownership to the runtime user (`COPY --chown=app`) and use modes such as 755 or 644.",
    bad="RUN chmod -R 777 /app",
    good="COPY --chown=10001:10001 app /app\nRUN chmod 755 /app/run.sh",
    references=("CWE-732", CIS_4_8),
))
def check_world_writable(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report world-writable modes."""
    for inst, mode in _all_modes(df):
        if world_writable(mode):
            yield Hit(f"mode {mode} makes files writable by every user", line=inst.line)


@rule(meta(
    id="DKR-010", name="setuid-setgid-bit", title="Setuid or setgid bit set in the image",
    severity=Severity.MEDIUM, requirements=(IMG_CONFIG,),
    what="Flags `chmod u+s`, `g+s`, `+s` or four-digit modes with the setuid/setgid bit (`4755`, "
         "`2755`) in RUN, and in `COPY/ADD --chmod`.",
    why="A setuid binary runs with its owner's rights whatever the caller; it is the classic path "
        "from an unprivileged process back to root inside the container.",
    fix="Drop the bit; grant the one capability that is needed at deploy time instead.",
    bad="RUN chmod u+s /usr/local/bin/helper",
    good="RUN chmod 0755 /usr/local/bin/helper",
    references=(CIS_4_8, "CWE-250"),
))
def check_setuid(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report setuid/setgid modes."""
    for inst, mode in _all_modes(df):
        if sets_id_bit(mode):
            yield Hit(f"mode {mode} sets the setuid/setgid bit", line=inst.line)


def _ports(text: str) -> Iterator[tuple[int, int]]:
    for word in split_words(text):
        port = word.split("/", 1)[0]
        low, _, high = port.partition("-")
        if low.isdigit() and (not high or high.isdigit()):
            yield int(low), int(high or low)


@rule(meta(
    id="DKR-011", name="expose-ssh-port", title="EXPOSE 22 (SSH) in the image",
    severity=Severity.MEDIUM, requirements=(IMG_CONFIG, ALLOWLIST),
    what="Flags EXPOSE instructions that include port 22, alone, with a protocol or in a range.",
    why="An SSH daemon in a container is a second way in that bypasses the orchestrator's access "
        "control and audit; containers are debugged with `kubectl exec` or ephemeral containers.",
    fix="Remove the SSH port and the SSH server; use `kubectl exec` or `docker exec` for access.",
    bad="EXPOSE 22 8080",
    good="EXPOSE 8080",
    references=("Checkov CKV_DOCKER_1",
                "CIS Docker Benchmark 5.6 (do not run sshd within containers)", "CWE-284"),
))
def check_expose_ssh(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report EXPOSE of port 22."""
    for stage in df.stages:
        for inst in stage.of("EXPOSE", onbuild=True):
            if inst.resolved and any(low <= 22 <= high for low, high in _ports(inst.expanded)):
                yield Hit("EXPOSE publishes port 22 (SSH)", line=inst.line)


@rule(meta(
    id="DKR-012", name="ssh-server-installed", title="SSH server installed in the image",
    severity=Severity.MEDIUM, requirements=(ALLOWLIST, IMG_CONFIG),
    what="Flags package installs of `openssh-server`, `openssh` or `dropbear`, and RUN steps that "
         "start `sshd`.",
    why="An SSH server is a long-running remote-login service with its own keys and passwords in "
        "the image; it widens the attack surface and escapes the platform's access control.",
    fix="Remove the SSH server; use `kubectl exec`/`docker exec` or an ephemeral debug container.",
    bad="RUN apk add --no-cache openssh-server=9.7_p1-r4",
    good="RUN apk add --no-cache openssh-client=9.7_p1-r4",
    references=("CIS Docker Benchmark 5.6 (do not run sshd within containers)", "CWE-284"),
))
def check_ssh_server(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report SSH servers installed or started."""
    for _stage, inst, commands in run_commands(df):
        names = {p.split("=")[0].split("~")[0] for _c, pkgs in package_installs(commands) for p in pkgs}
        found = sorted(names & SSH_PACKAGES)
        if found or any(c.name in ("sshd", "dropbear") for c in commands):
            what = found[0] if found else "sshd"
            yield Hit(f"RUN installs or starts an SSH server ({what})", line=inst.line)
