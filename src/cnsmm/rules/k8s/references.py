"""Reference integrity: names one object gives for another that the manifests do not deliver.

A reference is only judged when the file (or stream) that holds the referring object manages
that kind of object in the namespace: a file without any ServiceAccount in namespace ``shop``
may rely on accounts created elsewhere, but a rendered chart or bundle that ships
ServiceAccounts for ``shop`` and not the one a Deployment names is broken. Samples split over
several files, and objects that operators create at run time, are thus not guessed at. Objects
without ``metadata.namespace`` are one implicit namespace.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cnsmm.findings import Severity
from cnsmm.kube import service_selector, workload_selector
from cnsmm.rules.base import Hit, RuleContext, RuleMeta, Scope, rule
from cnsmm.rules.k8s._common import WORKLOADS
from cnsmm.rules.k8s._selectors import index, selected_in, workloads
from cnsmm.rules.k8s.rbac_serviceaccounts import sa_path, service_account
from cnsmm.sources.k8s import K8sObject, ObjectSet

REF_REQUIREMENTS = ("PLT.ORC.L2.1", "APP.MSV.L1.1")
"""安全基线扫描; 微服务高可用 (a broken reference is a failed rollout or an outage)."""
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute")
SELECTOR_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")


def _names(objs: ObjectSet, kind: str, ns: str | None, near: K8sObject) -> set[str] | None:
    """Names of ``kind`` in namespace ``ns``, or None when the file of ``near`` holds none there."""
    names, files = index(objs).names_in(kind, ns)
    return names if near.file in files else None


def _meta(id: str, name: str, title: str, severity: Severity, scope: Scope, targets: tuple[str, ...], *,
          what: str, why: str, fix: str, bad: str, good: str, references: tuple[str, ...] = ()) -> RuleMeta:
    return RuleMeta(id=id, name=name, title=title, severity=severity, scope=scope, targets=targets,
                    requirements=REF_REQUIREMENTS, what=what, why=why, fix=fix, bad=bad, good=good,
                    references=references)


@rule(_meta(
    "K8S-153", "service-account-missing", "Workload names a service account the manifests do not create",
    Severity.MEDIUM, Scope.SET, WORKLOADS,
    what="Flags workloads whose `serviceAccountName` (other than `default`) names no ServiceAccount of their "
         "namespace in the set, when the workload's file creates ServiceAccounts in that namespace.",
    why="The API server rejects pods naming a missing service account: the rollout stalls with no pods, and "
        "often the account was renamed while its RBAC bindings still point at the old name.",
    fix="Create the ServiceAccount with the workload, or correct the name.",
    bad="serviceAccountName: catalogue   # the set creates ServiceAccount catalog",
    good="serviceAccountName: catalog",
    references=("https://kubernetes.io/docs/concepts/security/service-accounts/", "CWE-1329"),
))
def service_account_missing(objs: ObjectSet, ctx: RuleContext) -> Iterator[Hit]:
    for obj, pod in workloads(objs):
        name = service_account(pod)
        present = _names(objs, "ServiceAccount", obj.namespace, obj)
        if name != "default" and present is not None and name not in present:
            yield Hit(f'{obj.kind} "{obj.name}" runs as service account "{name}", which these manifests do not create '
                      f"(they create {', '.join(sorted(present)[:3])})", sa_path(pod), obj=obj)


def _ingress_backends(obj: K8sObject) -> Iterator[tuple[str, tuple[Any, ...]]]:
    default = obj.get("spec", "defaultBackend", "service", "name") or obj.get("spec", "backend", "serviceName")
    if default:
        key = "defaultBackend" if obj.get("spec", "defaultBackend") else "backend"
        yield str(default), ("spec", key)
    rules = obj.get("spec", "rules")
    for i, r in enumerate(rules if isinstance(rules, list) else []):
        paths = r.get("http", {}).get("paths") if isinstance(r, dict) and isinstance(r.get("http"), dict) else None
        for j, p in enumerate(paths if isinstance(paths, list) else []):
            backend = p.get("backend") if isinstance(p, dict) else None
            if not isinstance(backend, dict):
                continue
            service = backend.get("service")
            name = service.get("name") if isinstance(service, dict) else backend.get("serviceName")
            if name:
                yield str(name), ("spec", "rules", i, "http", "paths", j, "backend")


@rule(_meta(
    "K8S-154", "ingress-backend-missing", "Ingress routes to a Service the manifests do not create",
    Severity.MEDIUM, Scope.SET, ("Ingress",),
    what="Flags Ingress backends (and default backends) naming a Service that is not in the set, when the "
         "Ingress's file creates Services in its namespace.",
    why="Requests for that host and path get 503s; a leftover route also keeps a hostname pointed at whatever "
        "Service later takes the name.",
    fix="Point the backend at the right Service, or remove the path.",
    bad="backend:\n  service: {name: web-v1, port: {number: 80}}   # only Service web exists",
    good="backend:\n  service: {name: web, port: {number: 80}}",
    references=("https://kubernetes.io/docs/concepts/services-networking/ingress/", "CWE-1329"),
))
def ingress_backend_missing(objs: ObjectSet, ctx: RuleContext) -> Iterator[Hit]:
    for ing in index(objs).of_kind("Ingress"):
        present = _names(objs, "Service", ing.namespace, ing)
        if present is None:
            continue
        for name, path in _ingress_backends(ing):
            if name not in present:
                yield Hit(f'Ingress "{ing.name}" routes to Service "{name}", which these manifests do not create',
                          path, obj=ing)


@rule(_meta(
    "K8S-155", "selector-does-not-match-template", "Workload selector does not match its pod template labels",
    Severity.HIGH, Scope.OBJECT, (*SELECTOR_KINDS, "ReplicationController"),
    what="Flags Deployments, StatefulSets, DaemonSets, ReplicaSets and ReplicationControllers whose "
         "`spec.selector` does not select the labels of their own pod template.",
    why="The API server rejects such an object (`selector does not match template labels`), so the change never "
        "rolls out; with older APIs the controller created pods it then did not own, endlessly.",
    fix="Make `spec.selector` match `spec.template.metadata.labels` (and never change a Deployment's selector "
        "in place: it is immutable).",
    bad="selector:\n  matchLabels: {app: web}\ntemplate:\n  metadata:\n    labels: {app: website}",
    good="selector:\n  matchLabels: {app: web}\ntemplate:\n  metadata:\n    labels: {app: web}",
    references=("https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#selector", "CWE-1329"),
))
def selector_mismatch(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    pod = obj.pod_spec()
    if pod is None or not isinstance(obj.get("spec", "selector"), dict) or not obj.get("spec", "selector"):
        return
    labels = pod.template_labels
    selector = workload_selector(obj.kind, obj.api_version, obj.get("spec"), labels)
    if selector.problem is None and not selector.matches(labels, template=True):
        shown = ", ".join(f"{k}={v}" for k, v in list(labels.items())[:4]) or "no labels"
        yield Hit(f'{obj.kind} "{obj.name}" selector does not match its pod template ({shown})', ("spec", "selector"))


SCALE_TARGETS = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController", "Rollout",
                           "DeploymentConfig", "CloneSet"})


@rule(_meta(
    "K8S-156", "autoscaler-target-missing", "Autoscaler targets a workload the manifests do not create",
    Severity.MEDIUM, Scope.SET, ("HorizontalPodAutoscaler",),
    what="Flags HorizontalPodAutoscalers whose `scaleTargetRef` names a workload kind and name not in the set, "
         "when the autoscaler's file holds workloads of that kind in the namespace.",
    why="The autoscaler does nothing (`FailedGetScale`): the workload it was meant for stays at its fixed replica "
        "count under load.",
    fix="Correct `scaleTargetRef` (kind, name and apiVersion) to the workload it should scale.",
    bad="scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api-server}   # Deployment is named api",
    good="scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}",
    references=("https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/", "CWE-1329"),
))
def autoscaler_target_missing(objs: ObjectSet, ctx: RuleContext) -> Iterator[Hit]:
    for hpa in index(objs).of_kind("HorizontalPodAutoscaler"):
        ref = hpa.get("spec", "scaleTargetRef")
        if not isinstance(ref, dict) or not ref.get("name"):
            continue
        kind, name = str(ref.get("kind") or ""), str(ref["name"])
        if kind not in SCALE_TARGETS:
            continue
        present = _names(objs, kind, hpa.namespace, hpa)
        if present is not None and name not in present:
            yield Hit(f'HorizontalPodAutoscaler "{hpa.name}" scales {kind} "{name}", which these manifests do not '
                      "create", ("spec", "scaleTargetRef", "name"), obj=hpa)


@rule(_meta(
    "K8S-157", "duplicate-env-name", "Container sets the same environment variable twice",
    Severity.LOW, Scope.CONTAINER, WORKLOADS,
    what="Flags containers whose `env` lists the same name more than once (reported at the later entries).",
    why="Only the last value takes effect, and `kubectl apply` merges env by name, so the applied object can "
        "differ from the manifest: the value a reviewer sees first is not the one that runs.",
    fix="Keep one entry per variable.",
    bad="env:\n- {name: LOG_LEVEL, value: info}\n- {name: LOG_LEVEL, value: debug}",
    good="env:\n- {name: LOG_LEVEL, value: info}",
    references=("https://github.com/kubernetes/kubernetes/issues/58477",),
))
def duplicate_env(c: Any, ctx: RuleContext) -> Iterator[Hit]:
    env = c.get("env")
    seen: set[str] = set()
    for i, item in enumerate(env if isinstance(env, list) else []):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str):
            continue
        if name in seen:
            yield Hit(f'container "{c.name}" sets {name} more than once; the last entry wins', (*c.path, "env", i))
        seen.add(name)


def _port_names(pod: Any) -> set[str]:
    names = set()
    for c in pod.containers("container", "init"):
        ports = c.get("ports")
        for p in ports if isinstance(ports, list) else []:
            if isinstance(p, dict) and p.get("name"):
                names.add(str(p["name"]))
    return names


@rule(_meta(
    "K8S-158", "service-target-port-missing", "Service targets a named port no selected container exposes",
    Severity.MEDIUM, Scope.SET, ("Service",),
    what="Flags Service ports whose `targetPort` is a name that no container of the workloads the Service selects "
         "(in the set) declares. Numbered target ports are not judged (containers need not declare them).",
    why="Endpoints are only created for pods that have the named port: the Service has no endpoints and every "
        "connection fails, usually after someone renamed a container port.",
    fix="Use the container port's name (or its number) as `targetPort`.",
    bad="ports:\n- port: 80\n  targetPort: http   # container port is named web",
    good="ports:\n- port: 80\n  targetPort: web",
    references=("https://kubernetes.io/docs/concepts/services-networking/service/#field-spec-ports", "CWE-1329"),
))
def service_target_port_missing(objs: ObjectSet, ctx: RuleContext) -> Iterator[Hit]:
    pods = {id(obj): pod for obj, pod in workloads(objs)}
    for svc in index(objs).of_kind("Service"):
        selector = service_selector(svc.get("spec"))
        ports = svc.get("spec", "ports")
        if selector.nothing or not isinstance(ports, list):
            continue
        selected = [pods[id(obj)] for obj, _labels in selected_in(objs, svc.namespace, selector) if id(obj) in pods]
        if not selected:
            continue
        names = set().union(*(_port_names(p) for p in selected))
        for i, port in enumerate(ports):
            target = port.get("targetPort") if isinstance(port, dict) else None
            if isinstance(target, str) and not target.isdigit() and target not in names:
                yield Hit(f'Service "{svc.name}" targets port "{target}", which no selected container declares',
                          ("spec", "ports", i, "targetPort"), obj=svc)


@rule(_meta(
    "K8S-159", "route-backend-missing", "Gateway API route sends traffic to a Service the manifests do not create",
    Severity.MEDIUM, Scope.SET, ROUTE_KINDS,
    what="Flags HTTPRoute, GRPCRoute, TLSRoute, TCPRoute and UDPRoute `backendRefs` to Services (the default kind) "
         "that are not in the set, when the route's file creates Services in the backend's namespace.",
    why="The gateway answers 500 for that rule (ResolvedRefs false); a stale reference also lets whoever creates "
        "a Service of that name later receive the traffic.",
    fix="Point the backendRef at an existing Service, or remove the rule.",
    bad="backendRefs:\n- {name: store-v2, port: 8080}   # no Service store-v2",
    good="backendRefs:\n- {name: store, port: 8080}",
    references=("https://gateway-api.sigs.k8s.io/api-types/httproute/#backendrefs", "CWE-1329"),
))
def route_backend_missing(objs: ObjectSet, ctx: RuleContext) -> Iterator[Hit]:
    for route in index(objs).of_kind(*ROUTE_KINDS):
        if not route.group.startswith("gateway.networking.k8s.io"):
            continue
        rules = route.get("spec", "rules")
        for i, r in enumerate(rules if isinstance(rules, list) else []):
            refs = r.get("backendRefs") if isinstance(r, dict) else None
            for j, ref in enumerate(refs if isinstance(refs, list) else []):
                if not isinstance(ref, dict) or ref.get("kind", "Service") != "Service" or ref.get("group", "") != "":
                    continue
                ns = str(ref["namespace"]) if ref.get("namespace") else route.namespace
                present = _names(objs, "Service", ns, route)
                if present is not None and ref.get("name") and str(ref["name"]) not in present:
                    yield Hit(f'{route.kind} "{route.name}" sends traffic to Service "{ref["name"]}", which these '
                              "manifests do not create", ("spec", "rules", i, "backendRefs", j), obj=route)
