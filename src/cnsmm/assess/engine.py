"""``assess``: a pure function from evidence to levels, gaps and plan."""

from __future__ import annotations

from cnsmm.assess.evidence import EvidenceBundle
from cnsmm.assess.levels import all_levels
from cnsmm.assess.paths import default_paths
from cnsmm.assess.plan import gaps_and_plan
from cnsmm.assess.result import LEVEL_MODES, Assessment, AssessOptions
from cnsmm.assess.status import EvidenceIndex, requirement_status
from cnsmm.errors import ConfigError
from cnsmm.model.paths import EvidencePaths
from cnsmm.model.types import LEVELS, Model


def _check_options(model: Model, options: AssessOptions) -> None:
    if not 0 < options.threshold <= 100:
        raise ConfigError(f"threshold {options.threshold:g} is out of range (expected 1-100)")
    if not 0 < options.level_share <= 100:
        raise ConfigError(f"level share {options.level_share:g} is out of range (expected 1-100)")
    if options.level_mode not in LEVEL_MODES:
        raise ConfigError(f"level mode {options.level_mode!r} (expected one of {', '.join(LEVEL_MODES)})")
    if options.report_max_age_days < 0:
        raise ConfigError(f"report max age {options.report_max_age_days} is negative")
    for did, level in options.target.domains.items():
        if did not in {d.id for d in model.domains}:
            known = ", ".join(d.id for d in model.domains)
            raise ConfigError(f"target domain {did!r} is unknown (expected one of {known})")
        if level not in LEVELS:
            raise ConfigError(f"target for {did} is L{level} (expected L1-L5)")
    if options.target.overall is not None and options.target.overall not in LEVELS:
        raise ConfigError(f"target L{options.target.overall} (expected L1-L5)")


def assess(
    evidence: EvidenceBundle,
    model: Model,
    options: AssessOptions | None = None,
    paths: EvidencePaths | None = None,
) -> Assessment:
    """Assess ``evidence`` against ``model``.

    ``paths`` says how each requirement can be evidenced (default: the rule registry, the
    capability catalogue and the model table). Raises :class:`~cnsmm.errors.ConfigError` for
    bad options; everything else about the evidence is reported inside the assessment.
    """
    options = options or AssessOptions()
    _check_options(model, options)
    paths = paths or default_paths(model)
    index = EvidenceIndex.build(evidence)
    results = {
        rid: requirement_status(req, paths.of(rid), evidence, index, options) for rid, req in model.requirements.items()
    }
    practices, subs, domains, overall = all_levels(model, results, options)
    gaps, plan = gaps_and_plan(model, results, practices, domains, paths)
    inputs: dict[str, object] = {
        "paths": list(evidence.inputs),
        "files": evidence.files,
        "objects": evidence.objects,
        "reports": [r.path for r in evidence.reports],
        "pipelines": sorted({p.file for p in evidence.pipelines}),
        "capabilities": sorted({c.name for c in evidence.capabilities}),
        "attestations": len(evidence.attestations),
        "attestation_problems": [p.display() for p in evidence.attestation_problems],
        "input_errors": list(evidence.input_errors),
        "complete": not evidence.input_errors,
    }
    return Assessment(
        model_version=model.version,
        generated_at=evidence.now,
        options=options,
        requirements=results,
        practices=practices,
        sub_items=subs,
        domains=domains,
        overall=overall,
        gaps=gaps,
        plan=plan,
        inputs=inputs,
    )
