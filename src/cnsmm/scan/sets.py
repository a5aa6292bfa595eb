"""Scan sets: the unit of work of a scan, and where their content comes from.

A :class:`SetInput` is what one set holds before it is parsed: files on disk (or standard
input) to read, and/or :class:`RenderedObject` values that a renderer produced (Kustomize
overlays, Helm charts) with the file and line each object should be reported at.
"""

from __future__ import annotations

import contextlib
import os
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cnsmm.sources.discover import InputFile, discover
from cnsmm.sources.interface import FileAnalyzer, InputError
from cnsmm.sources.yamlload import YamlDocument


@dataclass(frozen=True)
class RenderedObject:
    """One already-parsed document of a rendered set, with the origin to report it at."""

    document: YamlDocument
    """As :func:`cnsmm.sources.yamlload.load_yaml` returns it (``List`` kinds are flattened)."""
    file: str
    """Display file of the object (e.g. ``chart/templates/deployment.yaml``)."""
    line: int | None = None
    """Display line of the object in ``file``; None keeps the document's own line."""
    exact_lines: bool = False
    """True when the lines inside ``document`` are lines of ``file``; otherwise every finding
    on the object is reported at ``line``."""
    locate: Callable[[int | None], tuple[str, int | None]] | None = None
    """Field-level origin: a line of ``document`` -> the source file and line of the field there
    (see :mod:`cnsmm.render`); used instead of ``file`` and ``line`` when given. Must pickle."""
    build: str | None = None
    """The build the object came from (``kustomize:ROOT``, ``helm:CHART``), put on its findings."""


@dataclass
class SetInput:
    """The content of one set before parsing."""

    name: str
    """The set's name: its folder, ``<stdin>``, or a render root."""
    files: list[InputFile] = field(default_factory=list)
    """Files to read (manifests, Dockerfiles, pipeline files)."""
    rendered: list[RenderedObject] = field(default_factory=list)
    """Objects produced by a renderer, checked together with the set's manifest files."""
    errors: list[InputError] = field(default_factory=list)
    """Problems met while producing the set (e.g. a render failure); reported as input errors."""
    skipped: list[dict[str, str]] = field(default_factory=list)
    """``{"file", "reason"}`` entries for parts left out on purpose."""

    @property
    def size(self) -> int:
        """Rough amount of work, for ordering sets over worker processes."""
        total = 0
        for f in self.files:
            if f.path != "-":
                with contextlib.suppress(OSError):
                    total += os.path.getsize(f.path)
        return total + 1000 * len(self.rendered)


def plan_sets(
    paths: Sequence[str], excludes: Sequence[str], analyzers: Sequence[FileAnalyzer],
    skipped: list[dict[str, str]] | None = None,
) -> tuple[list[SetInput], list[InputError]]:
    """Group the files found under ``paths`` into sets (one per folder; stdin is its own).

    Paths left out on purpose (symbolic links out of a scanned folder) go to ``skipped``."""
    files, errors = discover(paths, excludes, analyzers, skipped)
    groups: dict[str, list[InputFile]] = defaultdict(list)
    for f in files:
        groups[f.set_name].append(f)
    return [SetInput(name, group) for name, group in groups.items()], errors
