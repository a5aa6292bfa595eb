"""Privilege rules: the user the image runs as, sudo, insecure build entitlements, passwords."""

from __future__ import annotations

from collections.abc import Iterator

from cnsmm.rules.base import Hit, RuleContext, rule
from cnsmm.rules.docker._common import (
    ARTIFACT_CHECK,
    CIS_4_1,
    CIS_4_10,
    IMG_CONFIG,
    PRIVILEGE,
    Command,
    Dockerfile,
    Instruction,
    Severity,
    base_matches,
    external_base,
    meta,
    package_installs,
    patterns,
    run_commands,
    runs,
)

WINDOWS_BASES: tuple[str, ...] = ("*nanoserver*", "*servercore*", "*windows*")
"""Windows base images (matched like the other base patterns)."""
DEFAULT_NONROOT_BASES: tuple[str, ...] = ("*nonroot*",)
"""Bases whose default user is not root (distroless ``:nonroot`` and similar)."""
ROOT_NAMES = frozenset({"root", "0"})


def _last_user(df: Dockerfile) -> Instruction | None:
    """The ``USER`` in force at the end of the final stage (following ``FROM <stage>``)."""
    final = df.final_stage
    if final is None:
        return None
    for stage in df.lineage(final):
        users = list(stage.of("USER"))
        if users:
            return users[-1]
    return None


def is_root(user: str) -> bool:
    """True for ``root``, ``0``, ``root:root``, ``0:0``, ``root:staff``."""
    name = user.strip().split(":", 1)[0].strip()
    return name.lower() in ROOT_NAMES


@rule(meta(
    id="DKR-005", name="final-stage-runs-as-root", title="Final stage switches to the root user",
    severity=Severity.HIGH, requirements=(IMG_CONFIG, ARTIFACT_CHECK),
    what="Flags the last USER of the final stage when it names root (`root`, `0`, `root:root`, "
         "`0:0`), after ARG/ENV substitution. A USER in an unrelated earlier stage does not count; "
         "one in a stage the final stage builds on (`FROM builder`) does, as in Docker.",
    why="A process running as root inside the container is root on the host's kernel interface: a "
        "container escape, a writable host mount or a kernel bug gives full control of the node.",
    fix="End the final stage with `USER <non-root name or uid>` after the steps that need root.",
    bad="FROM alpine:3.20\nRUN apk add --no-cache curl\nUSER root",
    good="FROM alpine:3.20\nRUN adduser -D -u 10001 app\nUSER 10001",
    references=(CIS_4_1, "hadolint DL3002", "Checkov CKV_DOCKER_8", "CWE-250",
                "Kubernetes Pod Security Standards: runAsNonRoot"),
))
def check_root_user(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report a final ``USER root``."""
    user = _last_user(df)
    if user is not None and user.resolved and is_root(user.expanded):
        yield Hit(f"the image runs as root (USER {user.expanded.strip()})", line=user.line)


@rule(meta(
    id="DKR-006", name="final-stage-without-user", title="Final stage never sets a non-root USER",
    severity=Severity.MEDIUM, requirements=(IMG_CONFIG,),
    what="Flags the final stage's FROM when neither it nor a stage it builds on has a USER "
         "instruction, so the container runs as the base image's user, usually root. Bases known to "
         "default to a non-root user (`*nonroot*`, configurable) pass.",
    why="Without USER the process runs as root unless every deployment overrides it; "
        "defence in depth asks the image itself to drop root.",
    fix="Create an unprivileged user and add `USER <uid>` at the end of the final stage.",
    bad="FROM node:20-slim\nCOPY . /app\nCMD [\"node\", \"/app/server.js\"]",
    good="FROM node:20-slim\nCOPY . /app\nUSER node\nCMD [\"node\", \"/app/server.js\"]",
    references=(CIS_4_1, "Checkov CKV_DOCKER_3", "CWE-250"),
    options={"dockerfile.nonroot_base_patterns": "Glob patterns of bases whose default user is not root "
             "(default: *nonroot*)."},
))
def check_no_user(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report a final stage without any USER."""
    final = df.final_stage
    if final is None or _last_user(df) is not None:
        return
    base = external_base(df, final)
    globs = patterns(ctx, "dockerfile.nonroot_base_patterns", DEFAULT_NONROOT_BASES)
    if base.resolved and base_matches(base.image, globs):
        return
    yield Hit("the final stage has no USER instruction, so the container runs as the base image's "
              "user (root for most images)", line=final.line)


@rule(meta(
    id="DKR-007", name="sudo-in-run", title="RUN uses or installs sudo",
    severity=Severity.MEDIUM, requirements=(IMG_CONFIG,),
    what="Flags RUN instructions that call `sudo` or `doas`, or install the `sudo`/`doas` package.",
    why="Build steps already run as the current USER; sudo in an image means sudo is installed and "
        "configured, giving any process in the container a path back to root, and its TTY and "
        "signal handling is unpredictable in containers.",
    fix="Run the privileged step before switching USER, and remove sudo from the image; use gosu "
        "or su-exec in entrypoints that must drop privileges.",
    bad="USER app\nRUN sudo apt-get update",
    good="RUN apt-get update && apt-get install -y --no-install-recommends curl\nUSER app",
    references=("hadolint DL3004", "Checkov CKV2_DOCKER_1", "CWE-250", CIS_4_1),
))
def check_sudo(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report RUN instructions using sudo."""
    for _stage, inst, commands in run_commands(df):
        if any(c.sudo or c.name in ("sudo", "doas") for c in commands):
            yield Hit("RUN uses sudo; run the step as root before USER instead", line=inst.line)
        elif any(p.split("=")[0] in ("sudo", "doas") for _c, pkgs in package_installs(commands) for p in pkgs):
            yield Hit("RUN installs sudo into the image, a way back to root", line=inst.line)


@rule(meta(
    id="DKR-008", name="insecure-build-entitlement", title="RUN with --security=insecure",
    severity=Severity.HIGH, requirements=(ARTIFACT_CHECK,),
    what="Flags `RUN --security=insecure`, which runs the build step in a privileged container "
         "(BuildKit's `security.insecure` entitlement).",
    why="A privileged build step can reach the build host's devices and kernel; any compromised "
        "dependency fetched in that step owns the builder.",
    fix="Remove `--security=insecure`; do the privileged work outside the image build.",
    bad="RUN --security=insecure mount -t tmpfs none /mnt",
    good="RUN --mount=type=tmpfs,target=/mnt make test",
    references=("https://docs.docker.com/reference/dockerfile/#run---security", "CWE-250"),
))
def check_insecure(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report privileged RUN steps."""
    for _stage, inst in runs(df):
        if (inst.flag("security") or "").lower() == "insecure":
            yield Hit("RUN --security=insecure runs this build step privileged", line=inst.line)


_LOCKED = frozenset({"*", "!", "!!", "x", "!*", ""})
_PASSWD_HARMLESS = frozenset({"-l", "--lock", "-S", "--status", "-e", "--expire", "-n", "-x", "-w", "-i",
                              "--mindays", "--maxdays", "--warndays", "--inactive", "-a", "--all", "-h",
                              "--help"})


def _password_change(command: Command) -> str | None:
    """How ``command`` sets or removes an account password, or None."""
    args = list(command.args)
    if command.name in ("chpasswd", "chgpasswd"):
        return command.name
    if command.name == "passwd":
        if command.has("-d", "--delete"):
            return "passwd -d (removes the password)"
        if "--stdin" in args or command.piped_from:
            return "passwd reading the password from a pipe"
        return None
    if command.name in ("usermod", "useradd", "adduser", "groupadd", "groupmod"):
        for index, arg in enumerate(args):
            value = None
            if arg in ("-p", "--password") and index + 1 < len(args):
                value = args[index + 1]
            elif arg.startswith("--password="):
                value = arg.split("=", 1)[1]
            if value is not None and value.strip("'\"") not in _LOCKED:
                return f"{command.name} {arg.split('=')[0]}"
    return None


@rule(meta(
    id="DKR-055", name="password-set-in-image", title="Account password set or removed in the image",
    severity=Severity.HIGH, requirements=(ARTIFACT_CHECK, IMG_CONFIG),
    what="Flags RUN steps that set or remove an account password: `chpasswd` (and `chgpasswd`, "
         "with plain or hashed input), `passwd --stdin` or `passwd` fed from a pipe, `passwd -d`, and "
         "`useradd`/`usermod -p <hash>`. Locking an account (`passwd -l`, `usermod -p '*'` or `'!'`) "
         "passes.",
    why="The password, or its hash, is stored in the image layers for everyone who can pull the "
        "image, where it can be read and cracked offline; every container shares it, and a removed "
        "password may allow a login without one.",
    fix="Create accounts without a password (`useradd --no-log-init -r app`, `adduser -D app`) and "
        "authenticate at the platform level; inject any credential the application needs at run time.",
    bad="RUN echo 'root:Docker!' | chpasswd",
    good="RUN useradd --no-log-init --system --uid 10001 app\nUSER 10001",
    references=("Checkov CKV2_DOCKER_17", CIS_4_10, "CWE-798", "CWE-259"),
))
def check_password(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report passwords set or removed in RUN steps."""
    for _stage, inst, commands in run_commands(df):
        found = next((what for c in commands if (what := _password_change(c))), None)
        if found:
            yield Hit(f"RUN sets or removes an account password in the image ({found})", line=inst.line)


@rule(meta(
    id="DKR-062", name="final-user-not-numeric", title="Final USER is a name, not a numeric uid",
    severity=Severity.LOW, requirements=(IMG_CONFIG, PRIVILEGE),
    what="Flags the USER in force at the end of the final stage when it names the user (`USER app`, "
         "`USER app:app`) instead of giving a numeric uid (`USER 10001`, `USER 10001:10001`). Root is "
         "DKR-005's; a USER still holding an unresolved build argument is not judged, nor Windows images "
         "(nanoserver, servercore), whose users have names.",
    why="Kubernetes cannot verify that a named user is not root: a pod with `runAsNonRoot: true` (the "
        "restricted Pod Security Standard) refuses to start such an image unless `runAsUser` is set "
        "too, so teams drop the check; the name may also map to another uid in another base image.",
    fix="Create the user with a fixed uid and refer to it by number: `RUN useradd -u 10001 app` then "
        "`USER 10001`.",
    bad="RUN useradd -u 10001 app\nUSER app",
    good="RUN useradd -u 10001 app\nUSER 10001:10001",
    references=("hadolint DL3066", CIS_4_1, "Kubernetes Pod Security Standards: runAsNonRoot"),
))
def check_numeric_user(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report a final USER given by name."""
    user = _last_user(df)
    final = df.final_stage
    if user is None or final is None or not user.resolved or is_root(user.expanded):
        return
    base = external_base(df, final)
    if base.resolved and base_matches(base.image, WINDOWS_BASES):
        return  # Windows containers name their user (runAsUserName); runAsNonRoot does not apply
    name = user.expanded.strip().split(":", 1)[0].strip()
    if name and not name.isdigit() and "$" not in name:
        yield Hit(f"USER {user.expanded.strip()} names the user; Kubernetes runAsNonRoot cannot verify a "
                  "non-numeric user", line=user.line)
