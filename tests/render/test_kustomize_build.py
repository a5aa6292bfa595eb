"""Kustomize roots built with the real kubectl/kustomize: findings on what gets deployed, named
at their source; failed builds as input errors with the rest still scanned."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from tests.render.conftest import DEPLOYMENT, need

from cnsmm._cli import main
from cnsmm.config import Config, RenderSettings
from cnsmm.render.session import prepare
from cnsmm.scan import scan_paths

HARDENING_RULES = {"K8S-021", "K8S-022", "K8S-024", "K8S-025", "K8S-030"}
"""allowPrivilegeEscalation, runAsNonRoot, seccomp, capabilities drop, read-only root filesystem."""


@pytest.fixture(autouse=True)
def _kubectl() -> None:
    need("kubectl")


def _config(**render: object) -> Config:
    return Config(render=replace(RenderSettings(cache_dir=""), **render))  # type: ignore[arg-type]


def test_overlay_reports_the_deployed_state(base_overlay: Path) -> None:
    plain = scan_paths([str(base_overlay)], _config(enabled=False))
    built = scan_paths([str(base_overlay)], _config())
    base_file = str(base_overlay / "base" / "deployment.yaml")
    patch = str(base_overlay / "overlays" / "prod" / "harden.yaml")
    # without rendering the base alone is checked and fails the hardening rules...
    assert {f.rule for f in plain.findings if f.location.file == base_file} >= HARDENING_RULES
    # ...built, the overlay's patch fixes them: none is reported
    assert not HARDENING_RULES & {f.rule for f in built.findings}
    assert built.complete and built.objects == 1
    # the patch is never an object, rendered or not
    assert all(f.location.file != patch for f in plain.findings + built.findings)
    # findings name the base file and the line of the offending field there, and the root
    by_rule = {f.rule: f for f in built.findings}
    image = by_rule["K8S-076"]  # image without digest: the `image:` item of the base
    assert (image.location.file, image.location.line) == (base_file, DEPLOYMENT.splitlines().index(
        "        - name: web") + 1)
    assert image.location.resource == "Deployment/prod/web"
    assert {f.location.build for f in built.findings} == {f"kustomize:{base_overlay / 'overlays' / 'prod'}"}


def test_a_field_set_by_a_patch_is_located_in_the_patch(base_overlay: Path) -> None:
    patch = base_overlay / "overlays" / "prod" / "harden.yaml"
    patch.write_text(patch.read_text().replace("allowPrivilegeEscalation: false", "privileged: true"))
    result = scan_paths([str(base_overlay)], _config())
    privileged = [f for f in result.findings if "privileged" in f.message.lower() and f.rule != "K8S-021"]
    assert privileged, [f.message for f in result.findings]
    lines = patch.read_text().splitlines()
    assert {(f.location.file, f.location.line) for f in privileged} == {
        (str(patch), lines.index("            privileged: true") + 1)
    }


def _broken_roots(tmp: Path) -> None:
    (tmp / "good").mkdir()
    (tmp / "good" / "deployment.yaml").write_text(DEPLOYMENT)
    (tmp / "good" / "kustomization.yaml").write_text("resources: [deployment.yaml]\n")
    (tmp / "missing").mkdir()
    (tmp / "missing" / "kustomization.yaml").write_text("resources: [nothere.yaml]\n")
    (tmp / "badpatch").mkdir()
    (tmp / "badpatch" / "kustomization.yaml").write_text("resources: [d.yaml]\npatches: [{path: p.yaml}]\n")
    (tmp / "badpatch" / "d.yaml").write_text(DEPLOYMENT)
    (tmp / "badpatch" / "p.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: nosuch}\n")
    (tmp / "remote").mkdir()
    (tmp / "remote" / "kustomization.yaml").write_text(
        "resources:\n  - https://example.invalid/org/repo//deploy?ref=v1\n")
    # a base folder left out of the checkout, reached through a chain of overlays
    (tmp / "nobase" / "overlays" / "prod").mkdir(parents=True)
    (tmp / "nobase" / "overlays" / "prod" / "kustomization.yaml").write_text("resources: [../../base]\n")
    (tmp / "nobase" / "base").mkdir()
    (tmp / "nobase" / "base" / "README.md").write_text("the manifests live elsewhere\n")


def test_failed_builds_are_input_errors_and_the_rest_is_scanned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _broken_roots(tmp_path)
    result = scan_paths([str(tmp_path)], _config())
    errors = {Path(e.file).parent.name: e for e in result.errors}
    assert set(errors) == {"missing", "badpatch", "remote", "prod"}
    assert all(e.kind == "render" for e in errors.values())
    assert "missing file" in errors["missing"].message and "nothere.yaml" in errors["missing"].message
    assert "no resource matches strategic merge patch" in errors["badpatch"].message
    assert "example.invalid" in errors["remote"].message
    assert f"failed: no kustomization file in {tmp_path / 'nobase' / 'base'} (kustomize: " in errors["prod"].message
    assert errors["badpatch"].file == str(tmp_path / "badpatch" / "kustomization.yaml")
    # the good root is built and checked; the failed root's resource is checked as it is (the
    # best that can be done), its bad patch is not an object
    assert {(f.location.build, Path(f.location.file or "").parent.name) for f in result.findings} == {
        (f"kustomize:{tmp_path / 'good'}", "good"), (None, "badpatch")}
    assert all(not (f.location.file or "").endswith("p.yaml") for f in result.findings)
    with pytest.raises(SystemExit) as exit_info:
        main(["scan", str(tmp_path), "--fail-on", "never", "--render-timeout", "60"])
    assert exit_info.value.code == 3
    assert "kustomize build of" in capsys.readouterr().out


def test_no_renderer_says_once_which_roots_were_not_built(base_overlay: Path) -> None:
    result = scan_paths([str(base_overlay)], _config(kustomize="/nonexistent/kustomize"))
    assert len(result.warnings) == 1
    assert "1 kustomization root(s) not built" in result.warnings[0]
    assert str(base_overlay / "overlays" / "prod") in result.warnings[0]
    # the base is checked as it is, the patch is still not an object
    files = {f.location.file for f in result.findings}
    assert files == {str(base_overlay / "base" / "deployment.yaml")}


def test_the_cache_is_keyed_by_the_content_of_every_input(base_overlay: Path, tmp_path_factory: pytest.TempPathFactory
                                                          ) -> None:
    cache = str(tmp_path_factory.mktemp("cache"))
    settings = RenderSettings(cache_dir=cache)
    files = [str(p) for p in base_overlay.rglob("*") if p.is_file()]
    first = prepare(files, settings, 1)
    again = prepare(files, settings, 1)
    assert (first.builds, first.cached, again.cached) == (1, 0, 1)
    assert again.rendered[0].text == first.rendered[0].text
    # a change in the base (not in the root's own folder) renders again
    base = base_overlay / "base" / "deployment.yaml"
    base.write_text(base.read_text().replace("replicas: 1", "replicas: 3"))
    changed = prepare(files, settings, 1)
    assert changed.cached == 0 and "replicas: 3" in changed.rendered[0].text


def test_the_rendered_scan_reaches_the_assessment(base_overlay: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (base_overlay / "overlays" / "prod" / "netpol.yaml").write_text(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny}\n"
        "spec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n")
    kfile = base_overlay / "overlays" / "prod" / "kustomization.yaml"
    kfile.write_text(kfile.read_text().replace("  - ../../base\n", "  - ../../base\n  - netpol.yaml\n"))
    from cnsmm.assess.gather import gather
    from cnsmm.model import load_model

    bundle = gather(load_model(), [str(base_overlay)], scan_config=_config())
    assert bundle.objects == 2
    checks = {c.rule: c for c in bundle.checks}
    # the hardened, deployed pod passes the hardening rules in the assessment's evidence
    assert set(checks) >= HARDENING_RULES
    assert all(checks[r].evaluated and not checks[r].failed for r in HARDENING_RULES)
    # and its subjects are the built objects (namespace from the overlay)
    assert all(s.endswith("Deployment/prod/web") for s in checks["K8S-030"].evaluated)


def test_one_base_in_two_overlays_is_two_findings_with_stable_identities(base_overlay: Path) -> None:
    from cnsmm.identity import finding_id

    dev = base_overlay / "overlays" / "dev"
    dev.mkdir()
    (dev / "kustomization.yaml").write_text("namespace: prod\nresources:\n  - ../../base\n")
    first = scan_paths([str(base_overlay)], _config())
    digest = [f for f in first.findings if f.rule == "K8S-076"]
    # same source file, line and resource, deployed by two roots: two findings, two identities
    assert {(f.location.file, f.location.line, f.location.resource) for f in digest} == {
        (str(base_overlay / "base" / "deployment.yaml"), 14, "Deployment/prod/web")}
    assert len({finding_id(f) for f in digest}) == 2
    # an edit above the field moves the line, not the identity
    base = base_overlay / "base" / "deployment.yaml"
    base.write_text("# the web front end\n" + base.read_text())
    again = scan_paths([str(base_overlay)], _config())
    moved = [f for f in again.findings if f.rule == "K8S-076"]
    assert {f.location.line for f in moved} == {15}
    assert {finding_id(f) for f in moved} == {finding_id(f) for f in digest}


@pytest.mark.corpus
def test_corpus_kustomize_with_components_patches_are_never_objects() -> None:
    from tests.conftest import CORPUS

    tree = CORPUS / "GoogleCloudPlatform__microservices-demo" / "kustomize"
    if not tree.is_dir():
        pytest.skip("../shared/corpus is absent")
    from cnsmm.render.plan import make_plan
    from cnsmm.render.session import read_file

    files = [str(p) for p in tree.rglob("*") if p.is_file()]
    plan = make_plan(files, read_file)
    patches = {p for p, why in plan.not_objects.items() if "patch" in why}
    assert [b.root for b in plan.builds] == [str(tree)]
    assert patches  # a component's patch file (the other components patch inline)
    result = scan_paths([str(tree)], _config())
    assert result.complete
    # no finding treats a component's patch as an object
    assert not {f.location.file for f in result.findings} & patches
    # the root's objects are checked as built, from the base; the components the root does not
    # use are not deployed, and their resource files are checked as they are
    built = [f for f in result.findings if f.location.build]
    assert built and {f.location.build for f in built} == {f"kustomize:{tree}"}
    assert all((f.location.file or "").startswith(str(tree / "base")) for f in built)
    assert all((f.location.file or "").startswith(str(tree / "components")) for f in result.findings
               if not f.location.build)
