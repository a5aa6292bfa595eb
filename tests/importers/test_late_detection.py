"""Detection of large reports whose identifying keys come late: after a long first array, in the
last object of a document, or (CycloneDX VEX) only known once the whole document is read.

Each case is built from a sample the way the tool writes a big report (key order of the tool or
of ``jq -S``), is larger than the head that detection reads first, and must be detected as its
format and imported whole."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cnsmm.errors import ReportParseError
from cnsmm.importers import HEAD_SIZE, detect_format, open_report

from .conftest import SAMPLES


def _sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def _sorted(doc: Any) -> Any:
    """The document with every object's keys in alphabetical order (``jq -S``, Python sort_keys)."""
    return json.loads(json.dumps(doc, sort_keys=True))


def _copies(items: list[Any], n: int, vary: Callable[[Any, int], None]) -> list[Any]:
    out = []
    for i in range(n):
        for item in items:
            twin = copy.deepcopy(item)
            vary(twin, i)
            out.append(twin)
    return out


def _vex_statements(n: int) -> dict[str, Any]:
    doc = _sample("cyclonedx-vex-json/shop-web.vex.cdx.json")

    def vary(v: dict[str, Any], i: int) -> None:
        v["id"] = f"CVE-2024-{10000 + i}"
        v["description"] = "A long advisory text. " * 40  # before the analysis, as Dependency-Track writes it

    doc["vulnerabilities"] = _copies(doc["vulnerabilities"][:1], n, vary)
    return doc


def vex_document() -> tuple[str, int]:
    return json.dumps(_vex_statements(400), indent=2), 400


def vex_with_empty_components_last() -> tuple[str, int]:
    doc = _vex_statements(400)
    doc["components"] = []  # no components of its own: still a VEX document
    return json.dumps(doc), 400


def bom_with_components_after_analysed_vulnerabilities() -> tuple[str, int]:
    doc = _vex_statements(400)
    doc["components"] = [{"type": "library", "bom-ref": "pkg:npm/lodash@4.17.20", "name": "lodash",
                          "version": "4.17.20", "purl": "pkg:npm/lodash@4.17.20"}]
    return json.dumps(doc), -1


def sarif_sorted_keys_without_schema() -> tuple[str, int]:
    doc = _sample("sarif/semgrep.sarif")
    del doc["$schema"]
    run = doc["runs"][0]

    def vary(r: dict[str, Any], i: int) -> None:
        r["locations"][0]["physicalLocation"]["region"]["startLine"] = 1000 + i
        r.pop("fingerprints", None)
        r.pop("partialFingerprints", None)

    base = [r for r in run["results"] if not r.get("suppressions")]
    run["results"] = _copies(base, 300, vary)
    return json.dumps(_sorted(doc)), 300 * len(base)  # runs[0].results before runs[0].tool


def spdx_packages_first() -> tuple[str, int]:
    doc = _sample("spdx-json/github-dependency-graph-2.3.json")

    def vary(p: dict[str, Any], i: int) -> None:
        p["SPDXID"] = f"SPDXRef-npm-pkg-{i}"
        p["name"] = f"npm:pkg-{i}"

    doc["packages"] = _copies(doc["packages"][:1], 1500, vary) + doc["packages"][1:]
    return json.dumps(doc), 0  # packages before spdxVersion, as GitHub exports them


def grype_empty_matches_big_source() -> tuple[str, int]:
    doc = _sample("grype-json/empty.json")
    target = doc["source"]["target"]
    target["layers"] = [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                         "digest": f"sha256:{i:064x}", "size": 1000 + i} for i in range(600)]
    target["manifest"] = "eyJzY2hlbWFWZXJzaW9uIjoyfQ" * 2000  # base64, as Grype writes it
    return json.dumps(doc), 0  # "grype" only in the descriptor, last


def twistcli_packages_before_distributions() -> tuple[str, int]:
    doc = _sample("twistcli-json/twistcli-images-scan.json")
    result = doc["results"][0]
    result["packages"] = [{"type": "os", "name": f"lib{i}", "version": f"1.{i}", "license": "MIT"}
                          for i in range(2000)]
    result["vulnerabilities"] = []
    result["compliances"] = []
    return json.dumps(doc), 0


def _gitlab(fmt: str, sample: str) -> Callable[[], tuple[str, int]]:
    def build() -> tuple[str, int]:
        doc = _sample(f"{fmt}/{sample}")

        def vary(v: dict[str, Any], i: int) -> None:
            v["id"] = f"{i:08x}-{v.get('id', '')}"
            v["description"] = "Text of the analyzer's rule. " * 10
            location = v.get("location") or {}
            if "start_line" in location:
                location["start_line"] = 1000 + i
            if "dependency" in location:
                location["dependency"]["version"] = f"{i}.0.0"
            if "path" in location and "hostname" in location:
                location["path"] = f"/page/{i}"

        count = len(list(open_report(SAMPLES / f"{fmt}/{sample}", format=fmt).findings))
        doc["vulnerabilities"] = _copies(doc["vulnerabilities"], 200, vary)
        return json.dumps(doc, indent=2), 200 * count  # scan (and its type) after the vulnerabilities

    return build


def kubescape_sorted_keys() -> tuple[str, int]:
    doc = _sample("kubescape-json/cluster.json")
    template = doc["resources"][0]
    doc["resources"] += [dict(copy.deepcopy(template), resourceID=f"apps/v1/shop/Deployment/web-{i}")
                         for i in range(800)]
    return json.dumps(_sorted(doc)), -1  # resources, results, then summaryDetails


def npm6_actions_first() -> tuple[str, int]:
    doc = _sample("npm-audit-json/npm6.json")
    action = doc["actions"][0]
    doc["actions"] = _copies([action], 1500, lambda a, i: a.update(module=f"module-{i}"))
    return json.dumps(doc, indent=2), 1  # advisories after a long actions list


def semgrep_no_results_long_errors() -> tuple[str, int]:
    doc = _sample("semgrep-json/semgrep.json")
    doc["results"] = []
    doc["errors"] = [{"code": 3, "level": "warn", "type": ["PartialParsing", [{"path": f"src/gen/f{i}.py"}]],
                      "message": "Syntax error: could not parse the whole file", "path": f"src/gen/f{i}.py"}
                     for i in range(1500)]
    doc["paths"]["scanned"] = [f"src/gen/f{i}.py" for i in range(3000)]
    return json.dumps(doc), 0


def bandit_sorted_metrics_first() -> tuple[str, int]:
    doc = _sample("bandit-json/bandit.json")
    totals = doc["metrics"]["_totals"]
    doc["metrics"] = {**{f"./src/pkg/module_{i}.py": dict(totals) for i in range(1500)}, "_totals": totals}
    return json.dumps(_sorted(doc), indent=2), 3  # metrics per file come before the results


def kube_linter_many_checks() -> tuple[str, int]:
    doc = _sample("kube-linter-json/kube-linter.json")
    check = doc["Checks"][0]
    doc["Checks"] = _copies([check], 600, lambda c, i: c.update(name=f"custom-check-{i}")) + doc["Checks"]
    return json.dumps(doc, indent=2), 2


def kube_hunter_many_services() -> tuple[str, int]:
    doc = _sample("kube-hunter-json/kube-hunter.json")
    doc["nodes"] = [{"type": "Node/Master", "location": f"10.0.{i // 250}.{i % 250}"} for i in range(2500)]
    doc["services"] = [{"service": "Kubelet API", "location": f"10.0.{i // 250}.{i % 250}:10250"}
                       for i in range(2500)]
    return json.dumps(doc), 2


CASES: dict[str, tuple[str, Callable[[], tuple[str, int]]]] = {
    "vex-document": ("cyclonedx-vex-json", vex_document),
    "vex-empty-components-last": ("cyclonedx-vex-json", vex_with_empty_components_last),
    "bom-components-last": ("cyclonedx-json", bom_with_components_after_analysed_vulnerabilities),
    "sarif-sorted-no-schema": ("sarif", sarif_sorted_keys_without_schema),
    "spdx-packages-first": ("spdx-json", spdx_packages_first),
    "grype-big-source": ("grype-json", grype_empty_matches_big_source),
    "twistcli-many-packages": ("twistcli-json", twistcli_packages_before_distributions),
    "kubescape-sorted": ("kubescape-json", kubescape_sorted_keys),
    "npm6-actions-first": ("npm-audit-json", npm6_actions_first),
    "semgrep-long-errors": ("semgrep-json", semgrep_no_results_long_errors),
    "bandit-metrics-first": ("bandit-json", bandit_sorted_metrics_first),
    "kube-linter-many-checks": ("kube-linter-json", kube_linter_many_checks),
    "kube-hunter-many-services": ("kube-hunter-json", kube_hunter_many_services),
    **{f"{fmt}-scan-last": (fmt, _gitlab(fmt, f"gl-{fmt.removeprefix('gitlab-').removesuffix('-json')}-report.json"))
       for fmt in ("gitlab-sast-json", "gitlab-dependency-scanning-json", "gitlab-container-scanning-json",
                   "gitlab-secret-detection-json", "gitlab-dast-json")},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_large_report_with_late_keys_is_detected(case: str, tmp_path: Path) -> None:
    fmt, build = CASES[case]
    text, count = build()
    data = text.encode()
    assert len(data) > 2 * HEAD_SIZE, len(data)
    path = tmp_path / "report.json"  # a name that hints at nothing
    path.write_bytes(data)
    if case != "bom-components-last":  # that one the head gets right; reading on must not undo it
        assert detect_format(data[:HEAD_SIZE], path.name) != fmt  # the head alone does not tell
    report = open_report(path)
    findings = list(report.findings)
    assert report.format == fmt
    assert not report.errors, list(map(str, report.errors))
    if fmt == "cyclonedx-vex-json":
        assert (len(findings), len(report.vex)) == (0, count)
    elif count >= 0:
        assert len(findings) == count
    if fmt == "spdx-json":
        assert len(report.components) > 1500


def test_vex_detection_reads_past_many_windows(tmp_path: Path) -> None:
    # Several MiB of statements: the decision needs the end of the document.
    doc = _vex_statements(6000)
    path = tmp_path / "vex.json"
    path.write_text(json.dumps(doc))
    assert path.stat().st_size > 4 * 1024 * 1024
    report = open_report(path)
    assert report.format == "cyclonedx-vex-json"
    assert list(report.findings) == [] and len(report.vex) == 6000


def test_truncated_large_vex_document_is_refused_with_the_position(tmp_path: Path) -> None:
    data = json.dumps(_vex_statements(400)).encode()
    path = tmp_path / "vex.json"
    path.write_bytes(data[: len(data) - 5000])
    # Detection decides on what it could read; the parser then refuses the report by name.
    with pytest.raises(ReportParseError, match=r"vex\.json: .*invalid or truncated JSON"):
        list(open_report(path).findings)


@pytest.mark.slow
def test_identifying_keys_after_64_mib_are_still_found(tmp_path: Path) -> None:
    # Detection once gave up after 64 MiB; it now reads to the end, one window at a time.
    doc = _sample("npm-audit-json/npm6.json")
    action = json.dumps(doc["actions"][0])
    path = tmp_path / "audit.json"
    with path.open("w", encoding="utf-8") as out:
        out.write('{"actions": [')
        out.write(",\n".join(action for _ in range(70 * 1024 * 1024 // len(action))))
        out.write("],\n")
        out.write(json.dumps({k: v for k, v in doc.items() if k != "actions"})[1:])
    assert path.stat().st_size > 70 * 1024 * 1024
    report = open_report(path)
    assert report.format == "npm-audit-json"
    assert len(list(report.findings)) == 1
