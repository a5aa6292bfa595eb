"""Privilege rules: the user the image runs as, sudo, insecure build entitlements."""

from __future__ import annotations

from collections.abc import Iterator

from cnsmm.rules.base import Hit, RuleContext, rule
from cnsmm.rules.docker._common import (
    ARTIFACT_CHECK,
    CIS_4_1,
    IMG_CONFIG,
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
