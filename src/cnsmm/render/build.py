"""Running the builds of a plan (in parallel, through the cache) and mapping their output back.

Each build's output is checked as one set. :meth:`Rendered.locate` turns a line of that
output into the source file and line a finding should name (see :mod:`cnsmm.render.sourcemap`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from cnsmm.render import helm, helmdeps, kustomize, sourcemap
from cnsmm.render.plan import Build, HelmOptions
from cnsmm.render.runner import Cache, Outcome, Tool, cache_key, run
from cnsmm.render.sourcemap import Document, FileCache
from cnsmm.sources.yamlload import YMap, load_yaml


@dataclass
class Rendered:
    """The outcome of one build."""

    build: Build
    text: str = ""
    """The objects to check (YAML stream; kustomize origin annotations taken out)."""
    error: str | None = None
    """The renderer's message when the build failed."""
    warnings: str = ""
    """What the renderer printed on standard error although it succeeded."""
    cached: bool = False
    docs: list[Document] = field(default_factory=list)
    note: str = ""
    """What the user should know about a build that succeeded (e.g. subcharts left out)."""
    _mapper: _Mapper | None = None

    @property
    def name(self) -> str:
        """The name the output is checked under (never a real file's path)."""
        return f"<{self.build.tool} {self.build.label}>"

    def locate(self, line: int | None, read: Callable[[str], str | None] | None = None) -> tuple[str, int | None]:
        """The source file and line of ``line`` of :attr:`text`."""
        if self._mapper is None:
            self._mapper = _Mapper(self, read or read_file)
        return self._mapper.locate(line)

    def locator(self) -> Locator:
        """:meth:`locate` as a callable that can be sent to a worker process."""
        return Locator(self)


@dataclass(frozen=True, slots=True)
class Locator:
    """``locator(line) -> (file, line)`` for one build (picklable, unlike a closure)."""

    rendered: Rendered

    def __call__(self, line: int | None) -> tuple[str, int | None]:
        return self.rendered.locate(line)


def read_file(path: str) -> str | None:
    """Text of a source file for the mapping (None when it cannot be read)."""
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


def render_all(
    builds: Sequence[Build],
    tools: dict[str, Tool],
    *,
    timeout: float,
    cache: Cache,
    helm_options: HelmOptions,
    workers: int,
) -> list[Rendered]:
    """Build every build whose tool is available, ``workers`` at a time, in input order."""

    def one(build: Build) -> Rendered:
        return render_one(build, tools[build.tool], timeout=timeout, cache=cache, helm_options=helm_options)

    todo = [b for b in builds if b.tool in tools]
    if workers > 1 and len(todo) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(one, todo))
    else:
        results = [one(b) for b in todo]
    cache.prune()
    return results


def render_one(build: Build, tool: Tool, *, timeout: float, cache: Cache, helm_options: HelmOptions) -> Rendered:
    """Run one build (or take it from the cache)."""
    if build.tool == "helm":
        args = helm.template_args(build.root, helm_options.release, helm_options.namespace, build.values)
        absent = helmdeps.missing(build.root)
        note, problem = _missing_subcharts(build, absent)
        if problem:
            return Rendered(build, error=problem)
        key = cache_key(tool, [*args[:1], *args[2:]], build.inputs, build.root)
        text = cache.get(key)
        if text is not None:
            outcome = Outcome(True, text, "", True)
        elif absent:  # every missing subchart is disabled: render a copy that does not list them
            copy = helmdeps.copy_without(build.root, absent)
            try:
                outcome = run([*tool.argv, args[0], copy, *args[2:]], timeout)
            finally:
                shutil.rmtree(os.path.dirname(copy), ignore_errors=True)
        else:
            outcome = run([*tool.argv, *args], timeout)
        if outcome.ok and not outcome.cached:
            cache.put(key, outcome.output)
        if not outcome.ok:
            return Rendered(build, error=outcome.message)
        docs = sourcemap.split_helm(outcome.output)
        return Rendered(build, outcome.output, None, outcome.message, outcome.cached, docs, note=note)
    key = cache_key(tool, ["kustomize-origin-v1"], build.inputs, build.root)
    cached = cache.get(key)
    if cached is not None:
        with contextlib.suppress(ValueError, TypeError, KeyError):
            entry = json.loads(cached)
            docs = [Document(int(d["start"]), dict(d["origin"])) for d in entry["docs"]]
            return Rendered(build, str(entry["text"]), None, "", True, docs)
    outcome, wrapper = _kustomize(tool, build.root, timeout)
    if not outcome.ok:
        return Rendered(build, error=outcome.message)
    stripped, docs = sourcemap.split_kustomize(outcome.output)
    root = os.path.abspath(build.root)
    for doc in docs:
        for field_name in ("path", "configuredIn"):
            where = doc.origin.get(field_name)
            if isinstance(where, str) and "repo" not in doc.origin:
                # origin paths are relative to the temporary wrapper: keep them relative to the root
                absolute = os.path.normpath(os.path.join(wrapper, where))
                doc.origin[field_name] = os.path.relpath(absolute, root)
    entry = {"text": stripped, "docs": [{"start": d.start, "origin": d.origin} for d in docs]}
    cache.put(key, json.dumps(entry))
    return Rendered(build, stripped, None, outcome.message, False, docs)


def _missing_subcharts(build: Build, absent: list[helmdeps.Dependency]) -> tuple[str, str]:
    """(note, problem) about dependencies of the chart that are not in its ``charts/`` folder:
    a note when the values disable all of them (the chart renders without them), else the
    problem that stops the build."""
    if not absent:
        return "", ""
    values = helmdeps.values_of(build.root, build.values)
    states = [(d, *d.enabled(values)) for d in absent]
    enabled = [d.name + (f" ({why})" if why else " (no condition switches it off)") for d, on, why in states if on]
    names = ", ".join(d.name for d in absent)
    if enabled:
        return "", (f"subchart(s) {', '.join(enabled)} enabled but missing from {os.path.join(build.root, 'charts')}"
                    f" (Chart.yaml lists {names}). Run `helm dependency build {build.root}` (it downloads them) "
                    f"or copy them into charts/; the rest of the tree was scanned")
    why = ", ".join(w for _, _, w in states if w)
    return (f"rendered without subchart(s) {names}: Chart.yaml lists them but they are not in charts/, and the "
            f"values disable them ({why}), so they would render nothing. Run `helm dependency build "
            f"{build.root}` to render with them"), ""


def _kustomize(tool: Tool, root: str, timeout: float) -> tuple[Outcome, str]:
    """Build ``root`` through a wrapper kustomization that records each object's origin."""
    wrapper = tempfile.mkdtemp(prefix="cnsmm-kustomize-")
    try:
        with open(os.path.join(wrapper, "kustomization.yaml"), "w", encoding="utf-8") as handle:
            handle.write(kustomize.wrapper_text(root, wrapper))
        outcome = run([*tool.argv, wrapper], timeout)
    finally:
        shutil.rmtree(wrapper, ignore_errors=True)
    if outcome.ok or "timed out" in outcome.message:
        return outcome, wrapper
    # the renderer's own message, without the wrapper's layer of context
    message, n = _WRAPPER_LAYER.subn("", outcome.message, count=1)
    if n == 0:
        direct = run([*tool.argv, root], timeout)
        message = direct.message if not direct.ok else outcome.message
    return Outcome(False, "", explain(message)), wrapper


_WRAPPER_LAYER = re.compile(
    r"accumulating resources: accumulation err='accumulating resources from '[^']*': '[^']*' must resolve to a "
    r"file': recursed accumulation of path '[^']*': "
)
_WARNING = re.compile(r"# Warning: [^;]*(?:; |$)")
_MISSING = re.compile(r"lstat ([^:]+): no such file or directory")
_NO_KUSTOMIZATION = re.compile(r"unable to find one of [^;]*? in directory '([^']+)'")


def explain(message: str) -> str:
    """The renderer's message without deprecation warnings, the most specific cause first."""
    message = _WARNING.sub("", message).strip()
    missing = _MISSING.findall(message)
    if missing:
        return f"missing file {missing[-1]} (kustomize: {message})"
    no_root = _NO_KUSTOMIZATION.findall(message)
    if no_root:
        return f"no kustomization file in {no_root[-1]} (kustomize: {message})"
    if "Could not resolve host" in message or "dial tcp" in message:
        return f"remote resource could not be fetched (no network access?) (kustomize: {message})"
    return message


class _Mapper:
    """Maps lines of one build's output to source files and lines."""

    def __init__(self, rendered: Rendered, read: Callable[[str], str | None]) -> None:
        self.rendered = rendered
        self.files = FileCache(read)
        self.relative = not os.path.isabs(rendered.build.root)
        loaded, _ = load_yaml(rendered.text)
        self.values: list[Any] = [None] * len(rendered.docs)
        find = sourcemap.docs_at(rendered.docs)
        for doc in loaded:
            index = find(doc.line)
            if self.values[index] is None:
                self.values[index] = doc.value
        self.find = find
        self.indexes: dict[int, dict[int, tuple[Any, ...]]] = {}
        self._named: dict[tuple[str, str], dict[str, YMap]] = {}
        self._matches: dict[tuple[str, str, str], YMap | None] = {}
        self._templates: dict[str, sourcemap.TemplateIndex] = {}

    def _matching_object(self, source: str, kind: str, name: str) -> YMap | None:
        """:func:`sourcemap.matching_object` in ``source``, looked up once per object: an exact
        name through an index of the file's documents, else the scan for a prefixed or
        suffixed name (so a base of n objects costs n lookups, not n findings x n documents)."""
        key = (source, kind, name)
        if key not in self._matches:
            docs = self.files.docs(source)
            named = self._named.get((source, kind))
            if named is None:
                named = self._named[(source, kind)] = {}
                for d in docs:
                    meta = d.get("metadata") if isinstance(d, YMap) and d.get("kind") == kind else None
                    own = str(meta.get("name") or "") if isinstance(meta, dict) else ""
                    if own:
                        named.setdefault(own, d)
            exact = named.get(name)
            self._matches[key] = exact if exact is not None else sourcemap.matching_object(docs, kind, name)
        return self._matches[key]

    def locate(self, line: int | None) -> tuple[str, int | None]:
        build = self.rendered.build
        fallback = (build.file, 1)
        if line is None or not self.rendered.docs:
            return fallback
        i = self.find(line)
        doc = self.rendered.docs[i]
        value = self.values[i]
        if not isinstance(value, YMap):
            return fallback
        if i not in self.indexes:
            self.indexes[i] = sourcemap.path_index(value)
        path = self.indexes[i].get(line, ())
        if build.tool == "helm":
            return self._helm(doc, value, path)
        return self._kustomize(doc, value, path)

    def _helm(self, doc: Document, value: YMap, path: tuple[Any, ...]) -> tuple[str, int | None]:
        build = self.rendered.build
        chart = helm.Chart(build.root, build.chart_name)
        file = helm.template_file(chart, doc.source)
        text = self.files.text(file)
        if text is None or file == os.path.normpath(chart.file):
            return file, 1
        found = self._templates.get(file)
        if found is None:
            found = self._templates[file] = sourcemap.TemplateIndex(text)
        return file, found.line(str(value.get("kind") or ""), path)

    def _kustomize(self, doc: Document, value: YMap, path: tuple[Any, ...]) -> tuple[str, int | None]:
        build = self.rendered.build
        origin = doc.origin
        kind = str(value.get("kind") or "")
        meta = value.get("metadata")
        name = str(meta.get("name") or "") if isinstance(meta, dict) else ""
        if "repo" in origin:
            return build.file, None
        where = origin.get("path") or origin.get("configuredIn")
        if not isinstance(where, str):
            return build.file, 1
        source = self._resolve(where)
        if "path" not in origin:
            return self._generated(source, origin, name)
        obj = self._matching_object(source, kind, name)
        if obj is None:
            return source, 1
        depth, found = sourcemap.follow(value, obj, path)
        if depth < len(path):
            best = (depth, source, found)
            for patch in build.patches:
                for pdoc in self.files.docs(patch):
                    if isinstance(pdoc, YMap) and pdoc.get("kind") in (kind, None):
                        pdepth, pline = sourcemap.follow(value, pdoc, path)
                        if pdepth > best[0] and pdepth > 2:
                            best = (pdepth, patch, pline)
            _, source, found = best
        return sourcemap.display_path(source, self.relative), found

    def _generated(self, kfile: str, origin: dict[str, Any], name: str) -> tuple[str, int | None]:
        by = origin.get("configuredBy")
        generator = str(by.get("kind") or "") if isinstance(by, dict) else ""
        field_name = {"ConfigMapGenerator": "configMapGenerator", "SecretGenerator": "secretGenerator"}.get(generator)
        k = kustomize.parse(kfile, self.files.text(kfile) or "")
        line: int | None = 1
        if field_name:
            named = [(n, ln) for key, ln in k.lines.items() if key.startswith(field_name + ":")
                     for n in [key.split(":", 1)[1]] if n and n in name]
            line = max(named, key=lambda x: len(x[0]))[1] if named else k.lines.get(field_name, 1)
        return sourcemap.display_path(kfile, self.relative), line

    def _resolve(self, where: str) -> str:
        """An origin path (relative to the root) as a path like the root's."""
        return os.path.normpath(os.path.join(self.rendered.build.root, where))
