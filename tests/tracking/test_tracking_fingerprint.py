"""Fingerprints: stable across line shifts, timestamps, ordering and tools; distinct otherwise."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from pathlib import Path

import pytest

from cnsmm.findings import Finding, Location, Severity
from cnsmm.tracking.fingerprint import content_anchor, fingerprint, normalise_image, normalise_url

from .conftest import DATA, misconfig, vuln


def fp(finding: Finding, scope: str = "image:web") -> str:
    return fingerprint(finding, scope).value


def test_vulnerability_identity_is_cve_package_version_and_image() -> None:
    base = vuln("CVE-2024-5535", "libssl3", "3.0.14-1~deb12u1")
    assert fp(base) == fp(replace(base, severity=Severity.LOW, title="other title", tool="grype"))
    assert fp(base) != fp(vuln("CVE-2024-5535", "libssl3", "3.0.15-1~deb12u1"))
    assert fp(base) != fp(vuln("CVE-2024-5535", "libssl1.1", "3.0.14-1~deb12u1"))
    assert fp(base) != fp(vuln("CVE-2024-5535", "libssl3", "3.0.14-1~deb12u1", image="registry.example.com/shop/api:1"))


def test_cve_is_preferred_among_aliases_so_ghsa_first_tools_agree() -> None:
    osv_style = vuln("GHSA-jfh8-c2jp-5v3q", "log4j-core", "2.14.1", aliases=("CVE-2021-44228",))
    nvd_style = vuln("CVE-2021-44228", "log4j-core", "2.14.1", aliases=("GHSA-jfh8-c2jp-5v3q",))
    assert fingerprint(osv_style, "x").vuln_id == "CVE-2021-44228"
    assert fp(osv_style) == fp(nvd_style)


@pytest.mark.parametrize(
    ("trivy_target", "grype_input"),
    [
        ("registry.example.com/shop/web:1.8.2 (debian 12.7)", "registry.example.com/shop/web:1.8.2"),
        ("nginx:1.25 (debian 12.4)", "docker.io/library/nginx:1.25"),
        ("alpine", "index.docker.io/library/alpine:latest"),
    ],
)
def test_image_references_of_trivy_and_grype_normalise_alike(trivy_target: str, grype_input: str) -> None:
    assert normalise_image(trivy_target) == normalise_image(grype_input)
    assert fp(vuln("CVE-2024-1", image=trivy_target)) == fp(vuln("CVE-2024-1", image=grype_input, tool="grype"))


def test_misconfiguration_ignores_lines_but_not_resource_or_content() -> None:
    a = misconfig("KSV012", "deploy/web.yaml", 20, "Deployment/shop/web", "Container 'web' should set runAsNonRoot")
    assert fp(a) == fp(replace(a, location=replace(a.location, line=87)))
    assert fp(a) == fp(replace(a, location=replace(a.location, file="./deploy//web.yaml")))
    assert fp(a) != fp(replace(a, location=replace(a.location, resource="Deployment/shop/api")))
    assert fp(a) != fp(replace(a, message="Container 'sidecar' should set runAsNonRoot"))
    assert fp(a) != fp(replace(a, rule="KSV014"))


def test_line_references_inside_messages_are_not_part_of_the_anchor() -> None:
    assert content_anchor("Hard-coded secret at app/settings.py:41:9 (line 41)") == content_anchor(
        "Hard-coded   secret at app/settings.py:57:9 (line 57)"
    )
    assert content_anchor("image nginx:1.25 is not pinned") != content_anchor("image nginx:1.26 is not pinned")


def test_sarif_partial_fingerprints_win_over_computed_ones() -> None:
    sast = Finding(
        rule="py/sql-injection",
        severity=Severity.HIGH,
        title="SQL injection",
        message="query built from input",
        location=Location(file="app/db.py", line=10),
        tool="codeql",
        category="sast",
        tool_fingerprint="primaryLocationLineHash=39fa2ee980eb94b0:1",
    )
    moved = replace(sast, location=Location(file="app/db.py", line=30), message="query built from user input")
    assert fingerprint(sast, "repo").kind == "tool"
    assert fp(sast) == fp(moved)
    assert fp(sast) != fp(replace(sast, tool_fingerprint="primaryLocationLineHash=aaaaaaaaaaaaaaaa:1"))


def test_dast_identity_is_rule_url_without_query_values_and_parameter() -> None:
    alert = Finding(
        rule="40012",
        severity=Severity.HIGH,
        title="Cross Site Scripting (Reflected)",
        message="reflected",
        location=Location(url="https://shop.example.com/search?q=%3Cscript%3E&page=2", parameter="q"),
        tool="zap",
        category="dast",
    )
    other_value = replace(alert, location=replace(alert.location, url="HTTPS://shop.example.com:443/search?page=9&q=x"))
    assert fp(alert) == fp(other_value)
    assert fp(alert) != fp(replace(alert, location=replace(alert.location, parameter="page")))
    assert fp(alert) != fp(replace(alert, location=replace(alert.location, url="https://shop.example.com/cart?q=1")))
    assert normalise_url("https://shop.example.com/search?q=1&a=2#frag") == "https://shop.example.com/search?a&q"


def test_runtime_alerts_are_one_finding_per_rule_and_workload() -> None:
    alert = Finding(
        rule="Terminal shell in container",
        severity=Severity.MEDIUM,
        title="Terminal shell in container",
        message="A shell was spawned (user=root pid=4242 time=2026-11-20T08:00:01Z)",
        location=Location(resource="Pod/shop/web-7d9f", image="registry.example.com/shop/web:1.8.2"),
        tool="falco",
        category="runtime",
    )
    later = replace(alert, message="A shell was spawned (user=root pid=5151 time=2026-11-21T10:00:00Z)")
    assert fp(alert) == fp(later)


def test_real_trivy_and_grype_reports_of_one_image_share_fingerprints() -> None:
    from cnsmm.importers import open_report

    def keys(path: Path) -> dict[tuple[str, str, str], str]:
        report = open_report(path)
        out = {}
        for f in report.findings:
            if f.category == "vulnerability":
                out[(f.rule, f.component or "", f.installed_version or "")] = fingerprint(f, report.scope).value
        return out

    trivy = keys(DATA / "trivy-image.json")
    grype = keys(DATA / "grype-image.json")
    shared = set(trivy) & set(grype)
    assert shared == {
        ("CVE-2024-5535", "libssl3", "3.0.14-1~deb12u1"),
        ("CVE-2024-6119", "libssl3", "3.0.14-1~deb12u1"),
    }
    assert all(trivy[k] == grype[k] for k in shared)
    assert len(set(trivy.values()) | set(grype.values())) == 4


_OLD_LINE_REF = re.compile(r"\b(?:lines?|ln|row|col(?:umn)?)\s*[:#]?\s*\d+(?:\s*[-–:]\s*\d+)?", re.IGNORECASE)
_OLD_FILE_LINE = re.compile(r"(\S+\.[A-Za-z0-9]{1,10}):\d+(?::\d+)?\b")


def _old_anchor(message: str) -> str:
    """The backtracking expressions the anchor used to be computed with (fine on short text)."""
    return re.sub(r"\s+", " ", _OLD_FILE_LINE.sub(r"\1", _OLD_LINE_REF.sub("", message))).strip()


def test_content_anchor_keeps_the_answers_of_the_old_expressions() -> None:
    """Stored fingerprints stay valid: on many short messages the one-pass anchor agrees."""
    rnd = random.Random(7)
    parts = ["a", "b", ".", ":", "1", "2", " ", "\n", "line", "col", "#", "-", "py", "(", ")", "/", "é"]
    for _ in range(20_000):
        message = "".join(rnd.choice(parts) for _ in range(rnd.randint(0, 14)))
        assert content_anchor(message) == _old_anchor(message), repr(message)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("a" * 40_000, "a" * 40_000),
        ("x.py:" + "1" * 40_000 + "a", "x.py:" + "1" * 40_000 + "a"),
        ("see app/" + "a" * 40_000 + ".py:12:4 now", "see app/" + "a" * 40_000 + ".py now"),
        ("line" + " " * 40_000 + "x", "line x"),
        ("a.b:1" * 10_000, "a.b:1" * 9_999 + "a.b"),
    ],
)
def test_content_anchor_of_long_words_and_blank_runs(message: str, expected: str) -> None:
    """Regression: 40,000 characters without spaces took 1.8 s (a scan from every character)."""
    assert content_anchor(message) == expected


def test_fingerprint_of_an_image_name_100000_characters_long() -> None:
    """Regression: such a manifest made its import take 30 s."""
    image = "registry.example.com/" + "a" * 100_000 + ":1.0"
    finding = misconfig("KSV012", "deploy/web.yaml", 3, "Deployment/shop/web", f"image {image} runs as root")
    finding = replace(finding, location=replace(finding.location, image=image))
    assert normalise_image(image) == image
    assert fp(finding) == fp(replace(finding, location=replace(finding.location, line=99)))
