"""Levels over time as an inline SVG line chart (numbers only; the template escapes labels)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

COLOURS = ("#1d2430", "#2f6db5", "#e6a23c", "#3a9d5d", "#b5472f", "#7a57b8")
"""Overall first, then one colour per domain."""


@dataclass(frozen=True, slots=True)
class Series:
    """One line: its name, colour, SVG points and the (x, y, level) of each point."""

    name: str
    colour: str
    points: str
    dots: tuple[tuple[float, float, int], ...]


@dataclass(frozen=True, slots=True)
class Trend:
    """Geometry of the chart."""

    width: int
    height: int
    left: int
    top: int
    bottom: int
    grid: tuple[tuple[int, float], ...]
    """(level, y) of the horizontal grid lines."""
    ticks: tuple[tuple[float, str], ...]
    """(x, label) under the x axis."""
    series: tuple[Series, ...]


def trend(
    labels: list[str], series: Sequence[tuple[str, Sequence[int | None]]], width: int = 560, height: int = 220
) -> Trend | None:
    """A chart of levels (0-5) at ``labels`` (oldest first); None with fewer than two points.

    A ``None`` level (the series has no value there) gets no dot; the line joins the values it has.
    """
    n = len(labels)
    if n < 2:
        return None
    left, right, top, bottom = 34, 16, 14, 40
    inner_w, inner_h = width - left - right, height - top - bottom

    def x(i: int) -> float:
        return round(left + inner_w * i / (n - 1), 1)

    def y(level: int) -> float:
        return round(top + inner_h * (5 - max(0, min(5, level))) / 5, 1)

    out = []
    for k, (name, levels) in enumerate(series):
        # a small vertical offset per series keeps equal levels of several lines visible
        shift = (k - (len(series) - 1) / 2) * 1.5
        dots = tuple((x(i), round(y(v) + shift, 1), v) for i, v in enumerate(levels[:n]) if v is not None)
        points = " ".join(f"{px},{py}" for px, py, _ in dots)
        out.append(Series(name, COLOURS[k % len(COLOURS)], points, dots))
    step = max(1, n // 8)
    ticks = tuple((x(i), labels[i]) for i in range(0, n, step))
    return Trend(width, height, left, top, height - bottom, tuple((lv, y(lv)) for lv in range(6)), ticks, tuple(out))
