"""Geometry of the inline-SVG radar chart of domain levels (the template draws it)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Axis:
    """One spoke: its end point, label position and value."""

    x: float
    y: float
    lx: float
    ly: float
    anchor: str
    label: str
    value: str
    title: str


@dataclass(frozen=True, slots=True)
class Radar:
    """Everything the template needs: rings, axes and polygons as SVG point lists."""

    size: int
    center: float
    rings: tuple[str, ...]
    axes: tuple[Axis, ...]
    level: str
    score: str
    target: str


def _point(cx: float, r: float, i: int, n: int) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * i / n
    return cx + r * math.cos(angle), cx + r * math.sin(angle)


def _poly(cx: float, radius: float, values: list[float]) -> str:
    n = len(values)
    pts = [_point(cx, radius * max(0.0, min(v, 5.0)) / 5, i, n) for i, v in enumerate(values)]
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)


def radar(
    labels: list[str],
    levels: list[int],
    scores: list[float],
    targets: list[int],
    size: int = 360,
    titles: list[str] | None = None,
) -> Radar:
    """A radar of ``levels`` (solid), ``scores`` (light) and ``targets`` (dashed), one axis per label.

    ``labels`` should be short (domain ids); ``titles`` (full names) become tooltips.
    """
    titles = titles or labels
    cx = size / 2
    radius = size / 2 - 70
    n = len(labels)
    rings = tuple(_poly(cx, radius, [float(k)] * n) for k in range(1, 6))
    axes = []
    for i, text in enumerate(labels):
        x, y = _point(cx, radius, i, n)
        lx, ly = _point(cx, radius + 22, i, n)
        anchor = "middle" if abs(lx - cx) < 5 else ("start" if lx > cx else "end")
        axes.append(Axis(x, y, lx, ly, anchor, text, f"L{levels[i]} · {scores[i]:.2f}", titles[i]))
    return Radar(
        size,
        cx,
        rings,
        tuple(axes),
        _poly(cx, radius, [float(v) for v in levels]),
        _poly(cx, radius, scores),
        _poly(cx, radius, [float(t) for t in targets]),
    )
