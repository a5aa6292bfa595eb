"""What a scan covered: the same exclusion rules as the scanner's walk."""

from __future__ import annotations

import pytest

from cnsmm.coverage import Coverage


@pytest.mark.parametrize(
    ("coverage", "file", "rule", "covered"),
    [
        (Coverage.make(), "anything/at/all.yaml", "X", True),
        (Coverage.make(["."]), "charts/web/a.yaml", "X", True),
        (Coverage.make(["charts/web"]), "charts/web/a.yaml", "X", True),
        (Coverage.make(["charts/web"]), "charts/webapp/a.yaml", "X", False),  # a prefix of a name is not a folder
        (Coverage.make(["charts/web/a.yaml"]), "charts/web/a.yaml", "X", True),
        (Coverage.make(["./charts/"]), "charts/a.yaml", "X", True),
        (Coverage.make(["."], ["legacy"]), "charts/legacy/a.yaml", "X", False),  # a skipped folder at any depth
        (Coverage.make(["."], ["*.tmp.yaml"]), "charts/a.tmp.yaml", "X", False),
        (Coverage.make(["charts"], ["web/*"]), "charts/web/a.yaml", "X", False),  # relative to the scanned path
        (Coverage.make(["charts"], ["web/*"]), "charts/api/web/a.yaml", "X", True),
        (Coverage.make(["a", "b"], ["x"]), "b/y/z.yaml", "X", True),
        (Coverage.make(unread=["charts/bad.yaml"]), "charts/bad.yaml", "X", False),
        (Coverage.make(rules=["k8s-001"]), "charts/a.yaml", "K8S-001", True),
        (Coverage.make(rules=["K8S-001"]), "charts/a.yaml", "K8S-002", False),
        (Coverage.make(["charts"]), None, "X", True),  # no file: paths say nothing about it
        (Coverage.make(rules=["K8S-001"]), None, "K8S-002", False),
    ],
)
def test_covers(coverage: Coverage, file: str | None, rule: str, covered: bool) -> None:
    assert coverage.covers(file, rule) is covered


def test_stored_form_round_trips_and_empty_is_none() -> None:
    cov = Coverage.make(["charts", "charts"], ["legacy"], [], ["k8s-001"])
    assert cov.to_json() == {"paths": ["charts"], "exclude": ["legacy"], "rules": ["K8S-001"]}
    assert Coverage.make(**{k: v for k, v in (cov.to_json() or {}).items()}) == cov
    assert Coverage().to_json() is None and Coverage.from_json("nonsense").everything
    assert Coverage.from_json({"paths": ["/abs/x", 3]}).paths == ("/abs/x",)  # as written until mapped
