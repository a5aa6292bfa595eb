"""Which kustomizations are roots, and what each named file is to the builds (no renderer needed)."""

from __future__ import annotations

import os
from pathlib import Path

from cnsmm.render.kustomize import Role, is_remote, parse
from cnsmm.render.plan import HelmOptions, make_plan
from cnsmm.render.session import read_file


def _files(root: Path) -> list[str]:
    out = []
    for base, _, names in os.walk(root):
        out += [os.path.join(base, n) for n in names]
    return sorted(out)


def test_overlay_is_the_only_root_and_its_patch_is_not_an_object(base_overlay: Path) -> None:
    plan = make_plan(_files(base_overlay), read_file)
    assert [(b.tool, b.root) for b in plan.builds] == [("kustomize", str(base_overlay / "overlays" / "prod"))]
    build = plan.builds[0]
    patch = str(base_overlay / "overlays" / "prod" / "harden.yaml")
    assert build.patches == (patch,)
    assert "kustomize patch" in plan.not_objects[patch]
    assert plan.consumed[str(base_overlay / "base" / "deployment.yaml")] == [build.root]
    # the cache key covers the base's files as well as the overlay's
    assert str(base_overlay / "base" / "deployment.yaml") in build.inputs


def test_every_field_that_names_a_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "comp").mkdir()
    (tmp_path / "shared").mkdir()
    text = """\
resources: [a.yaml, shared, https://github.com/org/repo//deploy?ref=v1]
bases: [legacy.yaml]
components: [comp]
patchesStrategicMerge:
  - sm.yaml
  - |-
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: inline}
patches:
  - path: p.yaml
  - patch: '[{"op": "remove", "path": "/spec/x"}]'
patchesJson6902:
  - path: j.yaml
    target: {kind: Deployment, name: web}
configMapGenerator:
  - name: cfg
    files: [app.properties, key=conf/other.txt]
    envs: [cfg.env]
secretGenerator:
  - name: sec
    env: s.env
configurations: [names.yaml]
crds: [crd.json]
replacements:
  - path: repl.yaml
"""
    k = parse(str(tmp_path / "kustomization.yaml"), text)
    rel = {os.path.relpath(p, tmp_path): role for p, role in k.files.items()}
    assert rel == {
        "a.yaml": Role.RESOURCE, "legacy.yaml": Role.RESOURCE,
        "sm.yaml": Role.PATCH, "p.yaml": Role.PATCH, "j.yaml": Role.PATCH,
        "app.properties": Role.INPUT, "conf/other.txt": Role.INPUT, "cfg.env": Role.INPUT, "s.env": Role.INPUT,
        "names.yaml": Role.INPUT, "crd.json": Role.INPUT, "repl.yaml": Role.INPUT,
    }
    assert k.children == [str(tmp_path / "shared"), str(tmp_path / "comp")]
    assert k.remote == ["https://github.com/org/repo//deploy?ref=v1"]
    assert k.lines["configMapGenerator:cfg"] == 17


def test_components_and_used_bases_are_not_roots(tmp_path: Path) -> None:
    for folder, text in {
        "base": "resources: [d.yaml]\n",
        "comp": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches: [{path: p.yaml}]\n",
        "dev": "resources: [../base]\ncomponents: [../comp]\n",
        "prod": "resources: [../base]\n",
        "lonely-component": "kind: Component\n",
    }.items():
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "kustomization.yaml").write_text(text)
    plan = make_plan(_files(tmp_path), read_file)
    assert sorted(os.path.basename(b.root) for b in plan.builds) == ["dev", "prod"]
    # the component's patch is never an object, although only dev uses it
    assert str(tmp_path / "comp" / "p.yaml") in plan.not_objects


def test_bad_and_cyclic_kustomizations_do_not_stop_planning(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "bad").mkdir()
    (tmp_path / "a" / "kustomization.yaml").write_text("resources: [../b]\n")
    (tmp_path / "b" / "kustomization.yaml").write_text("resources: [../a]\n")
    (tmp_path / "bad" / "kustomization.yaml").write_text("resources: [unclosed\n")
    plan = make_plan(_files(tmp_path), read_file)
    # a and b use each other: neither is a root; the broken file cannot be built
    assert plan.builds == []
    assert [(os.path.basename(r), "line" in why) for r, why in plan.unbuildable] == [("bad", True)]


def test_chart_files_belong_to_the_outermost_chart(tmp_path: Path) -> None:
    chart = tmp_path / "web"
    (chart / "templates").mkdir(parents=True)
    (chart / "charts" / "common" / "templates").mkdir(parents=True)
    (chart / "ci").mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web-app\nversion: 1.0.0\n")
    (chart / "values.yaml").write_text("replicas: 1\n")
    (chart / "templates" / "d.yaml").write_text("kind: Deployment\n")
    (chart / "charts" / "common" / "Chart.yaml").write_text("apiVersion: v2\nname: common\ntype: library\n")
    (chart / "ci" / "ha-values.yaml").write_text("replicas: 3\n")
    (chart / "ci" / "notes.yaml").write_text("x: 1\n")
    files = _files(tmp_path)
    plan = make_plan(files, read_file, HelmOptions(values=("extra.yaml",), ci_values=True))
    assert [(b.chart_name, b.variant, b.values) for b in plan.builds] == [
        ("web-app", None, ("extra.yaml",)),
        ("web-app", "ci/ha-values.yaml", ("extra.yaml", str(chart / "ci" / "ha-values.yaml"))),
    ]
    assert set(plan.chart_files) == set(files)


def test_remote_references() -> None:
    assert is_remote("github.com/org/repo/deploy?ref=v1")
    assert is_remote("https://example.com/x.yaml")
    assert is_remote("git@github.com:org/repo.git")
    assert not is_remote("../base")
    assert not is_remote("deployment.yaml")
