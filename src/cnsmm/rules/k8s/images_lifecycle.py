"""Images from frozen registries, of end-of-life software, and Helm 2's Tiller.

The end-of-life table is data (:data:`END_OF_LIFE`): each entry names the image, the versions
whose upstream support has ended, and when. It is kept conservative: a version is listed only
once its last (extended) support date has passed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from cnsmm.findings import Severity
from cnsmm.imageref import ImageRef, parse_image
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._common import WORKLOADS, where
from cnsmm.rules.k8s.images import NSA_IMAGES
from cnsmm.sources.k8s import Container

FROZEN_REGISTRIES = {
    "k8s.gcr.io": "frozen since April 2023; images moved to registry.k8s.io",
    "staging-k8s.gcr.io": "frozen since April 2023; images moved to registry.k8s.io",
    "gcr.io/google_containers": "the pre-2018 Kubernetes registry, no longer updated",
    "gcr.io/google-containers": "the pre-2018 Kubernetes registry, no longer updated",
    "quay.io/kubernetes-ingress-controller": "ingress-nginx images moved to registry.k8s.io/ingress-nginx",
    "gcr.io/kubernetes-helm": "Helm 2 images, unmaintained since November 2020",
}
"""Registries and repositories that receive no new images (and so no security fixes)."""


def _major_minor(tag: str) -> tuple[int, int] | None:
    m = re.match(r"v?(\d+)(?:\.(\d+))?", tag)
    return (int(m.group(1)), int(m.group(2) or 0)) if m else None


def _below(major: int, minor: int = 0) -> Callable[[str], bool]:
    def test(tag: str) -> bool:
        v = _major_minor(tag)
        return v is not None and v < (major, minor)
    return test


def _prefix(*prefixes: str) -> Callable[[str], bool]:
    return lambda tag: tag.lower().startswith(prefixes)


def _any(tag: str) -> bool:
    return True


def _node(tag: str) -> bool:
    v = _major_minor(tag)
    return v is not None and (v[0] < 22 or (v[0] % 2 == 1 and v[0] < 25))


END_OF_LIFE: tuple[tuple[str, Callable[[str], bool], str], ...] = (
    ("docker.io/library/centos", lambda t: not t.lower().startswith("stream9") and not t.lower().startswith("stream10"),
     "CentOS Linux (end of life June 2024; CentOS Stream 8 May 2024)"),
    ("docker.io/library/ubuntu", _prefix("12.", "14.", "16.", "18.", "20.", "precise", "trusty", "xenial", "bionic",
                                         "focal"), "Ubuntu 20.04 and older (standard support ended May 2025)"),
    ("docker.io/library/debian", _prefix("7", "8", "9", "10", "wheezy", "jessie", "stretch", "buster"),
     "Debian 10 and older (LTS ended June 2024)"),
    ("docker.io/library/python", _below(3, 9), "Python 3.8 and older (end of life October 2024)"),
    ("docker.io/library/node", _node, "Node.js 21 and older, and odd releases up to 23 (end of life)"),
    ("docker.io/library/alpine", _below(3, 19), "Alpine 3.18 and older (end of life May 2025)"),
    ("docker.io/library/postgres", _below(13), "PostgreSQL 12 and older (end of life November 2024)"),
    ("docker.io/library/mysql", _below(8), "MySQL 5.7 and older (end of life October 2023)"),
    ("docker.io/library/redis", _below(6), "Redis 5 and older (end of life)"),
    ("docker.io/library/php", _below(8, 1), "PHP 8.0 and older (end of life November 2023)"),
    ("docker.io/library/openjdk", _any, "the openjdk image (deprecated in 2022, no longer updated)"),
    ("docker.io/library/elasticsearch", _below(7), "Elasticsearch 6 and older (end of life)"),
    ("docker.elastic.co/elasticsearch/elasticsearch", _below(7), "Elasticsearch 6 and older (end of life)"),
)
"""(repository, versions that are end of life, what and since when)."""


def frozen_source(ref: ImageRef) -> tuple[str, str] | None:
    """The frozen registry or repository prefix the image comes from, with why, or None."""
    for prefix, why in FROZEN_REGISTRIES.items():
        if ref.registry == prefix or ref.repository.startswith(prefix + "/"):
            return prefix, why
    return None


@rule(RuleMeta(
    id="K8S-170", name="image-deprecated-registry", title="Image pulled from a frozen registry",
    severity=Severity.MEDIUM, scope=Scope.CONTAINER, targets=WORKLOADS, requirements=("PLT.IMG.L2.2",),
    what="Flags images from registries and repositories that no longer receive images: "
         + "; ".join(f"`{k}` ({v})" for k, v in FROZEN_REGISTRIES.items()) + ".",
    why="Nothing published there is patched any more: the image keeps every vulnerability found since the "
        "freeze, and the registry may disappear, breaking every pull and node replacement.",
    fix="Pull the same component from registry.k8s.io (or its project's current registry) at a supported "
        "version.",
    bad="image: k8s.gcr.io/ingress-nginx/controller:v1.2.1",
    good="image: registry.k8s.io/ingress-nginx/controller:v1.11.3",
    references=("https://kubernetes.io/blog/2023/03/10/image-registry-redirect/", NSA_IMAGES, "CWE-1104"),
))
def image_deprecated_registry(c: Container, ctx: RuleContext) -> Iterator[Hit]:
    ref = parse_image(c.get("image"))
    found = frozen_source(ref) if ref is not None else None
    if found is not None:
        yield Hit(f"{where(c)} pulls {c.get('image')} from {found[0]}: {found[1]}", (*c.path, "image"))


@rule(RuleMeta(
    id="K8S-171", name="image-end-of-life", title="Image of end-of-life software",
    severity=Severity.MEDIUM, scope=Scope.CONTAINER, targets=WORKLOADS,
    requirements=("PLT.IMG.L2.1",),
    what="Flags images whose repository and tag are a release past its end of life: "
         + "; ".join(label for _, _, label in END_OF_LIFE) + ".",
    why="End-of-life releases get no security fixes: vulnerabilities found after the date stay open forever, "
        "and scanners report them with no fixed version to move to.",
    fix="Move to a supported release of the same software (and rebuild images based on it).",
    bad="image: python:3.7-slim", good="image: python:3.12-slim",
    references=(NSA_IMAGES, "CWE-1104", "https://endoflife.date/"),
))
def image_end_of_life(c: Container, ctx: RuleContext) -> Iterator[Hit]:
    ref = parse_image(c.get("image"))
    if ref is None or ref.tag is None:
        return
    for repo, ended, label in END_OF_LIFE:
        if ref.repository == repo and ended(ref.tag):
            yield Hit(f"{where(c)} runs {ref.path.removeprefix('library/')}:{ref.tag}, {label}", (*c.path, "image"))
            return


@rule(RuleMeta(
    id="K8S-172", name="helm-tiller-deployed", title="Helm 2 Tiller deployed",
    severity=Severity.CRITICAL, scope=Scope.CONTAINER, targets=WORKLOADS,
    requirements=("PLT.ORC.L1.1", "PLT.IMG.L2.2"),
    what="Flags containers running Tiller, Helm 2's in-cluster server (image repository ending in `/tiller`).",
    why="Tiller listens on an unauthenticated gRPC port (44134) with a service account that is usually "
        "cluster-admin: any pod that reaches it can install anything. Helm 2 has had no security fixes since "
        "November 2020.",
    fix="Migrate releases to Helm 3 (helm-2to3 plugin) and delete the Tiller Deployment and its service account.",
    bad="image: gcr.io/kubernetes-helm/tiller:v2.16.12", good="# Helm 3: no in-cluster component",
    references=("https://helm.sh/blog/helm-v2-deprecation-timeline/", "CWE-306", "CWE-1104"),
))
def helm_tiller(c: Container, ctx: RuleContext) -> Iterator[Hit]:
    ref = parse_image(c.get("image"))
    if ref is not None and ref.path.rsplit("/", 1)[-1] == "tiller":
        yield Hit(f"{where(c)} runs Helm 2 Tiller ({c.get('image')}): unauthenticated install API", (*c.path, "image"))
