"""One finding identity for the baseline, SARIF partialFingerprints and the tracker."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from cnsmm.findings import Finding, Location, Severity
from cnsmm.identity import finding_id
from cnsmm.scan.baseline import apply_baseline, baseline_key, load_baseline, write_baseline
from cnsmm.tracking.fingerprint import fingerprint

BASE = Finding(
    rule="K8S-001",
    severity=Severity.HIGH,
    title="Privileged container",
    message='container "web" of Deployment "web" runs privileged (line 12)',
    location=Location(file="k8s/web.yaml", line=12, resource="Deployment/shop/web"),
)


@pytest.mark.parametrize(
    ("change", "same"),
    [
        ({"location": replace(BASE.location, line=40)}, True),
        ({"message": 'container "web" of Deployment "web" runs privileged (line 40)'}, True),
        ({"message": 'container "web" of Deployment "web" runs   privileged (line 12)'}, True),
        ({"location": replace(BASE.location, file="./k8s//web.yaml")}, True),
        ({"location": replace(BASE.location, file="k8s\\web.yaml")}, True),
        ({"rule": "k8s-001"}, True),
        ({"location": replace(BASE.location, file="k8s/api.yaml")}, False),
        ({"location": replace(BASE.location, resource="Deployment/shop/api")}, False),
        ({"location": replace(BASE.location, image="nginx:1.27")}, False),
        ({"message": 'container "api" of Deployment "web" runs privileged (line 12)'}, False),
        ({"rule": "K8S-002"}, False),
    ],
)
def test_identity(change: dict[str, object], same: bool) -> None:
    other = replace(BASE, **change)  # type: ignore[arg-type]
    assert (finding_id(other) == finding_id(BASE)) is same


def test_baseline_sarif_and_tracker_agree() -> None:
    """The same value in all three places (a scan finding is a ``config`` fingerprint)."""
    from cnsmm.renderers.common import fingerprint as rendered

    value = finding_id(BASE)
    assert baseline_key(BASE) == value
    assert rendered(BASE) == value
    assert fingerprint(BASE, "repo").value == value and fingerprint(BASE, "repo").kind == "config"


def test_baseline_files_written_before_keep_matching(tmp_path: Path) -> None:
    """Entries store messages with ``line N``; they still match findings on any line."""
    old = {"schema": "cnsmm-baseline", "version": 1, "findings": [
        {"rule": "K8S-001", "file": "k8s/web.yaml", "resource": "Deployment/shop/web",
         "message": 'container "web" of Deployment "web" runs privileged (line N)'},
    ]}
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps(old), encoding="utf-8")
    moved = replace(BASE, message=BASE.message.replace("line 12", "line 31"))
    new, matched = apply_baseline([moved, replace(BASE, rule="K8S-002")], load_baseline(str(path)))
    assert matched == 1 and [f.rule for f in new] == ["K8S-002"]


def test_baseline_round_trip_with_images_and_duplicates(tmp_path: Path) -> None:
    imaged = replace(BASE, location=replace(BASE.location, image="nginx:1.27"))
    path = tmp_path / "baseline.json"
    path.write_text(write_baseline([BASE, BASE, imaged]), encoding="utf-8")
    assert json.loads(path.read_text())["findings"][2]["image"] == "nginx:1.27"
    new, matched = apply_baseline([BASE, BASE, BASE, imaged], load_baseline(str(path)))
    assert matched == 3 and new == [BASE]
