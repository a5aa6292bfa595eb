"""Expected exceptions: catalogue matches by image and shape, privileged namespaces, admission
exclusions and cnsmm.yaml entries; the scan keeps the finding and marks it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cnsmm.capabilities.exceptions import CATALOGUE, HOST_RULES, parse_extra
from cnsmm.config import Config, build_config
from cnsmm.errors import ConfigError
from cnsmm.rules import all_rules
from cnsmm.scan import scan_paths

NODE_EXPORTER = """\
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-exporter, namespace: monitoring}
spec:
  selector: {matchLabels: {app: node-exporter}}
  template:
    metadata: {labels: {app: node-exporter}}
    spec:
      hostNetwork: true
      hostPID: true
      containers:
        - name: node-exporter
          image: quay.io/prometheus/node-exporter:v1.8.2
          args: [--path.rootfs=/host/root]
          volumeMounts: [{name: root, mountPath: /host/root, readOnly: true}]
      volumes: [{name: root, hostPath: {path: /}}]
"""

APP_ON_HOST = NODE_EXPORTER.replace("DaemonSet", "Deployment").replace(
    "quay.io/prometheus/node-exporter:v1.8.2", "registry.example.com/shop/cart:1.0").replace(
    "node-exporter", "cart")


def _scan(tmp_path: Path, text: str, config: Config | None = None):  # type: ignore[no-untyped-def]
    (tmp_path / "k8s").mkdir(exist_ok=True)
    (tmp_path / "k8s" / "all.yaml").write_text(text)
    return scan_paths([str(tmp_path / "k8s")], config)


def test_node_exporter_host_access_is_an_expected_exception(tmp_path: Path) -> None:
    result = _scan(tmp_path, NODE_EXPORTER)
    host = [f for f in result.findings if f.rule in ("K8S-003", "K8S-004")]
    assert {f.rule for f in host} == {"K8S-003", "K8S-004"}  # still reported
    assert all(f.expected_exception and "node-exporter" in f.expected_exception for f in host)
    # rules outside the host-access set are never excused
    others = [f for f in result.findings if f.rule not in HOST_RULES]
    assert others and not any(f.expected_exception for f in others)


def test_the_same_shape_from_an_application_image_is_not_excused(tmp_path: Path) -> None:
    result = _scan(tmp_path, APP_ON_HOST)
    host = [f for f in result.findings if f.rule in ("K8S-003", "K8S-004")]
    assert host and not any(f.expected_exception for f in host)


def test_privileged_namespace_and_admission_exclusions(tmp_path: Path) -> None:
    ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n" \
         "    pod-security.kubernetes.io/enforce: privileged\n---\n"
    app = APP_ON_HOST.replace("namespace: monitoring", "namespace: shop")
    result = _scan(tmp_path, ns + app)
    host = [f for f in result.findings if f.rule == "K8S-004"]
    assert host and "Pod Security 'privileged'" in str(host[0].expected_exception)
    gk = ("apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sPSPHostNamespace\nmetadata: {name: no-host}\n"
          "spec:\n  match:\n    excludedNamespaces: [shop]\n---\n")
    result = _scan(tmp_path, gk + app)
    excused = next(f for f in result.findings if f.rule == "K8S-004")
    assert "K8sPSPHostNamespace/no-host" in str(excused.expected_exception)


def test_config_entries_extend_the_catalogue(tmp_path: Path) -> None:
    known = {r.id for r in all_rules()}
    config = build_config({"exceptions": [{"name": "cart-agent", "images": ["registry.example.com/shop/cart"],
                                           "kinds": ["Deployment"], "reason": "reads node metrics"}]},
                          "cnsmm.yaml", known)
    result = _scan(tmp_path, APP_ON_HOST, config)
    host = [f for f in result.findings if f.rule == "K8S-003"]
    assert host[0].expected_exception == "cart-agent: reads node metrics"
    with pytest.raises(ConfigError, match="a reason is required"):
        parse_extra([{"images": ["x"]}], "cnsmm.yaml: exceptions", known)
    with pytest.raises(ConfigError, match="unknown rule id"):
        parse_extra([{"images": ["x"], "reason": "r", "rules": ["K8S-999"]}], "cnsmm.yaml: exceptions", known)
    with pytest.raises(ConfigError, match="at least one of images"):
        parse_extra([{"reason": "r"}], "cnsmm.yaml: exceptions", known)


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    from cnsmm._cli import main

    with pytest.raises(SystemExit):
        main(argv)
    return capsys.readouterr().out


def test_scan_json_and_sarif_carry_the_mark(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "ne.yaml").write_text(NODE_EXPORTER)
    data = json.loads(_cli(["scan", str(tmp_path / "k8s"), "--format", "json"], capsys))
    marked = [f for f in data["findings"] if f.get("expected_exception")]
    assert {f["rule"] for f in marked} >= {"K8S-003", "K8S-004"}
    sarif = json.loads(_cli(["scan", str(tmp_path / "k8s"), "--format", "sarif"], capsys))
    props = [r["properties"] for r in sarif["runs"][0]["results"] if r["ruleId"] == "K8S-004"]
    assert "node-exporter" in props[0]["expectedException"]


def test_catalogue_entries_are_complete() -> None:
    ids = [e.id for e in CATALOGUE]
    assert len(ids) == len(set(ids))
    assert {"node-exporter", "kube-proxy", "cni-node", "csi-node", "runtime-security", "log-shipper"} <= set(ids)
    for e in CATALOGUE:
        assert e.images and e.reason and e.reason_zh and e.rules <= HOST_RULES


def test_istio_cni_node_agent_is_a_cni_node_exception(tmp_path: Path) -> None:
    # istio-cni-node as Istio's ambient install ships it: kube-system DaemonSet, /proc and CNI dirs mounted
    cni = NODE_EXPORTER.replace("quay.io/prometheus/node-exporter:v1.8.2", "gcr.io/istio-release/install-cni:1.29.1") \
        .replace("node-exporter", "istio-cni-node").replace("namespace: monitoring", "namespace: kube-system") \
        .replace("path: /}", "path: /proc}")
    host = [f for f in _scan(tmp_path, cni).findings if f.rule in ("K8S-003", "K8S-094")]
    assert {f.rule for f in host} == {"K8S-003", "K8S-094"}
    assert all(str(f.expected_exception).startswith("cni-node:") for f in host)
    # the same image as a Deployment is not a node agent
    app = cni.replace("kind: DaemonSet", "kind: Deployment")
    assert not any(f.expected_exception for f in _scan(tmp_path, app).findings)


def _policy_exception(name: str, block: str) -> str:
    return (f"apiVersion: kyverno.io/v2\nkind: PolicyException\nmetadata: {{name: {name}, namespace: kyverno}}\n"
            f"spec:\n  exceptions: [{{policyName: disallow-host-namespaces, ruleNames: [host-namespaces]}}]\n"
            f"  match:\n    any:\n      - resources: {block}\n---\n")


@pytest.mark.parametrize(
    ("block", "excused"),
    [
        ("{kinds: [Deployment], names: [cart], namespaces: [monitoring]}", True),
        ("{kinds: [Pod], names: [cart]}", True),  # a Pod exception covers workloads' pods
        ("{kinds: [DaemonSet], names: [cart]}", False),
        ("{names: [cart], namespaces: [shop]}", False),
        ("{names: [ca*]}", True),
        ("{names: [other, c?rt]}", True),
        ("{names: [cart-*]}", False),
        ("{namespaces: [monitoring]}", True),
        ("{namespaces: [mon*]}", True),
        ("{namespaces: [shop]}", False),
        ("{kinds: [Deployment]}", False),  # neither names nor namespaces: no exception
    ],
)
def test_kyverno_policy_exceptions_found_through_the_index(tmp_path: Path, block: str, excused: bool) -> None:
    decoys = "".join(_policy_exception(f"decoy{i}", f"{{names: [cart], namespaces: [ns{i}]}}") for i in range(3))
    result = _scan(tmp_path, decoys + _policy_exception("allow-cart", block) + APP_ON_HOST)
    host = next(f for f in result.findings if f.rule == "K8S-004")
    expected = "documented exception Kyverno PolicyException/allow-cart" if excused else None
    assert host.expected_exception == expected
    assert result.errors == []


def test_policy_exception_checks_are_bounded_with_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cnsmm.capabilities import exceptions

    monkeypatch.setattr(exceptions, "MAX_CHECKS", 40)
    patterns = "".join(_policy_exception(f"pe{i}", f"{{names: [other{i}-*]}}") for i in range(30))
    apps = "---\n".join(APP_ON_HOST.replace("name: cart,", f"name: cart{i},") for i in range(3))
    result = _scan(tmp_path, patterns + apps)
    host = [f for f in result.findings if f.rule == "K8S-004"]
    assert len(host) == 3 and not any(f.expected_exception for f in host)  # findings still reported
    (error,) = result.errors
    assert error.kind == "timeout" and error.file.endswith("k8s")
    assert error.message.startswith("Kyverno PolicyExceptions needed more than 40 pattern checks")


def test_config_entries_are_looked_up_by_rule_and_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cnsmm.capabilities import exceptions

    known = {r.id for r in all_rules()}
    entries = [{"name": f"e{i}", "images": [f"registry.example.com/other{i}"], "rules": ["K8S-003"],
                "reason": "decoy"} for i in range(20)]
    entries.append({"name": "cart-pid", "images": ["registry.example.com/shop/cart"], "rules": ["K8S-004"],
                    "reason": "reads every process"})
    config = build_config({"exceptions": entries}, "cnsmm.yaml", known)
    result = _scan(tmp_path, APP_ON_HOST, config)
    by_rule = {f.rule: f.expected_exception for f in result.findings if f.rule in ("K8S-003", "K8S-004")}
    assert by_rule == {"K8S-003": None, "K8S-004": "cart-pid: reads every process"}
    assert result.errors == []

    monkeypatch.setattr(exceptions, "MAX_CHECKS", 10)
    result = _scan(tmp_path, APP_ON_HOST, config)
    (error,) = result.errors
    assert error.kind == "timeout"
    assert error.message.startswith("The `exceptions:` entries of the configuration needed more than 10 pattern checks")
