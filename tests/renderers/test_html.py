"""HTML scan report: self-contained, escaped, and filterable by severity, rule and file in a real
headless Chromium."""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import require_service

from cnsmm.renderers import OutputFormat, ScanReport, renderer_for
from cnsmm.renderers.html import CSP

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]


def test_page_is_self_contained_and_escaped(sample_report: ScanReport) -> None:
    page = renderer_for(OutputFormat.HTML).render(sample_report)
    assert "<script>alert(1)</script>" not in page and "x&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "=cmd|&#x27; /C calc&#x27;!A0" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # nothing loaded from elsewhere
    assert "<link" not in page
    script = page.split("<script>", 1)[1].split("</script>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in CSP and CSP in page  # only this script may run
    assert page.count("<tr data-severity=") == len(sample_report.result.findings)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        require_service("Chromium (/usr/bin/chromium; apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.mark.browser
def test_filters_in_chromium(sample_report: ScanReport, tmp_path: Path, browser: Any) -> None:
    findings = sample_report.result.findings
    file = tmp_path / "report.html"
    file.write_text(renderer_for(OutputFormat.HTML).render(sample_report), encoding="utf-8")
    page = browser.new_page()
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(file.as_uri())

    def visible() -> int:
        return int(page.locator("#findings tbody tr:visible").count())

    assert visible() == len(findings) and page.locator("#visible").inner_text() == str(len(findings))
    page.select_option("#f-severity", "critical")
    assert visible() == 3 and page.locator("#visible").inner_text() == "3"
    page.select_option("#f-file", "k8s/web.yaml")
    assert visible() == 2
    page.select_option("#f-severity", "")
    assert visible() == Counter(f.location.file for f in findings)["k8s/web.yaml"]
    page.select_option("#f-rule", "K8S-001")
    assert visible() == 2
    page.select_option("#f-file", "")
    assert visible() == 3
    rows = page.locator("#findings tbody tr:visible").all_inner_texts()
    assert any("x<script>alert(1)</script>" in row for row in rows)  # hostile name shown as text
    assert page.locator("#findings script, #findings img").count() == 0
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert dialogs == [] and errors == []
    page.close()
