"""The renderer interface: a scan result in, a string out. Renderers never open files or exit."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cnsmm.findings import Severity
from cnsmm.scan import ScanResult


class OutputFormat(str, enum.Enum):
    """Scan output formats."""

    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    JUNIT = "junit"
    MARKDOWN = "markdown"
    HTML = "html"
    CSV = "csv"
    GITLAB_SAST = "gitlab-sast"
    GITLAB_CODEQUALITY = "gitlab-codequality"


class GroupBy(str, enum.Enum):
    """How the text report groups findings."""

    FILE = "file"
    RULE = "rule"
    RESOURCE = "resource"


@dataclass
class ScanReport:
    """A scan result with the facts renderers print about the run."""

    result: ScanResult
    paths: list[str]
    tool_version: str
    fail_on: str | None = None
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    verbose: bool = False
    color: bool = False
    group_by: GroupBy = GroupBy.FILE
    """Grouping of the text report."""
    min_severity: Severity = Severity.INFO
    """Human reports (text, Markdown, HTML) show findings at or above this; counts and machine
    formats always cover every finding. Independent of ``fail_on``."""
    quiet: bool = False
    """Text report: the summary only."""
    width: int | None = None
    """Text report: wrap lines at this many columns (between words); None for no wrapping."""
    covered: dict[str, list[str]] | None = None
    """JSON report: what the scan looked at (paths, exclude globs, unread files, rules when
    restricted), so that the tracker closes only what was looked at."""
    checkout: dict[str, str | None] | None = None
    """JSON report: the checkout scanned (root, cwd, repository, commit), so that the tracker
    stores repository-relative paths."""


class Renderer(ABC):
    """Turns a :class:`ScanReport` into text."""

    @abstractmethod
    def render(self, report: ScanReport) -> str:
        """The whole output as one string."""
