"""Kubernetes objects as loaded from manifests and cluster dumps.

A :class:`K8sObject` wraps one mapping with ``apiVersion`` and ``kind`` and knows its file,
line and, for workloads, where its pod template is. ``List`` kinds (what
``kubectl get ... -o yaml`` prints) are flattened into their items, each keeping its line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cnsmm.kube.namespaces import declared_namespace
from cnsmm.sources.yamlload import DuplicateKey, YamlDocument, YList, YMap, line_of

Path = tuple[Any, ...]

# Where the pod spec lives, per kind (and API group where the kind name is ambiguous).
POD_SPEC_PATHS: dict[str, Path] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "PodTemplate": ("template", "spec"),
}
"""Core pod-bearing kinds."""

CRD_POD_SPEC_PATHS: dict[tuple[str, str], Path] = {
    ("argoproj.io", "Rollout"): ("spec", "template", "spec"),
    ("serving.knative.dev", "Service"): ("spec", "template", "spec"),
    ("serving.knative.dev", "Configuration"): ("spec", "template", "spec"),
    ("apps.kruise.io", "CloneSet"): ("spec", "template", "spec"),
    ("apps.kruise.io", "StatefulSet"): ("spec", "template", "spec"),
    ("apps.kruise.io", "DaemonSet"): ("spec", "template", "spec"),
    ("keda.sh", "ScaledJob"): ("spec", "jobTargetRef", "template", "spec"),
    ("batch.volcano.sh", "Job"): ("spec", "tasks", 0, "template", "spec"),
    ("apps.openshift.io", "DeploymentConfig"): ("spec", "template", "spec"),
    ("", "DeploymentConfig"): ("spec", "template", "spec"),  # OpenShift 3 served it as v1
}
"""Pod templates of common custom resources, by (API group, kind)."""

WORKLOAD_KINDS = frozenset(POD_SPEC_PATHS) - {"PodTemplate"}
"""Core kinds that run pods (PodTemplate only describes one)."""

CLUSTER_SCOPED_KINDS = frozenset({
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding",
    "CustomResourceDefinition", "StorageClass", "PriorityClass", "RuntimeClass",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "APIService",
    "IngressClass", "CSIDriver", "CSINode", "VolumeAttachment", "PodSecurityPolicy",
    "ClusterIssuer", "ClusterPolicy", "ClusterSecretStore", "ClusterRoleTemplate",
    "GlobalNetworkPolicy", "CiliumClusterwideNetworkPolicy", "ConstraintTemplate",
    "FlowSchema", "PriorityLevelConfiguration", "ComponentStatus",
})
"""Kinds that have no namespace (namespace rules never apply to them)."""

CONTAINER_KINDS = ("containers", "initContainers", "ephemeralContainers")


def api_group(api_version: str) -> str:
    """``apps/v1`` -> ``apps``; ``v1`` -> ``""`` (the core group)."""
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


@dataclass(slots=True)
class Container:
    """One container of a pod spec, with its path inside the object."""

    spec: YMap
    path: Path
    """Path from the object root to this container mapping."""
    kind: str
    """``container``, ``init`` or ``ephemeral``."""
    pod: PodSpec

    @property
    def name(self) -> str:
        """The container's name, or ``?`` when it has none."""
        return str(self.spec.get("name") or "?")

    def get(self, *keys: Any) -> Any:
        """Nested lookup below the container (``c.get("securityContext", "privileged")``)."""
        return dig(self.spec, keys)

    @property
    def is_sidecar(self) -> bool:
        """An init container with ``restartPolicy: Always`` runs for the pod's lifetime."""
        return self.kind == "init" and self.spec.get("restartPolicy") == "Always"


@dataclass(slots=True)
class PodSpec:
    """The pod spec of a pod-bearing object."""

    obj: K8sObject
    spec: YMap
    path: Path
    """Path from the object root to the pod spec mapping."""

    def get(self, *keys: Any) -> Any:
        """Nested lookup below the pod spec."""
        return dig(self.spec, keys)

    def containers(self, *kinds: str) -> Iterator[Container]:
        """Containers of the given kinds (``container``, ``init``, ``ephemeral``; all by default)."""
        wanted = kinds or ("container", "init", "ephemeral")
        for field_name, kind in zip(CONTAINER_KINDS, ("container", "init", "ephemeral"), strict=True):
            if kind not in wanted:
                continue
            items = self.spec.get(field_name)
            if not isinstance(items, list):
                continue
            for i, item in enumerate(items):
                if isinstance(item, YMap):
                    yield Container(item, (*self.path, field_name, i), kind, self)

    @property
    def template_labels(self) -> dict[str, Any]:
        """Labels the pods will carry (the template's, or the Pod's own)."""
        if self.obj.kind == "Pod":
            return self.obj.labels
        meta = dig(self.obj.doc, (*self.path[:-1], "metadata", "labels"))
        return meta if isinstance(meta, dict) else {}


@dataclass(slots=True)
class K8sObject:
    """One Kubernetes object from a file or stream."""

    doc: YMap
    file: str
    line: int
    index: int
    """Index of the document in its file."""
    item: int | None = None
    """Index inside a ``List``'s ``items``, when the object came from one."""
    duplicates: tuple[DuplicateKey, ...] = ()
    """Keys given twice in the document this object came from."""
    field_lines: bool = True
    """Whether the lines inside ``doc`` are lines of ``file``; False for rendered objects
    whose fields are reported at the object's ``line``."""

    @property
    def kind(self) -> str:
        """The object's ``kind``."""
        return str(self.doc.get("kind") or "")

    @property
    def api_version(self) -> str:
        """The object's ``apiVersion``."""
        return str(self.doc.get("apiVersion") or "")

    @property
    def group(self) -> str:
        """API group (``""`` for the core group)."""
        return api_group(self.api_version)

    @property
    def metadata(self) -> dict[str, Any]:
        """``metadata``, or an empty mapping."""
        meta = self.doc.get("metadata")
        return meta if isinstance(meta, dict) else {}

    @property
    def name(self) -> str:
        """``metadata.name`` (or ``generateName``), ``?`` when absent."""
        meta = self.metadata
        return str(meta.get("name") or meta.get("generateName") or "?")

    @property
    def namespace(self) -> str | None:
        """``metadata.namespace``; None when not set or cluster-scoped."""
        return None if self.cluster_scoped else declared_namespace(self.metadata)

    @property
    def cluster_scoped(self) -> bool:
        """True for kinds that live outside namespaces."""
        return self.kind in CLUSTER_SCOPED_KINDS

    @property
    def labels(self) -> dict[str, Any]:
        """``metadata.labels``."""
        labels = self.metadata.get("labels")
        return labels if isinstance(labels, dict) else {}

    @property
    def annotations(self) -> dict[str, Any]:
        """``metadata.annotations``."""
        ann = self.metadata.get("annotations")
        return ann if isinstance(ann, dict) else {}

    @property
    def resource(self) -> str:
        """``Kind/namespace/name`` (``Kind/name`` for cluster-scoped or unset namespace)."""
        ns = self.namespace
        return f"{self.kind}/{ns}/{self.name}" if ns else f"{self.kind}/{self.name}"

    def get(self, *keys: Any) -> Any:
        """Nested lookup from the object root."""
        return dig(self.doc, keys)

    def line_of(self, path: Path) -> int:
        """Line of the field at ``path`` (or of its nearest existing parent)."""
        return line_of(self.doc, path, self.line) if self.field_lines else self.line

    def pod_spec(self) -> PodSpec | None:
        """The pod spec when this is a pod-bearing object, else None."""
        path = POD_SPEC_PATHS.get(self.kind)
        if path is None or (self.kind in ("Job", "StatefulSet", "DaemonSet") and self.group not in ("batch", "apps")):
            path = CRD_POD_SPEC_PATHS.get((self.group, self.kind), path)
        if path is None:
            return None
        spec = dig(self.doc, path)
        if not isinstance(spec, YMap):
            return None
        return PodSpec(self, spec, path)


def dig(value: Any, keys: Path) -> Any:
    """Nested lookup through mappings and sequences; None when any step is missing."""
    current = value
    for key in keys:
        if isinstance(current, dict):
            current = current.get(key)
        elif isinstance(current, list) and isinstance(key, int) and 0 <= key < len(current):
            current = current[key]
        else:
            return None
    return current


def objects_from_documents(docs: list[YamlDocument], file: str) -> tuple[list[K8sObject], int]:
    """Kubernetes objects in loaded documents; ``*List`` kinds are flattened.

    Returns the objects and the number of documents that were not Kubernetes objects.
    """
    objects: list[K8sObject] = []
    skipped = 0
    for doc in docs:
        value = doc.value
        if not is_k8s_object(value):
            skipped += 1
            continue
        dups = tuple(doc.duplicates)
        kind = str(value.get("kind"))
        items = value.get("items")
        if kind.endswith("List") and isinstance(items, YList):
            for i, item in enumerate(items):
                if is_k8s_object(item):
                    objects.append(K8sObject(item, file, item.line, doc.index, i, dups))
            continue
        objects.append(K8sObject(value, file, doc.line, doc.index, None, dups))
    return objects, skipped


def is_k8s_object(value: Any) -> bool:
    """A mapping with string ``apiVersion`` and ``kind``."""
    return (
        isinstance(value, YMap)
        and isinstance(value.get("kind"), str)
        and isinstance(value.get("apiVersion"), str)
    )


@dataclass(slots=True)
class ObjectSet:
    """Objects deployed together (one folder, one file or one stream).

    Cross-object rules relate objects only within a set: a repository holding ten copies of
    the same install bundle in ten folders is ten sets, not one set with ten duplicates.
    """

    name: str
    objects: list[K8sObject]

    def of_kind(self, *kinds: str) -> list[K8sObject]:
        """Objects whose kind is one of ``kinds``."""
        return [o for o in self.objects if o.kind in kinds]

    def pod_bearing(self) -> list[tuple[K8sObject, PodSpec]]:
        """Every object with a pod spec, with that spec."""
        out = []
        for obj in self.objects:
            pod = obj.pod_spec()
            if pod is not None:
                out.append((obj, pod))
        return out
