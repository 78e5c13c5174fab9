"""Tables of numbers and how they leave the application: what every report, dashboard and
contact-center page hands to its template and its exports (headline figures, tables of
aggregated rows, optionally drawn as a chart beside them), and the CSV and XLSX writers of those
tables, for downloads (`table_csv`, `dashboard_csv`, `dashboard_xlsx`) and for the commands
(`write_table`: to the terminal, a .csv or an .xlsx file). The printable PDF of a report is the
reports' own (`analytics.exports`).

In `core` so that `analytics` and `contactcenter` share one kit without importing each other.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from ascolto.core.errors import InvalidInput


@dataclass
class Figure:
    """One headline number: a label, its value and how to show it."""

    label: str
    value: float | int | None
    unit: str = ""  # "%", "s", "" or a translated word ("giorni", "su 5")
    note: str = ""

    def text(self) -> str:
        if self.value is None:
            return "–"
        if isinstance(self.value, int):
            number = f"{self.value:,}".replace(",", ".")
        else:
            number = f"{self.value:,.1f}".replace(",", "X").replace(".", ",").replace("X", ".")
        return f"{number} {self.unit}".strip() if self.unit != "%" else f"{number} %"


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Promise) else value


@dataclass
class Table:
    """Aggregated rows: the first column labels them, the others are numbers (or text).
    `chart` ("bar", "line", "pie" or "") draws the columns listed in `plotted` (indexes)."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    chart: str = ""
    plotted: tuple[int, ...] = (1,)
    note: str = ""

    def __post_init__(self) -> None:
        # Labels taken from model choices are lazy translations: resolve them once, in the
        # active language, so every export (XLSX, CSV, JSON) gets plain text.
        self.title = str(self.title)
        self.columns = [str(column) for column in self.columns]
        self.rows = [[_plain(cell) for cell in row] for row in self.rows]
        self.note = str(self.note)

    def chart_data(self) -> dict[str, Any]:
        """The chart's data in Chart.js's shape (labels and one dataset per plotted column)."""
        return {
            "type": self.chart,
            "labels": [str(row[0]) for row in self.rows],
            "datasets": [
                {
                    "label": self.columns[i],
                    "data": [
                        row[i] if isinstance(row[i], int | float) else None for row in self.rows
                    ],
                }
                for i in self.plotted
            ],
        }


@dataclass
class Dashboard:
    """A page of figures and tables for one period."""

    key: str
    title: str
    subtitle: str = ""
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def table(self, key: str) -> Table:
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(key)


def share(part: int | None, whole: int | None) -> float | None:
    """`part` as a percentage of `whole`, None when there is nothing to divide."""
    if not whole:
        return None
    return round(100.0 * (part or 0) / whole, 1)


# Downloads.


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


# The commands' tables.


class Writer(Protocol):
    """Where text tables go: a command's stdout, a file, a StringIO."""

    def write(self, text: str) -> Any: ...


def write_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    path: Path | None,
    out: Writer,
    title: str = "",
) -> None:
    """Write rows under their column headings: to `path` (.csv or .xlsx) or, with no path, as an
    aligned text table to `out`."""
    if path is None:
        _text(columns, rows, out)
        return
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            writer.writerows(rows)
    elif suffix == ".xlsx":
        book = Workbook()
        sheet = book.active
        sheet.title = (title or "dati")[:31]
        sheet.append(list(columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_naive(v) for v in row])
        sheet.freeze_panes = "A2"
        book.save(path)
    else:
        raise InvalidInput(
            _("Scrivi un file .csv o .xlsx, non %(name)s.") % {"name": path.name}, field="output"
        )
    out.write(f"{len(rows)} rows written to {path}\n")


def _naive(value: Any) -> Any:
    if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones; values are local time
    return value


def _text(columns: Sequence[str], rows: Sequence[Sequence[Any]], out: Writer) -> None:
    cells = [[_format(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in cells:
        out.write("  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n")


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    if hasattr(value, "strftime"):
        return str(value.strftime("%a %d/%m/%Y %H:%M" if hasattr(value, "hour") else "%a %d/%m/%Y"))
    return str(value)
