"""Build an :class:`EvidenceBundle` from a scan, imported reports and an attestation file.

This is the only part of the assessment that does I/O. Bad inputs (unreadable reports,
malformed attestation answers) become messages in the bundle; the rest still counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cnsmm.assess.attest import load_attestations
from cnsmm.assess.evidence import (
    CapabilityEvidence,
    CheckEvidence,
    EvidenceBundle,
    PipelineEvidence,
    ReportEvidence,
)
from cnsmm.errors import Error
from cnsmm.model.types import Model


def checks_from_scan(result: Any, rule_requirements: dict[str, tuple[str, ...]]) -> list[CheckEvidence]:
    """Rule coverage of a ``ScanResult`` with the requirements of each rule, where failures are,
    how severe they are and which are expected exceptions (the object counts as passing)."""
    where: dict[tuple[str, str], str] = {}
    severity: dict[str, str] = {}
    titles: dict[str, str] = {}
    expected: dict[tuple[str, str], str] = {}
    unexpected: set[tuple[str, str]] = set()
    ranks = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
    for f in getattr(result, "findings", []):
        loc = f.location
        spot = loc.display()
        sev = str(getattr(f.severity, "value", f.severity))
        if f.rule not in severity or ranks.get(sev, 2) > ranks.get(severity[f.rule], 2):
            severity[f.rule] = sev
        titles.setdefault(f.rule, f.title)
        reason = getattr(f, "expected_exception", None)
        for key in (loc.resource, loc.file):
            if key:
                where.setdefault((f.rule, key), spot)
                if reason:
                    expected.setdefault((f.rule, key), reason)
                else:
                    unexpected.add((f.rule, key))
    out: list[CheckEvidence] = []
    for rule_id, cov in sorted(getattr(result, "coverage", {}).items()):
        reqs = rule_requirements.get(rule_id, ())
        if not reqs:
            continue
        failed = tuple(sorted(set(cov.failed)))
        located = []
        accepted = []
        for subject in failed:
            short = subject.split("::", 1)[-1]
            spot = where.get((rule_id, short)) or where.get((rule_id, subject))
            if spot:
                located.append((subject, spot))
            reason = expected.get((rule_id, short))
            if reason and (rule_id, short) not in unexpected:
                accepted.append((subject, reason))
        out.append(
            CheckEvidence(
                rule_id,
                reqs,
                tuple(sorted(set(cov.evaluated))),
                failed,
                titles.get(rule_id, ""),
                tuple(located),
                severity.get(rule_id, "medium"),
                tuple(accepted),
            )
        )
    return out


def capabilities_from_scan(result: Any) -> list[CapabilityEvidence]:
    """Capability detections of a ``ScanResult``."""
    out: list[CapabilityEvidence] = []
    for det in getattr(result, "capabilities", []):
        ev = getattr(det, "evidence", ())
        first = ev[0] if isinstance(ev, (tuple, list)) and ev else ev
        spot = ""
        if first:
            file, line = getattr(first, "file", ""), getattr(first, "line", 0)
            spot = f"{file}:{line}" if file and line else file or getattr(first, "resource", "")
            if getattr(first, "resource", ""):
                spot = f"{spot} {first.resource}".strip()
        out.append(
            CapabilityEvidence(
                str(det.detector),
                str(det.name),
                str(det.category),
                str(det.status),
                tuple(det.requirements_effective),
                tuple(det.requirements_partial),
                str(det.reason_en),
                str(det.reason_zh),
                spot,
                _why(str(det.detector), (*det.requirements_effective, *det.requirements_partial)),
            )
        )
    return out


def _why(detector: str, requirements: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """The catalogue's reason per requirement for ``detector`` (none for an unknown detector)."""
    from cnsmm.capabilities.registry import REGISTRY

    entry = REGISTRY.get(detector)
    if entry is None:
        return ()
    reasons = ((r, entry[0].why(r)) for r in requirements)
    return tuple((r, why) for r, why in reasons if why)


def pipelines_from_scan(result: Any) -> list[PipelineEvidence]:
    """Security activities of the pipeline inventory of a ``ScanResult``."""
    out: list[PipelineEvidence] = []
    for entry in getattr(result, "pipelines", []):
        for act in entry.get("activities", []) if isinstance(entry, dict) else []:
            out.append(
                PipelineEvidence(
                    str(act.get("category", "")),
                    str(act.get("tool", "")),
                    bool(act.get("blocking")),
                    str(act.get("file") or entry.get("file", "")),
                    act.get("line"),
                    str(act.get("job") or ""),
                )
            )
    return out


def read_report(path: str) -> ReportEvidence:
    """Open a report with the importers and summarise it; raises :class:`Error` when unreadable."""
    from cnsmm.importers import open_report

    report = open_report(path)
    counts = Counter(f.severity.value for f in report.findings)
    generated = report.generated_at
    by_file = generated is None
    if generated is None:
        generated = datetime.fromtimestamp(Path(path).stat().st_mtime, UTC)
    elif generated.tzinfo is None:
        generated = generated.replace(tzinfo=UTC)
    return ReportEvidence(
        path,
        str(report.format),
        str(report.tool),
        str(report.kind),
        str(report.scope or ""),
        generated,
        by_file,
        tuple(sorted(counts.items())),
    )


def gather(
    model: Model,
    paths: Sequence[str],
    *,
    reports: Sequence[str] = (),
    attestations: str | None = None,
    now: datetime | None = None,
    scan_config: Any = None,
) -> EvidenceBundle:
    """Scan ``paths``, read ``reports`` and ``attestations`` into one bundle."""
    now = now or datetime.now(UTC)
    errors: list[str] = []
    checks: list[CheckEvidence] = []
    caps: list[CapabilityEvidence] = []
    pipes: list[PipelineEvidence] = []
    files = objects = 0
    if paths:
        from cnsmm.rules import all_rules
        from cnsmm.scan import scan_paths

        result = scan_paths(list(paths), scan_config)
        rule_reqs = {r.meta.id: tuple(r.meta.requirements) for r in all_rules()}
        checks = checks_from_scan(result, rule_reqs)
        caps = capabilities_from_scan(result)
        pipes = pipelines_from_scan(result)
        errors += [e.display() for e in result.errors]
        files, objects = result.files, result.objects
    found: list[ReportEvidence] = []
    for path in reports:
        try:
            found.append(read_report(path))
        except Error as exc:
            errors.append(exc.diagnostics())
        except (OSError, ValueError) as exc:
            errors.append(f"{path}: cannot import report: {exc}")
    atts, problems = ([], []) if not attestations else load_attestations(attestations, model, now.date())
    return EvidenceBundle(
        checks=tuple(checks),
        capabilities=tuple(caps),
        reports=tuple(found),
        pipelines=tuple(pipes),
        attestations=tuple(atts),
        attestation_problems=tuple(problems),
        inputs=tuple(paths),
        input_errors=tuple(errors),
        files=files,
        objects=objects,
        now=now,
    )
