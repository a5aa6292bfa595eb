"""The maturity assessment: evidence in, statuses, levels, gaps and an ordered plan out.

- :func:`assess` — pure function of an :class:`EvidenceBundle` and the model.
- :func:`gather` (``cnsmm.assess.gather``) — builds the bundle from scans, reports and attestations.
- :func:`compare` — level and requirement changes since an earlier JSON assessment.
"""

from cnsmm.assess.engine import assess
from cnsmm.assess.evidence import (
    Attestation,
    AttestationProblem,
    CapabilityEvidence,
    CheckEvidence,
    EvidenceBundle,
    PipelineEvidence,
    ReportEvidence,
)
from cnsmm.assess.result import SCHEMA_VERSION, Action, Assessment, AssessOptions, Gap, Target

__all__ = [
    "SCHEMA_VERSION",
    "Action",
    "AssessOptions",
    "Assessment",
    "Attestation",
    "AttestationProblem",
    "CapabilityEvidence",
    "CheckEvidence",
    "EvidenceBundle",
    "Gap",
    "PipelineEvidence",
    "ReportEvidence",
    "Target",
    "assess",
]
