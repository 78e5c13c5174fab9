"""The report PDF's charts, drawn as SVG on the server (analytics/charts.py): the page's chart
type over every row, valid SVG with its text alternative, labels escaped, nothing drawn when
there is nothing to draw."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from django.utils import translation

from ascolto.analytics.charts import PALETTE, chart_svg
from ascolto.core.tables import Table

SVG = "{http://www.w3.org/2000/svg}"


def _svg(table: Table) -> ET.Element:
    with translation.override("it"):
        markup = chart_svg(table)
    assert markup is not None
    return ET.fromstring(str(markup))  # noqa: S314 (our own markup): well-formed, or this raises


def _bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if float(r.get("height", "8")) != 8]


def test_grouped_bars_one_per_non_zero_value_in_each_series_colour() -> None:
    table = Table(
        "c",
        "Casi per canale",
        ["Canale", "Casi", "Risolti"],
        [["Telefono", 120, 100], ["Web", 80, 0], ["Email", 30, None]],
        chart="bar",
        plotted=(1, 2),
    )
    root = _svg(table)
    title = root.find(f"{SVG}title")
    assert title is not None
    assert title.text == (
        "Grafico a barre: Casi per canale (Casi, Risolti per canale). "
        "I valori sono nella tabella che segue."
    )
    bars = _bars(root)
    assert [b.get("fill") for b in bars] == [PALETTE[0]] * 3 + [PALETTE[1]]
    heights = [float(b.get("height", "0")) for b in bars]
    assert heights[0] == max(heights) and heights[1] / heights[0] == pytest.approx(80 / 120, 0.01)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"Telefono", "Web", "Email", "Casi", "Risolti"} <= set(texts)
    assert "125" in texts  # the value axis ends on a round number above the largest value


def test_lines_break_where_a_value_is_missing() -> None:
    rows = [[f"{m:02d}/2026", m, None if m == 6 else m * 2] for m in range(1, 13)]
    table = Table(
        "m", "Mese per mese", ["Mese", "Casi", "Chiamate"], rows, chart="line", plotted=(1, 2)
    )
    root = _svg(table)
    lines = list(root.iter(f"{SVG}polyline"))
    assert [line.get("stroke") for line in lines] == [PALETTE[0], PALETTE[1], PALETTE[1]]
    assert [len(line.get("points", "").split()) for line in lines] == [12, 5, 6]
    assert root.find(f"{SVG}title").text.startswith("Grafico a linee: Mese per mese")  # type: ignore[union-attr]


def test_a_line_below_zero_stays_inside_an_axis_from_below_zero() -> None:
    rows = [["Gennaio", 10.0], ["Febbraio", -46.8], ["Marzo", 35.7]]
    table = Table("n", "NPS mese per mese", ["Mese", "NPS"], rows, chart="line", plotted=(1,))
    root = _svg(table)
    ticks = {
        float(t.text.replace(",", ".")): float(t.get("y", "0")) - 3
        for t in root.iter(f"{SVG}text")
        if t.get("text-anchor") == "end" and t.text and t.get("transform") is None
    }
    assert sorted(ticks) == [-60, -40, -20, 0, 20, 40]  # round numbers around both ends
    line = next(root.iter(f"{SVG}polyline"))
    ys = [float(point.split(",")[1]) for point in line.get("points", "").split()]
    # Every point between the axis's ends, where its value falls on the ticks' scale.
    assert all(ticks[40] <= y <= ticks[-60] for y in ys)
    for value, y in zip([10.0, -46.8, 35.7], ys, strict=True):
        assert y == pytest.approx(
            ticks[-60] + (ticks[40] - ticks[-60]) * (value + 60) / 100, abs=0.1
        )


def test_a_pie_has_a_slice_per_positive_value_and_a_legend() -> None:
    table = Table(
        "a",
        "Temi",
        ["Area", "Casi"],
        [["Anagrafe", 70], ["Tributi", 60], ["Altro", 0]],
        chart="pie",
    )
    root = _svg(table)
    assert len(list(root.iter(f"{SVG}path"))) == 2
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Anagrafe · 70" in texts and "Tributi · 60" in texts
    whole = Table("w", "Tutto", ["Area", "Casi"], [["Solo", 5]], chart="pie")
    assert len(list(_svg(whole).iter(f"{SVG}circle"))) == 1


def test_labels_are_escaped_and_long_ones_shortened() -> None:
    label = '<script>alert("x")</script> una voce molto lunga'
    table = Table("x", "A <b>", ["Voce", "N"], [[label, 3], ["Tari & Imu", 2]], chart="bar")
    with translation.override("it"):
        markup = str(chart_svg(table))
    assert "<script>" not in markup and "<b>" not in markup
    root = ET.fromstring(markup)  # noqa: S314 (our own markup); the texts read back unescaped
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert '<script>alert("x")</s…' in texts and "Tari & Imu" in texts
    assert "A <b>" in (root.find(f"{SVG}title").text or "")  # type: ignore[union-attr]


def test_many_rows_skip_labels_but_draw_every_bar() -> None:
    rows = [[f"giorno {d:03d}", d % 7 + 1] for d in range(365)]
    root = _svg(Table("d", "Casi per giorno", ["Giorno", "Casi"], rows, chart="bar"))
    assert len(_bars(root)) == 365
    labels = [t for t in root.iter(f"{SVG}text") if re.fullmatch(r"giorno \d{3}", t.text or "")]
    assert 12 <= len(labels) <= 24 and all("rotate" in (t.get("transform") or "") for t in labels)
    # Twelve months fit under the axis as they are.
    months = [[f"{m:02d}/2026", m] for m in range(1, 13)]
    root = _svg(Table("m", "Casi per mese", ["Mese", "Casi"], months, chart="bar"))
    labels = [t for t in root.iter(f"{SVG}text") if (t.text or "").endswith("/2026")]
    assert len(labels) == 12 and not any(t.get("transform") for t in labels)


def test_a_long_legend_wraps_inside_the_chart() -> None:
    names = [f"Area con un nome lungo {i}" for i in range(10)]
    rows = [[f"{m:02d}/2026", *range(m, m + 10)] for m in range(1, 13)]
    table = Table(
        "a", "Per area", ["Mese", *names], rows, chart="line", plotted=tuple(range(1, 11))
    )
    root = _svg(table)
    swatches = [r for r in root.iter(f"{SVG}rect") if r.get("height") == "8"]
    assert len(swatches) == 10
    assert all(float(r.get("x", "0")) + 10 < 640 for r in swatches)
    assert len({r.get("y") for r in swatches}) >= 3  # in rows
    lowest = max(float(r.get("y", "0")) for r in swatches)
    axis_top = min(float(line.get("y1", "0")) for line in root.iter(f"{SVG}line"))
    assert lowest + 8 < axis_top  # the legend stays above the plot


@pytest.mark.parametrize(
    "table",
    [
        Table("n", "Senza grafico", ["A", "N"], [["x", 1]]),
        Table("e", "Vuota", ["A", "N"], [], chart="bar"),
        Table("z", "Zeri", ["A", "N"], [["x", 0], ["y", None]], chart="bar"),
        Table("t", "Testo", ["A", "B"], [["x", "testo"]], chart="pie"),
    ],
)
def test_nothing_to_draw_draws_nothing(table: Table) -> None:
    assert chart_svg(table) is None
