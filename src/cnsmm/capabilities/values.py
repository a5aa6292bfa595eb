"""Reading manifest values of any shape: image repositories, chart names and
ConfigMap/Secret entries.

Scalars, truthy settings, mappings and sequences are read as :mod:`cnsmm.kube.values` defines
them (re-exported here for the detectors); label selectors are :mod:`cnsmm.kube.selectors`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable

from cnsmm.imageref import parse_lenient
from cnsmm.kube.values import items, mapping, text, truthy
from cnsmm.sources.k8s import K8sObject, dig

__all__ = [
    "chart_name", "data_value", "items", "mapping", "normalise_image", "repo_matches", "short", "text", "truthy",
]


def normalise_image(image: str) -> str:
    """Repository path of an image reference, lower case, without registry, ``library/``, tag or digest.

    ``quay.io/cilium/cilium:v1.15@sha256:...`` -> ``cilium/cilium``;
    ``docker.io/library/vault:1.15`` -> ``vault`` (see :mod:`cnsmm.imageref`).
    """
    ref = parse_lenient(image)
    return ref.path_without_library if ref is not None else image.strip().lower()


def repo_matches(repo: str, patterns: Iterable[str]) -> bool:
    """True when ``repo`` (normalised) is one of ``patterns``.

    A pattern with a slash also matches behind a mirror prefix (``mirror/falcosecurity/falco``);
    a pattern ending in ``/*`` matches every repository of that namespace. A single-word
    pattern (``vault``) must match exactly, so ``myorg/vault-ui`` is not Vault.
    """
    for pattern in patterns:
        if pattern.endswith("/*"):
            prefix = pattern[:-1]
            if repo.startswith(prefix) or f"/{prefix}" in repo:
                return True
        elif repo == pattern or ("/" in pattern and repo.endswith("/" + pattern)):
            return True
    return False


def short(value: str, limit: int = 80) -> str:
    """``value`` cut to ``limit`` characters (names from the input quoted in reasons)."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def chart_name(value: str) -> str:
    """``falco-4.2.0`` (a ``helm.sh/chart`` label) -> ``falco``."""
    head, sep, tail = value.rpartition("-")
    return head if sep and tail[:1].isdigit() else value


def data_value(obj: K8sObject, key: str) -> str:
    """A ConfigMap/Secret ``data``/``stringData`` entry as text (``""`` when absent).

    Secret ``data`` is base64: it is decoded (undecodable values give ``""``).
    """
    plain = dig(obj.doc, ("stringData", key))
    if plain is not None:
        return text(plain)
    value = text(dig(obj.doc, ("data", key)))
    if value and obj.kind == "Secret":
        try:
            return base64.b64decode(value, validate=False).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return ""
    return value
