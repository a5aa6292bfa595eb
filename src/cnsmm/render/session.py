"""Rendering as one step of a scan: plan, build, and say what happened to each file.

:func:`prepare` takes the files a scan found and returns the rendered sets to check, the files
not to check on their own (consumed by a build, patches, generator inputs, chart files), the
builds that failed (input errors) and one warning per renderer that is missing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cnsmm.config import RenderSettings
from cnsmm.render.build import Rendered, read_file, render_all
from cnsmm.render.helm import RELEASE_NAMESPACE
from cnsmm.render.plan import HelmOptions, Plan, make_plan
from cnsmm.render.runner import Cache, Tool, default_cache_dir, find_helm, find_kustomize
from cnsmm.sources.interface import InputError
from cnsmm.vocab import InputErrorKind


@dataclass
class Prepared:
    """What rendering contributes to a scan."""

    rendered: list[Rendered] = field(default_factory=list)
    """Builds that succeeded: each is checked as one set."""
    errors: list[InputError] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    drop: set[str] = field(default_factory=set)
    """Files not to check on their own."""
    builds: int = 0
    cached: int = 0


def prepare(
    files: Sequence[str],
    settings: RenderSettings,
    workers: int,
    read: Callable[[str], str | None] = read_file,
) -> Prepared:
    """Plan and run the builds of the scanned ``files``."""
    out = Prepared()
    helm_options = HelmOptions(
        settings.helm_release, settings.helm_namespace or RELEASE_NAMESPACE, settings.helm_values,
        settings.helm_ci_values,
    )
    plan = make_plan([f for f in files if f != "-"], read, helm_options)
    for path, reason in sorted(plan.not_objects.items()):
        if path in plan.chart_files:
            continue
        out.drop.add(path)
        out.skipped.append({"file": path, "reason": reason})
    for root, why in plan.unbuildable:
        out.warnings.append(f"{root}: not built: {why}")
    if not plan.builds:
        _drop_charts(plan, set(), out)
        return out
    if not settings.enabled:
        _drop_charts(plan, set(), out)
        out.skipped.extend({"file": b.file, "reason": f"{b.tool} {b.label} not built (--no-render)"}
                           for b in plan.builds)
        return out
    tools: dict[str, Tool] = {}
    missing: dict[str, str] = {}
    for name, finder, configured in (("kustomize", find_kustomize, settings.kustomize),
                                     ("helm", find_helm, settings.helm)):
        if any(b.tool == name for b in plan.builds):
            tool, why = finder(configured)
            if tool is not None:
                tools[name] = tool
            else:
                missing[name] = why
    for name, why in missing.items():
        roots = sorted({b.label for b in plan.builds if b.tool == name})
        shown = ", ".join(roots[:5]) + (f" and {len(roots) - 5} more" if len(roots) > 5 else "")
        what = "kustomization root(s)" if name == "kustomize" else "Helm chart(s)"
        after = ("their resource files were checked as they are; patches and generator inputs were skipped"
                 if name == "kustomize" else "their files were not checked")
        out.warnings.append(f"{len(roots)} {what} not built ({why}): {shown}; {after}. "
                            f"Install it or set render.{name} in the config")
    cache = Cache(default_cache_dir() if settings.cache_dir is None else settings.cache_dir or None)
    results = render_all(plan.builds, tools, timeout=settings.timeout, cache=cache,
                         helm_options=helm_options, workers=workers)
    built: set[str] = set()
    for r in results:
        out.builds += 1
        if r.error is not None:
            out.errors.append(InputError(r.build.file, None, f"{r.build.tool} build of {r.build.label} failed: "
                                         f"{r.error}", InputErrorKind.RENDER))
            continue
        out.cached += r.cached
        if r.note:
            out.warnings.append(f"{r.build.file}: {r.note}")
        built.add(r.build.root)
        out.rendered.append(r)
    for path, roots in sorted(plan.consumed.items()):
        done = sorted({r for r in roots if r in built})
        if done:
            out.drop.add(path)
            out.skipped.append({"file": path, "reason": f"checked as built by kustomize root {', '.join(done)}"})
    _drop_charts(plan, built, out)
    return out


def _drop_charts(plan: Plan, built: set[str], out: Prepared) -> None:
    for path, chart in sorted(plan.chart_files.items()):
        out.drop.add(path)
        if path == os.path.normpath(os.path.join(chart, "Chart.yaml")):
            state = "rendered and checked" if chart in built else "not rendered"
            out.skipped.append({"file": path, "reason": f"Helm chart {chart} ({state}); its files are not "
                                                        "checked on their own"})
