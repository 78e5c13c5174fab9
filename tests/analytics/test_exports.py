"""Exports open in the tools people use: the XLSX in openpyxl, the CSV in a CSV reader, the PDF
is a PDF with pages."""

from __future__ import annotations

import csv
import io
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from tests import personas
from tests.analytics.conftest import HandBuilt
from tests.pdfread import Pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(client: Client, cast: personas.Cast) -> Client:
    client.force_login(cast.analyst)
    return client


def _query(hand_built: HandBuilt) -> str:
    p = hand_built.period
    return f"periodo=personalizzato&dal={p.start:%Y-%m-%d}&al={p.end:%Y-%m-%d}"


def test_xlsx_has_a_sheet_per_table_with_the_numbers(
    analyst: Client, hand_built: HandBuilt
) -> None:
    response = analyst.get(f"/console/reports/?{_query(hand_built)}&formato=xlsx")

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[0] == "Sintesi"
    summary = {row[0]: row[1] for row in book["Sintesi"].iter_rows(values_only=True) if row[0]}
    assert summary["Casi aperti nel periodo"] == 13
    assert summary["Tasso di risposta 020202"] == 81.8
    sheets = {ws["A1"].value: ws for ws in book.worksheets}
    rows = list(sheets["Tempi di risoluzione (casi risolti)"].iter_rows(values_only=True))
    assert rows[1][0] == "Fascia" and rows[2][1] == 7  # seven cases resolved within a day


def test_csv_of_one_table_and_of_everything(analyst: Client, hand_built: HandBuilt) -> None:
    one = analyst.get(f"/console/reports/?{_query(hand_built)}&formato=csv&tabella=areas")
    rows = list(csv.reader(io.StringIO(one.content.decode("utf-8"))))

    assert rows == [
        ["Area", "Casi", "Quota (%)"],
        ["Anagrafe e servizi civici", "7", "53.8"],
        ["Tributi", "6", "46.2"],
    ]
    everything = analyst.get(f"/console/reports/?{_query(hand_built)}&formato=csv").content.decode()
    assert "Contact center 020202" in everything and "Casi per canale" in everything
    assert (
        analyst.get(f"/console/reports/?{_query(hand_built)}&formato=csv&tabella=nope").status_code
        == 404
    )


def test_pdf_of_the_monthly_report(analyst: Client, hand_built: HandBuilt) -> None:
    response = analyst.get(f"/console/reports/?{_query(hand_built)}&formato=pdf")

    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response.content.rstrip().endswith(b"%%EOF")
    assert Pdf(response.content).pages()  # its objects read back, with pages


def test_the_command_prints_and_writes_the_report(hand_built: HandBuilt, tmp_path: Path) -> None:
    p = hand_built.period
    out = StringIO()
    call_command(
        "monthly_report",
        "--start",
        f"{p.start:%Y-%m-%d}",
        "--end",
        f"{p.end:%Y-%m-%d}",
        "--xlsx",
        str(tmp_path / "r.xlsx"),
        "--csv",
        str(tmp_path / "r.csv"),
        "--pdf",
        str(tmp_path / "r.pdf"),
        stdout=out,
    )

    printed = out.getvalue()
    assert "Tasso di risposta 020202" in printed and "81,8 %" in printed
    assert "Tasso di risposta 020202" in Pdf((tmp_path / "r.pdf").read_bytes()).text()[0]
    assert load_workbook(tmp_path / "r.xlsx").sheetnames[0] == "Sintesi"
    assert "Casi per canale" in (tmp_path / "r.csv").read_text(encoding="utf-8")
