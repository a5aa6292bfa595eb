"""The normalised finding: what every rule and every report importer produces."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(str, enum.Enum):
    """Normalised severity, ordered from most to least severe."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """4 for critical down to 0 for info; higher is more severe."""
        return _RANK[self]

    def at_least(self, other: Severity) -> bool:
        """True when this severity is ``other`` or more severe."""
        return self.rank >= other.rank

    @classmethod
    def parse(cls, value: str) -> Severity:
        """Parse a severity name in any letter case; raise ``ValueError`` with the choices."""
        try:
            return cls(value.strip().lower())
        except ValueError:
            choices = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {value!r} (expected one of {choices})") from None


_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


@dataclass(frozen=True, slots=True)
class Location:
    """Where a finding is. Every field is optional; scanners fill what they know."""

    file: str | None = None
    """Path of the file as given by the user (relative where the input was relative)."""
    line: int | None = None
    """1-based line of the offending field, or of the object when no field applies."""
    column: int | None = None
    """1-based column, when known."""
    resource: str | None = None
    """Kubernetes resource as ``Kind/namespace/name`` (``Kind/name`` when cluster-scoped)."""
    image: str | None = None
    """Container image reference, for image scanners."""
    layer: str | None = None
    """Image layer digest, when the scanner reports it."""
    url: str | None = None
    """URL, for dynamic (DAST) findings."""
    parameter: str | None = None
    """Request parameter (query, form field, header) of a DAST finding, when the tool names it."""
    build: str | None = None
    """For an object built by kustomize or helm: ``kustomize:ROOT`` or ``helm:CHART`` (with the
    values variant in brackets); ``file`` and ``line`` then name the source of the object."""

    def display(self) -> str:
        """Short human form: ``file:line`` or the best available alternative."""
        if self.file:
            return f"{self.file}:{self.line}" if self.line else self.file
        return self.resource or self.image or self.url or "-"


@dataclass(frozen=True, slots=True)
class Finding:
    """One security problem reported by a cnsmm rule or by an imported tool report."""

    rule: str
    """Rule id (``K8S-001``) or the tool's own id (CVE, check id, SARIF ruleId)."""
    severity: Severity
    """Normalised severity."""
    title: str
    """One-line title of the rule or vulnerability."""
    message: str
    """What is wrong in this instance, in a sentence."""
    location: Location = field(default_factory=Location)
    """Where the problem is."""
    tool: str = "cnsmm"
    """Tool that reported it."""
    tool_version: str | None = None
    """Version of that tool, when the report says."""
    tool_severity: str | None = None
    """The tool's own severity label, before normalisation."""
    category: str = "misconfiguration"
    """misconfiguration, vulnerability, secret, sast, dast, runtime, compliance, license."""
    aliases: tuple[str, ...] = ()
    """Other ids of the same problem (CVE, GHSA, ...)."""
    cwe: tuple[str, ...] = ()
    """CWE ids such as ``CWE-798``."""
    description: str | None = None
    """Longer description, from the tool or the rule."""
    fix: str | None = None
    """How to fix it."""
    component: str | None = None
    """Affected package or component name."""
    installed_version: str | None = None
    """Installed version of the component."""
    fixed_version: str | None = None
    """First fixed version, when known."""
    requirements: tuple[str, ...] = ()
    """CNMM-TAS requirement ids this finding is evidence against."""
    references: tuple[str, ...] = ()
    """Links for more information."""
    tool_fingerprint: str | None = None
    """Stable identity the tool itself gives this result, independent of line numbers (SARIF
    ``partialFingerprints`` as sorted ``key=value`` pairs joined by ``;``); the tracker prefers
    it to the fingerprint it computes."""
    expected_exception: str | None = None
    """Why this finding is an expected exception (a node agent's host access, a ``privileged``
    namespace, an admission-policy exclusion, a ``cnsmm.yaml`` exception); still reported."""

    def sort_key(self) -> tuple[str, int, str, str]:
        """Stable order: by file, line, rule and message."""
        return (
            self.location.file or "",
            self.location.line or 0,
            self.rule,
            self.message,
        )
