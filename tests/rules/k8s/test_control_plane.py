"""Reading control-plane static pods: which component a container runs and its flags."""

from __future__ import annotations

from cnsmm.rules.k8s._control_plane import component_of, flags_of
from cnsmm.sources.k8s import Container, objects_from_documents
from cnsmm.sources.yamlload import load_yaml

POD = """
apiVersion: v1
kind: Pod
metadata: {name: cp, namespace: kube-system}
spec:
  containers:
    - name: a
      image: registry.k8s.io/kube-apiserver:v1.30.2
      command: [kube-apiserver, --anonymous-auth=false, --authorization-mode, "Node,RBAC", --profiling]
    - name: b
      image: registry.example.com/mirror/etcd@sha256:{digest}
      args: ["--client-cert-auth=true", "--data-dir=/var/lib/etcd"]
    - name: c
      image: busybox:1.36
      command: ["/bin/sh", "-c"]
      args: ["exec /usr/local/bin/kube-scheduler --bind-address=127.0.0.1 --profiling=false"]
    - name: d
      image: registry.example.com/shop/web:1.0
      command: [web, --profiling]
""".replace("{digest}", "a" * 64)


def _containers() -> list[Container]:
    docs, problems = load_yaml(POD)
    assert not problems
    objs, _ = objects_from_documents(docs, "cp.yaml")
    pod = objs[0].pod_spec()
    assert pod is not None
    return list(pod.containers())


def test_components_by_command_image_and_shell() -> None:
    a, b, c, d = _containers()
    assert [component_of(x) for x in (a, b, c, d)] == ["kube-apiserver", "etcd", "kube-scheduler", None]
    assert flags_of(d) is None


def test_flag_forms() -> None:
    a, b, c, _ = _containers()
    fa = flags_of(a)
    assert fa is not None
    assert fa.is_false("anonymous-auth")
    assert fa.items("authorization-mode") == ["Node", "RBAC"]  # "--flag value"
    assert fa.is_true("profiling")  # a bare boolean flag
    assert fa.get("token-auth-file") is None
    assert fa.path("anonymous-auth") == ("spec", "containers", 0, "command", 1)
    fb = flags_of(b)
    assert fb is not None and fb.is_true("client-cert-auth") and fb.anchor[-1] == "args"
    fc = flags_of(c)
    assert fc is not None and fc.get("bind-address") == "127.0.0.1" and fc.is_false("profiling")
