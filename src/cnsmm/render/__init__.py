"""Rendering what gets deployed: Kustomize roots and Helm charts, built with the real tools.

- :mod:`cnsmm.render.plan` finds the roots and charts of a scanned tree and the role of each
  file (consumed by a build, patch, generator input, chart file).
- :mod:`cnsmm.render.build` runs the builds in parallel through a content-keyed cache.
- :mod:`cnsmm.render.sourcemap` maps a line of rendered output back to its source file and line.
"""

from cnsmm.render.build import Rendered, render_all
from cnsmm.render.plan import Build, HelmOptions, Plan, make_plan
from cnsmm.render.runner import Cache, Tool, default_cache_dir, find_helm, find_kustomize

__all__ = [
    "Build",
    "Cache",
    "HelmOptions",
    "Plan",
    "Rendered",
    "Tool",
    "default_cache_dir",
    "find_helm",
    "find_kustomize",
    "make_plan",
    "render_all",
]
