"""What every report importer produces."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from cnsmm.coverage import Coverage
from cnsmm.findings import Finding
from cnsmm.vocab import ReportKind


@dataclass(frozen=True, slots=True)
class Component:
    """An inventory entry (a package in an SBOM or scanned image)."""

    name: str
    version: str | None = None
    purl: str | None = None
    type: str | None = None
    licenses: tuple[str, ...] = ()


VEX_STATUSES = ("not_affected", "affected", "fixed", "under_investigation")
"""The statuses of a VEX statement (OpenVEX's words; CycloneDX analysis states map onto them)."""


@dataclass(frozen=True, slots=True)
class VexStatement:
    """What a VEX document says about one vulnerability in some products: applied by the
    tracker to the matching findings already in the project (docs/importers.md, "VEX")."""

    vulnerability: str
    """The vulnerability id (``CVE-2023-1234``, ``GHSA-...``)."""
    status: str
    """One of :data:`VEX_STATUSES`."""
    aliases: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    """Package URLs or names the statement is about (empty: every finding of the vulnerability)."""
    subcomponents: tuple[str, ...] = ()
    """Packages inside the products (OpenVEX ``subcomponents``); when given, a finding must be
    in one of them."""
    justification: str | None = None
    """Why it is not affected (``vulnerable_code_not_present``, CycloneDX ``code_not_reachable``, ...)."""
    detail: str | None = None
    """Impact or action statement, CycloneDX ``detail``."""
    original: str | None = None
    """The state as the document wrote it when it differs (CycloneDX ``false_positive``, ``resolved``)."""


@dataclass(frozen=True, slots=True)
class ItemError:
    """One item of a report that was not imported, and why."""

    pointer: str
    """JSON pointer (``/Results/2/Vulnerabilities/11``), XML path
    (``/bom/vulnerabilities/vulnerability[3]``) or ``line N`` of the item."""
    position: str
    """The same position in words (``result #3, vulnerability #12``)."""
    reason: str
    """What is wrong with it (``missing VulnerabilityID``)."""

    def __str__(self) -> str:
        at = f"{self.pointer} ({self.position})" if self.pointer and self.position else self.pointer or self.position
        return f"{at}: {self.reason}"


class ItemErrors:
    """The items of a report that could not be read, each with its position and why.

    Filled while the findings are iterated: a bad item is recorded and skipped, the others
    are imported. The first :attr:`LIMIT` are kept; :attr:`total` counts them all."""

    LIMIT = 1000

    def __init__(self, first: list[ItemError] | None = None, total: int | None = None) -> None:
        self.first: list[ItemError] = list(first or [])
        self.total = len(self.first) if total is None else total

    def append(self, error: ItemError) -> None:
        """Record one more skipped item (kept when fewer than :attr:`LIMIT` are)."""
        self.total += 1
        if len(self.first) < self.LIMIT:
            self.first.append(error)

    def __len__(self) -> int:
        return self.total

    def __iter__(self) -> Iterator[ItemError]:
        return iter(self.first)

    def lines(self, source: str) -> list[str]:
        """One line per recorded error, naming the file; a last line says how many were not shown."""
        out = [f"{source}: {e}" for e in self.first]
        if self.total > len(self.first):
            out.append(f"{source}: ... and {self.total - len(self.first)} more items not read")
        return out


@dataclass
class ImportedReport:
    """One parsed report: who produced it, about what, and what it found.

    ``findings`` is an iterator so that very large reports can be streamed into the store
    without holding every finding in memory; consume it once.
    """

    format: str
    """Importer name, e.g. ``trivy-json``."""
    tool: str
    """Tool that produced the report (``trivy``, ``semgrep``, ...)."""
    tool_version: str | None
    scope: str
    """What was scanned (image reference, repository path, URL, cluster); a finding that a
    later scan of the same tool and scope no longer reports is closed as fixed."""
    findings: Iterator[Finding]
    generated_at: datetime | None = None
    components: list[Component] = field(default_factory=list)
    errors: ItemErrors = field(default_factory=ItemErrors)
    """The items skipped as malformed, filled
    while ``findings`` is iterated: a non-empty list after the iteration means the import
    was partial."""
    kind: str = ReportKind.SCAN
    """What the report evidences for the assessment: a :class:`~cnsmm.vocab.ReportKind` value
    (image-scan, sca, sast, dast, iac-scan, secret-scan, sbom, compliance, runtime, pentest, vex)."""
    coverage: Coverage = field(default_factory=Coverage)
    """What the scan looked at within its scope (paths, excludes, rules); auto-close only
    closes findings inside it. Empty: the whole scope."""
    root: str | None = None
    """Absolute checkout folder the report's paths were written under, when it says."""
    cwd: str | None = None
    """Absolute folder the tool ran in (its relative paths are relative to it), when it says."""
    repository: str | None = None
    """Repository scanned (``host/owner/name``), when the report says."""
    commit: str | None = None
    """Commit scanned, when the report says."""
    vex: list[VexStatement] = field(default_factory=list)
    """VEX statements of the report (OpenVEX, CycloneDX ``analysis``), filled while
    ``findings`` is iterated; the tracker applies them to the project's matching findings."""

    def __post_init__(self) -> None:
        try:
            self.kind = ReportKind(self.kind).value
        except ValueError:
            known = ", ".join(k.value for k in ReportKind)
            raise ValueError(f"{self.format}: report kind {self.kind!r} (expected one of {known})") from None
