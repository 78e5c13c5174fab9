"""What every report and dashboard hands to the pages and the exports: headline figures and
tables of aggregated numbers, each table optionally drawn as a chart beside it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise


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
