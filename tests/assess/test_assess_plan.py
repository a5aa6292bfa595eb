"""Gaps, concrete actions, plan order, attestation files and comparison."""

from __future__ import annotations

import json
from datetime import date

import pytest
from tests.assess.helpers_assess import MODEL, attest, bundle, check, paths

from cnsmm.assess import AssessOptions, PipelineEvidence, Target, assess
from cnsmm.assess.attest import parse_attestations, questionnaire
from cnsmm.assess.compare import compare, load_previous
from cnsmm.errors import ConfigError
from cnsmm.report.json_out import to_dict
from cnsmm.rules import get_rule


def test_gap_actions_are_concrete() -> None:
    ev = bundle(checks=(check("K8S-001", "PLT.RUN.L2.1", 3, 2),),
                pipelines=(PipelineEvidence("image-scan", "trivy", False, "ci.yml", 12),))
    a = assess(ev, MODEL, AssessOptions(target=Target(3)), paths())
    by_req = {r: x for x in a.plan for r in x.requirements}
    fix = by_req["PLT.RUN.L2.1"]
    assert fix.kind == "fix-rules" and "K8S-001" in fix.text.en
    # the rule by its title, and what to change (its fix, without Markdown) in both languages
    title, how = get_rule("K8S-001").meta.title, get_rule("K8S-001").meta.fix  # type: ignore[union-attr]
    assert f"K8S-001 ({title})" in fix.text.en and f"K8S-001 ({title})" in fix.text.zh
    assert how.replace("`", "").rstrip(".") in fix.text.en and "`" not in fix.text.en + fix.text.zh
    assert any("k8s/shop/app0.yaml:10" in d for d in fix.detail)
    assert by_req["PLT.IMG.L3.2"].kind == "make-blocking"
    assert by_req["PLT.RUN.L3.1"].kind == "deploy-component" and "Falco" in by_req["PLT.RUN.L3.1"].text.en
    assert by_req["DEV.REQ.L1.1"].kind == "provide-attestation"
    gap = next(g for g in a.gaps if g.practice == "PLT.RUN.POL")
    assert "PLT.RUN.L2.1" in gap.missing and by_req["PLT.RUN.L2.1"].id in gap.actions
    phases = [(x.phase, x.effort) for x in a.plan]
    assert phases == sorted(phases)
    assert [x.id for x in a.plan] == [f"A{n}" for n in range(1, len(a.plan) + 1)]


def test_target_limits_the_gaps() -> None:
    low = assess(bundle(), MODEL, AssessOptions(target=Target(1)), paths())
    assert all(g.target == 1 for g in low.gaps)
    assert all(x.phase == 1 for x in low.plan)
    per_domain = assess(bundle(), MODEL, AssessOptions(target=Target(1, {"DEV": 3})), paths())
    assert {g.target for g in per_domain.gaps if g.practice.startswith("DEV.")} == {3}


ATT = """\
attestations:
  - id: DEV.REQ.L1.1
    status: met
    owner: alice
    evidence: [https://wiki.example/req-list]
    date: 2026-03-01
  - id: DEV.REQ.L1.2
    status: met
    owner: bob
    evidence: [https://wiki.example/x]
    date: 2025-01-01
    expires: 2025-12-31
  - id: NOPE.L1.1
    status: met
  - id: DEV.REQ.L2.1
    status: done
    owner: carol
  - id: DEV.REQ.L2.2
    status: met
    owner: dave
    date: 2026-02-01
  - id: DEV.REQ.L2.3
    status:
    owner: ""
  - id: APP.SLS.L1.1
    status: not-applicable
    owner: erin
    date: 2026-02-01
  - id: DEV.REQ.L1.1
    status: partial
    owner: alice
    evidence: [https://wiki.example/req-list]
    date: 2026-04-01
"""


def test_attestation_file_problems_are_precise() -> None:
    good, problems = parse_attestations(ATT, "att.yaml", MODEL, date(2026, 6, 1))
    assert [(a.requirement, a.status, a.line) for a in good] == [
        ("DEV.REQ.L1.1", "met", 2), ("DEV.REQ.L1.1", "partial", 29)]
    messages = [p.display() for p in problems]
    assert "att.yaml:12: DEV.REQ.L1.2: expired on 2025-12-31; renew the answer" in messages
    assert "att.yaml:13: NOPE.L1.1: unknown requirement id 'NOPE.L1.1' (see `cnsmm model`)" in messages
    assert any(m.startswith("att.yaml:16: DEV.REQ.L2.1: status 'done'") for m in messages)
    assert any(m.startswith("att.yaml:18: DEV.REQ.L2.2: status met needs at least one evidence link") for m in messages)
    assert any("APP.SLS.L1.1: not-applicable needs a note" in m for m in messages)
    assert any("answered twice (also at line 2)" in m for m in messages)
    a = assess(bundle(attestations=tuple(good)), MODEL, None, paths())
    assert a.requirements["DEV.REQ.L1.1"].status == "partial"  # the later answer counts


@pytest.mark.parametrize("text", ["", "attestations: 5\n", "- a\n", "attestations:\n  - just text\n", "{{{\n",
                                  "\x00\x01\x02"])
def test_malformed_attestation_files_never_crash(text: str) -> None:
    good, problems = parse_attestations(text, "bad.yaml", MODEL, date(2026, 6, 1))
    assert not good and problems and all(p.file == "bad.yaml" for p in problems)


def test_questionnaire_lists_every_requirement_without_automated_path() -> None:
    p = paths()
    for lang, word in (("en", "Basic security requirements list"), ("zh", "安全基本需求清单")):
        text = questionnaire(MODEL, p, lang, date(2026, 6, 1))
        assert word in text
        ids = [line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("  - id: ")]
        # every requirement has a path to met: automated evidence that can make it met, or a question
        assert set(ids) == {r for r in MODEL.requirements if not p.of(r).can_meet}
        assert {r for r in MODEL.requirements if not p.of(r).automated} <= set(ids)
        assert "PLT.RUN.L2.1" not in ids  # has rules
        _, problems = parse_attestations(text, "q.yaml", MODEL, date(2026, 6, 1))
        assert problems == []  # the blank questionnaire is valid and counts nothing


def test_compare_reports_level_and_status_changes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    before = to_dict(assess(bundle(), MODEL, None, paths()), MODEL)
    after_a = assess(bundle(attestations=tuple(attest(r.id, "met") for r in MODEL.requirements.values()
                                               if r.level == 1)), MODEL, None, paths())
    after = to_dict(after_a, MODEL)
    prev_file = tmp_path / "prev.json"
    prev_file.write_text(json.dumps(before))
    diff = compare(load_previous(str(prev_file)), after)
    assert diff["overall"]["from"] == 0 and diff["overall"]["to"] == 1
    assert {"id": "DEV.REQ.L1.1", "from": "unknown", "to": "met"} in diff["requirements"]
    assert any(c["id"] == "DEV" for c in diff["domains"])
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": "9.0"}')
    with pytest.raises(ConfigError, match=r"schema_version 9\.0"):
        load_previous(str(bad))
    bad.write_text("not json")
    with pytest.raises(ConfigError, match="not a JSON assessment"):
        load_previous(str(bad))


def test_objects_fixed_by_an_earlier_action_are_not_estimated_twice() -> None:
    from cnsmm.assess import CheckEvidence

    shared = check("K8S-001", "PLT.RUN.L1.2", 4, 4)
    both = CheckEvidence("K8S-001", ("PLT.RUN.L1.2", "PLT.RUN.L2.1"), shared.evaluated, shared.failed, "",
                         shared.where)
    extra = check("K8S-002", "PLT.RUN.L2.1", 4, 1)
    a = assess(bundle(checks=(both, extra)), MODEL, AssessOptions(target=Target(2)), paths())
    first = next(x for x in a.plan if x.requirements == ("PLT.RUN.L1.2",))
    second = next(x for x in a.plan if "PLT.RUN.L2.1" in x.requirements)
    assert first.kind == second.kind == "fix-rules"
    assert first.effort == 0.9  # 0.5 + 4 objects
    assert second.effort == 0.6  # only the K8S-002 object is new
    assert first.phase == 1 and second.phase == 2 and a.plan.index(first) < a.plan.index(second)


def test_previous_assessment_with_wrong_shapes_is_rejected(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "prev.json"
    bad.write_text(json.dumps({"schema_version": "1.0", "overall": [], "domains": [], "sub_items": [],
                               "practices": [], "requirements": []}))
    with pytest.raises(ConfigError, match=r"`overall` must be a dict \(got list\)"):
        load_previous(str(bad))
    bad.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(ConfigError, match="not a JSON assessment"):
        load_previous(str(bad))


def test_huge_binary_and_missing_attestation_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from cnsmm.assess.attest import load_attestations

    huge = tmp_path / "huge.yaml"
    huge.write_text("attestations:\n" + "  - id: X\n" * 400_000)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    for path, words in ((huge, "bytes (max"), (binary, "not UTF-8"), (tmp_path / "none.yaml", "cannot read")):
        good, problems = load_attestations(str(path), MODEL, date(2026, 6, 1))
        assert not good and len(problems) == 1 and words in problems[0].message


def test_scan_inputs_actions_name_what_to_scan_and_stay_readable() -> None:
    from cnsmm.assess.paths import default_paths

    a = assess(bundle(), MODEL, AssessOptions(), default_paths(MODEL))  # nothing scanned at all
    scans = [x for x in a.plan if x.kind == "scan-inputs"]
    assert scans
    for x in scans:
        rules = list(x.detail)  # the full list stays in the detail
        assert rules and all(r.split("-")[0] in ("K8S", "DKR", "CI") for r in rules)
        assert x.text.en.startswith("Include ") and "in the scan, for: " in x.text.en
        if len(rules) > 5:
            assert f"and {len(rules) - 4} more rules check" in x.text.en and rules[5] not in x.text.en
            assert f"等 {len(rules)} 条规则检查的对象" in x.text.zh
    assert any("Kubernetes manifests" in x.text.en and "Kubernetes 清单" in x.text.zh for x in scans)
