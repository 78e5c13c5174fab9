"""The printable PDF (reportlab) of every report and dashboard: the city's name at the head of
every page, "Pagina N di M" at its foot, the headline figures, each table with its chart drawn
beside it (reportlab's own graphics: bars, lines drawn as bars, no JavaScript), numbers in the
active language's format. The document carries its title, author and language (/Lang); reportlab
writes no structure tags, so it is not a tagged PDF/UA (see docs/decisions/0017-report-pdf.md).
Their CSV and XLSX exports are the shared table kit's (`core.tables`)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from ascolto.core.tables import Dashboard, Table, localized

CHART_ROWS = 15  # the longest tables are charted on their first rows only
BAR_COLOURS = ("#0066cc", "#5c6f82", "#d9364f", "#008758")


def _numbered_canvas(municipality: str, title: str) -> type[Canvas]:
    """A canvas that waits for the last page to write "Pagina N di M" and the header on each."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab ships no types
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._decorate(number, total)
                super().showPage()
            super().save()

        def _decorate(self, number: int, total: int) -> None:
            width, height = A4
            self.saveState()
            self.setFont("Helvetica-Bold", 9)
            self.drawString(1.5 * cm, height - 1 * cm, municipality)
            self.setFont("Helvetica", 8)
            self.drawRightString(width - 1.5 * cm, height - 1 * cm, title[:90])
            self.setStrokeColor(colors.HexColor("#0066cc"))
            self.line(1.5 * cm, height - 1.15 * cm, width - 1.5 * cm, height - 1.15 * cm)
            self.drawRightString(
                width - 1.5 * cm,
                0.8 * cm,
                _("Pagina %(number)d di %(total)d") % {"number": number, "total": total},
            )
            self.restoreState()

    return NumberedCanvas


def dashboard_pdf(board: Dashboard, *, municipality: str = "") -> bytes:
    """A printable A4 document: title, headline figures, every table."""
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=1.5 * cm,
        rightMargin=1.5 * cm,
        topMargin=1.8 * cm,
        bottomMargin=1.5 * cm,
        title=board.title,
        author=municipality,
        lang=get_language() or "it",
    )
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    story: list[object] = [
        Paragraph(
            _escape(f"{municipality} · {board.title}" if municipality else board.title),
            styles["Title"],
        ),
        Paragraph(_escape(board.subtitle), styles["Normal"]),
        Spacer(1, 0.4 * cm),
    ]
    if board.figures:
        story.append(
            _pdf_table(
                [[_("Misura"), _("Valore")], *[[f.label, f.text()] for f in board.figures]], small
            )
        )
    for note in board.notes:
        story.append(Paragraph(_escape(note), small))
    for table in board.tables:
        story.append(Spacer(1, 0.4 * cm))
        story.append(Paragraph(_escape(table.title), styles["Heading3"]))
        chart = _chart(table, doc.width)
        if chart is not None:
            story.append(KeepTogether([chart]))
        cells = [table.columns, *[[_cell(v) for v in row] for row in table.rows]]
        story.append(_pdf_table(cells, small))
    doc.build(story, canvasmaker=_numbered_canvas(municipality, board.title))
    return out.getvalue()


def _cell(value: object) -> str:
    return localized(value)


def _chart(table: Table, width: float) -> Drawing | None:
    """The table's chart as horizontal bars (one series per plotted column), or None when the
    table has no chart or nothing to draw. Pie and line charts are drawn as bars on paper."""
    if not table.chart:
        return None
    rows = table.rows[:CHART_ROWS]
    series = [
        [float(row[i]) if isinstance(row[i], int | float) else 0.0 for row in rows]
        for i in table.plotted
        if i < len(table.columns)
    ]
    if not rows or not series or not any(v for values in series for v in values):
        return None
    bar = 10 if len(series) == 1 else 6
    height = max(60.0, len(rows) * (bar * len(series) + 6) + 30)
    drawing = Drawing(width, height + 14)
    plot = HorizontalBarChart()
    plot.x, plot.y = width * 0.38, 20
    plot.width, plot.height = width * 0.58, height - 20
    plot.data = [list(reversed(values)) for values in series]
    plot.categoryAxis.categoryNames = [str(row[0])[:45] for row in reversed(rows)]
    plot.categoryAxis.labels.fontSize = 7
    plot.categoryAxis.labels.boxAnchor = "e"
    plot.valueAxis.valueMin = 0
    plot.valueAxis.labels.fontSize = 7
    plot.valueAxis.labelTextFormat = lambda v: localized(int(v) if float(v).is_integer() else v)
    plot.barWidth = bar
    for i in range(len(series)):
        plot.bars[i].fillColor = colors.HexColor(BAR_COLOURS[i % len(BAR_COLOURS)])
        plot.bars[i].strokeColor = None
    drawing.add(plot)
    legend = " · ".join(table.columns[i] for i in table.plotted if i < len(table.columns))
    drawing.add(String(0, height + 4, _("Grafico: %(what)s") % {"what": legend}, fontSize=7))
    return drawing


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _pdf_table(cells: Sequence[Sequence[object]], style: Any) -> PdfTable:
    data = [[Paragraph(_escape(str(c)), style) for c in row] for row in cells]
    table = PdfTable(data, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6ecf2")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table
