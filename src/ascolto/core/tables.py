"""Tables of numbers and how they leave the application: what every report, dashboard and
contact-center page hands to its template and its exports (headline figures, tables of
aggregated rows, optionally drawn as a chart beside them), and the CSV and XLSX writers of those
tables, for downloads (`table_csv`, `dashboard_csv`, `dashboard_xlsx`) and for the commands
(`write_table`: to the terminal, a .csv or an .xlsx file). The printable PDF of a report is the
reports' own (`analytics.exports`).

In `core` so that `analytics` and `contactcenter` share one kit without importing each other.

Every cell of every CSV and XLSX goes through `safe_cell` (formula injection, OWASP): a text
that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, carriage return first) gets
a leading `'`, so `=HYPERLINK(...)` typed by a citizen in a theme name or a subject stays text.
Only text is touched: a number, negative ones included, stays a number. In XLSX, text cells are
also typed as strings (`data_type` "s"), never formulas. Any other module that writes a CSV or a
spreadsheet (open data, the access log's export) uses `safe_cell` or `safe_row` too.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from ascolto.core.errors import InvalidInput


@dataclass
class Figure:
    """One headline number: a label, its value and how to show it."""

    label: str
    value: float | int | None
    unit: str = ""  # "%", "s", "" or a translated word ("giorni", "su 5")
    note: str = ""

    def text(self) -> str:
        """The value in the active language's format: 1.234,5 % in Italian, 1,234.5% in
        English."""
        if self.value is None:
            return "–"
        number = localized(self.value)
        if self.unit == "%":
            return f"{number}%" if _english() else f"{number} %"
        return f"{number} {self.unit}".strip()


def localized(value: Any) -> str:
    """A number as the active language writes it (Django's localisation, always grouped):
    integers as they are, other numbers with one decimal; anything else as text."""
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return number_format(value, 0 if isinstance(value, int) else 1, force_grouping=True)


def _english() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "it").startswith("en")


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


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A cell's value as an export writes it: a text a spreadsheet would run as a formula is
    prefixed with `'`; numbers, dates and anything not text are returned as they are."""
    value = _plain(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: Sequence[Any]) -> list[Any]:
    return [safe_cell(v) for v in row]


def safe_dict(row: dict[str, Any]) -> dict[str, Any]:
    """A `csv.DictWriter` row with every text value neutralised (`safe_cell`)."""
    return {k: safe_cell(v) for k, v in row.items()}


def _xlsx_append(sheet: Any, row: Sequence[Any]) -> None:
    """Append a row to an openpyxl sheet: text neutralised and typed as a string, never a
    formula; numbers stay numbers."""
    sheet.append(safe_row(row))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


# Two CSVs: the standard one (comma, decimal point, UTF-8) for programs, and the one an Italian
# Excel opens by double-click (semicolon, decimal comma, UTF-8 with a byte order mark). Numbers
# are never grouped in either, so that both read back as numbers.
CSV_STANDARD, CSV_EXCEL_IT = "csv", "csv-it"


def _csv_writer(out: io.StringIO, flavour: str) -> Any:
    return csv.writer(out, delimiter=";" if flavour == CSV_EXCEL_IT else ",")


def _csv_cell(value: Any, flavour: str) -> Any:
    if value is None:
        return ""
    value = safe_cell(value)  # before the Italian decimal comma: "-1,5" is a number, kept
    if flavour == CSV_EXCEL_IT and isinstance(value, float):
        return repr(value).replace(".", ",")
    return value


def _csv_row(row: Sequence[Any], flavour: str) -> list[Any]:
    return [_csv_cell(v, flavour) for v in row]


def table_csv(table: Table, flavour: str = CSV_STANDARD) -> str:
    out = io.StringIO()
    writer = _csv_writer(out, flavour)
    writer.writerow(_csv_row(table.columns, flavour))
    writer.writerows(_csv_row(row, flavour) for row in table.rows)
    return out.getvalue()


def dashboard_csv(board: Dashboard, flavour: str = CSV_STANDARD) -> str:
    """Every table of the dashboard in one CSV, each after a line with its title."""
    out = io.StringIO()
    writer = _csv_writer(out, flavour)
    writer.writerow([_("Misura"), _("Valore")])
    for figure in board.figures:
        writer.writerow(_csv_row([figure.label, figure.value], flavour))
    for table in board.tables:
        writer.writerow([])
        writer.writerow(_csv_row([table.title], flavour))
        writer.writerow(_csv_row(table.columns, flavour))
        writer.writerows(_csv_row(row, flavour) for row in table.rows)
    return out.getvalue()


def csv_bytes(text: str, flavour: str = CSV_STANDARD) -> bytes:
    """The bytes of a download: UTF-8, with a BOM for the Italian Excel flavour."""
    return text.encode("utf-8-sig" if flavour == CSV_EXCEL_IT else "utf-8")


def _sheet_name(title: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", " ", title)[:28].strip() or _("Foglio")
    base, n = name, 2
    while name in used:
        name = f"{base[:25]} {n}"
        n += 1
    used.add(name)
    return name


def dashboard_xlsx(board: Dashboard) -> bytes:
    # openpyxl is imported where a workbook is written: a web process that serves no export
    # does not load it (issue 19: lean web workers).
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active or book.create_sheet()
    used = {_("Sintesi")}
    sheet.title = _("Sintesi")
    _xlsx_append(sheet, [board.title])
    _xlsx_append(sheet, [board.subtitle])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    _xlsx_append(sheet, [_("Misura"), _("Valore"), _("Unità")])
    for figure in board.figures:
        _xlsx_append(sheet, [figure.label, figure.value, figure.unit])
    for table in board.tables:
        ws = book.create_sheet(_sheet_name(table.title, used))
        _xlsx_append(ws, [table.title])
        ws["A1"].font = Font(bold=True)
        _xlsx_append(ws, table.columns)
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            _xlsx_append(ws, list(row))
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
            writer.writerow(safe_row(columns))
            writer.writerows(safe_row(row) for row in rows)
    elif suffix == ".xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Font

        book = Workbook()
        sheet = book.active
        sheet.title = (title or "dati")[:31]
        _xlsx_append(sheet, list(columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            _xlsx_append(sheet, [_naive(v) for v in row])
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
