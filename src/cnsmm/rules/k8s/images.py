"""Container images: mutable tags, missing digests, untrusted registries, pull policy.

Image references are read by :mod:`cnsmm.imageref` (the distribution reference grammar):
``nginx`` is ``docker.io/library/nginx:latest``; only a well-formed digest of a registered
algorithm pins an image. References that are still templates (``$IMAGE``,
``{{ .Values.image }}``) are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator

from cnsmm.findings import Severity
from cnsmm.imageref import ImageRef, parse_image, trusted
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._common import NSA, WORKLOADS, where
from cnsmm.sources.k8s import Container

NSA_IMAGES = f"{NSA}: Kubernetes Pod security - Building secure container images"


def _image(c: Container) -> tuple[ImageRef | None, str]:
    raw = c.get("image")
    return parse_image(raw), str(raw)


@rule(RuleMeta(
    id="K8S-075",
    name="image-latest-tag",
    title="Image uses the latest tag or no tag",
    severity=Severity.MEDIUM,
    scope=Scope.CONTAINER,
    targets=WORKLOADS,
    requirements=("DEV.DEV.L3.1",),
    what="Flags containers whose image has no tag (which means `latest`) or the `latest` tag, and no digest.",
    why=(
        "`latest` names whatever was pushed last: two nodes can run different code under one "
        "manifest, a rollback cannot return to a known version, and a compromised registry push "
        "reaches production at the next restart."
    ),
    fix="Pin a version tag, ideally with its digest (`app:1.4.2@sha256:...`).",
    bad="image: nginx",
    good="image: nginx:1.27.2@sha256:<digest>",
    references=(NSA_IMAGES, "CWE-1357", "CWE-494"),
))
def image_latest_tag(c: Container, ctx: RuleContext) -> Iterator[Hit]:
    ref, raw = _image(c)
    if ref is None or ref.pinned:
        return
    if ref.tag is None:
        yield Hit(f'{where(c)} uses image "{raw}" without a tag (it means :latest)', (*c.path, "image"))
    elif ref.tag == "latest":
        yield Hit(f'{where(c)} uses image "{raw}" with the mutable latest tag', (*c.path, "image"))


@rule(RuleMeta(
    id="K8S-076",
    name="image-without-digest",
    title="Image not pinned by digest",
    severity=Severity.LOW,
    scope=Scope.CONTAINER,
    targets=WORKLOADS,
    requirements=("DEV.DEV.L3.1",),
    what=(
        "Flags containers whose image has no well-formed digest: `@sha256:` with 64 lower-case hex "
        "digits (or `@sha512:` with 128); a malformed digest pins nothing. Registries listed in "
        "`digest_exempt_registries` (for example one that enforces immutable tags) are skipped."
    ),
    why=(
        "Tags can be moved: the image a node pulls may not be the one that was scanned and "
        "approved. Only a digest names exact content."
    ),
    fix="Reference images by digest (`app:1.4.2@sha256:...`), e.g. the digest your pipeline pushed.",
    bad="image: registry.example.com/shop/api:1.4.2",
    good="image: registry.example.com/shop/api:1.4.2@sha256:<digest>",
    references=(NSA_IMAGES, "CIS Kubernetes 5.5.1", "CWE-494"),
    options={"digest_exempt_registries": "Registry or repository prefixes exempt from digests (default: none)."},
))
def image_without_digest(c: Container, ctx: RuleContext) -> Iterator[Hit]:
    ref, raw = _image(c)
    if ref is None or ref.pinned:
        return
    exempt = ctx.option("digest_exempt_registries", []) or []
    if isinstance(exempt, list) and trusted(ref, [str(e) for e in exempt]):
        return
    if ref.digest is not None:
        problem = ref.digest_problem
        yield Hit(f'{where(c)} uses image "{raw}" whose digest does not pin it: {problem}', (*c.path, "image"))
        return
    yield Hit(f'{where(c)} uses image "{raw}" without a digest', (*c.path, "image"))


@rule(RuleMeta(
    id="K8S-077",
    name="image-untrusted-registry",
    title="Image from a registry outside the allow-list",
    severity=Severity.HIGH,
    scope=Scope.CONTAINER,
    targets=WORKLOADS,
    requirements=("PLT.IMG.L1.1", "PLT.IMG.L3.1"),
    what=(
        "Flags containers whose image does not come from a prefix listed in the "
        "`trusted_registries` option. With no list configured the rule is not evaluated (listed under "
        "`not_evaluated`, nothing counts as passing it). Prefixes are normalised like images: "
        "`bitnami` means `docker.io/bitnami`, `nginx` alone is `docker.io/library/nginx`."
    ),
    why=(
        "Images from unvetted registries bypass the organisation's scanning, signing and retention; "
        "a typo-squatted public image runs with the workload's permissions."
    ),
    fix="Mirror the image into an allow-listed registry and reference it from there.",
    bad="image: docker.io/someone/tool:1.0   # trusted_registries: [registry.example.com]",
    good="image: registry.example.com/mirror/tool:1.0",
    references=(NSA_IMAGES, "CIS Kubernetes 5.5.1", "CWE-829"),
    options={"trusted_registries": "Registry or repository prefixes images may come from (default: none, rule "
             "not evaluated). The Dockerfile rule DKR-053 reads the same list for base images."},
    requires=("trusted_registries",),
))
def image_untrusted_registry(c: Container, ctx: RuleContext) -> Iterator[Hit]:
    allowed = ctx.option("trusted_registries", []) or []
    if isinstance(allowed, str):
        allowed = [allowed]
    if not allowed:
        return
    ref, raw = _image(c)
    if ref is not None and not trusted(ref, [str(a) for a in allowed]):
        yield Hit(
            f'{where(c)} uses image "{raw}" ({ref.repository}), which is not under a trusted registry',
            (*c.path, "image"),
        )


@rule(RuleMeta(
    id="K8S-078",
    name="image-pull-policy-mutable-tag",
    title="Floating image tag without imagePullPolicy: Always",
    severity=Severity.LOW,
    scope=Scope.CONTAINER,
    targets=WORKLOADS,
    requirements=("DEV.DEV.L3.1",),
    what=(
        "Flags containers whose image has a floating tag (none, `latest`, or a tag without any digit "
        "such as `stable` or `main`) and no digest, when the effective `imagePullPolicy` is not "
        "`Always` (Kubernetes defaults to `IfNotPresent` for every tag but `latest`). Version tags "
        "are not flagged: re-pulling them is a matter of taste."
    ),
    why=(
        "With a cached floating tag each node runs whatever it pulled first, so the same manifest "
        "runs different code across nodes; and without `Always` the registry does not check the "
        "pod's pull credentials, so any pod on the node can use a private image cached there."
    ),
    fix="Pin a version tag or digest; where a floating tag is intended, set `imagePullPolicy: Always`.",
    bad="image: registry.example.com/tools/agent:stable\nimagePullPolicy: IfNotPresent",
    good="image: registry.example.com/tools/agent:2.3.1",
    references=(NSA_IMAGES, "https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy", "CWE-494"),
))
def image_pull_policy(c: Container, ctx: RuleContext) -> Iterator[Hit]:
    ref, raw = _image(c)
    if ref is None or not ref.floating:
        return
    declared = c.get("imagePullPolicy")
    default = "Always" if ref.tag in (None, "latest") else "IfNotPresent"
    policy = str(declared) if declared is not None else default
    if policy == "Always":
        return
    how = "set to" if declared is not None else "defaults to"
    path = (*c.path, "imagePullPolicy") if declared is not None else (*c.path, "image")
    yield Hit(f'{where(c)} uses floating image "{raw}" and imagePullPolicy {how} {policy}', path)
