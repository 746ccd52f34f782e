"""Charts for the trend PDFs, drawn with reportlab.graphics shapes from the same frozen series
the dashboard draws (no Qt, no matplotlib).

Suppressed counts (`None`, shown as "<5") are never drawn as a made-up height: a stacked bar
leaves them out and the bar carries a small "+<5" mark; a single bar prints "<5" with no bar;
a heat-map cell is hatched grey.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from datetime import date

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors

from app.domain.trends import Bar, Granularity, HeatMap, Series, TimeSeries
from app.reports.pdf_base import FONT, INK, MUTED, RULE, colour_or, tint

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SUPPRESSED_FILL = colors.HexColor("#d5d9de")
LABEL = 7.5


def nice_top(value: int) -> int:
    """A round axis maximum at or above `value` (1, 2 or 5 times a power of ten)."""
    if value <= 5:
        return 5
    power: int = 10 ** (len(str(value)) - 1)  # value > 5 here, so a whole power of ten
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def period_label(start: date, granularity: Granularity) -> str:
    if granularity is Granularity.MONTH:
        return start.strftime("%b %y")
    return f"{start.day} {start.strftime('%b')}"


def stacked_bars(ts: TimeSeries, width: float, height: float,
                 comparison: Series | None = None) -> Drawing:
    """Counts over time, one stack per period, one colour per series; an optional line of
    last year's totals over them."""
    d = Drawing(width, height)
    left, bottom, top_pad = 34.0, 26.0, 8.0
    plot_w, plot_h = width - left - 6, height - bottom - top_pad
    n = len(ts.periods)
    totals = [sum(s.values[i] or 0 for s in ts.series) for i in range(n)]
    last = [v or 0 for v in comparison.values] if comparison else []
    top = nice_top(max([*totals, *last, 1]))
    _value_axis(d, left, bottom, plot_w, plot_h, top)
    slot = plot_w / max(n, 1)
    bar_w = max(1.0, slot * 0.72)
    for i in range(n):
        x = left + i * slot + (slot - bar_w) / 2
        y = bottom
        hidden = False
        for s in ts.series:
            value = s.values[i]
            if value is None:
                hidden = True
                continue
            if value:
                h = plot_h * value / top
                d.add(Rect(x, y, bar_w, h, fillColor=colors.HexColor(colour_or(s.colour)),
                           strokeColor=None))
                y += h
        if hidden:
            d.add(String(x + bar_w / 2, y + 1.5, "+<5", fontName=FONT, fontSize=5.5,
                         fillColor=MUTED, textAnchor="middle"))
    _period_labels(d, ts, left, bottom, slot)
    if comparison is not None and n:
        points = [(left + (i + 0.5) * slot, bottom + plot_h * (v or 0) / top)
                  for i, v in enumerate(comparison.values)]
        for (x1, y1), (x2, y2) in itertools.pairwise(points):
            d.add(Line(x1, y1, x2, y2, strokeColor=colors.HexColor(comparison.colour),
                       strokeWidth=1.2, strokeDashArray=[3, 2]))
    return d


def _value_axis(d: Drawing, left: float, bottom: float, plot_w: float, plot_h: float,
                top: int) -> None:
    for k in range(5):
        value = top * k / 4
        y = bottom + plot_h * k / 4
        d.add(Line(left, y, left + plot_w, y, strokeColor=RULE, strokeWidth=0.4))
        text = f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"
        d.add(String(left - 3, y - 2.5, text, fontName=FONT, fontSize=LABEL, fillColor=MUTED,
                     textAnchor="end"))


def _period_labels(d: Drawing, ts: TimeSeries, left: float, bottom: float,
                   slot: float) -> None:
    every = max(1, math.ceil(34 / max(slot, 0.1)))  # about 34 points a label
    for i, start in enumerate(ts.periods):
        if i % every == 0:
            d.add(String(left + (i + 0.5) * slot, bottom - 11,
                         period_label(start, ts.granularity), fontName=FONT, fontSize=LABEL,
                         fillColor=MUTED, textAnchor="middle"))


def legend(series: Sequence[Series], width: float, columns: int = 3) -> Drawing:
    rows = math.ceil(len(series) / columns) if series else 0
    d = Drawing(width, max(rows * 12, 1))
    col_w = width / columns
    for i, s in enumerate(series):
        x = (i % columns) * col_w
        y = (rows - 1 - i // columns) * 12 + 2
        if s.key == "last_year":
            d.add(Line(x, y + 3.5, x + 8, y + 3.5, strokeColor=colors.HexColor(s.colour),
                       strokeWidth=1.2, strokeDashArray=[3, 2]))
        else:
            d.add(Rect(x, y, 8, 7, fillColor=colors.HexColor(colour_or(s.colour)),
                       strokeColor=None))
        d.add(String(x + 11, y + 0.5, s.label[:34], fontName=FONT, fontSize=LABEL,
                     fillColor=INK))
    return d


def horizontal_bars(bars: Sequence[Bar], width: float) -> Drawing:
    """One labelled bar per category or year group, its count at the end ("<5" alone)."""
    row, label_w = 14.0, 150.0
    d = Drawing(width, max(len(bars) * row, 1))
    top = nice_top(max([b.value or 0 for b in bars] + [1]))
    plot_w = width - label_w - 40
    for i, b in enumerate(bars):
        y = (len(bars) - 1 - i) * row + 3
        d.add(String(label_w - 6, y + 1, b.label[:30], fontName=FONT, fontSize=LABEL + 0.5,
                     fillColor=INK, textAnchor="end"))
        if b.value is None:
            d.add(String(label_w, y + 1, "<5", fontName=FONT, fontSize=LABEL + 0.5,
                         fillColor=MUTED))
            continue
        w = plot_w * b.value / top
        d.add(Rect(label_w, y - 1, max(w, 0.5), row - 5,
                   fillColor=colors.HexColor(colour_or(b.colour)), strokeColor=None))
        d.add(String(label_w + w + 4, y + 1, f"{b.value:,}", fontName=FONT,
                     fontSize=LABEL + 0.5, fillColor=INK))
    return d


def heat_map(hm: HeatMap, width: float, first_hour: int = 0, last_hour: int = 23) -> Drawing:
    """Weekday rows × hour columns, darker for more; suppressed cells hatched grey."""
    hours = range(first_hour, last_hour + 1)
    label_w, cell_h = 28.0, 13.0
    cell_w = (width - label_w) / len(hours)
    d = Drawing(width, 7 * cell_h + 14)
    peak = max([v or 0 for row in hm.cells for v in row] + [1])
    for r, name in enumerate(WEEKDAYS):
        y = (6 - r) * cell_h + 12
        d.add(String(label_w - 4, y + 3.5, name, fontName=FONT, fontSize=LABEL,
                     fillColor=MUTED, textAnchor="end"))
        for c, hour in enumerate(hours):
            x = label_w + c * cell_w
            value = hm.cells[r][hour]
            if value is None:
                d.add(Rect(x, y, cell_w - 1, cell_h - 1, fillColor=SUPPRESSED_FILL,
                           strokeColor=None))
                d.add(Line(x, y, x + cell_w - 1, y + cell_h - 1, strokeColor=colors.white,
                           strokeWidth=0.6))
                continue
            shade = colors.HexColor(tint("#1e3a5f", 0.08 + 0.92 * value / peak)) if value \
                else colors.HexColor("#f4f6f8")
            d.add(Rect(x, y, cell_w - 1, cell_h - 1, fillColor=shade, strokeColor=None))
    for c, hour in enumerate(hours):
        if hour % 3 == 0:
            d.add(String(label_w + (c + 0.5) * cell_w, 2, f"{hour:02d}", fontName=FONT,
                         fontSize=LABEL - 0.5, fillColor=MUTED, textAnchor="middle"))
    return d
