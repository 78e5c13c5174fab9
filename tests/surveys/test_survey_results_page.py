"""The console's results page of a survey: who reads it (office scope), its exports (CSV and
XLSX content), the free-text answers' themes: tagged by an analyst, or suggested from the text
by the words of the city's cases (`surveys.themes`, measured in `test_comment_themes.py`)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from ascolto.surveys.actions import suggest_answer_themes, tag_answer
from ascolto.surveys.models import Answer
from ascolto.tickets.models import Theme
from tests import factories, personas
from tests.surveys.helpers import invite, make_survey, respond

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")

URL = "/console/questionari/{}/risultati/"
MARCH = {"periodo": "mese", "mese": "2026-03"}


@pytest.fixture(autouse=True)
def _may() -> Iterator[None]:
    with time_machine.travel(datetime(2026, 5, 4, 10, 0, tzinfo=ROME), tick=False):
        yield


def at(day: int) -> datetime:
    return datetime(2026, 3, day, 10, tzinfo=ROME)


def client_of(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _filled(cast: personas.Cast, text: str = "Il certificato di residenza è arrivato tardi."):  # type: ignore[no-untyped-def]
    survey = make_survey("anagrafe-servizi", office=cast.anagrafe)
    for i in range(12):
        respond(
            survey,
            at(1 + i),
            csat=5 if i % 3 else 2,
            nps=9,
            channel_kind="web",
            text=text if i == 0 else "",
        )
        invite(survey, at(1 + i), answered=True, channel_kind="web")
    return survey


def test_office_operators_read_their_offices_surveys_only(cast: personas.Cast) -> None:
    survey = _filled(cast)
    url = URL.format(survey.code)
    assert client_of(cast.analyst).get(url).status_code == 200
    assert client_of(cast.anagrafe_operator).get(url).status_code == 200
    assert client_of(cast.office_operator).get(url).status_code == 404  # TARI
    assert client_of(cast.operator).get(url).status_code == 403  # first level
    assert Client().get(url).status_code == 302


def test_page_shows_the_figures_the_trend_chart_and_the_texts(cast: personas.Cast) -> None:
    survey = _filled(cast)
    page = client_of(cast.supervisor).get(URL.format(survey.code), MARCH)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Tasso di risposta" in html and "66,7 %" in html  # CSAT: 8 of 12
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in html
    assert "Il certificato di residenza è arrivato tardi." in html
    assert "style=" not in html.split("<main", 1)[-1]


def test_csv_export_of_one_table_and_xlsx_of_all(cast: personas.Cast) -> None:
    survey = _filled(cast)
    client = client_of(cast.analyst)
    csv = client.get(URL.format(survey.code), {**MARCH, "formato": "csv", "tabella": "channel"})
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert lines[0].startswith("Canale,Inviti,Risposte,Tasso di risposta (%),CSAT (% 4-5 stelle)")
    assert lines[1].startswith("Modulo web (Scrivi),12,12,100.0,66.7,")
    xlsx = client.get(URL.format(survey.code), {**MARCH, "formato": "xlsx"})
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames[-1].startswith("Risposte libere")
    summary = [[c for c in row] for row in book["Sintesi"].iter_rows(values_only=True)]
    assert ["Risposte", 12, None] in [list(r[:3]) for r in summary]
    texts = [list(r) for r in book[book.sheetnames[-1]].iter_rows(values_only=True)]
    assert texts[2][1:3] == ["Vuoi dirci altro?", "Il certificato di residenza è arrivato tardi."]


def test_a_formula_typed_in_a_free_text_answer_stays_text_in_the_export(
    cast: personas.Cast,
) -> None:
    survey = _filled(cast, text='=HYPERLINK("http://x")')
    csv = client_of(cast.analyst).get(
        URL.format(survey.code), {**MARCH, "formato": "csv", "tabella": "texts"}
    )
    assert "'=HYPERLINK" in csv.content.decode()


def _cases(theme_code: str) -> Theme:
    """Cases of a topic of the theme `certificati` (the cases the themes are learned from)."""
    for text in ("Mi serve un certificato anagrafico.", "Il certificato online non si apre."):
        for n in range(2):
            factories.submit_scrivi(text, email=f"c{n}@example.it", theme=theme_code)
    return Theme.objects.get(code="certificati")


TEXT = "Il certificato anagrafico è arrivato tardi."


def test_theme_is_suggested_from_the_text_and_an_analysts_tag_wins(cast: personas.Cast) -> None:
    theme = _cases("certificati-online")
    other = Theme.objects.filter(level=Theme.Level.THEME).exclude(pk=theme.pk).first()
    survey = _filled(cast, TEXT)
    respond(survey, at(20), csat=3, text="Nessuna parola nota qui")
    answers = Answer.objects.filter(response__survey=survey)
    assert suggest_answer_themes(answers) == 1
    suggested = answers.get(value__startswith="Il certificato")
    assert (suggested.theme, suggested.theme_suggested) == (theme, True)
    assert answers.get(value__startswith="Nessuna").theme is None
    tag_answer(suggested, other)
    suggested.refresh_from_db()
    assert (suggested.theme, suggested.theme_suggested) == (other, False)
    assert suggest_answer_themes(answers) == 0  # a tagged answer is never suggested again
    suggested.refresh_from_db()
    assert suggested.theme == other


def test_tagging_and_suggesting_from_the_page(cast: personas.Cast) -> None:
    theme = _cases("certificati-online")
    survey = _filled(cast, TEXT)
    answer = Answer.objects.get(response__survey=survey, question__code="commento")
    client = client_of(cast.analyst)
    tag_url = URL.format(survey.code) + "temi/"
    back = client.post(tag_url, {"suggerisci": "1", "query": "periodo=mese&mese=2026-03"})
    assert back.status_code == 302 and back["Location"].endswith("?periodo=mese&mese=2026-03")
    answer.refresh_from_db()
    assert answer.theme == theme and answer.theme_suggested
    client.post(tag_url, {"risposta": answer.pk, "tema": ""})
    answer.refresh_from_db()
    assert answer.theme is None and not answer.theme_suggested
    # Another survey's answer, or a rating, is not taggable from this page.
    rating = Answer.objects.filter(response__survey=survey, question__code="voto").first()
    assert client.post(tag_url, {"risposta": rating.pk, "tema": theme.pk}).status_code == 404
    page = client.get(URL.format(survey.code), MARCH).content.decode()
    table_row = [line for line in page.splitlines() if "Senza tema" in line]
    assert table_row


def test_theme_options_escape_the_names_and_select_the_chosen_theme() -> None:
    from ascolto.web.templatetags.results_html import theme_options

    themes = [Theme(pk=1, name="Tributi", level=1), Theme(pk=2, name="TARI <&>", level=2)]
    assert theme_options(themes, 2) == (
        '<option value="1">Tributi</option><option value="2" selected>— TARI &lt;&amp;&gt;</option>'
    )


def test_row_cells_write_numbers_as_the_language_does_and_escape_text() -> None:
    from django.utils import translation

    from ascolto.web.templatetags.results_html import row_cells

    with translation.override("it"):
        html = row_cells(["Ufficio <A>", 1234, 66.7, None, "meno di 10"])
    assert html == (
        '<th scope="row" class="fw-normal">Ufficio &lt;A&gt;</th>'
        '<td class="text-end">1.234</td><td class="text-end">66,7</td>'
        '<td class="text-end">–</td><td class="text-end">meno di 10</td>'
    )
