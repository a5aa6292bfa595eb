"""The project's named vocabulary: every closed set of words that crosses a module boundary.

Each is a ``str`` enum, so a member compares equal to its value (``InputErrorKind.PARSE ==
"parse"``) and serialises as that value in JSON, SARIF and the store. Add a word here, not as
a string literal where it is used. The ``*_VALUES`` tuples hold the plain strings, in
declaration order, for code that writes YAML or checks a data file against the set.
"""

from __future__ import annotations

import enum


class InputErrorKind(str, enum.Enum):
    """Why an input, or part of one, was not checked (``errors[].kind`` in the JSON output)."""

    PARSE = "parse"
    """The text is not valid YAML, JSON, Dockerfile or pipeline syntax."""
    SIZE = "size"
    """The file is larger than the configured limit."""
    BINARY = "binary"
    """The file holds NUL bytes."""
    ENCODING = "encoding"
    """The text is neither UTF-8 nor UTF-16 with a byte-order mark."""
    UNREADABLE = "unreadable"
    """The file or folder cannot be opened (permissions, broken link)."""
    SYMLINK_LOOP = "symlink-loop"
    """Kept for earlier outputs: a symbolic link to a folder that contains it is now listed under
    ``skipped`` (its files are scanned under their own path), not as an error."""
    NOT_FOUND = "not-found"
    """A path given on the command line does not exist."""
    ALIAS_BOMB = "alias-bomb"
    """YAML aliases expand beyond the node limit."""
    DEPTH = "depth"
    """YAML nested deeper than the limit."""
    INTERNAL = "internal"
    """A rule raised an exception: a bug in cnsmm, reported once per rule."""
    TIMEOUT = "timeout"
    """Processing the file took longer than the per-file time budget."""
    RENDER = "render"
    """A Helm chart or Kustomize folder could not be built (its files were checked as they are,
    or not at all)."""

    def __str__(self) -> str:
        return self.value


class ReportKind(str, enum.Enum):
    """What an imported report is evidence of (``kind`` of a report; ``reports`` in the model)."""

    IMAGE_SCAN = "image-scan"
    SCA = "sca"
    SAST = "sast"
    DAST = "dast"
    IAC_SCAN = "iac-scan"
    SECRET_SCAN = "secret-scan"  # noqa: S105 - a report kind, not a secret
    SBOM = "sbom"
    COMPLIANCE = "compliance"
    RUNTIME = "runtime"
    PENTEST = "pentest"
    VEX = "vex"
    """A VEX document: statements about vulnerabilities, applied as status to findings."""
    SCAN = "scan"
    """A scan report whose kind the format does not tell; it evidences no requirement."""

    def __str__(self) -> str:
        return self.value


REPORT_KIND_VALUES: tuple[str, ...] = tuple(k.value for k in ReportKind if k is not ReportKind.SCAN)
"""Report kinds that can evidence a requirement (every kind but the generic ``scan``)."""


class PipelineCategory(str, enum.Enum):
    """A security activity of a CI pipeline (the pipeline inventory; ``pipeline`` in the model)."""

    SAST = "sast"
    SCA = "sca"
    IMAGE_SCAN = "image-scan"
    IAC_SCAN = "iac-scan"
    SECRET_SCAN = "secret-scan"  # noqa: S105 - a report kind, not a secret
    DAST = "dast"
    SBOM = "sbom"
    SIGNING = "signing"
    PROVENANCE = "provenance"

    @property
    def looks_for_problems(self) -> bool:
        """True for the scanning categories (not SBOM, signing or provenance)."""
        return self not in (PipelineCategory.SBOM, PipelineCategory.SIGNING, PipelineCategory.PROVENANCE)

    def __str__(self) -> str:
        return self.value


PIPELINE_CATEGORY_VALUES: tuple[str, ...] = tuple(c.value for c in PipelineCategory)
"""Every pipeline category, in inventory order."""


class Verdict(str, enum.Enum):
    """The status of a requirement, best first, and what one piece of evidence says about it."""

    MET = "met"
    PARTIAL = "partial"
    NOT_MET = "not-met"
    NOT_APPLICABLE = "not-applicable"
    UNKNOWN = "unknown"
    """No evidence either way; counts as not met for levels."""
    IGNORED = "ignored"
    """Evidence only: seen, but not counted (stale, out of scope). Never a requirement status."""

    def __str__(self) -> str:
        return self.value


STATUS_VALUES: tuple[str, ...] = tuple(v.value for v in Verdict if v is not Verdict.IGNORED)
"""Requirement statuses, best first."""


class EvidenceSource(str, enum.Enum):
    """Where a piece of evidence comes from: the evidence paths of a requirement, in list order."""

    CHECK = "check"
    """A misconfiguration rule over manifests, Dockerfiles or pipelines."""
    CAPABILITY = "capability"
    """A security component detected among the deployed objects."""
    REPORT = "report"
    """An imported report of another tool."""
    PIPELINE = "pipeline"
    """A security activity found in a CI pipeline."""
    ATTESTATION = "attestation"
    """A signed-off answer with an owner, an evidence link and an expiry."""

    def __str__(self) -> str:
        return self.value


EVIDENCE_SOURCE_VALUES: tuple[str, ...] = tuple(e.value for e in EvidenceSource)
"""Every evidence source, in list order."""
