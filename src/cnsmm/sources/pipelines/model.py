"""The parsed pipeline: one shape for every CI system.

Each parser (GitHub Actions, GitLab CI, Jenkins, Azure Pipelines, Dependabot/Renovate)
turns one file into a :class:`Pipeline` of :class:`Job` values, each with its
:class:`Step` values. Rules and the security-activity inventory work on this shape; what is
specific to one system stays reachable through ``raw`` (the located YAML mapping).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from cnsmm.vocab import PIPELINE_CATEGORY_VALUES, PipelineCategory

SYSTEMS: tuple[str, ...] = (
    "github-actions",
    "gitlab-ci",
    "jenkins",
    "azure-pipelines",
    "dependabot",
    "renovate",
)
"""Pipeline systems, as used in ``Pipeline.system`` and in rule ``targets``."""

CATEGORIES: tuple[str, ...] = PIPELINE_CATEGORY_VALUES
"""Security-activity categories of the inventory."""

SCAN_CATEGORIES: frozenset[str] = frozenset(c.value for c in PipelineCategory if c.looks_for_problems)
"""Categories that look for problems (as opposed to SBOM, signing and provenance)."""


@dataclass(frozen=True)
class Step:
    """One step: an action or task reference, a command, or both."""

    line: int
    """Line where the step starts."""
    name: str | None = None
    """Display name, when given."""
    uses: str | None = None
    """Action reference (``owner/repo@ref``), Azure task, or Jenkins plugin step name."""
    uses_line: int = 0
    """Line of the ``uses``/``task`` key (the step line when unknown)."""
    run: str | None = None
    """Command text (``run``, ``script`` item, ``sh`` argument)."""
    run_line: int = 0
    """Line of the command key or string start."""
    inputs: dict[str, Any] = field(default_factory=dict)
    """Inputs of the action (``with:``/``inputs:``/plugin arguments), values as loaded."""
    inputs_line: dict[str, int] = field(default_factory=dict)
    """Line of each input key."""
    env: dict[str, Any] = field(default_factory=dict)
    """Step environment variables."""
    env_line: dict[str, int] = field(default_factory=dict)
    """Line of each environment key."""
    soft: str | None = None
    """Why a failure of this step does not fail the job (``continue-on-error: true``...)."""
    soft_line: int = 0
    """Line of that setting."""
    interpolated: bool = False
    """Jenkins: the command is a double-quoted Groovy string (``${...}`` expands in Groovy)."""
    credentials: tuple[str, ...] = ()
    """Jenkins: credential variables bound around this step (``withCredentials``)."""


@dataclass(frozen=True)
class Image:
    """A container image a job runs in or next to."""

    ref: str
    line: int
    role: str = "image"
    """``image`` (job container), ``service``, or ``uses`` (``docker://`` step)."""


@dataclass(frozen=True)
class Job:
    """One job (GitHub/GitLab/Azure) or stage (Jenkins)."""

    id: str
    line: int
    name: str | None = None
    steps: tuple[Step, ...] = ()
    images: tuple[Image, ...] = ()
    runs_on: tuple[str, ...] = ()
    """Runner labels (``runs-on``, GitLab ``tags``, Azure pool, Jenkins agent label)."""
    runs_on_line: int = 0
    soft: str | None = None
    """Why a failure of this job does not fail the pipeline (``allow_failure: true``...)."""
    soft_line: int = 0
    events: tuple[str, ...] = ()
    """Events the job runs on, when narrower than the pipeline's (GitLab rules/only)."""
    uses: str | None = None
    """GitHub reusable workflow reference, or GitLab ``extends`` target."""
    uses_line: int = 0
    raw: Any = None
    """The job's located mapping (``YMap``) when the source is YAML."""


@dataclass(frozen=True)
class Include:
    """A GitLab ``include:`` entry (local file, template, component, project or remote)."""

    kind: str
    value: str
    line: int


@dataclass(frozen=True)
class Pipeline:
    """One parsed pipeline file."""

    file: str
    system: str
    text: str
    events: tuple[str, ...] = ()
    """Trigger events: push, pull_request, pull_request_target, schedule, merge_request..."""
    events_line: int = 1
    jobs: tuple[Job, ...] = ()
    includes: tuple[Include, ...] = ()
    env: dict[str, Any] = field(default_factory=dict)
    """Top-level environment / variables."""
    env_line: dict[str, int] = field(default_factory=dict)
    raw: Any = None
    """The located top-level mapping, for system-specific checks."""
    extra_activities: tuple[tuple[PipelineCategory, str, int, str, str | None], ...] = ()
    """Activities known from configuration rather than steps: (category, tool, line, job,
    non-blocking reason). Used by Dependabot/Renovate and GitLab templates."""

    @cached_property
    def lines(self) -> list[str]:
        """The file's lines (without line ends), split once."""
        return self.text.splitlines()

    def locate(self, start: int, needle: str, end: int | None = None) -> int:
        """First line at or after ``start`` whose text contains ``needle`` (its first line).

        Used to point into multi-line commands: the YAML loader knows where a scalar starts,
        not where a given word inside it is. Returns ``start`` when not found.
        """
        first = needle.strip().splitlines()[0].strip() if needle.strip() else ""
        if not first:
            return start
        lines = self.lines
        stop = len(lines) if end is None else min(end, len(lines))
        for i in range(max(start, 1) - 1, stop):
            if first in lines[i]:
                return i + 1
        return start


_SHA_RE = re.compile(r"^[0-9a-f]{40}$")


def is_full_sha(ref: str) -> bool:
    """True when ``ref`` is a full 40-hex commit SHA."""
    return bool(_SHA_RE.match(ref))


