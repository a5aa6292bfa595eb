"""Stage rules: COPY --from references and whole-stage copies, health checks, CMD/ENTRYPOINT shape."""

from __future__ import annotations

from collections.abc import Iterator

from cnsmm.rules.base import Hit, RuleContext, rule
from cnsmm.rules.docker._common import (
    ALLOWLIST,
    CIS_4_6,
    HEALTH,
    IMG_CONFIG,
    TRACEABILITY,
    Dockerfile,
    Severity,
    base_matches,
    external_base,
    meta,
    option,
    patterns,
)
from cnsmm.rules.docker.download import sources

DEFAULT_HEALTHCHECK_EXEMPT: tuple[str, ...] = ("scratch", "*distroless*")
"""Bases without a shell or tools to run a health probe: no HEALTHCHECK is expected."""


@rule(meta(
    id="DKR-041", name="copy-from-unknown-stage", title="COPY --from names no earlier stage",
    severity=Severity.MEDIUM, requirements=(TRACEABILITY, IMG_CONFIG),
    what="Flags `COPY --from=<ref>` (and `RUN --mount=from=<ref>`) where ref is a stage index that "
         "is not an earlier stage, the current stage itself, a stage defined later, or a bare name "
         "that is no stage. References that look like images (`nginx:1.27`, `ghcr.io/x/y`) pass.",
    why="A bare name that is not a stage is pulled as the image `docker.io/library/<name>`: a typo "
        "in a stage name copies files from whatever image has that name on Docker Hub.",
    fix="Use the name of an earlier `FROM ... AS name` stage, or a full, tagged image reference.",
    bad="FROM golang:1.22 AS build\nFROM alpine:3.20\nCOPY --from=buidl /out/app /app",
    good="FROM golang:1.22 AS build\nFROM alpine:3.20\nCOPY --from=build /out/app /app",
    references=("hadolint DL3022", "hadolint DL3023", "CWE-829"),
))
def check_copy_from(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report COPY --from references to no earlier stage."""
    names = {s.name: s.index for s in df.stages if s.name}
    for stage in df.stages:
        for inst in stage.instructions:
            refs = [inst.flag("from")] if inst.keyword == "COPY" else []
            if inst.keyword == "RUN":
                refs += [p.split("=", 1)[1] for key, value in inst.flags if key == "mount" and value
                         for p in value.split(",") if p.startswith("from=")]
            for ref in refs:
                if not ref or "$" in ref:
                    continue
                if ref.isdigit():
                    if int(ref) >= stage.index:
                        yield Hit(f"--from={ref} is not an earlier stage (this is stage {stage.index})",
                                  line=inst.line)
                elif ref.lower() == stage.name:
                    yield Hit(f"--from={ref} refers to the current stage", line=inst.line)
                elif ref.lower() in names and names[ref.lower()] > stage.index:
                    yield Hit(f"--from={ref} refers to a stage defined later", line=inst.line)
                elif ref.lower() not in names and not any(c in ref for c in "/:@."):
                    yield Hit(f"--from={ref} is not a stage name; the builder would pull the image "
                              f"docker.io/library/{ref}", line=inst.line)


@rule(meta(
    id="DKR-042", name="final-stage-without-healthcheck", title="Final image has no HEALTHCHECK",
    severity=Severity.LOW, requirements=(IMG_CONFIG,),
    what="Flags the final stage when neither it nor a stage it builds on has a HEALTHCHECK, or "
         "when the last one is `HEALTHCHECK NONE`. Images on `scratch` or distroless bases are "
         "exempt (no shell or tools to probe with; use the orchestrator's probes), and the rule "
         "can be turned off with `dockerfile.require_healthcheck: false` for images that only "
         "run on Kubernetes, which ignores HEALTHCHECK.",
    why="Without a health check the engine only knows whether the process exists, not whether "
        "it serves; a hung service keeps receiving traffic (CIS 4.6).",
    fix="Add `HEALTHCHECK CMD <probe>` to the final stage, e.g. an HTTP request to a health endpoint.",
    bad="FROM nginx:1.27-alpine\nCOPY site /usr/share/nginx/html",
    good="FROM nginx:1.27-alpine\nCOPY site /usr/share/nginx/html\n"
         "HEALTHCHECK CMD wget -qO- http://localhost/ || exit 1",
    references=(CIS_4_6, "Checkov CKV_DOCKER_2"),
    options={"dockerfile.require_healthcheck": "true (default) or false.",
             "dockerfile.healthcheck_exempt_bases": "Glob patterns of bases that need no HEALTHCHECK "
             "(default: scratch, *distroless*)."},
))
def check_healthcheck(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report a final image without health check."""
    final = df.final_stage
    if final is None or not option(ctx, "dockerfile.require_healthcheck", True):
        return
    base = external_base(df, final)
    exempt = patterns(ctx, "dockerfile.healthcheck_exempt_bases", DEFAULT_HEALTHCHECK_EXEMPT)
    if base.resolved and base_matches(base.image or "scratch", exempt):
        return
    for stage in df.lineage(final):
        checks = list(stage.of("HEALTHCHECK"))
        if checks:
            if checks[-1].args.strip().upper() == "NONE":
                yield Hit("HEALTHCHECK NONE disables the health check of the final image",
                          line=checks[-1].line)
            return
    yield Hit("the final image has no HEALTHCHECK", line=final.line)


def _repeated(df: Dockerfile, keyword: str) -> Iterator[Hit]:
    for stage in df.stages:
        found = list(stage.of(keyword))
        for extra in found[:-1]:
            yield Hit(f"{keyword} at line {extra.line} is overridden by the one at line {found[-1].line}; "
                      "only the last takes effect", line=extra.line)


@rule(meta(
    id="DKR-043", name="multiple-cmd", title="Several CMD instructions in one stage",
    severity=Severity.LOW, requirements=(IMG_CONFIG,),
    what="Flags every CMD of a stage but the last one.",
    why="Only the last CMD takes effect; the others mislead readers and reviewers about what runs.",
    fix="Keep one CMD per stage.",
    bad="CMD [\"nginx\"]\nCMD [\"nginx\", \"-g\", \"daemon off;\"]",
    good="CMD [\"nginx\", \"-g\", \"daemon off;\"]",
    references=("hadolint DL4003",),
))
def check_multiple_cmd(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report overridden CMDs."""
    yield from _repeated(df, "CMD")


@rule(meta(
    id="DKR-044", name="multiple-entrypoint", title="Several ENTRYPOINT instructions in one stage",
    severity=Severity.LOW, requirements=(IMG_CONFIG,),
    what="Flags every ENTRYPOINT of a stage but the last one.",
    why="Only the last ENTRYPOINT takes effect; the others mislead readers about what runs.",
    fix="Keep one ENTRYPOINT per stage.",
    bad="ENTRYPOINT [\"/init\"]\nENTRYPOINT [\"/app\"]",
    good="ENTRYPOINT [\"/app\"]",
    references=("hadolint DL4004",),
))
def check_multiple_entrypoint(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report overridden ENTRYPOINTs."""
    yield from _repeated(df, "ENTRYPOINT")


@rule(meta(
    id="DKR-045", name="shell-form-entrypoint", title="CMD or ENTRYPOINT in shell form",
    severity=Severity.LOW, requirements=(IMG_CONFIG,),
    what="Flags CMD and ENTRYPOINT of the final stage written in shell form (`CMD node app.js`) "
         "rather than as a JSON array.",
    why="The shell form runs the program under `/bin/sh -c`: the program is not PID 1, gets no "
        "SIGTERM on stop and is killed after the grace period, losing in-flight work; it also "
        "requires a shell in the image.",
    fix="Write the exec form: `CMD [\"node\", \"app.js\"]`.",
    bad="ENTRYPOINT /usr/local/bin/app --serve",
    good="ENTRYPOINT [\"/usr/local/bin/app\", \"--serve\"]",
    references=("hadolint DL3025", "Docker build check JSONArgsRecommended"),
))
def check_shell_form(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report shell-form CMD/ENTRYPOINT in the final stage."""
    final = df.final_stage
    if final is None:
        return
    for inst in final.of("CMD", "ENTRYPOINT"):
        if inst.exec_form is None and inst.args.strip():
            yield Hit(f"{inst.keyword} in shell form does not receive stop signals; use a JSON array",
                      line=inst.line)


_WHOLE_ROOT = frozenset({"/", "/.", "/*", ".", "./", "./*", "*", "/./"})


@rule(meta(
    id="DKR-054", name="copy-from-whole-stage", title="COPY --from copies a whole stage's filesystem",
    severity=Severity.MEDIUM, requirements=(IMG_CONFIG, ALLOWLIST),
    what="Flags `COPY --from=<stage or image> / <dest>` (also `/.`, `/*`, `.`): the whole root "
         "filesystem of a build stage or image copied into this one (`COPY --from` resolves relative sources "
         "from the source's root, not its WORKDIR, so `.` is the whole filesystem). A source stage that "
         "builds on `scratch` passes: it holds only what the build put there (the rootfs pattern).",
    why="A builder's root holds compilers, package managers, caches, shells and any credential "
        "used during the build; copying it whole ships all of that, undoing the multi-stage build "
        "that was meant to leave it behind.",
    fix="Copy only the artifacts the image needs (`COPY --from=build /out/app /app`), or assemble "
        "them in a `FROM scratch` stage first.",
    bad="FROM golang:1.22 AS build\nRUN go build -o /out/app .\nFROM alpine:3.20\nCOPY --from=build / /",
    good="FROM golang:1.22 AS build\nRUN go build -o /out/app .\nFROM alpine:3.20\n"
         "COPY --from=build /out/app /usr/local/bin/app",
    references=("hadolint DL3067", "CWE-200", "CWE-1188", "https://docs.docker.com/build/building/multi-stage/"),
))
def check_copy_whole_stage(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report COPY --from of a whole root filesystem."""
    for stage in df.stages:
        for inst in stage.of("COPY", onbuild=True):
            ref = inst.flag("from")
            if not ref or "$" in ref:
                continue
            whole = [src for src in sources(inst) if src in _WHOLE_ROOT]
            if not whole:
                continue
            source = df.stage_named(ref, stage.index)
            if source is not None:
                base = external_base(df, source)
                if base.resolved and (base.image or "").lower() == "scratch":
                    continue
                what = f"stage {ref!r}"
            else:
                if ref.lower() == "scratch":
                    continue
                what = f"image {ref!r}"
            yield Hit(f"COPY --from={ref} {whole[0]} copies the whole filesystem of {what} "
                      f"(its tools, caches and build secrets) into this stage", line=inst.line)


@rule(meta(
    id="DKR-057", name="multiple-healthcheck", title="Several HEALTHCHECK instructions in one stage",
    severity=Severity.LOW, requirements=(HEALTH, IMG_CONFIG),
    what="Flags every HEALTHCHECK of a stage but the last one.",
    why="Only the last HEALTHCHECK takes effect; an earlier probe that reviewers rely on is silently "
        "replaced, and the container may be reported healthy by a weaker check.",
    fix="Keep one HEALTHCHECK per stage.",
    bad="HEALTHCHECK CMD curl -f http://localhost/health || exit 1\nHEALTHCHECK NONE",
    good="HEALTHCHECK CMD curl -f http://localhost/health || exit 1",
    references=("hadolint DL3012", "Trivy DS023"),
))
def check_multiple_healthcheck(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report overridden HEALTHCHECKs."""
    yield from _repeated(df, "HEALTHCHECK")
