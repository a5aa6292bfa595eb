"""Owner references and controllers, as the garbage collector and the controllers read them.

An object lists its owners in ``metadata.ownerReferences``. At most one of them carries
``controller: true``: that one manages the object (a ReplicaSet's Pods, a Deployment's
ReplicaSets) and writes its spec from its own template. Other owners only tie the object's
lifetime to theirs (garbage collection), they do not write it.

So a Pod or ReplicaSet of a cluster dump is *checked through its controller* - its findings
are those of the controller's template - only when:

- the reference has ``controller: true`` (an owner without it does not write the spec);
- the controller is itself in the set and bears a pod template (a custom resource that is not
  a known pod-bearing kind, such as an operator's ``Prometheus``, is not checked in its place);
- it is the same object: same API group (when the reference names one), kind, name and
  namespace (owners of namespaced objects live in the same namespace), and the same ``uid``
  when both sides have one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol


class KubeObject(Protocol):
    """What owner resolution reads from an object."""

    @property
    def kind(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def namespace(self) -> str | None: ...
    @property
    def metadata(self) -> dict[str, Any]: ...
    @property
    def group(self) -> str: ...


@dataclass(frozen=True, slots=True)
class OwnerRef:
    """One well-formed entry of ``metadata.ownerReferences``."""

    kind: str
    name: str
    group: str | None
    """API group of ``apiVersion`` (``""`` for core); None when the reference has no apiVersion."""
    uid: str | None
    controller: bool


def _group(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def owner_refs(metadata: Mapping[str, Any]) -> list[OwnerRef]:
    """The well-formed owner references (string ``kind`` and ``name``); others are ignored."""
    refs = metadata.get("ownerReferences")
    out = []
    for ref in refs if isinstance(refs, list) else ():
        if not isinstance(ref, dict):
            continue
        kind, name, api = ref.get("kind"), ref.get("name"), ref.get("apiVersion")
        if not isinstance(kind, str) or not kind or not isinstance(name, str) or not name:
            continue
        uid = ref.get("uid")
        out.append(OwnerRef(
            kind, name, _group(api) if isinstance(api, str) else None,
            uid if isinstance(uid, str) and uid else None, ref.get("controller") is True,
        ))
    return out


def controller_ref(metadata: Mapping[str, Any]) -> OwnerRef | None:
    """The owner reference with ``controller: true`` (the first, should a manifest list two)."""
    return next((r for r in owner_refs(metadata) if r.controller), None)


class Controllers:
    """The pod-bearing objects of one set, to find which objects are checked through them."""

    def __init__(self, controllers: Iterable[KubeObject]) -> None:
        self._uids: dict[tuple[str, str | None, str], set[str | None]] = {}
        self._groups: dict[tuple[str, str | None, str], set[str]] = {}
        for obj in controllers:
            key = (obj.kind, obj.namespace, obj.name)
            uid = obj.metadata.get("uid")
            self._uids.setdefault(key, set()).add(uid if isinstance(uid, str) and uid else None)
            self._groups.setdefault(key, set()).add(obj.group)

    def controlled(self, obj: KubeObject) -> bool:
        """Whether ``obj``'s controller is one of the objects of the set."""
        ref = controller_ref(obj.metadata)
        if ref is None:
            return False
        key = (ref.kind, obj.namespace, ref.name)
        uids = self._uids.get(key)
        if uids is None:
            return False
        if ref.group is not None and ref.group not in self._groups[key]:
            return False
        return ref.uid is None or None in uids or ref.uid in uids


def created_by(obj: KubeObject, kind: str) -> bool:
    """Whether ``obj``'s controller is of ``kind`` (a Pod a DaemonSet created)."""
    ref = controller_ref(obj.metadata)
    return ref is not None and ref.kind == kind
