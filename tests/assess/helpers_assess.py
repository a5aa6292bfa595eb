"""Evidence built by hand for the assessment tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from cnsmm.assess import Attestation, CheckEvidence, EvidenceBundle
from cnsmm.model import EvidencePaths, build_paths, load_model
from cnsmm.model.paths import DetectorRef

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
MODEL = load_model()
FALCO = DetectorRef("falco", "Falco", "runtime")
RULES = [
    ("K8S-001", ("PLT.RUN.L2.1",)),
    ("K8S-002", ("PLT.RUN.L2.1",)),
    ("K8S-010", ("PLT.RUN.L1.2",)),
]


def paths() -> EvidencePaths:
    """Paths with three rules and Falco, plus the model's report/pipeline table."""
    return build_paths(MODEL, RULES, [(FALCO, ("PLT.RUN.L3.1", "INF.CMP.L2.5"))])


def check(rule: str, req: str, evaluated: int, failed: int, severity: str = "medium",
          accepted: int = 0) -> CheckEvidence:
    """Coverage of ``rule`` over ``evaluated`` deployments of which the first ``failed`` fail
    with ``severity``, the first ``accepted`` of those as expected exceptions."""
    subjects = tuple(f"k8s/shop::Deployment/shop/app{i}" for i in range(evaluated))
    bad = subjects[:failed]
    where = tuple((s, f"k8s/shop/app{i}.yaml:{10 + i}") for i, s in enumerate(bad))
    ok = tuple((s, "node agent needs host access") for s in bad[:accepted])
    return CheckEvidence(rule, (req,), subjects, bad, "", where, severity, ok)


def attest(req: str, status: str, **kw: object) -> Attestation:
    """A valid attestation answered on 2026-05-01."""
    fields: dict[str, object] = {"owner": "sec-team", "date": date(2026, 5, 1), "file": "att.yaml", "line": 3,
                                 "evidence": ("https://wiki.example/sec",)}
    fields.update(kw)
    return Attestation(req, status, **fields)  # type: ignore[arg-type]


def bundle(**kw: object) -> EvidenceBundle:
    """A bundle at :data:`NOW`."""
    return EvidenceBundle(now=NOW, **kw)  # type: ignore[arg-type]
