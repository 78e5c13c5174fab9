"""Reports made readable (issue 15): the monthly report opens on the last complete month, one
period control (month, quarter, year, custom) with clear errors, numbers in each language's
format, two CSVs (standard and for the Italian Excel) and a PDF with charts, header and pages.

The analytics conftest stands the clock on 17 June 2026; tests that need another day travel."""

from __future__ import annotations

import re
import sys
from datetime import date, datetime
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import translation

from ascolto.analytics import exports
from ascolto.analytics.period import Period
from ascolto.core.errors import InvalidInput
from ascolto.core.tables import Dashboard, Figure, Table, dashboard_csv, localized
from tests import personas
from tests.analytics.conftest import HandBuilt
from tests.pdfread import Pdf, pdf_string, string_value

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")


@pytest.fixture
def analyst(client: Client, cast: personas.Cast) -> Client:
    client.force_login(cast.analyst)
    return client


def _query(hand_built: HandBuilt) -> str:
    p = hand_built.period
    return f"periodo=personalizzato&dal={p.start:%Y-%m-%d}&al={p.end:%Y-%m-%d}"


# The period.


@pytest.mark.parametrize(
    ("today", "start", "end"),
    [
        (date(2027, 1, 5), date(2026, 12, 1), date(2026, 12, 31)),
        (date(2026, 3, 1), date(2026, 2, 1), date(2026, 2, 28)),
        (date(2024, 3, 31), date(2024, 2, 1), date(2024, 2, 29)),
    ],
)
def test_the_last_complete_month(today: date, start: date, end: date) -> None:
    assert Period.last_complete_month(today) == Period(start, end)


def test_quarters() -> None:
    assert Period.quarter(2026, 1) == Period(date(2026, 1, 1), date(2026, 3, 31))
    assert Period.quarter(2026, 4) == Period(date(2026, 10, 1), date(2026, 12, 31))
    with pytest.raises(InvalidInput):
        Period.quarter(2026, 5)


@pytest.mark.parametrize(
    ("now", "shown"),
    [
        (datetime(2027, 1, 5, 9, 0, tzinfo=ROME), "01/12/2026–31/12/2026"),
        (datetime(2026, 7, 1, 0, 30, tzinfo=ROME), "01/06/2026–30/06/2026"),
    ],
)
def test_the_monthly_report_opens_on_the_last_complete_month(
    client: Client, cast: personas.Cast, now: datetime, shown: str
) -> None:
    with time_machine.travel(now):
        client.force_login(cast.analyst)  # a session opened "now", not in June
        response = client.get("/console/reports/")
    assert response.context["board"].subtitle.endswith(shown)
    html = response.content.decode()
    assert '<option value="mese" selected>' in html
    assert f'value="{shown[6:10]}-{shown[3:5]}"' in html  # the month input, AAAA-MM


def test_one_control_of_kind_and_inputs_in_a_shareable_get_form(analyst: Client) -> None:
    html = analyst.get("/console/reports/").content.decode()
    form = re.search(r'<form method="get".*?</form>', html, re.S)
    assert form is not None
    for kind in ("mese", "trimestre", "anno", "personalizzato"):
        assert f'<option value="{kind}"' in form.group(0)
    for name in ("mese", "trimestre", "anno", "dal", "al"):
        assert f'name="{name}"' in form.group(0)
        assert f'<label for="id_{name}"' in form.group(0)


def test_a_quarter_is_a_period(analyst: Client) -> None:
    response = analyst.get("/console/reports/?periodo=trimestre&trimestre=1&anno=2026")
    assert response.context["board"].subtitle.endswith("01/01/2026–31/03/2026")
    assert '<option value="1" selected>' in response.content.decode()
    missing = analyst.get("/console/reports/?periodo=trimestre&anno=2026").content.decode()
    assert "Scegli il trimestre." in missing


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("periodo=mese&mese=2026-07", "non è ancora iniziato"),
        ("periodo=trimestre&trimestre=3&anno=2026", "non è ancora iniziato"),
        ("periodo=personalizzato&dal=2026-05-10&al=2026-05-01", "precede la data di inizio"),
        ("periodo=personalizzato&dal=2020-01-01&al=2026-05-01", "al massimo tre anni"),
    ],
)
def test_bad_periods_are_refused_with_a_clear_error(
    analyst: Client, query: str, error: str
) -> None:
    response = analyst.get(f"/console/reports/?{query}")
    assert response.status_code == 200 and response.context["board"] is None
    html = response.content.decode()
    assert error in html and 'aria-invalid="true"' in html


def test_the_current_month_so_far_is_allowed(analyst: Client) -> None:
    response = analyst.get("/console/reports/?periodo=mese&mese=2026-06")
    assert response.context["board"] is not None


# Numbers.


def test_numbers_one_way_per_language() -> None:
    with translation.override("it"):
        assert localized(1234.5) == "1.234,5" and localized(1234567) == "1.234.567"
        assert Figure("x", 81.83, "%").text() == "81,8 %"
        assert Figure("x", 1234, "giorni").text() == "1.234 giorni"
    with translation.override("en"):
        assert localized(1234.5) == "1,234.5" and localized(1234567) == "1,234,567"
        assert Figure("x", 81.83, "%").text() == "81.8%"
    assert localized(None) == "–" and localized("testo") == "testo"


def test_the_report_page_in_both_languages(analyst: Client, hand_built: HandBuilt) -> None:
    italian = analyst.get(f"/console/reports/?{_query(hand_built)}").content.decode()
    english = analyst.get(
        f"/console/reports/?{_query(hand_built)}", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "81,8 %" in italian and "81.8%" in english


# The two CSVs.

BOARD = Dashboard(
    key="prova",
    title="Prova",
    figures=[Figure("Tasso", 81.8, "%")],
    tables=[Table("t", "Tempi", ["Tema", "Giorni", "Casi"], [["TARI; avvisi", 2.5, 1234]])],
)


def test_the_standard_csv_bytes() -> None:
    data = dashboard_csv(BOARD).encode()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert b"Tasso,81.8\r\n" in data
    assert b"TARI; avvisi,2.5,1234\r\n" in data


def test_the_italian_excel_csv_bytes(analyst: Client, hand_built: HandBuilt) -> None:
    response = analyst.get(f"/console/reports/?{_query(hand_built)}&formato=csv-it")
    data = response.content
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    assert response["Content-Disposition"].endswith('-excel.csv"')
    assert b"Tasso di risposta 020202;81,8\r\n" in data
    standard = analyst.get(f"/console/reports/?{_query(hand_built)}&formato=csv").content
    assert not standard.startswith(b"\xef\xbb\xbf")
    assert b"Tasso di risposta 020202,81.8\r\n" in standard
    one = analyst.get(f"/console/reports/?{_query(hand_built)}&formato=csv-it&tabella=areas")
    assert one.content.startswith(b"\xef\xbb\xbf") and b";" in one.content.splitlines()[0]


def test_a_semicolon_in_a_label_is_quoted_in_the_italian_csv() -> None:
    from ascolto.core.tables import CSV_EXCEL_IT, csv_bytes

    data = csv_bytes(dashboard_csv(BOARD, CSV_EXCEL_IT), CSV_EXCEL_IT)
    assert data.startswith(b"\xef\xbb\xbfMisura;Valore\r\n")
    assert b'"TARI; avvisi";2,5;1234\r\n' in data
    assert b"Tasso;81,8\r\n" in data


def test_every_page_links_both_csvs(analyst: Client, hand_built: HandBuilt) -> None:
    html = analyst.get(f"/console/reports/?{_query(hand_built)}").content.decode()
    assert "formato=csv-it&amp;tabella=areas" in html and "formato=csv&amp;tabella=areas" in html
    assert "CSV per Excel italiano" in html


# The PDF: tagged (PDF/UA-1, WeasyPrint), read with tests/pdfread.py.


def _pdf(analyst: Client, hand_built: HandBuilt, *, language: str = "it") -> Pdf:
    response = analyst.get(
        f"/console/reports/?{_query(hand_built)}&formato=pdf", HTTP_ACCEPT_LANGUAGE=language
    )
    assert response["Content-Type"] == "application/pdf"
    return Pdf(response.content)


def test_the_pdf_has_the_header_and_numbered_pages(analyst: Client, hand_built: HandBuilt) -> None:
    pdf = _pdf(analyst, hand_built)
    pages = pdf.text()
    assert len(pages) >= 2
    for n, text in enumerate(pages, start=1):
        lines = text.splitlines()
        assert f"Pagina {n} di {len(pages)}" in lines
        assert "Comune di Milano" in lines  # the city's header on every page
        assert "Report mensile" in lines  # and the report's title
    assert "Tasso di risposta 020202" in pages[0] and "81,8 %" in pages[0]


def test_the_pdf_is_tagged_with_language_title_and_author(
    analyst: Client, hand_built: HandBuilt
) -> None:
    pdf = _pdf(analyst, hand_built)
    catalog = pdf.catalog
    assert re.search(rb"/StructTreeRoot \d+ 0 R", catalog)
    assert b"/MarkInfo <</Marked true>>" in catalog
    assert b"/DisplayDocTitle true" in catalog
    assert string_value(catalog, "Lang") == "it"
    info = pdf.info()
    assert (
        string_value(
            info,
            "Title",
        )
        == "Comune di Milano · Report mensile"
    )
    assert string_value(info, "Author") == "Comune di Milano"
    metadata = b"".join(pdf.streams.values())
    assert b'pdfuaid:part="1"' in metadata  # declared PDF/UA-1 in the XMP metadata


def test_the_pdf_structure_has_headings_tables_with_headers_and_figures(
    analyst: Client, hand_built: HandBuilt
) -> None:
    board = analyst.get(f"/console/reports/?{_query(hand_built)}").context["board"]
    pdf = _pdf(analyst, hand_built)

    assert len(pdf.struct_elements("H1")) == 1
    assert len(pdf.struct_elements("H2")) == len(board.tables)
    tables = pdf.struct_elements("Table")
    with_rows = [t for t in board.tables if t.rows]
    assert len(tables) == 1 + len(with_rows)  # the headline figures, then each table
    # Every header cell has an id and every data cell names its row's and its column's headers.
    headers = {string_value(th, "ID") for th in pdf.struct_elements("TH")}
    assert None not in headers
    cells = pdf.struct_elements("TD")
    assert cells
    for td in cells:
        named = [pdf_string(ref) for ref in re.findall(rb"\([^)]*\)", td.split(b"/Headers")[1])]
        assert len(named) == 2 and set(named) <= headers
    # A figure for every table that has a chart, its alternative text naming the table.
    charted = [t for t in with_rows if t.chart and any(r[i] for r in t.rows for i in t.plotted)]
    figures = [string_value(f, "Alt") or "" for f in pdf.struct_elements("Figure")]
    assert len(figures) == len(charted) >= 2
    for table, alt in zip(charted, figures, strict=True):
        assert alt.startswith("Grafico a ") and table.title in alt
        assert alt.endswith("I valori sono nella tabella che segue.")


def test_the_pdf_in_english(analyst: Client, hand_built: HandBuilt) -> None:
    pdf = _pdf(analyst, hand_built, language="en")
    pages = pdf.text()
    assert string_value(pdf.catalog, "Lang") == "en"
    assert f"Page 1 of {len(pages)}" in pages[0].splitlines()
    assert "81.8%" in pages[0]


def test_a_title_cannot_break_out_of_the_print_template() -> None:
    title = 'Report "prova" </style><h1>x</h1> \\ a < b'
    board = Dashboard(key="prova", title=title, tables=[Table("t", "T", ["A", "N"], [["<b>", 1]])])
    with translation.override("it"):
        pdf = Pdf(exports.dashboard_pdf(board, municipality='Comune "di" prova'))
    lines = pdf.page_text(pdf.pages()[0]).splitlines()
    assert title in lines and 'Comune "di" prova' in lines and "<b>" in lines
    assert len(pdf.struct_elements("H1")) == 1


def test_without_weasyprint_only_the_pdf_is_refused_with_a_reason(
    analyst: Client, hand_built: HandBuilt, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as when Pango cannot be loaded
    reason = "manca la libreria di sistema Pango"

    page = analyst.get(f"/console/reports/?{_query(hand_built)}&formato=pdf")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert reason in page.content.decode()
    assert analyst.get(f"/console/reports/?{_query(hand_built)}&formato=xlsx").status_code == 200
    public = Client().get("/trasparenza/reclami/2025/?formato=pdf")
    assert public.status_code == 503 and reason in public.content.decode()
    p = hand_built.period
    with pytest.raises(CommandError, match=reason):
        call_command(
            "monthly_report",
            "--start",
            f"{p.start}",
            "--end",
            f"{p.end}",
            "--pdf",
            str(tmp_path / "r.pdf"),
            stdout=StringIO(),
        )
    assert not (tmp_path / "r.pdf").exists()


def test_the_public_complaints_report_offers_both_csvs(client: Client, cast: personas.Cast) -> None:
    html = client.get("/trasparenza/reclami/2025/").content.decode()
    assert 'href="?formato=csv-it"' in html and 'href="?formato=csv"' in html
    italian = client.get("/trasparenza/reclami/2025/?formato=csv-it")
    assert italian.content.startswith(b"\xef\xbb\xbf") and b";" in italian.content
    assert italian["Content-Disposition"].endswith('reclami-2025-excel.csv"')
    assert not client.get("/trasparenza/reclami/2025/?formato=csv").content.startswith(b"\xef")
