"""Which namespace an object lands in.

A namespaced object without ``metadata.namespace`` is created in the namespace the manifests
are applied to (``kubectl -n``, the context's namespace, or ``default``). That namespace is not
in the files, so all such objects of one set share one *implicit* namespace, keyed ``None``;
it is never confused with a named one (``default`` included), because the files do not say
which namespace they will be applied to.

A kustomization's ``namespace:`` field sets the namespace of every namespaced resource it
builds. When exactly one kustomization of a set names a namespace, :func:`applied_namespace`
returns it and objects without a namespace land there. (The scan keeps kustomization files out
of its sets, so for scanned sets this is always ``None``; rendering applies the field itself.)

Cluster-scoped objects have no namespace (``None``) whatever their metadata says.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

KUSTOMIZE_GROUP = "kustomize.config.k8s.io"


class Namespaced(Protocol):
    """What namespace resolution reads from an object."""

    @property
    def kind(self) -> str: ...
    @property
    def group(self) -> str: ...
    @property
    def cluster_scoped(self) -> bool: ...
    @property
    def metadata(self) -> dict[str, Any]: ...
    def get(self, *keys: Any) -> Any: ...


def declared_namespace(metadata: dict[str, Any]) -> str | None:
    """``metadata.namespace`` when it is a non-empty scalar, else None."""
    ns = metadata.get("namespace")
    if isinstance(ns, bool) or not isinstance(ns, (str, int, float)) or ns == "":
        return None
    return str(ns)


def applied_namespace(objects: Iterable[Namespaced]) -> str | None:
    """The namespace a kustomization of the set gives objects that name none (if exactly one)."""
    spaces = set()
    for obj in objects:
        if obj.kind == "Kustomization" and obj.group == KUSTOMIZE_GROUP:
            ns = obj.get("namespace")
            if isinstance(ns, str) and ns:
                spaces.add(ns)
    return spaces.pop() if len(spaces) == 1 else None


def namespace_of(obj: Namespaced, applied: str | None = None) -> str | None:
    """The namespace ``obj`` lands in: its own, else ``applied``; None for cluster-scoped objects
    and for the implicit namespace."""
    if obj.cluster_scoped:
        return None
    return declared_namespace(obj.metadata) or applied
