"""Base image rules: tags, digests, minimal families, stage names, trusted registries."""

from __future__ import annotations

from collections.abc import Iterator

from cnsmm.imageref import trusted
from cnsmm.rules.base import Hit, RuleContext, rule
from cnsmm.rules.docker._common import (
    CIS_4_2,
    CIS_4_3,
    IMG_CONFIG,
    STACK,
    TRACEABILITY,
    Dockerfile,
    Severity,
    Stage,
    base_matches,
    external_base,
    meta,
    option,
    parse_image,
    patterns,
)

REGISTRY_REQS = ("PLT.IMG.L1.1", "PLT.IMG.L3.1")
"""镜像集中管理 (images managed centrally), 镜像推拉限制 (restrictions on image pull)."""

DEFAULT_MINIMAL_BASES: tuple[str, ...] = (
    "scratch", "*distroless*", "*alpine*", "*slim*", "cgr.dev/*", "*chainguard*", "*wolfi*",
    "*ubi*minimal*", "*ubi*micro*", "*busybox*",
    "*chiseled*",
)
"""Glob patterns (matched against the image name, ``name:tag`` and the last path part)."""


def _image_stages(df: Dockerfile) -> Iterator[Stage]:
    """Stages that build on an image whose name is known (not ``scratch``)."""
    for stage in df.stages:
        if stage.parent is None and stage.resolved and stage.image and stage.image.lower() != "scratch":
            yield stage


@rule(meta(
    id="DKR-001", name="base-image-latest-tag", title="Base image uses the latest tag or no tag",
    severity=Severity.MEDIUM, requirements=(TRACEABILITY, IMG_CONFIG),
    what="Flags FROM lines whose image has no tag, or the tag `latest`, and no digest. "
         "`FROM $BASE` is checked with the default of the ARG before the first FROM.",
    why="`latest` moves: the same Dockerfile builds a different image tomorrow, so a build cannot "
        "be reproduced, audited or rolled back, and a compromised or broken upstream release is "
        "pulled in silently.",
    fix="Name an explicit version tag (better: pin the digest too, `image:1.27@sha256:...`).",
    bad="FROM nginx\nFROM python:latest",
    good="FROM nginx:1.27.2-alpine",
    references=("hadolint DL3006", "hadolint DL3007", "Checkov CKV_DOCKER_7", CIS_4_2, "CWE-1357"),
))
def check_latest_tag(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report external bases without tag or with ``latest``."""
    for stage in _image_stages(df):
        ref = parse_image(stage.image)
        if ref is None or ref.pinned:
            continue
        if ref.tag is None:
            yield Hit(f"base image {stage.image!r} has no tag, so it means 'latest'", line=stage.line)
        elif ref.tag.lower() == "latest":
            yield Hit(f"base image {stage.image!r} uses the moving 'latest' tag", line=stage.line)


@rule(meta(
    id="DKR-002", name="base-image-not-pinned-by-digest", title="Base image not pinned by digest",
    severity=Severity.LOW, requirements=(TRACEABILITY,),
    what="Flags FROM lines (every stage) whose image is not pinned by a well-formed digest: `@sha256:` "
         "with 64 lower-case hex digits (or `@sha512:` with 128); a malformed digest pins nothing.",
    why="A tag can be re-pointed by the registry owner or by an attacker with push rights; only a "
        "digest names exactly the bytes that were reviewed and scanned, which makes the artifact "
        "traceable.",
    fix="Append the digest of the reviewed image (`docker buildx imagetools inspect IMAGE`) and let "
        "a bot such as Renovate or Dependabot update it.",
    bad="FROM golang:1.22",
    good="FROM golang:1.22@sha256:0b6a1f0d4c1e1a1f25c8f8a8e0f0d1c5b0c2f1e3a4b5c6d7e8f90a1b2c3d4e5f6",
    references=(CIS_4_2, "CWE-494", "https://docs.docker.com/reference/dockerfile/#from"),
))
def check_digest(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report external bases without digest."""
    for stage in _image_stages(df):
        ref = parse_image(stage.image)
        if ref is None or ref.pinned:
            continue
        if ref.digest is not None:
            yield Hit(f"base image {stage.image!r} has a digest that does not pin it: {ref.digest_problem}",
                      line=stage.line)
        else:
            yield Hit(f"base image {stage.image!r} is not pinned by digest", line=stage.line)


@rule(meta(
    id="DKR-003", name="base-image-not-minimal", title="Final image not built on a minimal base",
    severity=Severity.LOW, requirements=(IMG_CONFIG, STACK),
    what="Flags the final stage (following `FROM <stage>` chains to the image) when its base image "
         "is not in the list of minimal families: scratch, distroless, alpine, `-slim`, "
         "Chainguard/Wolfi, UBI micro/minimal, busybox, Ubuntu chiseled. Builder stages may use any base.",
    why="Every package in the runtime image is attack surface and a source of scanner findings; "
        "shells, package managers and compilers help an intruder. Minimal images have far fewer "
        "vulnerabilities to patch.",
    fix="Build in a full image and copy the result into a minimal runtime base (multi-stage build).",
    bad="FROM python:3.12\nCOPY app /app",
    good="FROM python:3.12 AS build\n...\nFROM python:3.12-slim\nCOPY --from=build /app /app",
    references=(CIS_4_3, "https://github.com/GoogleContainerTools/distroless"),
    options={"dockerfile.minimal_base_patterns": "Glob patterns of minimal bases (default: "
             + ", ".join(DEFAULT_MINIMAL_BASES) + ")."},
))
def check_minimal(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report a final image built on a base outside the minimal families."""
    final = df.final_stage
    if final is None:
        return
    base = external_base(df, final)
    if not base.resolved or not base.image or base.image.lower() == "scratch":
        return
    globs = patterns(ctx, "dockerfile.minimal_base_patterns", DEFAULT_MINIMAL_BASES)
    if not base_matches(base.image, globs):
        yield Hit(f"final image is built on {base.image!r}, which is not a minimal base "
                  "(distroless, alpine, -slim, ...)", line=base.line)


@rule(meta(
    id="DKR-004", name="duplicate-stage-name", title="Two build stages have the same name",
    severity=Severity.LOW, requirements=(TRACEABILITY,),
    what="Flags a `FROM ... AS name` whose name (any letter case) was already used by an earlier stage.",
    why="`COPY --from=name` and `--target name` then silently refer to one of them; what ships is "
        "not what the reader thinks.",
    fix="Give every stage a distinct name.",
    bad="FROM golang:1.22 AS build\nFROM node:20 AS build",
    good="FROM golang:1.22 AS build-go\nFROM node:20 AS build-web",
    references=("hadolint DL3024", "Checkov CKV_DOCKER_11"),
))
def check_duplicate_stage(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report stage names used twice."""
    seen: dict[str, int] = {}
    for stage in df.stages:
        if stage.name is None:
            continue
        if stage.name in seen:
            yield Hit(f"stage name {stage.name!r} is already used by the stage at line {seen[stage.name]}",
                      line=stage.line)
        else:
            seen[stage.name] = stage.line


def _pulled_images(df: Dockerfile) -> Iterator[tuple[int, str, str]]:
    """(line, image, what) for every image the build pulls: external FROM bases, and the
    images named by ``COPY --from`` and ``RUN --mount=from=`` (stage names excluded)."""
    names = {s.name for s in df.stages if s.name}
    for stage in _image_stages(df):
        yield stage.line, stage.image, "base image"
    for stage in df.stages:
        for inst in stage.instructions:
            refs: list[str] = []
            if inst.keyword == "COPY" and inst.flag("from"):
                refs.append(inst.flag("from") or "")
            if inst.keyword == "RUN":
                refs += [p.split("=", 1)[1] for key, value in inst.flags if key == "mount" and value
                         for p in value.split(",") if p.startswith("from=")]
            for ref in refs:
                if ref and "$" not in ref and not ref.isdigit() and ref.lower() not in names and (
                        any(c in ref for c in "/:@.")):
                    yield inst.line, ref, f"{inst.keyword} --from image"


@rule(meta(
    id="DKR-053", name="base-image-untrusted-registry", title="Image pulled from a registry outside the allow-list",
    severity=Severity.HIGH, requirements=REGISTRY_REQS,
    what="Flags FROM base images, and images named by `COPY --from=<image>` or `RUN --mount=from=<image>`, "
         "that do not come from a prefix in the `dockerfile.trusted_registries` option, else the "
         "`trusted_registries` option the Kubernetes rule K8S-077 reads. Prefixes are normalised like "
         "images: `library` means Docker Hub's official images, `bitnami` means `docker.io/bitnami`. "
         "`scratch`, stage references and bases that are still a build argument without default are "
         "not judged. With neither option set the rule is not evaluated.",
    why="Base images are the largest third-party input of an image; one from an unvetted registry "
        "bypasses the organisation's scanning, signing and retention, and a typo-squatted name runs "
        "whatever its owner pushed (CIS 4.2).",
    fix="Mirror the image into an allow-listed registry and build from there "
        "(`FROM registry.example.com/mirror/python:3.12-slim`).",
    bad="FROM someone/python:3.12   # trusted_registries: [registry.example.com, library]",
    good="FROM registry.example.com/mirror/python:3.12-slim",
    references=(CIS_4_2, "hadolint DL3026", "CWE-829"),
    options={"dockerfile.trusted_registries": "Registry or repository prefixes images may be pulled from "
             "in Dockerfiles (default: the `trusted_registries` list).",
             "trusted_registries": "The same list for Kubernetes images (K8S-077), used when the Dockerfile "
             "list is not set."},
    requires=("dockerfile.trusted_registries", "trusted_registries"),
))
def check_untrusted_registry(df: Dockerfile, ctx: RuleContext) -> Iterator[Hit]:
    """Report images pulled from outside the allow-list."""
    allowed = option(ctx, "dockerfile.trusted_registries", None) or option(ctx, "trusted_registries", None)
    if isinstance(allowed, str):
        allowed = [allowed]
    if not allowed:
        return
    for line, image, what in _pulled_images(df):
        ref = parse_image(image)
        if ref is not None and not trusted(ref, [str(a) for a in allowed]):
            yield Hit(f"{what} {image!r} ({ref.repository}) is not from a trusted registry", line=line)
