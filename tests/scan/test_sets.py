"""Sets: files on disk and rendered objects are checked together by one engine."""

from __future__ import annotations

from pathlib import Path

from cnsmm.config import Config
from cnsmm.scan import RenderedObject, SetInput, file_analyzers, plan_sets, scan_sets
from cnsmm.sources.interface import InputError
from cnsmm.sources.yamlload import load_yaml

RENDERED = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    spec:
      containers:
        - name: api
          image: registry.example/api:1.0
          securityContext: {privileged: true}
"""
POLICY = """\
# a default-deny policy for the namespace, next to the rendered chart
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
"""


def test_rendered_objects_are_reported_at_their_origin_and_see_the_set(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY)
    sets, errors = plan_sets([str(tmp_path)], [], file_analyzers())
    assert errors == [] and len(sets) == 1
    docs, problems = load_yaml(RENDERED)
    assert problems == []
    sets[0].rendered.append(RenderedObject(docs[0], "chart/templates/deployment.yaml", 12))
    result = scan_sets(sets, Config(workers=1))
    privileged = [f for f in result.findings if f.rule == "K8S-001"]
    assert [(f.location.file, f.location.line, f.location.resource) for f in privileged] == [
        ("chart/templates/deployment.yaml", 12, "Deployment/shop/api")
    ]
    assert result.objects == 2 and result.complete
    # the file's default-deny policy selects the rendered workload: the set rules saw both
    assert not {"K8S-065", "K8S-066", "K8S-067"} & {f.rule for f in result.findings}
    assert f"{tmp_path}::Deployment/shop/api" in result.coverage["K8S-065"].evaluated


def test_exact_lines_keep_field_lines_and_render_errors_make_the_scan_incomplete() -> None:
    docs, _ = load_yaml(RENDERED)
    rendered = SetInput(
        "chart",
        rendered=[RenderedObject(docs[0], "rendered.yaml", None, exact_lines=True)],
        errors=[InputError("chart/values.yaml", 3, "render failed: nil pointer", "parse")],
    )
    result = scan_sets([rendered], Config(workers=1))
    (privileged,) = [f for f in result.findings if f.rule == "K8S-001"]
    assert (privileged.location.file, privileged.location.line) == ("rendered.yaml", 10)
    assert not result.complete and [e.display() for e in result.errors] == [
        "chart/values.yaml:3: render failed: nil pointer"
    ]
