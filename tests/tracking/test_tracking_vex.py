"""VEX statements (OpenVEX, CycloneDX analysis) change the status of matching findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import run_cli

from cnsmm.importers.interface import VexStatement
from cnsmm.tracking.vex import matches

SAMPLES = Path(__file__).parent.parent / "importers" / "samples"
IMAGE = "registry.example.com/shop/web:1.8.2"
WEB = "pkg:oci/web?repository_url=registry.example.com/shop/web"


@pytest.mark.parametrize(("products", "subs", "component", "version", "image", "expected"), [
    ((), (), "libssl3", "3.0.14", IMAGE, True),  # no products: every finding of the vulnerability
    (("pkg:deb/debian/libssl3@3.0.14",), (), "libssl3", "3.0.14", IMAGE, True),
    (("pkg:deb/debian/libssl3@3.0.11",), (), "libssl3", "3.0.14", IMAGE, False),  # another version
    (("pkg:deb/debian/libssl3",), (), "libssl3", "3.0.14", None, True),  # no version: every version
    (("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.2",), (),
     "com.fasterxml.jackson.core:jackson-databind", "2.13.2", None, True),  # Trivy's group:artifact names
    ((WEB,), (), "libssl3", "3.0.14", IMAGE, True),  # the whole image
    ((WEB,), (), "libssl3", "3.0.14", "registry.example.com/shop/api:2.0", False),  # another image
    ((WEB,), ("pkg:deb/debian/libssl3",), "libssl3", "3.0.14", IMAGE, True),
    ((WEB,), ("pkg:deb/debian/zlib1g",), "libssl3", "3.0.14", IMAGE, False),  # another package of the image
    ((WEB,), ("pkg:deb/debian/libssl3",), "libssl3", "3.0.14", "registry.example.com/shop/api:2.0", False),
    (("lodash@4.17.20",), (), "lodash", "4.17.20", None, True),  # plain names
    (("registry.example.com/shop/web",), (), "libssl3", "3.0.14", IMAGE, True),
])
def test_statement_matching(products: tuple[str, ...], subs: tuple[str, ...], component: str, version: str,
                            image: str | None, expected: bool) -> None:
    st = VexStatement("CVE-2024-5535", "not_affected", products=products, subcomponents=subs)
    assert matches(st, component, version, image) is expected


def _vex(tmp_path: Path, statements: list[dict[str, object]]) -> Path:
    path = tmp_path / "shop.openvex.json"
    path.write_text(json.dumps({"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/1",
                                "author": "Security", "timestamp": "2026-11-20T09:00:00Z", "version": 1,
                                "statements": statements}))
    return path


def _statuses(capsys: pytest.CaptureFixture[str], db: str) -> dict[str, str]:
    code, out, _ = run_cli(capsys, "findings", "list", "-p", "shop", "--db", db, "--status", "open,triaged,in_progress,fixed,risk_accepted,false_positive,duplicate", "--format", "json")
    assert code == 0, out
    return {f["rule"]: f["status"] for f in json.loads(out)}


def test_openvex_changes_the_status_of_matching_findings(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = str(tmp_path / "store.db")
    assert run_cli(capsys, "import", str(SAMPLES / "trivy-json" / "image.json"), "-p", "shop", "--db", db)[0] == 0
    vex = _vex(tmp_path, [
        {"vulnerability": {"name": "CVE-2024-5535"}, "products": [{"@id": WEB, "subcomponents": [
            {"@id": "pkg:deb/debian/libssl3@3.0.14-1~deb12u1?arch=amd64"}]}],
         "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path",
         "impact_statement": "TLS ends at the ingress."},
        {"vulnerability": {"name": "CVE-2024-4068"}, "products": [{"@id": "pkg:npm/braces@3.0.2"}], "status": "fixed"},
        {"vulnerability": {"name": "CVE-2011-3374"}, "products": [{"@id": "pkg:deb/debian/apt"}],
         "status": "under_investigation"},
        {"vulnerability": {"name": "CVE-2023-45853"}, "products": [{"@id": "pkg:deb/debian/zlib1g@9.9"}],
         "status": "not_affected", "justification": "component_not_present"},  # another version: no change
        {"vulnerability": {"name": "CVE-2099-0001"}, "status": "fixed"},  # nothing in the project
    ])
    code, out, _ = run_cli(capsys, "import", str(vex), "-p", "shop", "--db", db)
    assert code == 0, out
    assert "VEX: 3 finding(s) changed status" in out
    statuses = _statuses(capsys, db)
    assert statuses["CVE-2024-5535"] == "false_positive"
    assert statuses["GHSA-952p-6rrq-rcjv"] == "fixed"  # matched through its CVE alias
    assert statuses["CVE-2011-3374"] == "triaged"
    assert statuses["CVE-2023-45853"] == "open"
    code, out, _ = run_cli(capsys, "findings", "list", "-p", "shop", "--db", db, "--status", "open,triaged,in_progress,fixed,risk_accepted,false_positive,duplicate", "--format", "json")
    fid = next(f["id"] for f in json.loads(out) if f["rule"] == "CVE-2024-5535")
    code, out, _ = run_cli(capsys, "findings", "show", str(fid), "--db", db)
    assert "VEX shop.openvex.json: CVE-2024-5535 not_affected (vulnerable_code_not_in_execute_path): TLS ends at " \
           "the ingress." in out
    # The same VEX file again: read again (not the identical-file shortcut), nothing left to change.
    code, out, _ = run_cli(capsys, "import", str(vex), "-p", "shop", "--db", db)
    assert code == 0 and "VEX:" not in out
    # The scanner still reports them: not_affected stays (a decision), fixed comes back as a regression.
    assert run_cli(capsys, "import", str(SAMPLES / "trivy-json" / "image.json"), "-p", "shop", "--db", db)[0] == 0
    statuses = _statuses(capsys, db)
    assert (statuses["CVE-2024-5535"], statuses["GHSA-952p-6rrq-rcjv"]) == ("false_positive", "open")


def test_cyclonedx_vex_analysis_changes_status(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = str(tmp_path / "store.db")
    assert run_cli(capsys, "import", str(SAMPLES / "trivy-json" / "image.json"), "-p", "shop", "--db", db)[0] == 0
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "vulnerabilities": [
        {"id": "CVE-2011-3374", "analysis": {"state": "false_positive", "detail": "apt-key is not used."},
         "affects": [{"ref": "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#pkg:deb/debian/apt@2.6.1"}]},
        {"id": "CVE-2023-45853", "analysis": {"state": "in_triage"},
         "affects": [{"ref": "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#pkg:deb/debian/zlib1g"}]}]}
    path = tmp_path / "vex.cdx.json"
    path.write_text(json.dumps(doc))
    code, out, _ = run_cli(capsys, "import", str(path), "-p", "shop", "--db", db)
    assert code == 0, out
    assert "VEX: 2 finding(s) changed status" in out
    statuses = _statuses(capsys, db)
    assert (statuses["CVE-2011-3374"], statuses["CVE-2023-45853"]) == ("false_positive", "triaged")


def test_a_later_statement_supersedes_an_earlier_one(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = str(tmp_path / "store.db")
    assert run_cli(capsys, "import", str(SAMPLES / "trivy-json" / "image.json"), "-p", "shop", "--db", db)[0] == 0
    vex = _vex(tmp_path, [
        {"vulnerability": {"name": "CVE-2011-3374"}, "products": [{"@id": "pkg:deb/debian/apt"}],
         "status": "not_affected", "justification": "component_not_present"},
        {"vulnerability": {"name": "CVE-2011-3374"}, "products": [{"@id": "pkg:deb/debian/apt@2.6.1"}],
         "status": "affected", "action_statement": "apt-key is used by the build."},
        {"vulnerability": {"name": "CVE-2023-45853"}, "status": "under_investigation"},
        {"vulnerability": {"name": "CVE-2023-45853"}, "status": "not_affected",
         "justification": "vulnerable_code_not_present"},
    ])
    code, out, _ = run_cli(capsys, "import", str(vex), "-p", "shop", "--db", db)
    assert code == 0 and "VEX: 1 finding(s) changed status" in out, out
    statuses = _statuses(capsys, db)
    assert (statuses["CVE-2011-3374"], statuses["CVE-2023-45853"]) == ("open", "false_positive")
