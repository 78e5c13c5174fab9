"""Exports of every report and dashboard: CSV (one table), XLSX (one sheet per table, with the
headline figures first) and a printable PDF (reportlab)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from ascolto.analytics.tables import Dashboard, Table


def table_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.columns)
    writer.writerows(["" if v is None else v for v in row] for row in table.rows)
    return out.getvalue()


def dashboard_csv(board: Dashboard) -> str:
    """Every table of the dashboard in one CSV, each after a line with its title."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Misura"), _("Valore")])
    for figure in board.figures:
        writer.writerow([figure.label, "" if figure.value is None else figure.value])
    for table in board.tables:
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.columns)
        writer.writerows(["" if v is None else v for v in row] for row in table.rows)
    return out.getvalue()


def _sheet_name(title: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", " ", title)[:28].strip() or _("Foglio")
    base, n = name, 2
    while name in used:
        name = f"{base[:25]} {n}"
        n += 1
    used.add(name)
    return name


def dashboard_xlsx(board: Dashboard) -> bytes:
    book = Workbook()
    sheet = book.active or book.create_sheet()
    used = {_("Sintesi")}
    sheet.title = _("Sintesi")
    sheet.append([board.title])
    sheet.append([board.subtitle])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    sheet.append([_("Misura"), _("Valore"), _("Unità")])
    for figure in board.figures:
        sheet.append([figure.label, figure.value, figure.unit])
    for table in board.tables:
        ws = book.create_sheet(_sheet_name(table.title, used))
        ws.append([table.title])
        ws["A1"].font = Font(bold=True)
        ws.append(table.columns)
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            ws.append(list(row))
        ws.column_dimensions["A"].width = 40
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


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
