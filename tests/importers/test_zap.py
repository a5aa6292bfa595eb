"""OWASP ZAP traditional reports, JSON and XML: one finding per alert instance."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cnsmm.findings import Severity
from cnsmm.importers import open_report

from .conftest import SAMPLES, Loaded


def test_json_report(load: Callable[..., Loaded]) -> None:
    report, findings = load("zap-json/baseline.json")
    assert (report.tool, report.tool_version, report.kind) == ("zap", "2.15.0", "dast")
    assert report.scope == "site:https://shop.example.com"
    assert [(x.rule, x.severity) for x in findings] == [
        ("10038-1", Severity.MEDIUM), ("10038-1", Severity.MEDIUM), ("40012", Severity.HIGH), ("10096", Severity.INFO)]
    csp = findings[1]
    assert csp.location.url == "https://shop.example.com/cart" and csp.aliases == ("10038",)
    assert csp.cwe == ("CWE-693",) and csp.tool_severity == "Medium (High)"
    assert csp.references == (
        "https://developer.mozilla.org/en-US/docs/Web/Security/CSP/Introducing_Content_Security_Policy",
        "https://cheatsheetseries.owasp.org/cheatsheets/Content_Security_Policy_Cheat_Sheet.html")
    xss = findings[2]
    assert xss.location.parameter == "q" and xss.category == "dast"
    assert xss.description and xss.description.startswith("<p>Cross-site Scripting")
    assert findings[3].cwe == ()  # cweid -1
    assert findings[3].title.startswith('<script>alert("x")</script>')


def test_xml_report(load: Callable[..., Loaded]) -> None:
    report, findings = load("zap-xml/baseline.xml")
    assert (report.format, report.tool_version, report.scope) == ("zap-xml", "2.15.0", "site:https://shop.example.com")
    assert [(x.rule, x.location.url, x.location.parameter) for x in findings] == [
        ("10202", "https://shop.example.com/account/profile", None),
        ("10035-1", "https://shop.example.com/robots.txt", None),
        ("10035-1", "https://shop.example.com/login", "username"),
    ]
    assert findings[0].cwe == ("CWE-352",) and findings[0].severity is Severity.MEDIUM
    assert findings[0].description == "<p>No Anti-CSRF tokens were found in a HTML submission form.</p>"


def test_empty_reports(load: Callable[..., Loaded]) -> None:
    for name in ("zap-json/empty.json", "zap-xml/empty.xml"):
        report, findings = load(name)
        assert findings == [] and report.scope == "site:https://status.example.com"


def test_zap_2_7_lone_site_object(load: Callable[..., Loaded], tmp_path: Path) -> None:
    # ZAP 2.7 and before wrote a report's only site as an object (zaproxy issue 5162, fixed in 2.8).
    report, findings = load("zap-json/zap-2.7-single-site.json")
    assert (report.format, report.tool_version, report.scope) == ("zap-json", "2.7.0", "site:http://shop.example.com:8080")
    assert [(f.rule, f.location.url, f.cwe) for f in findings] == [
        ("10021", "http://shop.example.com:8080/", ("CWE-16",)),
        ("10021", "http://shop.example.com:8080/cart", ("CWE-16",)),
        ("10016", "http://shop.example.com:8080/robots.txt", ("CWE-933",))]
    text = (SAMPLES / "zap-json/zap-2.7-single-site.json").read_text().replace('"riskcode": "1",\n        "confidence": "2",\n        "riskdesc": "Low (Medium)",\n        "desc": "<p>Web', '"riskcode": "7",\n        "confidence": "2",\n        "riskdesc": "Low (Medium)",\n        "desc": "<p>Web')
    bad = tmp_path / "zap.json"
    bad.write_text(text)
    partial = open_report(bad)
    assert len(list(partial.findings)) == 2
    assert [e.pointer for e in partial.errors] == ["/site/alerts/1"]
