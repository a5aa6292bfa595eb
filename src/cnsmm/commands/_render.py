"""Command-line options for rendering Kustomize roots and Helm charts (scan, assess)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import click

from cnsmm.config import Config


def render_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add the rendering options; the command receives them as one ``render`` dict."""
    options = [
        click.option("--no-render", is_flag=True,
                     help="Do not build Kustomize roots or Helm charts: check files as they are "
                          "(patches and chart files are still not checked as objects)."),
        click.option("--helm-values", "helm_values", multiple=True, type=click.Path(dir_okay=False),
                     metavar="FILE", help="Values file for every Helm chart scanned (repeatable, in order)."),
        click.option("--helm-ci-values", is_flag=True,
                     help="Also render each chart with each of its own ci/*-values.yaml files."),
        click.option("--helm-release", metavar="NAME", help="Release name for `helm template` (default: release)."),
        click.option("--helm-namespace", metavar="NS",
                     help="Namespace for `helm template` (default: none; objects the chart puts in the release "
                          "namespace are checked as manifests without one)."),
        click.option("--render-timeout", type=click.FloatRange(min=1), metavar="SECONDS",
                     help="Time one build may take (default: 120)."),
    ]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs["render"] = {k: kwargs.pop(k) for k in (
            "no_render", "helm_values", "helm_ci_values", "helm_release", "helm_namespace", "render_timeout")}
        return func(*args, **kwargs)

    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


def apply_render(config: Config, render: dict[str, Any] | None) -> Config:
    """``config`` with the rendering options of the command line applied."""
    if not render:
        return config
    settings = config.render
    if render.get("no_render"):
        settings = replace(settings, enabled=False)
    if render.get("helm_values"):
        settings = replace(settings, helm_values=settings.helm_values + tuple(render["helm_values"]))
    if render.get("helm_ci_values"):
        settings = replace(settings, helm_ci_values=True)
    if render.get("helm_release"):
        settings = replace(settings, helm_release=render["helm_release"])
    if render.get("helm_namespace"):
        settings = replace(settings, helm_namespace=render["helm_namespace"])
    if render.get("render_timeout"):
        settings = replace(settings, timeout=float(render["render_timeout"]))
    return replace(config, render=settings)
