"""One pass over a set of objects, building the lookups every detector uses.

Detectors never walk the object list themselves: they ask the :class:`Index` for objects of
a kind and API group, for the CustomResourceDefinitions of an API group, for containers
running an image repository, or for workloads carrying an app label. Field values are read
with the shape-safe helpers of :mod:`cnsmm.capabilities.values`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cnsmm.capabilities.gitops import Release, releases_from_objects
from cnsmm.capabilities.model import MAX_EVIDENCE, CapabilityEvidence
from cnsmm.capabilities.values import (
    chart_name,
    items,
    mapping,
    normalise_image,
    repo_matches,
    text,
)
from cnsmm.kube import Controllers, applied_namespace, created_by, namespace_of
from cnsmm.sources.k8s import Container, K8sObject, PodSpec

APP_LABEL_KEYS = ("app.kubernetes.io/name", "app", "k8s-app", "app.kubernetes.io/part-of")
"""Labels whose value names the application (the Helm chart label is read separately)."""


def evidence(obj: K8sObject, path: tuple[Any, ...], detail: str) -> CapabilityEvidence:
    """Evidence pointing at ``path`` inside ``obj`` (the object's own line when absent)."""
    return CapabilityEvidence(obj.file, obj.line_of(path), obj.resource, detail)


@dataclass(slots=True)
class ImageUse:
    """A container running an image."""

    repo: str
    """Normalised repository path."""
    image: str
    """The reference as written."""
    obj: K8sObject
    container: Container
    order: int
    """Position among every container of the set (input order)."""

    def evidence(self, what: str = "") -> CapabilityEvidence:
        """Evidence at the container's ``image`` field."""
        detail = what or f"container {self.container.name} runs {self.image}"
        return evidence(self.obj, (*self.container.path, "image"), detail)


@dataclass(frozen=True, slots=True)
class Signature:
    """How a component shows that it is installed."""

    images: tuple[str, ...] = ()
    """Repository patterns (see :func:`repo_matches`)."""
    labels: tuple[str, ...] = ()
    """App label or Helm chart names on workloads (lower case)."""
    crd_groups: tuple[str, ...] = ()
    """API groups whose CustomResourceDefinitions are installed with the component."""


class Index:
    """Lookups over one set of objects, built in a single pass."""

    def __init__(self, objects: Sequence[K8sObject], releases: Sequence[Release] = ()) -> None:
        self.objects = list(objects)
        self.releases: dict[str, list[Release]] = {}
        """Components installed through GitOps objects and helmfiles, by chart/app name."""
        for rel in [*releases_from_objects(self.objects), *releases]:
            self.releases.setdefault(rel.name, []).append(rel)
        self.by_kind: dict[str, list[K8sObject]] = {}
        self.crds_by_group: dict[str, list[K8sObject]] = {}
        self.images: list[ImageUse] = []
        self.pods: list[tuple[K8sObject, PodSpec]] = []
        self.by_app: dict[str, list[K8sObject]] = {}
        self.by_group: dict[str, list[K8sObject]] = {}
        self.by_repo: dict[str, list[ImageUse]] = {}
        self.position: dict[int, int] = {}
        self._presence: dict[Signature, list[CapabilityEvidence]] = {}
        for position, obj in enumerate(self.objects):
            self.position[id(obj)] = position
            self.by_kind.setdefault(obj.kind, []).append(obj)
            self.by_group.setdefault(obj.group, []).append(obj)
            if obj.kind == "CustomResourceDefinition":
                group = text(obj.get("spec", "group")) or obj.name.partition(".")[2]
                self.crds_by_group.setdefault(group.lower(), []).append(obj)
            pod = obj.pod_spec()
            if pod is None:
                continue
            self.pods.append((obj, pod))
            for container in pod.containers():
                image = text(container.spec.get("image"))
                if image:
                    use = ImageUse(normalise_image(image), image, obj, container, len(self.images))
                    self.images.append(use)
                    self.by_repo.setdefault(use.repo, []).append(use)
            for labels in (obj.labels, mapping(pod.template_labels)):
                for key in APP_LABEL_KEYS:
                    self._add_app(text(labels.get(key)), obj)
                for chart in ("helm.sh/chart", "chart"):
                    self._add_app(chart_name(text(labels.get(chart))), obj)

        self.controllers = Controllers(obj for obj, _ in self.pods)
        self.default_namespace: str | None = applied_namespace(self.objects)
        """The namespace a kustomization of this set gives objects that name none."""

    def namespace(self, obj: K8sObject) -> str | None:
        """``obj``'s namespace, or the set's kustomization namespace when it names none."""
        return namespace_of(obj, self.default_namespace)

    def workloads(self) -> list[tuple[K8sObject, PodSpec]]:
        """Pod-bearing objects, without the Pods and ReplicaSets whose controller is in the set.

        In a cluster dump a Deployment, its ReplicaSet and its Pods describe one workload.
        """
        return [(obj, pod) for obj, pod in self.pods if not self.controllers.controlled(obj)]

    def by_namespace(self, objects: Iterable[K8sObject]) -> dict[str | None, list[K8sObject]]:
        """``objects`` grouped by :meth:`namespace`."""
        groups: dict[str | None, list[K8sObject]] = {}
        for obj in objects:
            groups.setdefault(self.namespace(obj), []).append(obj)
        return groups

    def _add_app(self, value: str, obj: K8sObject) -> None:
        if value:
            bucket = self.by_app.setdefault(value.lower(), [])
            if not bucket or bucket[-1] is not obj:
                bucket.append(obj)

    def kind(self, kind: str, *groups: str) -> list[K8sObject]:
        """Objects of ``kind`` whose API group is one of ``groups`` (any group when none)."""
        found = self.by_kind.get(kind, [])
        if not groups:
            return list(found)
        return [o for o in found if o.group in groups]

    def kinds(self, kinds: Iterable[str], *groups: str) -> list[K8sObject]:
        """Objects of any of ``kinds`` in ``groups``, in input order."""
        return self._ordered(o for k in dict.fromkeys(kinds) for o in self.kind(k, *groups))

    def in_groups(self, *groups: str) -> list[K8sObject]:
        """Every object whose API group is one of ``groups``, in input order."""
        return self._ordered(o for g in dict.fromkeys(groups) for o in self.by_group.get(g, []))

    def _ordered(self, objects: Iterable[K8sObject]) -> list[K8sObject]:
        return sorted(objects, key=lambda o: self.position[id(o)])

    def crds(self, *groups: str) -> list[K8sObject]:
        """CustomResourceDefinitions of the API groups ``groups``."""
        return [crd for g in groups for crd in self.crds_by_group.get(g, [])]

    def image_uses(self, patterns: Iterable[str]) -> list[ImageUse]:
        """Containers whose image repository matches one of ``patterns``, in input order."""
        pats = tuple(patterns)
        found = [u for repo, uses in self.by_repo.items() if repo_matches(repo, pats) for u in uses]
        return sorted(found, key=lambda u: u.order)

    def labelled(self, names: Iterable[str]) -> list[K8sObject]:
        """Workloads whose app label or Helm chart is one of ``names`` (lower case), in input order."""
        unique = {id(o): o for name in names for o in self.by_app.get(name, [])}
        return self._ordered(unique.values())

    def released(self, names: Iterable[str]) -> list[Release]:
        """Releases (Argo CD, Flux, helmfile) of a chart or application in ``names``."""
        return [r for name in dict.fromkeys(names) for r in self.releases.get(name, [])]

    def presence(self, sig: Signature) -> list[CapabilityEvidence]:
        """Evidence that the component of ``sig`` is installed (images, labels, CRDs); cached."""
        cached = self._presence.get(sig)
        if cached is None:
            cached = self._presence[sig] = self._find(sig)
        return list(cached)

    def _find(self, sig: Signature) -> list[CapabilityEvidence]:
        found: list[CapabilityEvidence] = []
        seen: set[int] = set()
        for use in self.image_uses(sig.images)[:MAX_EVIDENCE]:
            seen.add(id(use.obj))
            found.append(use.evidence())
        for obj in self.labelled(sig.labels)[:MAX_EVIDENCE]:
            if id(obj) not in seen:
                seen.add(id(obj))
                found.append(evidence(obj, ("metadata", "labels"), "workload labelled as the component"))
        for crd in self.crds(*sig.crd_groups)[:MAX_EVIDENCE]:
            found.append(evidence(crd, ("spec", "group"), f"defines the {text(crd.get('spec', 'group'))} API"))
        found += [r.evidence for r in self.released(sig.labels)[:MAX_EVIDENCE]]
        return found

    def workloads_with_images(self, patterns: Iterable[str]) -> list[K8sObject]:
        """Pod-bearing objects with at least one container from ``patterns``, in input order."""
        return self._ordered({id(u.obj): u.obj for u in self.image_uses(patterns)}.values())


def node_wide(obj: K8sObject) -> bool:
    """A DaemonSet, or a Pod a DaemonSet created (as in a cluster dump): it runs on every node."""
    return obj.kind == "DaemonSet" or (obj.kind == "Pod" and created_by(obj, "DaemonSet"))


def container_args(container: Container) -> list[str]:
    """``command`` and ``args`` of a container, as strings."""
    return [text(a) for key in ("command", "args") for a in items(container.spec.get(key))]


def container_env(container: Container, name: str) -> str:
    """The literal value of environment variable ``name``, ``""`` when unset or not literal."""
    for entry in items(container.spec.get("env")):
        if isinstance(entry, dict) and entry.get("name") == name:
            return text(entry.get("value"))
    return ""


