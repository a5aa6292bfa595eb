"""`attest init` says what each question proves and what counts, merges with earlier answers,
and `attest check` lists problems, answers expiring soon and open questions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.assess.helpers_assess import MODEL, paths

from cnsmm.assess.attest import check_report, parse_attestations, questionnaire

TODAY = date(2026, 6, 1)


def test_each_question_names_its_characteristic_evidence_and_an_example() -> None:
    en = questionnaire(MODEL, paths(), "en", TODAY)
    assert "proves the L1 characteristic of Security requirements: Basic security requirements list" in en
    assert "evidence: a link to the document, ticket, report or dashboard" in en
    assert "# Example answer:" in en and "#    status: met" in en
    zh = questionnaire(MODEL, paths(), "zh", TODAY)
    assert "证明 安全需求 的 L1 关键特征：安全基本需求清单" in zh and "示例答案" in zh
    # the end-to-end tool chain has a path to met through blocking SAST and DAST steps; a
    # requirement whose automated evidence can only be partial is asked
    assert "id: DEV.TST.L4.1" in en  # pentest reports count only in part


def test_rerunning_init_keeps_answers_adds_questions_and_flags_removed_ids() -> None:
    first = questionnaire(MODEL, paths(), "en", TODAY)
    answered = first.replace(
        "  - id: DEV.REQ.L1.1\n    status:\n    owner: \"\"\n    evidence: []\n    date: \"\"        # e.g. 2026-06-01",
        "  - id: DEV.REQ.L1.1\n    status: met\n    owner: appsec\n    evidence: [https://wiki.example.com/req]\n"
        "    date: 2026-05-01",
    )
    answered = answered.replace("attestations:\n", "attestations:\n  - id: DEV.OLD.L9.9\n    status: met\n"
                                "    owner: me\n    evidence: [https://x.example]\n    date: 2026-05-01\n", 1)
    merged = questionnaire(MODEL, paths(), "en", TODAY, existing=answered)
    good, problems = parse_attestations(merged, "q.yaml", MODEL, TODAY)
    assert [a.requirement for a in good] == ["DEV.REQ.L1.1"] and good[0].owner == "appsec"
    assert "# REMOVED: DEV.OLD.L9.9" in merged and "not in the model" in merged
    assert [p.requirement for p in problems] == ["DEV.OLD.L9.9"]
    # every question of the first run is still there, once
    ids = [line for line in merged.splitlines() if line.startswith("  - id: ")]
    assert len(ids) == len(set(ids)) == first.count("\n  - id: ") + 1


def test_check_lists_problems_expiring_answers_and_open_questions(tmp_path: Path) -> None:
    f = tmp_path / "att.yaml"
    f.write_text(
        "attestations:\n"
        "  - {id: DEV.REQ.L1.1, status: met, owner: a, evidence: [https://x.example], date: 2025-06-20}\n"
        "  - {id: DEV.REQ.L1.2, status: met, owner: a, evidence: [https://x.example], date: 2024-01-01}\n"
        "  - {id: DEV.REQ.L2.1, status: met, owner: a, date: 2026-05-01}\n"
    )
    text, problems = check_report(str(f), MODEL, paths(), TODAY)
    assert problems == 2
    assert "DEV.REQ.L1.2: expired on 2024-12-31" in text
    assert "DEV.REQ.L2.1: status met needs at least one evidence link" in text
    assert "expires soon:" in text and "DEV.REQ.L1.1 on 2026-06-20" in text
    asked = sum(1 for r in MODEL.requirements if not paths().of(r).can_meet)
    assert f"{asked - 1} open question(s)" in text and "open: " in text  # DEV.REQ.L1.1 is answered


def test_init_from_an_assessment_asks_its_open_questions(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """The report's open questions (no evidence at all, though a component or rule could show them)
    are asked by `attest init --assessment`, so answering the questionnaire can reach the level
    the report says answering would reach."""
    from tests.conftest import run_cli

    from cnsmm.assess.paths import default_paths

    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "web.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n"
        "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
        "    spec:\n      containers: [{name: web, image: registry.example.com/shop/web:1.2.0}]\n")
    report = tmp_path / "now.json"
    code, _, _ = run_cli(capsys, "assess", str(tmp_path / "k8s"), "--format", "json", "-o", str(report))
    assert code == 0
    plain = questionnaire(MODEL, default_paths(MODEL), "en", TODAY)
    assert "id: OPS.SOC.L1.1" not in plain and "id: PLT.IMG.L1.1" not in plain  # a component could show them
    code, out, _ = run_cli(capsys, "attest", "init", "--assessment", str(report))
    assert code == 0
    assert "  - id: OPS.SOC.L1.1\n" in out and "  - id: PLT.IMG.L1.1\n" in out
    assert "open in the assessment: no evidence was found for it" in out
    assert "or let cnsmm see it (rules DKR-053, K8S-077; components " in out
    # every question of the plain questionnaire is still asked, once
    ids = [line for line in out.splitlines() if line.startswith("  - id: ")]
    assert len(ids) == len(set(ids)) > plain.count("\n  - id: ")
    bad = tmp_path / "scan.json"
    bad.write_text('{"findings": []}')
    code, _, err = run_cli(capsys, "attest", "init", "--assessment", str(bad))
    assert code == 2 and "scan.json: not a cnsmm assessment" in err
