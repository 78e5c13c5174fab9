"""Tables out of the contact-center commands: to the terminal, to CSV or to XLSX (openpyxl)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from ascolto.core.errors import InvalidInput


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
            sheet.append([_plain(v) for v in row])
        sheet.freeze_panes = "A2"
        book.save(path)
    else:
        raise InvalidInput(
            _("Scrivi un file .csv o .xlsx, non %(name)s.") % {"name": path.name}, field="output"
        )
    out.write(f"{len(rows)} rows written to {path}\n")


def _plain(value: Any) -> Any:
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
