"""The Kubernetes part of a set: collect its objects, then run the object, pod, container and
set rules over them through the :class:`~cnsmm.scan.engine.RuleEngine`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from typing import Any

from cnsmm.kube import Controllers
from cnsmm.rules.base import Scope
from cnsmm.scan.budget import FileTimeout, FileTimer, scaled, timeout_message
from cnsmm.scan.engine import RuleEngine
from cnsmm.scan.sets import RenderedObject
from cnsmm.sources.interface import InputError
from cnsmm.sources.k8s import K8sObject, ObjectSet, objects_from_documents
from cnsmm.sources.yamlload import YamlDocument, load_yaml
from cnsmm.vocab import InputErrorKind

HELM_HINT = "unrendered Helm template; render it first, e.g. `helm template CHART | cnsmm scan -`"
KUSTOMIZE_GROUP = "kustomize.config.k8s.io"


class K8sSet:
    """Collects the Kubernetes objects of one set, then checks them all together."""

    def __init__(
        self,
        name: str,
        engine: RuleEngine,
        errors: list[InputError] | None = None,
        skipped: list[dict[str, str]] | None = None,
        timer: FileTimer | None = None,
    ) -> None:
        self.name = name
        self.timer = timer
        """Per-file time budget for the rules over each file's objects (None: no limit)."""
        self.engine = engine
        self.objects: list[K8sObject] = []
        self.errors: list[InputError] = [] if errors is None else errors
        """Input errors of the manifests (appended to the list given)."""
        self.skipped: list[dict[str, str]] = [] if skipped is None else skipped
        """Parts left out, with the reason (appended to the list given)."""
        self.object_keys: list[str] = []
        self.releases: list[Any] = []
        """Components a helmfile of the set installs (for the capability detectors)."""
        self._exceptions: Any = None
        self._origins: dict[int, RenderedObject] = {}
        """Rendered objects with a field-level origin, by ``id`` of their object."""
        self._set_origin: RenderedObject | None = None

    def add_file(self, file: str, text: str) -> None:
        """Parse one manifest file and keep its objects."""
        from cnsmm.capabilities.gitops import is_helmfile, releases_from_helmfile

        if is_helmfile(file):
            self.releases.extend(releases_from_helmfile(text, file))
            return
        docs, problems = load_yaml(text)
        templated = "{{" in text and "}}" in text
        if templated and (problems or "/templates/" in "/" + file.replace("\\", "/")):
            self.skipped.append({"file": file, "reason": HELM_HINT})
            return
        for p in problems:
            self.errors.append(InputError(file, p.line, f"invalid YAML: {p.message}", p.kind))
        self._keep(docs, file, parse_failed=bool(problems))

    def add_rendered(self, rendered: Sequence[RenderedObject]) -> None:
        """Keep already-parsed documents (from a renderer), each shown at its own origin."""
        for item in rendered:
            objects, skipped = objects_from_documents([item.document], item.file)
            for obj in objects:
                if item.locate is not None:
                    # lines stay those of the rendered document; _emit maps them to the source
                    self._origins[id(obj)] = item
                    self._set_origin = self._set_origin or item
                    continue
                if item.line is not None:
                    obj.line = item.line
                if not item.exact_lines:
                    obj.field_lines = False
            self._filter(objects, skipped, item.file, parse_failed=False)

    def _keep(self, docs: list[YamlDocument], file: str, parse_failed: bool) -> None:
        objects, skipped = objects_from_documents(docs, file)
        self._filter(objects, skipped, file, parse_failed)

    def _filter(self, objects: list[K8sObject], skipped: int, file: str, parse_failed: bool) -> None:
        kept = []
        for obj in objects:
            if obj.group == KUSTOMIZE_GROUP:
                reason = f"kustomize {obj.kind} (configuration, not a resource)"
                self.skipped.append({"file": file, "reason": reason})
                continue
            kept.append(obj)
        if skipped and not kept and not parse_failed:
            self.skipped.append({"file": file, "reason": "no Kubernetes objects (no apiVersion and kind)"})
        elif skipped:
            self.skipped.append({"file": file, "reason": f"{skipped} document(s) that are not Kubernetes objects"})
        self.objects.extend(kept)

    def check(self) -> None:
        """Run every Kubernetes rule over the collected objects."""
        from cnsmm.capabilities.exceptions import ExceptionMatcher

        engine = self.engine
        config = engine.suppressor.config
        self._exceptions = ExceptionMatcher(self.objects, tuple(getattr(config, "exceptions", ())))
        controllers = Controllers(o for o in self.objects if o.pod_spec() is not None)
        timed_out: set[str] = set()
        for file, group in _runs_by_file(self.objects):
            if file in timed_out:
                continue
            mark = (len(engine.out.findings), engine.out.suppressed, len(self.object_keys))
            try:
                with self.timer.running(file) if self.timer is not None else nullcontext():
                    for obj in group:
                        self._check_object(obj, controllers)
            except FileTimeout:
                timed_out.add(file)
                self._forget(file, mark)
        if timed_out:
            self.objects = [o for o in self.objects if o.file not in timed_out]
        set_rules = engine.rules(Scope.SET)
        if set_rules:
            objset = ObjectSet(self.name, self.objects)
            budget = scaled(self.timer.clock.seconds, sum(self.timer.sizes.values())) if self.timer else 0.0
            for rule in set_rules:
                targets = set(rule.meta.targets)
                judged = [self._subject(o) for o in self.objects if "*" in targets or o.kind in targets]
                first = len(engine.out.findings)
                try:
                    with self.timer.clock.running(budget) if self.timer is not None else nullcontext():
                        hits = engine.check(rule, objset, judged, file=self.name, where=f"the objects of {self.name}")
                        for hit in hits or ():
                            self._emit(rule, [hit], hit.obj,
                                       self._subject(hit.obj) if hit.obj is not None else self.name)
                except FileTimeout:
                    del engine.out.findings[first:]
                    self.errors.append(InputError(self.name, None, f"rule {rule.id} on the objects of the set "
                                                  f"{timeout_message(budget)}", InputErrorKind.TIMEOUT))
        if self._exceptions.problem is not None:
            self.errors.append(InputError(self.name, None, self._exceptions.problem, InputErrorKind.TIMEOUT))

    def _check_object(self, obj: K8sObject, controllers: Controllers) -> None:
        engine = self.engine
        subject = self._subject(obj)
        self.object_keys.append(f"{obj.kind}/{obj.namespace or ''}/{obj.name}")
        for rule in engine.rules(Scope.OBJECT, obj.kind):
            self._emit(rule, engine.check(rule, obj, [subject], file=obj.file, line=obj.line, where=obj.resource),
                       obj, subject)
        pod = obj.pod_spec()
        if pod is None or controllers.controlled(obj):
            return
        for rule in engine.rules(Scope.POD, obj.kind, crd=True):
            self._emit(rule, engine.check(rule, pod, [subject], file=obj.file, line=obj.line, where=obj.resource),
                       obj, subject)
        container_rules = engine.rules(Scope.CONTAINER, obj.kind, crd=True)
        if container_rules:
            containers = list(pod.containers())
            for rule in container_rules:
                kinds = rule.meta.containers
                for c in containers:
                    if c.kind in kinds or (c.is_sidecar and "container" in kinds):
                        hits = engine.check(rule, c, [subject], file=obj.file, line=obj.line, where=obj.resource)
                        self._emit(rule, hits, obj, subject)

    def _forget(self, file: str, mark: tuple[int, int, int]) -> None:
        """Drop what the rules produced for ``file``'s objects (its budget ran out) and say so."""
        out = self.engine.out
        del out.findings[mark[0]:]
        out.suppressed = mark[1]
        del self.object_keys[mark[2]:]
        mine = {self._subject(o) for o in self.objects if o.file == file}
        mine -= {self._subject(o) for o in self.objects if o.file != file}
        for subjects in (*out.evaluated.values(), *out.failed.values()):
            subjects.difference_update(mine)
        seconds = self.timer.budget(file) if self.timer is not None else 0.0
        self.errors.append(InputError(file, None, timeout_message(seconds), InputErrorKind.TIMEOUT))

    def _subject(self, obj: K8sObject) -> str:
        return f"{self.name}::{obj.resource}"

    def _emit(self, rule: Any, hits: list[Any] | None, obj: K8sObject | None, subject: str) -> None:
        if hits is None:
            return
        for hit in hits:
            target = hit.obj if hit.obj is not None else obj
            if target is not None:
                line = hit.line or target.line_of(hit.path)
                file = hit.file or target.file
            else:
                line, file = hit.line, hit.file or ""
            failing = [subject, *(self._subject(other) for other in hit.related)]
            origin = self._origins.get(id(target)) if target is not None else self._set_origin
            if origin is not None and origin.locate is not None:
                file, line = origin.locate(line if target is not None else None)
            build = origin.build if origin is not None else None
            self.engine.emit(rule, hit.message, file, line, target, failing, self._exceptions.reason, build=build)


def _runs_by_file(objects: list[K8sObject]) -> Iterator[tuple[str, list[K8sObject]]]:
    """Consecutive objects of the same file, in order."""
    run: list[K8sObject] = []
    for obj in objects:
        if run and obj.file != run[0].file:
            yield run[0].file, run
            run = []
        run.append(obj)
    if run:
        yield run[0].file, run


def detect_capabilities(objects: list[K8sObject], releases: list[Any]) -> list[Any]:
    """Security components among ``objects`` and helmfile ``releases`` (``Detection`` values)."""
    if not objects and not releases:
        return []
    from cnsmm.capabilities import detect

    return list(detect(objects, releases))
