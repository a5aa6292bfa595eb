"""Robustness on real-world manifests others wrote (skipped when ../shared/corpus is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from tests.conftest import CORPUS, SCHEMAS

from cnsmm.config import Config
from cnsmm.renderers import OutputFormat, ScanReport, renderer_for
from cnsmm.rules import all_rules
from cnsmm.scan import ScanResult, scan_paths

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def corpus_scan() -> ScanResult:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent")
    return scan_paths([str(CORPUS)], Config(workers=2))


def test_every_corpus_file_is_read_without_errors(corpus_scan: ScanResult) -> None:
    # the corpus is all valid YAML and Dockerfiles: any error is a bug of ours
    assert [e.display() for e in corpus_scan.errors] == []
    assert corpus_scan.objects > 3000 and corpus_scan.files > 1900


def test_every_repository_yields_objects(corpus_scan: ScanResult) -> None:
    repos = {p.name for p in CORPUS.iterdir() if p.is_dir()}
    with_objects = {Path(s).relative_to(CORPUS).parts[0] for s in
                    {c.split("::")[0] for cov in corpus_scan.coverage.values() for c in cov.evaluated}
                    if Path(s).is_relative_to(CORPUS) and Path(s) != CORPUS}
    assert repos - with_objects <= {r for r in repos if r.startswith("docker-library__") or r.startswith("nginxinc__")
                                    or r.startswith("nodejs__")}


def test_duplicate_keys_in_archived_examples_are_flagged(corpus_scan: ScanResult) -> None:
    dup_rules = {r.id for r in all_rules() if r.id.startswith("K8S") and "duplicate" in r.meta.name}
    if not dup_rules:
        pytest.skip("no duplicate-key rule registered")
    flagged = {f.location.file for f in corpus_scan.findings if f.rule in dup_rules}
    archived = {f for f in flagged if f and "_archived" in f}
    assert len(archived) >= 5


def test_sarif_of_the_whole_corpus_validates(corpus_scan: ScanResult) -> None:
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())
    doc = json.loads(renderer_for(OutputFormat.SARIF).render(ScanReport(corpus_scan, [str(CORPUS)], "0")))
    jsonschema.validate(doc, schema)
    assert len(doc["runs"][0]["results"]) == len(corpus_scan.findings)
