"""The service refuses an attestation document only when the document as a whole is unusable."""

from __future__ import annotations

import pytest

from cnsmm.web.attest_check import attestation_problems


@pytest.mark.parametrize(("text", "problem"), [
    ("attestations: [unclosed\n", "attestations.yaml:2: invalid YAML: while parsing a flow sequence"),
    ("- just a list\n", "attestations.yaml:1: expected a mapping with an `attestations:` list"),
    ("other: 1\n", "attestations.yaml:1: expected a mapping with an `attestations:` list"),
])
def test_a_document_of_the_wrong_shape_is_refused(text: str, problem: str) -> None:
    found = attestation_problems(text)
    assert found and found[0].startswith(problem), found


def test_bad_answers_are_kept_for_the_assessment_to_report() -> None:
    text = ("attestations:\n  - id: DEV.REQ.L1.1\n    status: met\n    owner: appsec\n"
            "  - id: NO.SUCH.L1.1\n    status: sometimes\n  - just text\n")
    assert attestation_problems(text) == []
    assert attestation_problems("") == []
