"""The scan engine end to end: sets, suppressions, config, baseline, bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cnsmm.config import Config, IgnoreEntry, build_config, load_config
from cnsmm.errors import ConfigError
from cnsmm.scan import scan_paths
from cnsmm.scan.baseline import apply_baseline, load_baseline, write_baseline

PRIV = """\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: apps
{annotations}spec:
  containers:
    - name: app
      image: nginx:1.25
      securityContext:
        privileged: true
"""

ONLY_001 = Config(only=frozenset({"K8S-001"}))


def pod(name: str = "p", annotations: str = "") -> str:
    return PRIV.format(name=name, annotations=annotations)


def test_finding_points_at_the_offending_field(write) -> None:  # type: ignore[no-untyped-def]
    f = write("pod.yaml", pod())
    r = scan_paths([str(f)], ONLY_001)
    assert [(x.rule, x.location.line, x.location.resource) for x in r.findings] == [("K8S-001", 11, "Pod/apps/p")]
    assert r.complete and r.objects == 1


def test_list_kinds_from_cluster_dumps_are_flattened(write) -> None:  # type: ignore[no-untyped-def]
    items = "\n".join("  - " + line if i == 0 else "    " + line for i, line in enumerate(pod("a").splitlines()))
    dump = f"apiVersion: v1\nkind: List\nitems:\n{items}\n"
    r = scan_paths([str(write("dump.yaml", dump))], ONLY_001)
    assert r.objects == 1
    assert r.findings[0].location.line == 14  # 3 header lines + line 11 of the item


def test_malformed_file_is_reported_and_others_still_scanned(write) -> None:  # type: ignore[no-untyped-def]
    write("good.yaml", pod())
    write("bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: x\n")
    r = scan_paths([str(write("good.yaml", pod()).parent)], ONLY_001)
    assert len(r.findings) == 1
    assert not r.complete
    assert r.errors[0].file.endswith("bad.yaml") and r.errors[0].line == 4
    assert "invalid YAML" in r.errors[0].message


def test_helm_templates_are_skipped_with_a_hint(write) -> None:  # type: ignore[no-untyped-def]
    t = write("chart/templates/deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n")
    r = scan_paths([str(t.parent.parent)], ONLY_001)
    assert r.complete and r.objects == 0
    assert any("helm template" in s["reason"] for s in r.skipped)


def test_non_kubernetes_yaml_is_skipped_not_an_error(write) -> None:  # type: ignore[no-untyped-def]
    f = write("values.yaml", "replicaCount: 1\nimage: {repository: nginx}\n")
    r = scan_paths([str(f)], ONLY_001)
    assert r.complete and r.objects == 0
    assert r.skipped == [{"file": str(f), "reason": "no Kubernetes objects (no apiVersion and kind)"}]


def test_annotation_suppression_needs_a_reason_and_honours_expiry(write) -> None:  # type: ignore[no-untyped-def]
    ok = '  annotations:\n    cnsmm.io/ignore: "K8S-001"\n    cnsmm.io/ignore-reason: "node agent"\n'
    no_reason = '  annotations:\n    cnsmm.io/ignore: "K8S-001"\n'
    expired = ok + '    cnsmm.io/ignore-expires: "2020-01-01"\n'
    write("a.yaml", pod("ok", ok))
    write("b.yaml", pod("noreason", no_reason))
    d = write("c.yaml", pod("expired", expired)).parent
    r = scan_paths([str(d)], ONLY_001)
    assert sorted(f.location.resource or "" for f in r.findings) == ["Pod/apps/expired", "Pod/apps/noreason"]
    assert r.suppressed == 1
    assert any("without cnsmm.io/ignore-reason" in w for w in r.warnings)
    assert any("expired on 2020-01-01" in w for w in r.warnings)


def test_central_ignore_and_expired_entries(write) -> None:  # type: ignore[no-untyped-def]
    d = write("legacy/a.yaml", pod("old")).parent.parent
    write("new/b.yaml", pod("new"))
    live = IgnoreEntry("K8S-001", "legacy app", path="*legacy/*", source="cnsmm.yaml: ignore #1")
    r = scan_paths([str(d)], Config(only=frozenset({"K8S-001"}), ignore=(live,)))
    assert [f.location.resource for f in r.findings] == ["Pod/apps/new"]
    stale = IgnoreEntry("K8S-001", "legacy app", path="*legacy/*", expires=dt.date(2020, 1, 1), source="x: ignore #1")
    r = scan_paths([str(d)], Config(only=frozenset({"K8S-001"}), ignore=(stale,)))
    assert len(r.findings) == 2
    assert any("expired" in w for w in r.warnings)


def test_unknown_rule_ids_in_config_are_errors() -> None:
    with pytest.raises(ConfigError, match="unknown rule id 'K8S-999'"):
        build_config({"rules": {"disable": ["K8S-999"]}}, "cnsmm.yaml", {"K8S-001"})
    with pytest.raises(ConfigError, match="unknown key"):
        build_config({"rulez": {}}, "cnsmm.yaml", {"K8S-001"})
    with pytest.raises(ConfigError, match="reason is required"):
        build_config({"ignore": [{"rule": "K8S-001"}]}, "cnsmm.yaml", {"K8S-001"})


def test_central_ignore_file_is_found_merged_and_checked(tmp_path: Path, write) -> None:  # type: ignore[no-untyped-def]
    write("cnsmm.yaml", "rules: {only: [K8S-001]}\nignore:\n  - {rule: K8S-001, path: '*a.yaml', reason: config}\n")
    write("cnsmm-ignore.yaml", "- rule: K8S-001\n  resource: Pod/apps/b\n  reason: owned by security, SEC-9\n"
                               "  expires: 2020-01-01\n- rule: '*'\n  path: '*c.yaml'\n  reason: vendored\n")
    for name in ("a", "b", "c", "d"):
        write(f"m/{name}.yaml", pod(name))
    cfg = load_config(None, {"K8S-001"}, cwd=tmp_path)
    assert [e.source for e in cfg.ignore] == [f"{tmp_path / 'cnsmm.yaml'}: ignore #1",
                                             f"{tmp_path / 'cnsmm-ignore.yaml'}: ignore #1",
                                             f"{tmp_path / 'cnsmm-ignore.yaml'}: ignore #2"]
    r = scan_paths([str(tmp_path / "m")], cfg)
    assert sorted(f.location.resource for f in r.findings) == ["Pod/apps/b", "Pod/apps/d"]  # b's entry expired
    assert any("expired" in w and "cnsmm-ignore.yaml: ignore #1" in w for w in r.warnings)
    # an explicit file replaces the one found; a mapping with `ignore:` works too
    other = write("sec/exceptions.yaml", "ignore:\n  - {rule: K8S-001, path: '*d.yaml', reason: pilot}\n")
    cfg = load_config(None, {"K8S-001"}, cwd=tmp_path, ignore_file=str(other))
    assert [e.reason for e in cfg.ignore] == ["config", "pilot"]


@pytest.mark.parametrize(("text", "message"), [
    ("- {rule: K8S-001}\n", "ignore #1: a reason is required"),
    ("- {rule: K8S-999, reason: x}\n", "unknown rule id 'K8S-999'"),
    ("- {rule: K8S-001, reason: x, owner: me}\n", "ignore #1: expected a mapping with keys"),
    ("- {rule: K8S-001, reason: x, expires: soon}\n", "expected a date YYYY-MM-DD"),
    ("rules: {}\n", "holds only `ignore:`"),
    ("just text\n", "expected a list of entries"),
    ("- [unclosed\n", "invalid YAML"),
])
def test_bad_ignore_files_are_errors_with_the_file_and_entry(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "cnsmm-ignore.yaml").write_text(text)
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(None, {"K8S-001"}, cwd=tmp_path)
    assert "cnsmm-ignore.yaml" in str(caught.value)
    with pytest.raises(ConfigError, match="ignore file not found"):
        load_config(None, {"K8S-001"}, cwd=tmp_path, ignore_file=str(tmp_path / "missing.yaml"))


def test_config_from_pyproject_and_severity_override(tmp_path: Path, write) -> None:  # type: ignore[no-untyped-def]
    write("pyproject.toml", '[tool.cnsmm]\nrules = {only = ["K8S-001"], severity = {"K8S-001" = "low"}}\n')
    cfg = load_config(None, {"K8S-001"}, cwd=tmp_path)
    assert cfg.only == frozenset({"K8S-001"})
    r = scan_paths([str(write("p.yaml", pod()))], cfg)
    assert r.findings[0].severity.value == "low"


def test_baseline_survives_line_shifts(write) -> None:  # type: ignore[no-untyped-def]
    f = write("p.yaml", pod())
    before = scan_paths([str(f)], ONLY_001).findings
    base = write("base.json", write_baseline(before))
    f.write_text("# a comment added above\n# and another\n" + pod())
    after = scan_paths([str(f)], ONLY_001).findings
    assert after[0].location.line != before[0].location.line
    new, matched = apply_baseline(after, load_baseline(str(base)))
    assert (new, matched) == ([], 1)
    # a second privileged pod is new
    f.write_text(pod() + "---\n" + pod("q"))
    new, matched = apply_baseline(scan_paths([str(f)], ONLY_001).findings, load_baseline(str(base)))
    assert matched == 1 and [x.location.resource for x in new] == ["Pod/apps/q"]


def test_cross_object_sets_are_folders(write) -> None:  # type: ignore[no-untyped-def]
    write("one/a.yaml", pod("a"))
    d = write("two/a.yaml", pod("a")).parent.parent
    r = scan_paths([str(d)], ONLY_001)
    assert r.sets == 2 and r.objects == 2 and r.distinct_objects == 1


def test_parallel_and_serial_scans_agree(write) -> None:  # type: ignore[no-untyped-def]
    for i in range(8):
        write(f"d{i}/p.yaml", pod(f"p{i}"))
    root = str(Path(write("x.txt", "").parent))
    serial = scan_paths([root], Config(only=frozenset({"K8S-001"}), workers=1))
    parallel = scan_paths([root], Config(only=frozenset({"K8S-001"}), workers=2))
    assert serial.findings == parallel.findings and serial.coverage == parallel.coverage


def test_stdin(write) -> None:  # type: ignore[no-untyped-def]
    r = scan_paths(["-"], ONLY_001, stdin=pod().encode())
    assert r.findings[0].location.file == "<stdin>"


def test_cluster_dump_reports_controlled_pods_once() -> None:
    dump = Path(__file__).parent / "fixtures" / "cluster-dump-owned.yaml"
    r = scan_paths([str(dump)], ONLY_001)
    assert sorted(f.location.resource or "" for f in r.findings) == ["Deployment/a/web", "Pod/a/orphan"]


def test_namespace_rules_count_every_affected_workload_in_coverage(write) -> None:  # type: ignore[no-untyped-def]
    deployment = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: shop}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers: [{{name: c, image: "nginx:1.25"}}]
"""
    f = write("shop.yaml", "---\n".join(deployment.format(name=n) for n in ("web", "api", "worker")))
    r = scan_paths([str(f)], Config(only=frozenset({"K8S-066", "K8S-082"})))
    for rid in ("K8S-066", "K8S-082"):
        assert len([x for x in r.findings if x.rule == rid]) == 1  # one finding per namespace...
        cov = r.coverage[rid]
        assert len(cov.failed) == 3 and cov.passed_share == 0  # ...but every workload fails it
