"""Assessment renderers: JSON shape, both languages, and hostile strings escaped everywhere."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.assess.helpers_assess import MODEL, NOW, attest, bundle, paths
from tests.conftest import require_service

from cnsmm.assess import AssessOptions, ReportEvidence, Target, assess
from cnsmm.assess.evidence import CapabilityEvidence, CheckEvidence
from cnsmm.report import render_assessment

EVIL = '<script>alert("x")</script>'


def _hostile():  # type: ignore[no-untyped-def]
    subj = f"k8s::Deployment/shop/{EVIL}"
    ev = bundle(
        checks=(CheckEvidence("K8S-001", ("PLT.RUN.L2.1",), (subj, "k8s::Deployment/shop/ok"), (subj,), "",
                              ((subj, f"{EVIL}.yaml:3"),)),),
        capabilities=(CapabilityEvidence("falco", f"Falco {EVIL}", "runtime", "effective", ("PLT.RUN.L3.1",), (),
                                         f"found {EVIL}", f"发现 {EVIL}", f"{EVIL}.yaml:1"),),
        reports=(ReportEvidence(f"{EVIL}.json", "trivy-json", f"trivy{EVIL}", "image-scan", scope=EVIL,
                                generated_at=NOW),),
        attestations=(attest("DEV.REQ.L1.1", "met", owner=EVIL, evidence=(f"javascript:{EVIL}",)),),
        inputs=(EVIL,),
        input_errors=(f"{EVIL}: cannot read",),
    )
    return assess(ev, MODEL, AssessOptions(target=Target(3)), paths())


def test_json_has_the_documented_top_level_and_stable_ids() -> None:
    data = json.loads(render_assessment(_hostile(), MODEL, "json"))
    for key in ("schema_version", "overall", "domains", "sub_items", "practices", "requirements", "plan", "gaps"):
        assert key in data
    assert len(data["practices"]) == 46 and len(data["requirements"]) == 184
    assert all(0 <= p["level"] <= 5 and 0 <= p["progress"] <= 100 for p in data["practices"])
    statuses = {r["status"] for r in data["requirements"]}
    assert statuses <= {"met", "partial", "not-met", "not-applicable", "unknown"}
    req = next(r for r in data["requirements"] if r["id"] == "PLT.RUN.L2.1")
    assert req["status"] == "partial" and req["coverage"] == {"passing": 1, "evaluated": 2}
    assert req["evidence"][0]["source"] == "check"
    assert data["plan"][0]["id"] == "A1"
    assert data["lang"] == "en"

    import jsonschema
    from tests.conftest import REPO

    schema = json.loads((REPO / "docs" / "assessment.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(data)
    broken = dict(data, overall={"level": 9, "score": 0, "target": 1})
    assert not jsonschema.Draft202012Validator(schema).is_valid(broken)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_html_escapes_every_input_string(lang: str) -> None:
    html = render_assessment(_hostile(), MODEL, "html", lang)
    assert EVIL not in html
    assert "&lt;script&gt;" in html
    assert html.count("<script>") == 1  # only the template's own print helper
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html.replace("https://wiki.example/sec", "")
    assert "<link" not in html and "src=" not in html
    assert ("能力域" in html) == (lang == "zh")
    assert html.count("<details class=\"practice\">") == 46


def test_markdown_and_text_escape_and_speak_both_languages() -> None:
    a = _hostile()
    md = render_assessment(a, MODEL, "md", "zh")
    assert "<script>" not in md and "&lt;script&gt;" in md  # the same escaping as the scan Markdown
    assert "总体等级" in md and "改进计划" in md
    text = render_assessment(a, MODEL, "text", "en")
    assert "Overall level: L0" in text and "Improvement plan" in text
    assert EVIL in text  # terminal output is plain text, shown as given


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    require_service("no chromium binary")
    return ""


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_html_report_renders_in_headless_chromium(tmp_path: Path, lang: str) -> None:
    binary = _chromium()
    page = tmp_path / "report.html"
    page.write_text(render_assessment(_hostile(), MODEL, "html", lang), encoding="utf-8")
    shot = tmp_path / "shot.png"
    proc = subprocess.run(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,1800",
         f"--screenshot={shot}", page.as_uri()],
        capture_output=True, timeout=120, check=False,
    )
    assert shot.exists(), proc.stderr.decode(errors="replace")[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 1800)
    assert len(data) > 60_000  # a rendered page with chart and heat map, not a blank image
    pdf = tmp_path / "report.pdf"
    subprocess.run([binary, "--headless", "--no-sandbox", "--disable-gpu", f"--print-to-pdf={pdf}", page.as_uri()],
                   capture_output=True, timeout=120, check=False)
    assert pdf.exists() and pdf.read_bytes()[:5] == b"%PDF-"
    # printing opens every <details>: the drill-down of 184 requirements spans many pages
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    assert pages >= 15, pages


def test_every_format_renders_and_unknown_formats_are_refused() -> None:
    from cnsmm.report import FORMATS

    a = _hostile()
    outputs = {fmt: render_assessment(a, MODEL, fmt, "zh") for fmt in FORMATS}
    assert all("PLT.RUN.POL" in out for out in outputs.values())
    with pytest.raises(ValueError, match="unknown format 'pdf'"):
        render_assessment(a, MODEL, "pdf")
