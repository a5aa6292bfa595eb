"""CycloneDX JSON and XML: components as inventory, vulnerabilities resolved to components."""

from __future__ import annotations

from collections.abc import Callable

from cnsmm.findings import Severity

from .conftest import Loaded, by_rule


def test_json_1_5_image(load: Callable[..., Loaded]) -> None:
    report, findings = load("cyclonedx-json/image-1.5.json")
    assert (report.format, report.tool, report.tool_version, report.kind) == ("cyclonedx-json", "trivy", "0.67.2",
                                                                              "sbom")
    assert report.scope == "sbom:image:registry.example.com/shop/web"
    assert [c.name for c in report.components] == ["debian", "libssl3", "braces", "express"]
    assert report.components[2].licenses == ("MIT",) and report.components[3].licenses == ("MIT",)
    assert report.components[1].purl == "pkg:deb/debian/libssl3@3.0.14-1~deb12u1?arch=amd64&distro=debian-12.7"
    f = by_rule(findings)
    assert set(f) == {"CVE-2024-5535", "GHSA-952p-6rrq-rcjv"}  # CVE-2024-29041 is not_affected (VEX)
    ssl = f["CVE-2024-5535"]
    assert (ssl.component, ssl.installed_version) == ("libssl3", "3.0.14-1~deb12u1")
    assert (ssl.severity, ssl.tool_severity) == (Severity.CRITICAL, "critical")  # most severe rating
    assert ssl.location.image == "registry.example.com/shop/web:1.8.2"
    assert ssl.fix == "Upgrade libssl3 to version 3.0.15-1~deb12u1" and ssl.cwe == ("CWE-200",)
    assert f["GHSA-952p-6rrq-rcjv"].aliases == ("CVE-2024-4068",)


def test_json_1_6_nested_components_and_bom_links(load: Callable[..., Loaded]) -> None:
    report, findings = load("cyclonedx-json/app-1.6.json")
    assert report.tool == "syft" and report.scope == "sbom:application:example-org/orders"
    assert [c.name for c in report.components] == ["spring-boot-starter-web", "spring-web", "logback-core"]
    assert report.components[2].licenses == ("EPL-1.0 OR LGPL-2.1-only",)
    pairs = [(x.rule, x.component) for x in findings]
    assert pairs == [
        ("CVE-2024-22243", "spring-web"),
        ("CVE-2023-6378", "logback-core"),
        ("CVE-2023-6378", "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#pkg:maven/ch.qos.logback/logback-classic@1.4.11"),
    ]
    assert findings[1].severity is Severity.HIGH and findings[1].tool_severity == "7.1"  # from the score


def test_json_1_4_inventory_only_and_empty(load: Callable[..., Loaded]) -> None:
    report, findings = load("cyclonedx-json/inventory-1.4.json")
    assert findings == [] and len(report.components) == 2 and report.tool == "cyclonedx-npm"
    report, findings = load("cyclonedx-json/empty.json")
    assert findings == [] and report.components == []


def test_xml_matches_json(load: Callable[..., Loaded]) -> None:
    report, findings = load("cyclonedx-xml/image-1.5.xml")
    assert (report.format, report.tool, report.tool_version) == ("cyclonedx-xml", "trivy", "0.67.2")
    assert report.scope == "sbom:image:registry.example.com/shop/web"
    assert [c.name for c in report.components] == ["libssl3", "braces", "fill-range"]
    f = by_rule(findings)
    assert f["CVE-2024-5535"].severity is Severity.CRITICAL and f["CVE-2024-5535"].component == "libssl3"
    fill = f["CVE-2024-4067"]
    assert fill.component == "fill-range" and fill.aliases == ("GHSA-grv7-fg5c-xmjg",)
    assert fill.severity is Severity.MEDIUM and fill.cwe == ("CWE-1333",)
    assert fill.description == "<img src=x onerror=alert(1)> =cmd|' /C calc'!A0"  # entities decoded, kept as data
    report, findings = load("cyclonedx-xml/empty.xml")
    assert findings == [] and report.tool == "cyclonedx-maven-plugin" and report.scope == "sbom:library:com.example/empty-lib"
