"""Geometry of the console's pictures: numbers in, rectangles and ticks out (templates draw).

No chart JavaScript and no HTML here: ``_partials/charts/*.html`` turn these
values into inline SVG.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from vault.business_hours import BusinessHours
from web import i18n
from web.local_dates import day_month

WIDTH, HEIGHT = 720, 170
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 10, 26


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    value: int
    label: str
    highlight: bool


@dataclass(frozen=True, slots=True)
class Tick:
    x: float
    text: str


@dataclass(frozen=True, slots=True)
class BarChart:
    title: str
    width: int
    height: int
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    max_value: int
    baseline: float
    total: int


def day_bars(title: str, days: list[date], counts: Counter[date]) -> BarChart:
    """One bar per day; weekends highlighted (for the eye, not as an alert)."""
    top = max([*(counts[d] for d in days), 1])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(days), 1)
    bars, ticks = [], []
    every = max(1, len(days) // 10)
    for i, d in enumerate(days):
        h = counts[d] / top * plot_h
        x = LEFT + i * step
        bars.append(
            Bar(
                round(x + step * 0.1, 1),
                round(TOP + plot_h - h, 1),
                round(step * 0.8, 1),
                round(h, 1),
                counts[d],
                d.isoformat(),
                d.weekday() >= 5,
            )
        )
        if i % every == 0:
            ticks.append(Tick(round(x + step / 2, 1), day_month(d, i18n.current_language())))
    total = sum(counts[d] for d in days)
    return BarChart(title, WIDTH, HEIGHT, tuple(bars), tuple(ticks), top, TOP + plot_h, total)


@dataclass(frozen=True, slots=True)
class Cell:
    x: int
    y: int
    size: int
    value: int
    opacity: float
    open: bool  # inside business hours
    weekday: int
    hour: int


@dataclass(frozen=True, slots=True)
class HourMap:
    width: int
    height: int
    cells: tuple[Cell, ...]
    hours: tuple[Tick, ...]
    off_total: int
    total: int


def hour_map(counts: Counter[tuple[int, int]], hours: BusinessHours) -> HourMap:
    """Weekday x hour of accesses; cells outside business hours drawn in the warning colour."""
    size, left, top = 24, 44, 18
    peak = max([*counts.values(), 1])
    cells = []
    off_total = 0
    for wd in range(7):
        for hr in range(24):
            value = counts[(wd, hr)]
            is_open = hours.hour_open(wd, hr)
            off_total += 0 if is_open else value
            opacity = 0.08 if value == 0 else round(0.25 + 0.75 * value / peak, 2)
            cells.append(
                Cell(left + hr * size, top + wd * size, size - 2, value, opacity, is_open, wd, hr)
            )
    ticks = tuple(Tick(left + h * size + size / 2, f"{h:02d}") for h in range(0, 24, 3))
    return HourMap(
        left + 24 * size, top + 7 * size + 4, tuple(cells), ticks, off_total, sum(counts.values())
    )
