"""Manifest values of any shape, read as Kubernetes reads them.

Values in manifests may be of any type (hostile or malformed input). These helpers only ever
return strings, booleans and containers of a known shape.

| helper | Kubernetes semantics |
| --- | --- |
| :func:`text` | a scalar as the text the API server stores (YAML ``true`` -> ``"true"``), else ``""`` |
| :func:`label_value` | a label value: strings as written, booleans/numbers as text, null as ``""`` |
| :func:`truthy` | a string setting (annotation, ConfigMap entry, flag) that a component parses as a boolean |
| :func:`falsy` | such a setting written as "off" (absent or unreadable is neither on nor off) |
| :func:`api_bool` | a typed boolean field of the API (``privileged``): only a real ``true`` counts |
"""

from __future__ import annotations

from typing import Any

TRUE_WORDS = frozenset({"true", "yes", "on", "1", "y"})
"""Words read as "on": those of Go's ``strconv.ParseBool`` that settings use (``1``, ``true``) plus the
YAML 1.1 words (``yes``, ``on``, ``y``) that Helm values and annotations carry as strings."""

FALSE_WORDS = frozenset({"false", "no", "off", "0", "n"})
"""Words read as "off", the counterparts of :data:`TRUE_WORDS`."""


def text(value: Any) -> str:
    """``value`` as a string when it is a scalar, else ``""``."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return ""


def label_value(value: Any) -> str:
    """A label value as the API server stores it (YAML ``true`` -> ``"true"``, null -> ``""``)."""
    return text(value)


def truthy(value: Any) -> bool:
    """Whether a setting read from a string field means "on".

    Booleans are themselves, integers are on when not zero, strings are on when they are one of
    :data:`TRUE_WORDS` (any case, surrounding blanks and quotes ignored); anything else is off.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        return value.strip().strip("'\"").lower() in TRUE_WORDS
    return False


def falsy(value: Any) -> bool:
    """Whether a setting read from a string field is written as "off".

    Not the negation of :func:`truthy`: an absent, empty or unreadable value is neither on nor
    off. Booleans are themselves negated, the integer 0 is off, strings are off when they are
    one of :data:`FALSE_WORDS` (any case, surrounding blanks and quotes ignored).
    """
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value == 0
    if isinstance(value, str):
        return value.strip().strip("'\"").lower() in FALSE_WORDS
    return False


def api_bool(value: Any) -> bool:
    """A typed boolean API field (``securityContext.privileged``, ``hostNetwork``).

    The API server rejects a string there (``"true"`` does not decode into a bool), so only the
    boolean ``true`` turns the field on.
    """
    return value is True


def mapping(value: Any) -> dict[Any, Any]:
    """``value`` when it is a mapping, else an empty one."""
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list[Any]:
    """``value`` when it is a sequence, else an empty list."""
    return value if isinstance(value, list) else []
