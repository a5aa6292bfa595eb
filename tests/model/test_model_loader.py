"""The packaged model loads, and every kind of broken model fails with file:line, id and what."""

from __future__ import annotations

import re

import pytest

from cnsmm.errors import ModelError
from cnsmm.model import load_model, parse_model
from cnsmm.model.loader import default_model_path


def test_packaged_model_has_the_published_structure() -> None:
    model = load_model()
    assert model.version
    assert (len(model.domains), len(model.sub_items), len(model.practices), len(model.requirements)) == (
        5, 15, 46, 184)
    req = model.requirements["PLT.RUN.L2.1"]
    assert req.text.zh == "特权容器与特权行为限制"
    assert req.level == 2
    assert model.requirements["PLT.RUN.L1.2"].text.zh == "资源隔离与使用限制"
    for rid, r in model.requirements.items():
        assert re.fullmatch(rf"{re.escape(r.sub_item)}\.L{r.level}\.\d+", rid)
        assert all(model.practices[p].sub_item == r.sub_item for p in r.practices)
    for pid in model.practices:
        assert model.requirements_of(pid), pid


def test_reviewed_mapping_changes_are_in_the_model_file() -> None:
    model = load_model()
    assert "PLT.RUN.ISO" in model.requirements["PLT.RUN.L2.1"].practices
    assert "INF.NET.ACC" in model.requirements["INF.NET.L2.4"].practices
    assert dict(model.requirements["PLT.IMG.L3.2"].pipeline) == {"image-scan": "blocking"}


MINI = """\
version: "t1"
domains:
  - id: PLT
    zh: 平台
    en: Platform
    sub_items:
      - id: PLT.RUN
        zh: 运行时
        en: Runtime
        practices:
          - {id: PLT.RUN.POL, zh: 策略, en: Policy}
        requirements:
          - {id: PLT.RUN.L1.1, level: 1, zh: 甲, en: A, practices: [PLT.RUN.POL]}
          - {id: PLT.RUN.L2.1, level: 2, zh: 乙, en: B, practices: [PLT.RUN.POL]}
"""


def test_minimal_model_parses() -> None:
    model = parse_model(MINI, "mini.yaml")
    assert list(model.requirements) == ["PLT.RUN.L1.1", "PLT.RUN.L2.1"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("id: PLT.RUN.L2.1,", "id: PLT.RUN.L1.1,", r"mini.yaml:14: requirement: id 'PLT.RUN.L1.1' used twice"),
        ("level: 2,", "level: 7,", r"mini.yaml:14: requirement PLT.RUN.L2.1: `level` must be 1..5 \(got 7\)"),
        ("level: 2,", "level: 3,", r"mini.yaml:14: requirement PLT.RUN.L2.1: id says L2 but `level` is 3"),
        ("en: B, practices: [PLT.RUN.POL]", "en: B, practices: [PLT.RUN.XXX]",
         r"mini.yaml:14: requirement PLT.RUN.L2.1: practice 'PLT.RUN.XXX' does not exist in PLT.RUN"),
        ("          - {id: PLT.RUN.POL, zh: 策略, en: Policy}\n",
         "          - {id: PLT.RUN.POL, zh: 策略, en: Policy}\n          - {id: PLT.RUN.ISO, zh: 隔离, en: Iso}\n",
         r"mini.yaml:\d+: practice PLT.RUN.ISO: no requirement is mapped to it"),
        ('version: "t1"\n', "", r"mini.yaml:1: model: `version` must be a non-empty string"),
        ("id: PLT.RUN.L2.1,", "id: PLT.RUN.L2.2,", r"L2 requirements are numbered \[2\] \(expected 1..1"),
        ("en: B, practices", "en: B, reports: {fuzzing: met}, practices", r"unknown reports kind 'fuzzing'"),
        ("zh: 乙, ", "", r"mini.yaml:14: requirement PLT.RUN.L2.1: missing `zh`"),
        ("en: B, practices", "en: B, unquoted tail, practices",
         r"mini.yaml:14: requirement PLT.RUN.L2.1: unknown key 'unquoted tail'.*quote the title"),
    ],
)
def test_broken_models_fail_precisely(old: str, new: str, expected: str) -> None:
    assert old in MINI
    with pytest.raises(ModelError, match=expected):
        parse_model(MINI.replace(old, new), "mini.yaml")


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "version: [\n", "\x00\x01binary", "a: 1\na: 2\n"])
def test_malformed_model_files_fail_with_a_message(text: str) -> None:
    with pytest.raises(ModelError) as info:
        parse_model(text, "bad.yaml")
    assert info.value.diagnostics().startswith("bad.yaml:")


def test_missing_file_is_a_model_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ModelError, match="cannot read the model file"):
        load_model(str(tmp_path / "nope.yaml"))
    assert default_model_path().endswith("cnmm-tas.yaml")
