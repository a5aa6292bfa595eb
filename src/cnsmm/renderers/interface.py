"""The renderer interface: a scan result in, a string out. Renderers never open files or exit."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cnsmm.scan import ScanResult


class OutputFormat(str, enum.Enum):
    """Scan output formats."""

    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    JUNIT = "junit"
    MARKDOWN = "markdown"


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


class Renderer(ABC):
    """Turns a :class:`ScanReport` into text."""

    @abstractmethod
    def render(self, report: ScanReport) -> str:
        """The whole output as one string."""
