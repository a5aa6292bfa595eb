"""SARIF 2.1.0 logs from any tool (Semgrep, CodeQL, Bandit, Checkov, gitleaks, kube-linter, ...).

A log with one run (the usual case) streams its ``results`` one at a time; a log with
several runs is read one run at a time (memory bounded by the largest run).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from cnsmm.findings import Finding
from cnsmm.importers._common import (
    PROJECT,
    At,
    as_dict,
    fail,
    get_dict,
    get_list,
    get_str,
    guarded,
    image_repository,
    record,
)
from cnsmm.importers._jsonio import Doc, event_kind
from cnsmm.importers._sarif_run import KIND, Run
from cnsmm.importers.interface import ImportedReport, ItemErrors
from cnsmm.vocab import ReportKind

FORMAT = "sarif"

_SCHEMA = re.compile(rb'"\$schema"\s*:\s*"[^"]*sarif', re.IGNORECASE)
# What may follow the last run's closing brace: "]", then top-level string pairs ("version"), then "}".
_RUN_END = re.compile(r'\s*\]\s*(?:,\s*"(?:[^"\\]|\\.)*"\s*:\s*"(?:[^"\\]|\\.)*"\s*)*\}\s*')
_EOF_RE = re.compile(r"\s*")
_RUN_HEAD = frozenset({"tool", "originalUriBaseIds", "automationDetails", "versionControlProvenance", "properties",
                       "invocations"})


VERSIONS = "SARIF 2.1.0 (version required)"


def sniff(head: bytes) -> bool:
    """SARIF: a ``$schema`` naming SARIF, or ``runs`` with a ``tool.driver``."""
    if _SCHEMA.search(head):
        return True
    return b'"runs"' in head and b'"driver"' in head and b'"tool"' in head


def parse(stream: IO[bytes], *, source: str) -> ImportedReport:
    """Parse a SARIF 2.1.0 log; header errors raise here, result errors while iterating."""
    doc = Doc(stream, source)
    top = doc.head("", frozenset({"version", "$schema"}), frozenset({"runs"}))
    if not top.found:
        raise fail(source, "the file is empty")
    version = top.values.get("version")
    if version is None and top.stopped_at is not None:
        version = doc.tail(frozenset({"version"}), need_all=True, after=_EOF_RE)
        version = version.get("version") if version else doc.first("version")
    if version is None:
        raise fail(source, 'missing version (a SARIF log states "version": "2.1.0", SARIF 2.1.0 section 3.13.2)',
                   hint='Ask the tool for SARIF 2.1.0 output, or add "version": "2.1.0" if the file is SARIF 2.1.0')
    if version != "2.1.0":
        raise fail(source, f"unsupported SARIF version (got {version!r}, expected '2.1.0')",
                   hint="Ask the tool for SARIF 2.1.0 output")
    if top.stopped_at is None:
        raise fail(source, "missing runs (a SARIF log has a runs array, even when empty)")
    if top.stop_event != "start_array":
        raise fail(source, f"runs must be an array (got {event_kind(top.stop_event)})")
    errors = ItemErrors()
    tools = [as_dict(t, f"{source}: run #{i}", "tool") for i, t in enumerate(doc.items("runs.item.tool", "run"), 1)]
    if len(tools) == 1:
        head = doc.head("runs.item", _RUN_HEAD, frozenset({"results"}))
        values = dict(head.values, tool=tools[0])
        if head.stopped_at == "results":  # run keys after the results: read them from the end
            trailing = doc.tail(_RUN_HEAD - {"tool"}, after=_RUN_END, need_all=False) or {}
            values.update({k: v for k, v in trailing.items() if k in _RUN_HEAD and k not in values})
        run = Run(values, f"{source}: run #1")
        run.failed_invocations(values, "/runs/0", errors)
        runs_meta = [values]
        findings: Iterator[Finding] = _streamed(doc, run, errors)
        tool, tool_version, category = run.tool, run.version, run.category
    else:
        runs_meta, first = _run_summaries(tools, source)
        findings = _run_by_run(doc, errors)
        tool, tool_version, category = first
    return ImportedReport(
        format=FORMAT, tool=tool, tool_version=tool_version, scope=_scope(tool, runs_meta, source),
        findings=guarded(source, findings), kind=KIND.get(category, ReportKind.SAST), errors=errors,
    )


def _run_summaries(tools: list[dict[str, Any]], source: str) -> tuple[list[dict[str, Any]], tuple[str, Any, str]]:
    if not tools:
        return [], ("sarif", None, ReportKind.SAST)
    runs = [Run({"tool": t}, f"{source}: run #{i}") for i, t in enumerate(tools, 1)]
    names = sorted({r.tool for r in runs})
    return [{"tool": t} for t in tools], ("+".join(names), runs[0].version, runs[0].category)


def _streamed(doc: Doc, run: Run, errors: ItemErrors) -> Iterator[Finding]:
    run_at = At(doc.source, "run", 1, "runs")
    for i, result in enumerate(doc.items("runs.item.results.item", "result"), 1):
        where = At(run_at, "result", i, "results")
        try:
            found = run.result(as_dict(result, where), where)
        except Exception as exc:
            record(errors, where, exc)
            continue
        yield from found


def _run_by_run(doc: Doc, errors: ItemErrors) -> Iterator[Finding]:
    for i, raw in enumerate(doc.items("runs.item", "run"), 1):
        where = At(doc.source, "run", i, "runs")
        try:
            run_obj = as_dict(raw, where, "run")
            run = Run(run_obj, where)
            run.failed_invocations(run_obj, f"/runs/{i - 1}", errors)
            results = get_list(run_obj, "results", where)
        except Exception as exc:
            record(errors, where, exc)
            continue
        for j, result in enumerate(results, 1):
            rwhere = At(where, "result", j, "results")
            try:
                found = run.result(as_dict(result, rwhere), rwhere)
            except Exception as exc:
                record(errors, rwhere, exc)
                continue
            yield from found


def _scope(tool: str, runs: list[dict[str, Any]], source: str) -> str:
    """``tool:target``, the target being the first of: automationDetails category, repository
    URI, the ``SRCROOT`` base directory, else the report's file name; ``image:<repository>``
    for a run that names its image (Trivy's ``properties.imageName``), as Trivy's JSON has."""
    for run in runs:
        where = f"{source}: run"
        image = get_str(get_dict(run, "properties", where), "imageName", where)
        if image:
            return f"image:{image_repository(image)}"
        auto = get_str(get_dict(run, "automationDetails", where), "id", where)
        if auto:
            return f"{tool}:{auto.rsplit('/', 1)[0] if '/' in auto.rstrip('/') else auto.rstrip('/')}"
        for vcp in get_list(run, "versionControlProvenance", where):
            if isinstance(vcp, dict) and (uri := get_str(vcp, "repositoryUri", where)):
                return f"{tool}:{uri}"
        bases = get_dict(run, "originalUriBaseIds", where)
        for key in ("SRCROOT", "%SRCROOT%", "PROJECTROOT", "ROOTPATH"):
            base = bases.get(key)
            if isinstance(base, dict) and (uri := get_str(base, "uri", where)):
                return f"{tool}:{uri}"
    return f"{tool}:{PROJECT}"
