"""CI pipeline analysis: parsers per CI system, the security-activity inventory, and the
:data:`ANALYZER` the scanner calls.

Public API:

- :data:`ANALYZER` - the :class:`~cnsmm.sources.interface.FileAnalyzer` for pipeline files.
- :func:`sniff` - pipeline system of a text by content (for YAML outside the usual paths).
- :func:`parse` - one file's text to a :class:`Pipeline` (plus input errors and notes).
- :func:`activities` / :func:`summarize` - the inventory and its per-category summary.
"""

from __future__ import annotations

import re
from typing import Any

from cnsmm.sources.interface import FileInput, InputError, ParsedFile
from cnsmm.sources.pipelines import azure, deps, github, gitlab, jenkins
from cnsmm.sources.pipelines.detect import sniff, system_for_doc, system_for_path
from cnsmm.sources.pipelines.inventory import Activity, activities, summarize
from cnsmm.sources.pipelines.model import CATEGORIES, SYSTEMS, Image, Include, Job, Pipeline, Step
from cnsmm.sources.yamlload import YMap, load_yaml
from cnsmm.vocab import InputErrorKind

__all__ = [
    "ANALYZER",
    "CATEGORIES",
    "SYSTEMS",
    "Activity",
    "Image",
    "Include",
    "Job",
    "Pipeline",
    "PipelineAnalyzer",
    "Step",
    "activities",
    "inventory_entry",
    "parse",
    "sniff",
    "summarize",
    "system_for_doc",
    "system_for_path",
]


def _parse_yaml(text: str, file: str, system: str) -> tuple[Pipeline | None, list[InputError], list[str]]:
    docs, problems = load_yaml(text)
    errors = [
        InputError(
            file,
            p.line,
            f"invalid YAML in {system} file: {p.message}. Fix the syntax; "
            "this part of the file was not checked",
            p.kind,
        )
        for p in problems
    ]
    if not docs:
        note = [] if errors else [f"{file}: empty {system} file, nothing to check"]
        if system == "renovate" and not errors:
            return deps.parse_renovate(None, file, text), errors, note
        return None, errors, note
    doc = docs[0].value
    if system == "dependabot":
        return deps.parse_dependabot(doc, file, text), errors, []
    if system == "renovate":
        return deps.parse_renovate(doc, file, text), errors, []
    if not isinstance(doc, YMap):
        errors.append(
            InputError(
                file,
                docs[0].line,
                f"expected a mapping at the top of the {system} file (got {type(doc).__name__}). "
                "Check that this is a pipeline file",
                InputErrorKind.PARSE,
            )
        )
        return None, errors, []
    if system == "github-actions":
        if github.is_action(doc):
            return github.parse_action(doc, file, text), errors, []
        if re.search(r"(^|/)action\.ya?ml$", file) and not github.is_workflow(doc):
            return None, errors, [f"{file}: no `runs: using:` mapping, not a GitHub action"]
        return github.parse_workflow(doc, file, text), errors, []
    if system == "azure-pipelines":
        return azure.parse(doc, file, text), errors, []
    return gitlab.parse(doc, file, text), errors, []


def parse(
    text: str, file: str, system: str | None = None
) -> tuple[Pipeline | None, list[InputError], list[str]]:
    """Parse one pipeline file. ``system`` defaults to the path's, then to :func:`sniff`.

    Returns the pipeline (None when nothing could be read or the file is not a pipeline),
    input errors (``file:line``) and informational notes. Never raises on bad input.
    """
    system = system or system_for_path(file) or sniff(text)
    if system is None:
        return None, [], [f"{file}: not recognised as a CI pipeline"]
    if system == "jenkins":
        if not text.strip():
            return None, [], [f"{file}: empty Jenkinsfile, nothing to check"]
        return jenkins.parse(text, file), [], []
    if system == "renovate" and file.endswith(".json5"):
        return deps.parse_renovate(None, file, text), [], []
    return _parse_yaml(text, file, system)


def inventory_entry(p: Pipeline) -> dict[str, Any]:
    """The ``pipelines`` entry of one file in the scan output."""
    return {
        "file": p.file,
        "system": p.system,
        "events": list(p.events),
        "activities": [a.to_dict() for a in activities(p)],
    }


class PipelineAnalyzer:
    """The :class:`~cnsmm.sources.interface.FileAnalyzer` for CI pipeline files."""

    name = "pipeline"
    scope = "pipeline"

    def matches(self, relpath: str) -> bool:
        """True when the path names a pipeline file (see :mod:`.detect`)."""
        return system_for_path(relpath) is not None

    def sniff(self, text: str) -> str | None:
        """Pipeline system of a text by content, or None (see :func:`sniff`)."""
        return sniff(text)

    def parse(self, source: FileInput) -> ParsedFile:
        """Parse the file into a :class:`Pipeline` (the target of the rules of its system)
        and its inventory entry."""
        pipeline, errors, notes = parse(source.text, source.file)
        parsed = ParsedFile(errors=errors, notes=notes, one_hit_per_line=True)
        if pipeline is not None:
            parsed.target, parsed.target_kind = pipeline, pipeline.system
            parsed.extra["pipelines"] = [inventory_entry(pipeline)]
        return parsed


ANALYZER = PipelineAnalyzer()
"""The pipeline analyzer instance the scanner registers."""

