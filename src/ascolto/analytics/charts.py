"""A report table's chart drawn as SVG on the server, for the printable PDF: the same figure the
web page draws with Chart.js (`web/console/reports/_charts.html`): bars grouped per row, one
line per plotted column, or a pie, over every row of the table, in the same colours. No browser
and no JavaScript: the markup is written here and WeasyPrint draws it. Every chart has a
`<title>`, its text alternative (the PDF's /Alt), and its numbers are in the table printed
after it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from ascolto.core.tables import Table, localized

PALETTE = (
    "#0066cc",
    "#d1344c",
    "#008055",
    "#cc7a00",
    "#5c6f82",
    "#7a2e8f",
    "#00838f",
    "#995c00",
    "#1b5e20",
    "#b71c1c",
    "#283593",
    "#4e342e",
)  # _charts.html's, so the paper and the screen agree

WIDTH, HEIGHT = 640.0, 250.0  # user units; CSS scales the drawing to the page's width
FONT = 9.0
MAX_LABELS = 24  # category labels written under the axis; the others are skipped, as Chart.js does
LABEL_CHARS = 22
LEGEND_ROW = 12.0


def chart_svg(table: Table) -> SafeString | None:
    """The table's chart as an inline `<svg>` element, or None when the table has no chart or
    nothing to draw (no rows, no positive number)."""
    if not table.chart or not table.rows:
        return None
    labels = [str(row[0]) for row in table.rows]
    series = [
        (table.columns[i], [_number(row[i]) if i < len(row) else None for row in table.rows])
        for i in table.plotted
        if i < len(table.columns)
    ]
    if not series or not any(v for _name, values in series for v in values if v):
        return None
    if table.chart == "pie":
        body = _pie(labels, series[0][1])
    else:
        body = _axes(labels, series, line=table.chart == "line")
    alternative = _alternative(table, [name for name, _values in series])
    return mark_safe(  # noqa: S308 (every text in it is escaped here)
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH:g} {HEIGHT:g}" width="{WIDTH:g}" height="{HEIGHT:g}" '
        f'font-family="Titillium Web, DejaVu Sans, sans-serif" font-size="{FONT:g}">'
        f"<title>{escape(alternative)}</title>{body}</svg>"
    )


def _alternative(table: Table, names: Sequence[str]) -> str:
    kind = {
        "bar": _("Grafico a barre"),
        "line": _("Grafico a linee"),
        "pie": _("Grafico a torta"),
    }.get(table.chart, _("Grafico"))
    return _(
        "%(kind)s: %(title)s (%(series)s per %(axis)s). I valori sono nella tabella che segue."
    ) % {
        "kind": kind,
        "title": table.title,
        "series": ", ".join(names),
        "axis": table.columns[0].lower(),
    }


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _nice_ticks(top: float, bottom: float = 0.0) -> list[float]:
    """0 to a round number at or above `top`, in 4 to 6 steps of 1, 2, 2.5 or 5 × 10^n; from a
    round number at or below `bottom` when that is negative (an NPS under 0)."""
    top, bottom = max(top, 0.0), min(bottom, 0.0)
    if top - bottom <= 0:
        return [0.0, 1.0]
    raw = (top - bottom) / 5
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    low = math.floor(bottom / step + 1e-9)
    high = math.ceil(top / step - 1e-9)
    return [i * step for i in range(low, high + 1)]


def _tick_text(value: float) -> str:
    return localized(int(value) if float(value).is_integer() else value)


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _text_width(text: str) -> float:
    return 0.55 * FONT * len(text)  # an estimate, enough to lay out the labels


def _legend(names: Sequence[str], x: float, y: float, width: float) -> tuple[str, float]:
    """A swatch and a name per series, in rows that wrap at `width`; the markup and the height
    it takes."""
    parts, cursor, row = [], x, 0
    for i, name in enumerate(names):
        colour = PALETTE[i % len(PALETTE)]
        text = _short(name)
        step = 13 + _text_width(text) + 14
        if cursor > x and cursor + step - 14 > x + width:
            cursor, row = x, row + 1
        top = y + row * LEGEND_ROW
        parts.append(
            f'<rect x="{cursor:.1f}" y="{top - 7:.1f}" width="10" height="8" fill="{colour}"/>'
            f'<text x="{cursor + 13:.1f}" y="{top:.1f}">{escape(text)}</text>'
        )
        cursor += step
    return "".join(parts), (row + 1) * LEGEND_ROW


def _axes(
    labels: Sequence[str], series: Sequence[tuple[str, list[float | None]]], *, line: bool
) -> str:
    """Bars or lines over a value axis from 0 (lines: from below 0 when a value is negative),
    the rows along the bottom."""
    values = [v for _name, vs in series for v in vs if v is not None]
    ticks = _nice_ticks(max(values), min(values) if line else 0.0)
    low_value, top_value = ticks[0], ticks[-1]
    left, right = 46.0, 8.0
    every = max(1, math.ceil(len(labels) / MAX_LABELS))
    shown = [_short(label) for label in labels[::every]]
    # Labels are turned when the widest does not fit the room each one has under the axis.
    many = max(_text_width(label) for label in shown) > (WIDTH - left - right) / len(shown) - 4
    parts, top = [], 8.0
    if len(series) > 1:
        legend, tall = _legend([name for name, _vs in series], left, 10.0, WIDTH - left - right)
        parts.append(legend)
        top += tall
    bottom = 58.0 if many else 20.0
    width, height = WIDTH - left - right, HEIGHT - top - bottom

    def y_of(value: float) -> float:
        return top + height - height * (value - low_value) / (top_value - low_value)

    for tick in ticks:
        y = y_of(tick)
        parts.append(
            f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{left + width:.1f}" y2="{y:.1f}" '
            f'stroke="#d9dadb" stroke-width="0.6"/>'
            f'<text x="{left - 4:.1f}" y="{y + 3:.1f}" text-anchor="end">{_tick_text(tick)}</text>'
        )
    slot = width / len(labels)
    for i, label in enumerate(labels):
        if i % every:
            continue
        x = left + slot * (i + 0.5)
        y = top + height + 11
        text = escape(_short(label))
        if many:
            parts.append(
                f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="end" '
                f'transform="rotate(-45 {x:.1f} {y:.1f})">{text}</text>'
            )
        else:
            parts.append(f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle">{text}</text>')
    for k, (_name, vs) in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        if line:
            parts.append(_polyline(vs, left, slot, y_of, colour))
            continue
        group = slot * 0.8
        bar = group / len(series)
        for i, value in enumerate(vs):
            if not value or value < 0:
                continue
            x = left + slot * i + (slot - group) / 2 + bar * k
            y = y_of(value)
            parts.append(
                f'<rect x="{x:.2f}" y="{y:.2f}" width="{max(bar, 0.3):.2f}" '
                f'height="{y_of(0) - y:.2f}" fill="{colour}"/>'
            )
    parts.append(
        f'<line x1="{left:.1f}" y1="{top + height:.1f}" x2="{left + width:.1f}" '
        f'y2="{top + height:.1f}" stroke="#5c6f82" stroke-width="0.8"/>'
    )
    return "".join(parts)


def _polyline(
    values: Sequence[float | None], left: float, slot: float, y_of: Any, colour: str
) -> str:
    """One line per plotted column, broken where a value is missing; dots when rows are few."""
    parts, run = [], []
    for i, value in enumerate([*values, None]):
        if value is not None:
            run.append(f"{left + slot * (i + 0.5):.1f},{y_of(value):.1f}")
            continue
        if len(run) > 1:
            parts.append(
                f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                f'stroke-width="1.6"/>'
            )
        if len(values) <= 40:
            for point in run:
                x, y = point.split(",")
                parts.append(f'<circle cx="{x}" cy="{y}" r="2" fill="{colour}"/>')
        run = []
    return "".join(parts)


def _pie(labels: Sequence[str], values: Sequence[float | None]) -> str:
    """Slices of the positive values, clockwise from the top, the legend beside them."""
    slices = [(label, v) for label, v in zip(labels, values, strict=True) if v and v > 0]
    total = sum(v for _label, v in slices)
    radius, cx, cy = HEIGHT / 2 - 12, HEIGHT / 2, HEIGHT / 2
    parts, angle = [], -math.pi / 2
    for i, (_label, value) in enumerate(slices):
        colour = PALETTE[i % len(PALETTE)]
        if value >= total:
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius:.1f}" fill="{colour}"/>')
            break
        end = angle + 2 * math.pi * value / total
        large = 1 if end - angle > math.pi else 0
        x1, y1 = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
        x2, y2 = cx + radius * math.cos(end), cy + radius * math.sin(end)
        parts.append(
            f'<path d="M{cx:.1f},{cy:.1f} L{x1:.2f},{y1:.2f} '
            f'A{radius:.1f},{radius:.1f} 0 {large} 1 {x2:.2f},{y2:.2f} Z" '
            f'fill="{colour}" stroke="#ffffff" stroke-width="1"/>'
        )
        angle = end
    rows = min(len(slices), 18)
    for i, (label, value) in enumerate(slices[:rows]):
        colour = PALETTE[i % len(PALETTE)]
        y = 20 + i * 12.5
        x = HEIGHT + 20
        text = escape(f"{_short(label)} · {localized(_plain_number(value))}")
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 7:.1f}" width="10" height="8" fill="{colour}"/>'
            f'<text x="{x + 14:.1f}" y="{y:.1f}">{text}</text>'
        )
    if len(slices) > rows:
        more = _("e altre %(count)d voci (nella tabella)") % {"count": len(slices) - rows}
        parts.append(
            f'<text x="{HEIGHT + 20:.1f}" y="{20 + rows * 12.5:.1f}">{escape(more)}</text>'
        )
    return "".join(parts)


def _plain_number(value: float) -> int | float:
    return int(value) if value.is_integer() else value
