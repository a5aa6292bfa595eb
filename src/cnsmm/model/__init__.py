"""The CNMM-TAS maturity model shipped with cnsmm: types, loader and evidence paths.

- :func:`load_model` — the packaged model (or another file), validated.
- :func:`build_paths` — how each requirement can be evidenced (the assessment supplies the
  rules and detectors: :func:`cnsmm.assess.paths.default_paths`).
"""

from cnsmm.model.loader import default_model_path, load_model, parse_model
from cnsmm.model.paths import (
    EVIDENCE_KINDS,
    DetectorRef,
    EvidencePaths,
    RequirementPaths,
    build_paths,
)
from cnsmm.model.types import LEVELS, Domain, Model, Practice, Requirement, SubItem, Text

__all__ = [
    "EVIDENCE_KINDS",
    "LEVELS",
    "DetectorRef",
    "Domain",
    "EvidencePaths",
    "Model",
    "Practice",
    "Requirement",
    "RequirementPaths",
    "SubItem",
    "Text",
    "build_paths",
    "default_model_path",
    "load_model",
    "parse_model",
]
