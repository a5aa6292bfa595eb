"""Grype JSON: matches stream; source and descriptor come from the end of the file."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

from cnsmm.findings import Severity
from cnsmm.importers import grype_json
from cnsmm.importers._jsonio import Doc

from .conftest import SAMPLES, Loaded, by_rule


def test_image_report(load: Callable[..., Loaded]) -> None:
    report, findings = load("grype-json/image.json")
    assert (report.tool, report.tool_version, report.kind) == ("grype", "0.84.0", "image-scan")
    assert report.scope == "image:registry.example.com/shop/web"  # same scope as Trivy for the image
    f = by_rule(findings)
    assert set(f) == {"CVE-2024-6119", "GHSA-3h5v-q93c-6h6q", "CVE-2005-2541"}  # ignoredMatches are not findings
    ssl = f["CVE-2024-6119"]
    assert (ssl.severity, ssl.tool_severity, ssl.fixed_version) == (Severity.HIGH, "High", "3.0.14-1~deb12u2")
    assert ssl.location.file is None and ssl.location.layer and ssl.location.image.endswith(":1.8.2")
    assert ssl.description and ssl.description.startswith("Applications performing certificate name checks")
    ws = f["GHSA-3h5v-q93c-6h6q"]
    assert ws.aliases == ("CVE-2024-37890",) and ws.location.file == "/app/node_modules/ws/package.json"
    assert f["CVE-2005-2541"].severity is Severity.INFO and f["CVE-2005-2541"].fixed_version is None  # Negligible


def test_directory_and_empty(load: Callable[..., Loaded]) -> None:
    report, findings = load("grype-json/directory.json")
    assert (report.scope, report.kind) == ("directory:.", "sca")
    assert findings[0].component == "requests" and findings[0].fixed_version == "2.32.0"
    report, findings = load("grype-json/empty.json")
    assert findings == [] and report.scope == "image:gcr.io/distroless/static-debian12"


def test_trailer_is_read_from_the_tail() -> None:
    doc = Doc(open(SAMPLES / "grype-json/image.json", "rb"), "image.json")  # noqa: SIM115
    try:
        tail = doc.tail(frozenset({"source", "descriptor"}))
    finally:
        doc.stream.close()
    assert tail is not None and tail["descriptor"]["version"] == "0.84.0"


def test_trailer_in_an_odd_place_falls_back_to_a_full_pass() -> None:
    # A nested "source" key after the real one defeats the tail look; the full pass still finds it.
    data = {"matches": [], "source": {"type": "image", "target": {"userInput": "nginx:1.27"}},
            "descriptor": {"name": "grype", "version": "0.84.0", "configuration": {"source": "x"}}}
    report = grype_json.parse(io.BytesIO(json.dumps(data).encode()), source="g.json")
    assert report.scope == "image:nginx" and report.tool_version == "0.84.0"
