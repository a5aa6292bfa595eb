"""Validating an attestation document before the service stores it."""

from __future__ import annotations

import datetime as dt

from cnsmm.assess.attest import parse_attestations
from cnsmm.model import load_model


def attestation_problems(text: str) -> list[str]:
    """Problems that make the document unusable (bad YAML or shape); empty when it can be stored.

    Answers that are merely expired or malformed one by one are kept: the assessment reports
    them precisely and does not count them.
    """
    if not text.strip():
        return []
    _, problems = parse_attestations(text, "attestations.yaml", load_model(), dt.date.today())
    return [p.display() for p in problems if p.whole_document]
