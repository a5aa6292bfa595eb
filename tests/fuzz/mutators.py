"""Structure-aware mutation for JSON and YAML inputs.

Byte-level mutation of a JSON report mostly yields invalid JSON, which the importers refuse
at the first byte; the interesting bugs sit behind a valid document with one value of an
unexpected type, a missing key, or a huge or hostile string. Half of the mutations parse the
input, change one to three nodes of the tree and write it back; the other half are
libFuzzer's own byte mutations (``fallback``), so that broken syntax is fuzzed too.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import yaml

Fallback = Callable[[bytes, int], bytes]

_STRINGS = (
    "", " ", "0", "-1", "null", "true", "\x00", "\u202e", "\r=cmd|' /C calc'!A0", "../../etc/passwd",
    "a" * 300, "{{ .Values.x }}", "${{ github.event.issue.title }}", "2026-02-30", "9999-12-31T23:59:59Z",
    "CRITICAL", "high", "UNKNOWN", "pkg:npm/%40scope/name@1.0.0", "sha256:" + "0" * 64, "*", "\\", "%s%n",
)
_NUMBERS: tuple[Any, ...] = (0, -1, 1, 2**31, 2**63, 2**70, -(2**70), 0.5, 1e308, -0.0)


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    choice = rng.randrange(9 if depth < 3 else 6)
    if choice == 0:
        return None
    if choice == 1:
        return rng.random() < 0.5
    if choice == 2:
        return rng.choice(_NUMBERS)
    if choice in (3, 4, 5):
        return rng.choice(_STRINGS)
    if choice == 6:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(3))]
    if choice == 7:
        return {rng.choice(_STRINGS) or "k": _random_value(rng, depth + 1) for _ in range(rng.randrange(3))}
    value: Any = rng.choice(_STRINGS)
    for _ in range(rng.randrange(10, 60)):  # deep nesting
        value = [value] if rng.random() < 0.5 else {"a": value}
    return value


def _slots(node: Any, out: list[tuple[Any, Any]], limit: int = 5000) -> None:
    """Every (container, key) of the tree, breadth first, at most ``limit``."""
    queue = [node]
    while queue and len(out) < limit:
        current = queue.pop(0)
        if isinstance(current, dict):
            for key, value in current.items():
                out.append((current, key))
                queue.append(value)
        elif isinstance(current, list):
            for i, value in enumerate(current):
                out.append((current, i))
                queue.append(value)


def mutate_tree(doc: Any, rng: random.Random) -> Any:
    """One to three changes to a parsed document (returned; may be a new root)."""
    for _ in range(rng.randint(1, 3)):
        slots: list[tuple[Any, Any]] = []
        _slots(doc, slots)
        if not slots:
            return _random_value(rng)
        parent, key = rng.choice(slots)
        op = rng.randrange(6)
        if op == 0:  # another value, usually of another type
            parent[key] = _random_value(rng)
        elif op == 1:  # drop it
            del parent[key]
        elif op == 2:  # the same subtree elsewhere (type confusion between siblings)
            other_parent, other_key = rng.choice(slots)
            parent[key] = json.loads(json.dumps(other_parent[other_key], default=str))
        elif op == 3 and isinstance(parent, list):  # repeat an item
            parent.insert(key, json.loads(json.dumps(parent[key], default=str)))
        elif op == 4 and isinstance(parent, dict):  # rename a key to another one of the document
            names = [k for p, k in slots if isinstance(p, dict) and k != key]
            if names:
                parent[rng.choice(names)] = parent.pop(key)
        else:  # wrap it in a list or a mapping
            parent[key] = [parent[key]] if rng.random() < 0.5 else {"value": parent[key]}
    return doc


def _json(data: bytes) -> Any:
    return json.loads(data)


def _yaml(data: bytes) -> Any:
    return yaml.load(data, Loader=yaml.CSafeLoader)  # the C safe loader


def _dump_json(doc: Any) -> bytes:
    return json.dumps(doc, default=str).encode()


def _dump_yaml(doc: Any) -> bytes:
    return yaml.dump(doc, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True).encode()


def structured(kind: str, fallback: Fallback, prefix: int = 0) -> Callable[[bytes, int, int], bytes]:
    """A libFuzzer custom mutator for ``kind`` (``json`` or ``yaml``) documents; ``prefix``
    bytes at the start (a route selector) are kept, and sometimes changed, as they are."""
    load, dump = (_json, _dump_json) if kind == "json" else (_yaml, _dump_yaml)

    def mutator(data: bytes, max_size: int, seed: int) -> bytes:
        rng = random.Random(seed)
        if rng.random() < 0.5:
            return fallback(data, max_size)
        head, body = data[:prefix], data[prefix:]
        if prefix and rng.random() < 0.1:
            head = bytes(rng.randrange(256) for _ in range(prefix))
        try:
            doc = load(body)
            out = head + dump(mutate_tree(doc, rng))
        except (ValueError, yaml.YAMLError, RecursionError, TypeError):
            return fallback(data, max_size)
        return out if len(out) <= max_size else fallback(data, max_size)

    return mutator
