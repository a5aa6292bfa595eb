"""Every malformed or unknown input gives one clear error naming the file and the position."""

from __future__ import annotations

import pytest

from cnsmm.errors import ReportParseError
from cnsmm.importers import open_report

from .conftest import SAMPLES

# asset in samples/malformed, format forced (None: detect), expected start of the message after "<file>: "
CASES = [
    ("trivy-truncated.json", None, "result #1: invalid or truncated JSON (parse error: premature EOF)"),
    ("trivy-results-not-array.json", None, "Results must be an array (got an object)"),
    ("trivy-schema-version-3.json", None, "unsupported Trivy SchemaVersion (got 3, expected 2)"),
    ("trivy-invalid-utf8.json", None, "result #1: invalid or truncated JSON (lexical error: invalid bytes in UTF8"),
    ("trivy-utf16.json", "trivy-json", "the file is UTF-16 encoded"),
    ("trivy-utf16.json", None, "unknown report format (binary data or UTF-16 text"),
    ("grype-other-descriptor.json", "grype-json", "descriptor.name is 'grype-but-not-really', expected 'grype'"),
    ("sarif-missing-runs.sarif", None, "missing runs"),
    ("sarif-version-1.sarif", None, "unsupported SARIF version (got '1.0.0', expected '2.1.0')"),
    ("sarif-runs-not-array.sarif", None, "runs must be an array (got an object)"),
    ("cyclonedx-spec-2.0.json", None, "unsupported CycloneDX specVersion (got '2.0'"),
    ("cyclonedx-entity-bomb.xml", None, "XML with a document type declaration (DTD) is refused"),
    ("cyclonedx-external-entity.xml", None, "XML with a document type declaration (DTD) is refused"),
    ("cyclonedx-truncated.xml", None, "invalid XML (unclosed token)"),
    ("zap-entity-bomb.xml", None, "XML with a document type declaration (DTD) is refused"),
    ("zap-site-not-list.json", None, "site must be an array (got string)"),
    ("kube-bench-no-controls.json", "kube-bench-json", "missing Controls"),
    ("gitleaks-object.json", "gitleaks-json", "the report must be a JSON array of leaks (got object)"),
    ("gitleaks-truncated.json", "gitleaks-json", "invalid JSON (Expecting value)"),
    ("cnsmm-future-schema.json", None, "unsupported cnsmm-scan schema_version (got 99, expected 1)"),
    ("binary-garbage.bin", None, "unknown report format (binary data or UTF-16 text"),
    ("elf-header.bin", None, "unknown report format (binary data or UTF-16 text"),
    ("empty-file.json", None, "unknown report format (the file is empty)"),
    ("empty-file.json", "trivy-json", "the file is empty"),
    ("empty-file.json", "sarif", "the file is empty"),
    ("empty-file.json", "cyclonedx-xml", "the file is empty"),
    ("empty-file.json", "zap-json", "the file is empty"),
    ("unrelated.json", None, "unknown report format (JSON, but no known tool's report shape)"),
    ("kubescape-format-v1.json", None, "kubescape JSON format v1 (framework reports with controlReports) is not read"),
    ("trufflehog-2.jsonl", None, "TruffleHog 2 output (stringsFound/reason) is not read"),
    ("npm-audit-enolock.json", None, "npm audit did not run (ENOLOCK: This command requires an existing lockfile.)"),
    ("spdx-2.1-version.json", None, "unsupported spdxVersion (got 'SPDX-2.1', expected one of SPDX-2.2, SPDX-2.3)"),
]


# A malformed item in an otherwise valid report: the others are imported, the bad one is
# listed with its JSON pointer (XML path, line) and why. (asset, format, findings, the error)
PARTIAL = [
    ("trivy-missing-vulnerability-id.json", None, 1,
     "/Results/0/Vulnerabilities/1 (result #1, vulnerability #2): missing VulnerabilityID"),
    ("trivy-severity-wrong-type.json", None, 0,
     "/Results/1/Vulnerabilities/0 (result #2, vulnerability #1): Severity must be a string (got array)"),
    ("grype-missing-artifact.json", None, 1, "/matches/1 (match #2): missing artifact"),
    ("sarif-run-without-tool.sarif", None, 0,
     "/runs/1 (run #2): missing tool.driver (every SARIF run names the tool that produced it)"),
    ("cyclonedx-bad-affects-ref.json", None, 0,
     "/vulnerabilities/0/affects/0 (vulnerability #1, affects #1): ref 'pkg:npm/does-not-exist@1.0.0' names no "
     "component of this BOM"),
    ("zap-bad-riskcode.json", None, 1, "/site/0/alerts/1 (site #1, alert #2): riskcode must be 0, 1, 2 or 3 (got '7')"),
    ("kube-bench-missing-status.json", None, 0,
     "/Controls/0/tests/0/results/0 (control #1, test #1, result #1): missing status"),
    ("kubescape-controls-not-list.json", None, 0, "/results/0 (result #1): controls must be an array (got object)"),
    ("checkov-missing-check-id.json", None, 0, "/results/failed_checks/0 (kubernetes failed check #1): missing check_id"),
    ("falco-bad-line.jsonl", None, 2, "line 3: invalid JSON alert"),
    ("falco-missing-priority.jsonl", "falco-json", None, "missing priority"),
    ("cnsmm-bad-severity.json", None, 1, "/findings/1 (finding #2): unknown severity 'urgent'"),
]


def test_every_asset_has_a_case() -> None:
    assets = {p.name for p in (SAMPLES / "malformed").iterdir()}
    assert assets == {name for name, _, _ in CASES} | {name for name, _, _, _ in PARTIAL}


@pytest.mark.parametrize(("asset", "fmt", "count", "expected"), PARTIAL, ids=[a for a, *_ in PARTIAL])
def test_malformed_item_is_skipped_and_listed(asset: str, fmt: str | None, count: int | None, expected: str) -> None:
    report = open_report(SAMPLES / "malformed" / asset, format=fmt)
    findings = list(report.findings)
    if count is not None:
        assert len(findings) == count
    assert len(report.errors) == 1
    assert str(next(iter(report.errors))).startswith(expected) or expected in str(next(iter(report.errors)))


@pytest.mark.parametrize(("asset", "fmt", "expected"), CASES, ids=[f"{a}-{f}" for a, f, _ in CASES])
def test_malformed_report_names_file_and_position(asset: str, fmt: str | None, expected: str) -> None:
    path = SAMPLES / "malformed" / asset
    with pytest.raises(ReportParseError) as info:
        report = open_report(path, format=fmt)
        for _ in report.findings:
            pass
    message = info.value.message
    prefix = str(path)
    assert message.startswith(prefix), message
    rest = message[len(prefix):]
    # "file:line:col: what" for whole-document parsers, "file: where: what" for the others
    rest = rest.split(": ", 1)[1] if rest.startswith(":") and not rest.startswith(": ") else rest[2:]
    assert rest.startswith(expected), message
    assert info.value.hint  # every error says what to do


def test_unknown_format_lists_formats_and_suggests_flag() -> None:
    with pytest.raises(ReportParseError) as info:
        open_report(SAMPLES / "malformed" / "unrelated.json")
    hint = info.value.hint or ""
    assert "--format" in hint
    assert "trivy-json" in hint and "sarif" in hint and "falco-json" in hint


def test_unknown_forced_format_is_refused() -> None:
    with pytest.raises(ReportParseError, match="unknown report format 'nessus'"):
        open_report(SAMPLES / "trivy-json" / "image.json", format="nessus")


def test_header_errors_raise_before_any_finding() -> None:
    # The store relies on this: header problems surface in open_report, not mid-transaction.
    for asset in ("trivy-schema-version-3.json", "sarif-missing-runs.sarif", "cyclonedx-spec-2.0.json",
                  "trivy-results-not-array.json", "cnsmm-future-schema.json"):
        with pytest.raises(ReportParseError):
            open_report(SAMPLES / "malformed" / asset)


def test_missing_file_and_directory() -> None:
    from cnsmm.errors import InputNotFoundError

    with pytest.raises(InputNotFoundError, match="no such file"):
        open_report(SAMPLES / "does-not-exist.json")
    with pytest.raises(ReportParseError, match="is a directory"):
        open_report(SAMPLES)
