"""Checking the Kubernetes objects of one set against the object, pod, container and set rules."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from cnsmm.kube import Controllers
from cnsmm.rules.base import Hit, Rule, RuleContext, Scope
from cnsmm.sources.interface import InputError
from cnsmm.sources.k8s import K8sObject, ObjectSet, objects_from_documents
from cnsmm.sources.yamlload import load_yaml
from cnsmm.suppress import Suppressor

if TYPE_CHECKING:
    from cnsmm.scan import _SetOutput

HELM_HINT = "unrendered Helm template; render it first, e.g. `helm template CHART | cnsmm scan -`"
KUSTOMIZE_GROUP = "kustomize.config.k8s.io"


class K8sChecker:
    """Collects the objects of a set, then runs every Kubernetes rule over them."""

    def __init__(self, rules: list[Rule], ctx: RuleContext, suppressor: Suppressor, out: _SetOutput) -> None:
        self.ctx = ctx
        self.suppressor = suppressor
        self.out = out
        self.objects: list[K8sObject] = []
        self.exceptions: Any = None
        self.releases: list[Any] = []
        """Components a helmfile of the set installs (for the capability detectors)."""
        self.by_kind: dict[Scope, dict[str, list[Rule]]] = {
            s: defaultdict(list) for s in (Scope.OBJECT, Scope.POD, Scope.CONTAINER)
        }
        self.any_kind: dict[Scope, list[Rule]] = defaultdict(list)
        self.set_rules: list[Rule] = []
        self.locate: Callable[[int | None], tuple[str, int | None]] | None = None
        """For built objects: a line of the build's output -> its source file and line."""
        self.build: str | None = None
        """For built objects: ``kustomize:ROOT`` or ``helm:CHART``."""
        for r in rules:
            scope = r.meta.scope
            if scope == Scope.SET:
                self.set_rules.append(r)
            elif scope in self.by_kind:
                if "*" in r.meta.targets:
                    self.any_kind[scope].append(r)
                for kind in r.meta.targets:
                    self.by_kind[scope][kind].append(r)

    def add_file(self, file: str, text: str) -> None:
        """Parse one manifest file and keep its objects."""
        from cnsmm.capabilities.gitops import is_helmfile, releases_from_helmfile

        if is_helmfile(file):
            self.releases.extend(releases_from_helmfile(text, file))
            return
        docs, problems = load_yaml(text)
        templated = "{{" in text and "}}" in text
        if templated and (problems or "/templates/" in "/" + file.replace("\\", "/")):
            self.out.skipped.append({"file": file, "reason": HELM_HINT})
            return
        for p in problems:
            kind = "alias-bomb" if "alias bomb" in p.message else "depth" if "nested deeper" in p.message else "parse"
            self.out.errors.append(InputError(file, p.line, f"invalid YAML: {p.message}", kind))
        objects, skipped = objects_from_documents(docs, file)
        kept = []
        for obj in objects:
            if obj.group == KUSTOMIZE_GROUP:
                reason = f"kustomize {obj.kind} (configuration, not a resource)"
                self.out.skipped.append({"file": file, "reason": reason})
                continue
            kept.append(obj)
        if skipped and not kept and not problems:
            self.out.skipped.append({"file": file, "reason": "no Kubernetes objects (no apiVersion and kind)"})
        elif skipped:
            self.out.skipped.append({"file": file, "reason": f"{skipped} document(s) that are not Kubernetes objects"})
        self.objects.extend(kept)

    def finish(self, set_name: str) -> None:
        """Run every rule over the collected objects; write findings and coverage."""
        out = self.out
        failed: dict[str, set[str]] = defaultdict(set)
        evaluated: dict[str, list[str]] = defaultdict(list)
        controllers = Controllers(o for o in self.objects if o.pod_spec() is not None)
        self.exceptions = _exceptions(self.objects, self.suppressor)
        for obj in self.objects:
            subject = f"{set_name}::{obj.resource}"
            out.object_keys.append(f"{obj.kind}/{obj.namespace or ''}/{obj.name}")
            for rule in self._rules_for(Scope.OBJECT, obj.kind):
                evaluated[rule.id].append(subject)
                self._emit(rule, rule.check(obj, self.ctx), obj, subject, failed)
            pod = obj.pod_spec()
            if pod is None or controllers.controlled(obj):
                continue
            for rule in self._rules_for(Scope.POD, obj.kind, crd=True):
                evaluated[rule.id].append(subject)
                self._emit(rule, rule.check(pod, self.ctx), obj, subject, failed)
            container_rules = self._rules_for(Scope.CONTAINER, obj.kind, crd=True)
            if container_rules:
                containers = list(pod.containers())
                for rule in container_rules:
                    kinds = rule.meta.containers
                    applicable = [c for c in containers if c.kind in kinds or (c.is_sidecar and "container" in kinds)]
                    if not applicable:
                        continue
                    evaluated[rule.id].append(subject)
                    for c in applicable:
                        self._emit(rule, rule.check(c, self.ctx), obj, subject, failed)
        if self.set_rules:
            objset = ObjectSet(set_name, self.objects)
            for rule in self.set_rules:
                targets = set(rule.meta.targets)
                for obj in self.objects:
                    if "*" in targets or obj.kind in targets:
                        evaluated[rule.id].append(f"{set_name}::{obj.resource}")
                for hit in rule.check(objset, self.ctx):
                    obj = hit.obj
                    subject = f"{set_name}::{obj.resource}" if obj is not None else set_name
                    self._emit(rule, [hit], obj, subject, failed)
        for rid, subjects in evaluated.items():
            unique = sorted(set(subjects))
            out.coverage[rid] = (unique, sorted(failed.get(rid, set())))
        out.capabilities.extend(_detect(self.objects, self.releases))
        out.warnings.extend(self.suppressor.warnings)

    def _rules_for(self, scope: Scope, kind: str, crd: bool = False) -> list[Rule]:
        rules = self.by_kind[scope].get(kind)
        if rules is None and crd:
            # a custom resource with a pod template: the rules written for workload templates apply
            rules = self.by_kind[scope].get("Deployment", [])
        extra = [r for r in self.any_kind.get(scope, []) if r not in (rules or [])]
        return (rules or []) + extra

    def _emit(
        self, rule: Rule, hits: Any, obj: K8sObject | None, subject: str, failed: dict[str, set[str]]
    ) -> None:
        for hit in hits:
            assert isinstance(hit, Hit)
            target = hit.obj if hit.obj is not None else obj
            if target is not None:
                line = hit.line or target.line_of(hit.path)
                file = hit.file or target.file
            else:
                line, file = hit.line, hit.file or ""
            if self.locate is not None:
                file, line = self.locate(line)
            finding = self.suppressor.finding(rule, hit.message, file, line, target, build=self.build)
            if finding is None:
                self.out.suppressed += 1
                continue
            expected = self.exceptions.reason(rule.id, target)
            if expected:
                finding = replace(finding, expected_exception=expected)
            self.out.findings.append(finding)
            failed[rule.id].add(subject)
            for other in hit.related:
                failed[rule.id].add(f"{subject.split('::', 1)[0]}::{other.resource}")


def _exceptions(objects: list[K8sObject], suppressor: Suppressor) -> Any:
    from cnsmm.capabilities.exceptions import ExceptionMatcher

    return ExceptionMatcher(objects, tuple(getattr(suppressor.config, "exceptions", ())))


def _detect(objects: list[K8sObject], releases: list[Any]) -> list[Any]:
    if not objects and not releases:
        return []
    from cnsmm.capabilities import detect

    return list(detect(objects, releases))
