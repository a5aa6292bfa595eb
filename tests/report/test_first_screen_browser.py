"""The HTML report's first screen in a real headless Chromium: level, why and what next fit in
one screen, in English and Chinese, for a weak and a strong organisation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import require_service

from cnsmm.assess import AssessOptions, Target, assess
from cnsmm.assess.gather import gather
from cnsmm.assess.paths import default_paths
from cnsmm.model import load_model
from cnsmm.report import render_assessment
from cnsmm.report import verdict as vd

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")
ORGS = Path(__file__).resolve().parents[2] / "examples" / "orgs"
MODEL = load_model()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        require_service("Chromium (/usr/bin/chromium; apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


def _html(org: str, lang: str) -> tuple[str, Any]:
    att = ORGS / org / "attestations.yaml"
    bundle = gather(MODEL, [str(ORGS / org)], attestations=str(att) if att.exists() else None,
                    now=datetime(2026, 12, 1, tzinfo=UTC))
    a = assess(bundle, MODEL, AssessOptions(target=Target(4)), default_paths(MODEL))
    return render_assessment(a, MODEL, "html", lang), a


@pytest.mark.parametrize(("org", "lang"), [("startup", "en"), ("startup", "zh"), ("mature", "en"), ("mature", "zh")])
def test_first_screen_answers_level_why_and_next(browser: Any, tmp_path: Path, org: str, lang: str) -> None:
    html, a = _html(org, lang)
    page = browser.new_page(viewport={"width": 1366, "height": 800})
    page.set_content(html)
    shot = tmp_path / f"{org}-{lang}.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    verdict = page.locator("#verdict")
    box = verdict.bounding_box()
    assert box is not None and box["y"] < 120 and box["y"] + box["height"] <= 800  # all on the first screen
    text = verdict.inner_text()
    assert f"L{a.overall.level}" in text
    assert ("demonstrated by evidence" if lang == "en" else "证据证明的等级") in text
    assert (f"{a.overall.coverage}%" in text)
    # why, in one sentence: how many requirements of the next level hold it, with evidence against or open
    v = vd.verdict(a)
    if a.overall.level < 5:
        assert vd.because(v, lang) in text
    for line in vd.domain_lines(v, lang):
        assert line in text
    assert page.locator("#plan-total").is_visible()
    # why: every domain with the text of the requirement that holds it
    for did, dom in a.domains.items():
        assert MODEL.domain(did).name.get(lang) in text
        if dom.blockers:
            assert MODEL.requirements[dom.blockers[0]].text.get(lang) in text
    # what next: the first plan actions, named by the requirements they close, without raw Markdown
    assert ("what to do next" if lang == "en" else "下一步做什么") in text.lower()
    assert "`" not in page.locator("body").inner_text()
    first = next(x for x in a.plan if x.kind != "provide-attestation")
    assert MODEL.requirements[first.requirements[0]].text.get(lang) in text
    if lang == "en":
        assert re.search(r"\b\d+ questions open", text) and not re.search(r"\b1 questions", text)
    page.close()
