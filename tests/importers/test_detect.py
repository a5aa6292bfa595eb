"""Format detection, redaction of secrets, hostile strings and stream handling across all samples."""

from __future__ import annotations

import dataclasses
import io
import shutil
from pathlib import Path

import pytest

from cnsmm.findings import Finding
from cnsmm.importers import FORMATS, HEAD_SIZE, detect_format, open_report
from cnsmm.importers._common import image_repository, severity_from_score

from .conftest import SAMPLES

SECRET = "SENTINEL-SECRET-VALUE-7Q2X"
HOSTILE = ('<script>alert("x")</script> **bold** [link](javascript:alert(1)) '
           '=HYPERLINK("http://evil.example","click") | pipe |')
# Samples whose content alone cannot tell the tool (an empty array, an empty file).
AMBIGUOUS = {"gitleaks-json/empty.json", "falco-json/empty.jsonl", "hadolint-json/empty.json",
             "kube-score-json/empty.json", "tfsec-json/empty.json", "trufflehog-json/empty.jsonl",
             "github-dependabot-json/empty.json", "github-code-scanning-json/empty.json",
             "prowler-ocsf-json/empty.ocsf.json",
             # an empty `kubectl get ... -o yaml` List does not name the kind it lists
             *(f"trivy-operator-{k}/empty.yaml" for k in ("vulnerability", "config-audit", "exposed-secret",
                                                           "rbac-assessment", "cluster-compliance"))}

SAMPLE_FILES = sorted(p for d in SAMPLES.iterdir() if d.is_dir() and d.name in FORMATS for p in d.iterdir())


def _strings(f: Finding) -> list[str]:
    out: list[str] = []
    for value in (*dataclasses.astuple(f), *dataclasses.astuple(f.location)):
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, tuple):
            out.extend(v for v in value if isinstance(v, str))
    return out


def test_every_format_has_samples_and_an_empty_one() -> None:
    for fmt in FORMATS:
        names = [p.name for p in (SAMPLES / fmt).iterdir()]
        assert len(names) >= 2, fmt
        assert any(n.startswith("empty") for n in names), fmt


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sample_is_detected_parsed_and_safe(path: Path) -> None:
    rel = f"{path.parent.name}/{path.name}"
    head = path.read_bytes()[:HEAD_SIZE]
    if rel not in AMBIGUOUS:
        assert detect_format(head, path.name) == path.parent.name
    report = open_report(path, format=path.parent.name)
    assert report.format == path.parent.name and report.scope and report.kind
    for finding in report.findings:
        # SARIF and GitHub code scanning carry the tool of each result (CodeQL, Checkov, ...)
        assert finding.tool == report.tool or report.format in ("sarif", "github-code-scanning-json")
        assert finding.rule and finding.title and finding.message
        for text in _strings(finding):
            assert SECRET not in text, (rel, finding.rule)  # secret values are redacted


def test_hostile_strings_come_through_unchanged() -> None:
    seen = 0
    for path in SAMPLE_FILES:
        for finding in open_report(path, format=path.parent.name).findings:
            seen += sum(text == HOSTILE for text in _strings(finding))
    assert seen >= 5  # trivy, sarif (title and message), zap, gitleaks, cnsmm


def test_name_hints_for_ambiguous_content(tmp_path: Path) -> None:
    for sample, name, fmt in (("gitleaks-json/empty.json", "gitleaks-report.json", "gitleaks-json"),
                              ("falco-json/empty.jsonl", "falco-events.jsonl", "falco-json")):
        target = tmp_path / name
        shutil.copy(SAMPLES / sample, target)
        assert detect_format(target.read_bytes(), name) == fmt
        assert list(open_report(target).findings) == []
    assert detect_format(b"[]", "report.json") is None
    assert detect_format(b"{}", "results.sarif") == "sarif"


def test_findings_are_lazy_and_close_the_file(tmp_path: Path) -> None:
    report = open_report(SAMPLES / "trivy-json/image.json")
    stream = report.findings._stream  # type: ignore[attr-defined]
    first = next(report.findings)
    assert first.rule == "CVE-2024-5535" and not stream.closed
    rest = list(report.findings)
    assert len(rest) == 4 and stream.closed


def test_parse_accepts_a_pipe_like_stream() -> None:
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._buf = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

        def readinto(self, b: bytearray) -> int:  # type: ignore[override]
            chunk = self._buf.read(len(b))
            b[: len(chunk)] = chunk
            return len(chunk)

    data = (SAMPLES / "grype-json/image.json").read_bytes()
    report = FORMATS["grype-json"].parse(io.BufferedReader(Pipe(data)), source="-")
    assert report.tool_version == "0.84.0" and len(list(report.findings)) == 3


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    target = tmp_path / "bom.json"
    target.write_bytes(b"\xef\xbb\xbf" + (SAMPLES / "trivy-json/config.json").read_bytes())
    assert len(list(open_report(target).findings)) == 3


def test_image_repository_and_score_scale() -> None:
    assert image_repository("docker.io/library/nginx:1.25@sha256:abc") == "nginx"
    assert image_repository("registry.example.com:5000/team/app:2.0") == "registry.example.com:5000/team/app"
    assert image_repository("ghcr.io/org/app@sha256:0f") == "ghcr.io/org/app"
    assert [severity_from_score(s).value for s in (9.0, 8.9, 7.0, 4.0, 3.9, 0.1, 0.0)] == [
        "critical", "high", "high", "medium", "low", "low", "info"]


def test_unconsumed_report_releases_its_file() -> None:
    import gc

    report = open_report(SAMPLES / "sarif/codeql.sarif")
    stream = report.findings._stream  # type: ignore[attr-defined]
    del report
    gc.collect()
    assert stream.closed


def test_sarif_signature_needs_a_sarif_schema_not_just_the_word() -> None:
    # A BOM with a "$schema" and a component named after a SARIF library is still a BOM.
    bom = (SAMPLES / "cyclonedx-json/image-1.5.json").read_bytes().replace(b'"braces"', b'"sarif-om"')
    assert b'"$schema"' in bom and b"sarif" in bom
    assert detect_format(bom, "bom.json") == "cyclonedx-json"
    assert detect_format(b'{"$schema" : "https://json.schemastore.org/SARIF-2.1.0.json"}', "x.json") == "sarif"
