"""Reading manifest values of any shape: scalars as text, mappings, sequences, image
references, label selectors and ConfigMap/Secret entries.

Values read from the manifests may be of any type (hostile or malformed input); these
helpers only ever return strings, booleans and containers of known shape.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from typing import Any

from cnsmm.sources.k8s import K8sObject, dig


def text(value: Any) -> str:
    """``value`` as a string when it is a scalar, else ``""``."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return ""


def truthy(value: Any) -> bool:
    """YAML-ish truth of a manifest value (``true``, ``"true"``, ``"yes"``, ``"on"``, ``1``)."""
    return text(value).strip().lower() in ("true", "yes", "on", "1", "y")


def mapping(value: Any) -> dict[Any, Any]:
    """``value`` when it is a mapping, else an empty one."""
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list[Any]:
    """``value`` when it is a sequence, else an empty list."""
    return value if isinstance(value, list) else []


def normalise_image(image: str) -> str:
    """Repository path of an image reference, lower case, without registry, tag or digest.

    ``quay.io/cilium/cilium:v1.15@sha256:...`` -> ``cilium/cilium``;
    ``docker.io/library/vault:1.15`` -> ``vault``.
    """
    ref = image.strip().lower().split("@", 1)[0]
    slash, colon = ref.rfind("/"), ref.rfind(":")
    if colon > slash:
        ref = ref[:colon]
    parts = [p for p in ref.split("/") if p]
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    if len(parts) > 1 and parts[0] == "library":
        parts = parts[1:]
    return "/".join(parts)


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


def selector_matches(selector: Any, labels: dict[str, Any]) -> bool:
    """True when a label selector (``matchLabels``/``matchExpressions``) selects ``labels``.

    An empty selector selects everything, as in Kubernetes; a malformed one selects nothing.
    """
    sel = mapping(selector)
    for key, value in mapping(sel.get("matchLabels")).items():
        if text(labels.get(key)) != text(value):
            return False
    for expr in items(sel.get("matchExpressions")):
        if not isinstance(expr, dict):
            return False
        key, op = text(expr.get("key")), text(expr.get("operator"))
        values = {text(v) for v in items(expr.get("values"))}
        present = key in labels
        ok = {
            "In": present and text(labels.get(key)) in values,
            "NotIn": not present or text(labels.get(key)) not in values,
            "Exists": present,
            "DoesNotExist": not present,
        }.get(op, False)
        if not ok:
            return False
    return True


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
