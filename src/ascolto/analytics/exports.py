"""The printable PDF (reportlab) of every report and dashboard. Their CSV and XLSX exports are
the shared table kit's (`core.tables`)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from ascolto.core.tables import Dashboard


def dashboard_pdf(board: Dashboard, *, municipality: str = "") -> bytes:
    """A printable A4 document: title, headline figures, every table."""
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=1.5 * cm,
        rightMargin=1.5 * cm,
        topMargin=1.5 * cm,
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
        cells = [table.columns, *[[_cell(v) for v in row] for row in table.rows]]
        story.append(_pdf_table(cells, small))
    doc.build(story)
    return out.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    return str(value)


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
