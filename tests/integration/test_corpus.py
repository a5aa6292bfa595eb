"""Robustness on real-world manifests others wrote (skipped when ../shared/corpus is absent)."""

from __future__ import annotations

import json
import re
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


_MISSING = re.compile(r"failed: missing file (\S+) \(kustomize: ")
_NO_ROOT = re.compile(r"failed: no kustomization file in (\S+) \(kustomize: ")
_OFFLINE = "failed: remote resource could not be fetched"


def test_every_corpus_file_is_read_without_errors(corpus_scan: ScanResult) -> None:
    # the corpus is all valid YAML and Dockerfiles: any read error is a bug of ours
    assert [e.display() for e in corpus_scan.errors if e.kind != "render"] == []
    built = [s for s in corpus_scan.skipped if s["reason"].startswith("checked as built by")]
    assert corpus_scan.objects > 3000 and corpus_scan.files + len(built) > 1900


def test_render_errors_are_true_and_their_files_still_checked(corpus_scan: ScanResult) -> None:
    # The corpus copy keeps only manifests and Dockerfiles, so Kustomize roots whose generators
    # read .env/.cfg/.json files, or that include folders or remote bases left out, cannot be
    # built (kubectl fails on them too). Each such error
    # must name a file that really is missing, and the root's own resources are still checked.
    render = [e for e in corpus_scan.errors if e.kind == "render"]
    for error in render:
        missing, no_root = _MISSING.search(error.message), _NO_ROOT.search(error.message)
        if missing:
            assert not Path(missing.group(1)).exists(), error.display()
        elif no_root:
            assert not any((Path(no_root.group(1)) / n).exists()
                           for n in ("kustomization.yaml", "kustomization.yml", "Kustomization")), error.display()
        else:
            assert _OFFLINE in error.message, error.display()
    checked = {c.split("::")[0] for cov in corpus_scan.coverage.values() for c in cov.evaluated}
    not_resources = {s["file"] for s in corpus_scan.skipped if s["reason"].startswith("kustomize ")}
    roots = {Path(e.file).parent for e in render}
    with_own = {r for r in roots if any(p.suffix == ".yaml" and p.name != "kustomization.yaml" and str(p) not in not_resources
                                        for p in r.iterdir())}
    assert with_own and sorted(str(r) for r in with_own if str(r) not in checked) == []


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
