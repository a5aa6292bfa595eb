"""The named vocabulary: one definition per closed set of words, used on both sides of a boundary."""

from __future__ import annotations

import pytest

from cnsmm import vocab
from cnsmm.assess.evidence import ATTESTABLE, STATUSES
from cnsmm.assess.messages import KIND_NAMES, SOURCE_NAMES, STATUS_NAMES
from cnsmm.importers import format_infos
from cnsmm.importers.interface import ImportedReport
from cnsmm.model import EVIDENCE_KINDS, load_model
from cnsmm.model.types import PIPELINE_CATEGORIES, REPORT_KINDS
from cnsmm.sources.pipelines.model import CATEGORIES, SCAN_CATEGORIES


def test_the_model_and_the_pipeline_inventory_share_one_category_list() -> None:
    assert CATEGORIES == PIPELINE_CATEGORIES == vocab.PIPELINE_CATEGORY_VALUES
    assert {"sast", "sca", "image-scan", "iac-scan", "secret-scan", "dast"} == SCAN_CATEGORIES


def test_every_word_the_model_file_uses_is_in_the_vocabulary() -> None:
    model = load_model()
    used_kinds = {k for r in model.requirements.values() for k, _ in r.reports}
    used_categories = {c for r in model.requirements.values() for c, _ in r.pipeline}
    assert used_kinds and used_kinds <= set(REPORT_KINDS)
    assert used_categories and used_categories <= set(PIPELINE_CATEGORIES)


def test_every_word_has_a_display_name_in_both_languages() -> None:
    assert set(STATUS_NAMES) == set(STATUSES) == set(vocab.STATUS_VALUES)
    assert set(SOURCE_NAMES) == set(EVIDENCE_KINDS) == set(vocab.EVIDENCE_SOURCE_VALUES)
    assert set(REPORT_KINDS) | set(PIPELINE_CATEGORIES) <= set(KIND_NAMES)
    assert vocab.Verdict.UNKNOWN not in ATTESTABLE and vocab.Verdict.IGNORED not in STATUSES


def test_every_format_documents_kinds_of_the_vocabulary() -> None:
    known = {k.value for k in vocab.ReportKind}
    for info in format_infos():
        words = {w.strip() for w in info.kinds.split("(")[0].split(",")}
        assert words <= known, (info.name, words - known)


def test_a_report_of_an_unknown_kind_is_refused_with_the_known_ones() -> None:
    assert ImportedReport("x-json", "x", None, "s", iter(()), kind="sast").kind == "sast"
    assert type(ImportedReport("x-json", "x", None, "s", iter(())).kind) is str  # stored as the plain word
    with pytest.raises(ValueError, match=r"x-json: report kind 'image-scanning' \(expected one of image-scan, "):
        ImportedReport("x-json", "x", None, "s", iter(()), kind="image-scanning")


@pytest.mark.parametrize("enum", [vocab.InputErrorKind, vocab.ReportKind, vocab.PipelineCategory, vocab.Verdict,
                                  vocab.EvidenceSource])
def test_members_print_and_compare_as_their_word(enum: type[vocab.InputErrorKind]) -> None:
    for member in enum:
        assert str(member) == f"{member}" == member.value == member
