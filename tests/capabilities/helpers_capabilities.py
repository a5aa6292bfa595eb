"""Loading capability fixtures: realistic manifests, one directory per detector."""

from __future__ import annotations

from pathlib import Path

from cnsmm.sources.k8s import K8sObject, objects_from_documents
from cnsmm.sources.yamlload import load_yaml

FIXTURES = Path(__file__).resolve().parent / "fixtures"
"""``fixtures/<detector id>/<expected>[-case].yaml``; expected is effective, partial or absent."""


def load_objects(text: str, file: str = "manifest.yaml") -> list[K8sObject]:
    """Kubernetes objects of a YAML stream (fails the test on YAML problems)."""
    docs, problems = load_yaml(text)
    assert not problems, problems
    objects, _ = objects_from_documents(docs, file)
    return objects


def load_fixture(path: Path) -> list[K8sObject]:
    """Objects of one fixture file."""
    return load_objects(path.read_text(encoding="utf-8"), str(path))


def header(path: Path, key: str) -> set[str] | None:
    """Requirement ids of a ``# key: A B`` header line, None when the fixture has none."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        name, _, value = line[1:].partition(":")
        if name.strip() == key:
            return set(value.split())
    return None
