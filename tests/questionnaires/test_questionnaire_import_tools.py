"""Answers exported by each tool, in English and in Italian, with the columns, headings, answers
and dates the tools write (docs/questionnaires.md, "What each tool exports"): the files are
made here, modelled on the tools' documentation and code, so that what was checked is read."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook

from ascolto.surveys import actions, imports
from ascolto.surveys.imports import Reason
from ascolto.surveys.models import Response, Survey
from tests.questionnaires.helpers import QUESTIONS, make_questionnaire

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")
MOTIVI = "I motivi che preoccupano maggiormente"


def answers_of(response: Response) -> dict[str, list[object]]:
    found: dict[str, list[object]] = {}
    for answer in response.answers.select_related("question").order_by("pk"):
        value = answer.number if answer.number is not None else answer.value
        found.setdefault(answer.question.code, []).append(value)
    return found


def questionnaire_with_other() -> Survey:
    """The city's questionnaire whose reasons have an "Altro" option, and a grid question's
    row made a question of its own (as the analyst builds it from a Google Forms grid)."""
    questions: list[dict[str, Any]] = []
    for spec in QUESTIONS:
        spec = dict(spec)
        if spec["code"] == "motivi":
            spec["choices"] = [*spec["choices"], {"value": "altro", "label": "Altro"}]
        questions.append(spec)
    questions.append(
        {"code": "voto_anagrafe", "kind": "rating", "text": "Dia un voto ai servizi [Anagrafe]"}
    )
    return make_questionnaire(questions=questions)


def limesurvey_csv(path: Path, rows: list[list[str]], separator: str = ",") -> Path:
    """As LimeSurvey's CsvWriter writes: UTF-8 with a BOM, every field quoted, CRLF, and an
    empty line at the end."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerows(rows)
    path.write_bytes(b"\xef\xbb\xbf" + (out.getvalue() + "\r\n").encode("utf-8"))
    return path


# --- LimeSurvey ---------------------------------------------------------------------------------

LIME_FIXED = {
    "en": ["Response ID", "Date submitted", "Last page", "Start language", "Seed",
           "Date started", "Date last action", "IP address", "Referrer URL"],
    "it": ["ID risposta", "Data invio", "Ultima pagina", "Lingua iniziale", "Seme",
           "Data di inizio", "Data ultima azione", "Indirizzo IP", "URL di provenienza"],
}  # fmt: skip
LIME_WORDS = {"en": ("Yes", "No", "N/A", "Other"), "it": ("Sì", "No", "N/D", "Altro")}


@pytest.mark.parametrize(("language", "separator"), [("en", ","), ("it", ";")])
def test_limesurvey_default_export_full_texts_and_full_answers(
    tmp_path: Path, language: str, separator: str
) -> None:
    """LimeSurvey's default: "Full question text" headings and "Full answers"; a multiple
    choice is one column per option headed "text [option]" and marked Yes/No (N/A when not
    shown), its "Other" text a column of its own; an unfinished questionnaire has no date."""
    survey = questionnaire_with_other()
    yes, no, na, other = LIME_WORDS[language]
    headers = [
        *LIME_FIXED[language],
        "Genere",
        "Età",
        "Municipio di residenza, se a Milano",  # a comma inside a quoted heading
        "Quanto è soddisfatto dei servizi del Comune?",
        f"{MOTIVI} [Traffico]",
        f"{MOTIVI} [Sicurezza]",
        f"{MOTIVI} [Costo della vita, casa]",
        f"{MOTIVI} [{other}]",
        "Commenti",
    ]
    fixed = ["2024-03-05 10:15:30", "3", language, "1234567", "2024-03-05 10:10:02",
             "2024-03-05 10:15:30", "192.0.2.1", "https://www.comune.milano.it/"]  # fmt: skip
    rows = [
        headers,
        ["1", *fixed, "Donna", "Fino a 18 anni", "", "4", yes, no, yes, "", "Più verde"],
        ["2", *fixed, "Uomo", "25-34 anni", "", "2", no, no, no, "Rumore, movida", ""],
        ["3", "", "2", language, "42", *fixed[4:], "Donna", "", "", "3", na, na, na, "", ""],
        ["4", *fixed, "", "19-24 anni", "", "5", yes, no, no, "", ""],  # no gender: refused
    ]
    path = limesurvey_csv(tmp_path / "results-survey123456.csv", rows, separator)

    source = imports.read_file(path)
    assert source.headers == headers
    mapping = imports.propose_mapping(survey.current_version, source.headers)
    assert mapping[LIME_FIXED[language][0]] == imports.RESPONDENT_ID
    assert mapping[LIME_FIXED[language][1]] == imports.SUBMITTED
    assert all(mapping[h] == "" for h in LIME_FIXED[language][2:])
    assert mapping[f"{MOTIVI} [Traffico]"] == "motivi=traffico"
    assert mapping[f"{MOTIVI} [Costo della vita, casa]"] == "motivi=casa"
    assert mapping[f"{MOTIVI} [{other}]"] == "motivi=altro"

    report = actions.import_questionnaire(survey, path, path.name)

    assert (report.rows, report.accepted) == (4, 3)
    assert [(r["row"], r["reason"]) for r in report.refusals] == [(5, Reason.MISSING_REQUIRED)]
    first = Response.objects.get(import_row=2)
    assert answers_of(first) == {
        "genere": ["F"],
        "eta": ["fino18"],
        "soddisfazione": [4],
        "motivi": ["traffico", "casa"],
        "commenti": ["Più verde"],
    }
    assert first.complete is False  # "municipio" was left unmapped: not every question read
    assert first.submitted_at == datetime(2024, 3, 5, 10, 15, 30, tzinfo=ROME)
    assert answers_of(Response.objects.get(import_row=3))["motivi"] == ["altro"]
    unfinished = Response.objects.get(import_row=4)
    assert "motivi" not in answers_of(unfinished)  # N/A everywhere: not shown, not chosen
    assert unfinished.complete is False


def test_limesurvey_code_and_text_headings_with_answer_codes(tmp_path: Path) -> None:
    """ "Question code & question text" headings ("code. text") with answer codes: the fixed
    columns and every subquestion still map by their code; "-oth-" is the option "Altro"."""
    survey = questionnaire_with_other()
    headers = [
        "id. Response ID",
        "submitdate. Date submitted",
        "lastpage. Last page",
        "seed. Seed",
        "genere. Genere",
        "soddisfazione. Quanto è soddisfatto dei servizi del Comune?",
        f"motivi[SQ001]. {MOTIVI} [Traffico]",
        f"motivi[SQ002]. {MOTIVI} [Sicurezza]",
        f"motivi[other]. {MOTIVI} [Other]",
        "motivi[comment]. Un commento",
        "servizi_usati. Ha usato i servizi online?",
    ]
    rows = [
        headers,
        ["7", "2024-03-05 10:15:30", "3", "99", "F", "4", "Y", "", "", "", "N"],
        ["8", "2024-03-05 11:00:00", "3", "98", "M", "3", "", "", "Caro affitti", "", "Y"],
        ["9", "2024-03-05 11:30:00", "3", "97", "F", "7", "Y", "", "", "", "N"],
    ]
    path = limesurvey_csv(tmp_path / "codes.csv", rows)
    mapping = imports.propose_mapping(survey.current_version, imports.read_file(path).headers)
    assert mapping == {
        "id. Response ID": imports.RESPONDENT_ID,
        "submitdate. Date submitted": imports.SUBMITTED,
        "lastpage. Last page": "",
        "seed. Seed": "",
        "genere. Genere": "genere",
        "soddisfazione. Quanto è soddisfatto dei servizi del Comune?": "soddisfazione",
        f"motivi[SQ001]. {MOTIVI} [Traffico]": "motivi=traffico",
        f"motivi[SQ002]. {MOTIVI} [Sicurezza]": "motivi=sicurezza",
        f"motivi[other]. {MOTIVI} [Other]": "motivi=altro",
        "motivi[comment]. Un commento": "",
        "servizi_usati. Ha usato i servizi online?": "servizi_usati",
    }

    report = actions.import_questionnaire(survey, path, path.name)
    assert [(r["row"], r["reason"]) for r in report.refusals] == [(4, Reason.NOT_A_NUMBER)]
    assert answers_of(Response.objects.get(import_row=3))["motivi"] == ["altro"]
    assert answers_of(Response.objects.get(import_row=3))["servizi_usati"] == ["si"]  # "Y"
    assert answers_of(Response.objects.get(import_row=2))["servizi_usati"] == ["no"]  # "N"


def test_limesurvey_expression_codes_and_the_other_code(tmp_path: Path) -> None:
    """With "Use ExpressionScript code" a subquestion is "motivi_SQ001"; with answer codes a
    single choice answered "Other" is "-oth-"."""
    questions = [dict(q) for q in QUESTIONS]
    questions[0]["choices"] = [*questions[0]["choices"], {"value": "altro", "label": "Altro"}]
    survey = make_questionnaire(questions=questions)
    path = limesurvey_csv(
        tmp_path / "em.csv",
        [["id", "genere", "motivi_SQ001", "motivi_SQ004", "soddisfazione"],
         ["1", "-oth-", "Y", "Y", "4"]],
    )  # fmt: skip
    report = actions.import_questionnaire(survey, path, path.name)
    assert report.refusals == []
    assert answers_of(Response.objects.get()) == {
        "genere": ["altro"],
        "motivi": ["traffico", "salute"],
        "soddisfazione": [4],
    }


# --- Google Forms -------------------------------------------------------------------------------

GOOGLE = {
    "en": ("Timestamp", "Email Address", "Score", "2024/03/05 10:15:30 AM GMT+1"),
    "it": ("Informazioni cronologiche", "Indirizzo email", "Punteggio", "05/03/2024 10.15.30"),
}


@pytest.mark.parametrize("language", ["en", "it"])
def test_google_forms_csv(tmp_path: Path, language: str) -> None:
    """ "Download responses (.csv)": the timestamp first (with its zone in the download, in the
    sheet's locale from the linked sheet), the email and a quiz's score ignored, checkboxes
    joined by ", ", an "Other" answer as the respondent's own words, a grid as one column a
    row "Question [Row]"."""
    survey = questionnaire_with_other()
    stamp, email, score, when = GOOGLE[language]
    headers = [stamp, email, score, "Genere", MOTIVI, "Dia un voto ai servizi [Anagrafe]"]
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(
        [
            headers,
            [when, "a@example.org", "3 / 5", "Donna", "Traffico, Costo della vita, casa", "4"],
            [when, "b@example.org", "1 / 5", "Uomo", "Sicurezza, le buche in strada", "2"],
            [when, "c@example.org", "1 / 5", "Uomo", "Sicurezza", "sei"],
        ]
    )
    path = tmp_path / "Milano Ti Ascolta.csv"
    path.write_text(text.getvalue(), encoding="utf-8")

    mapping = imports.propose_mapping(survey.current_version, imports.read_file(path).headers)
    assert mapping == {
        stamp: imports.SUBMITTED,
        email: "",
        score: "",
        "Genere": "genere",
        MOTIVI: "motivi",
        "Dia un voto ai servizi [Anagrafe]": "voto_anagrafe",
    }
    report = actions.import_questionnaire(survey, path, path.name)

    assert [(r["row"], r["reason"]) for r in report.refusals] == [(4, Reason.NOT_A_NUMBER)]
    first = Response.objects.get(import_row=2)
    assert answers_of(first) == {
        "genere": ["F"],
        "motivi": ["traffico", "casa"],
        "voto_anagrafe": [4],
    }
    expected = datetime(2024, 3, 5, 9, 15, 30, tzinfo=UTC)  # 10:15:30 in Rome, GMT+1
    assert first.submitted_at == expected
    assert answers_of(Response.objects.get(import_row=3))["motivi"] == ["sicurezza", "altro"]


def test_a_written_zone_is_honoured() -> None:
    assert imports.parse_date("2024/07/05 10:15:30 AM GMT+2") == datetime(
        2024, 7, 5, 8, 15, 30, tzinfo=UTC
    )
    assert imports.parse_date("2024/07/05 10:15:30 PM GMT-05:30").astimezone(UTC) == datetime(
        2024, 7, 6, 3, 45, 30, tzinfo=UTC
    )
    assert imports.parse_date("2024/01/05 10:15:30 CET").astimezone(UTC).hour == 9
    assert imports.parse_date("05/01/2024 10.15.30") == datetime(
        2024, 1, 5, 10, 15, 30, tzinfo=ROME
    )


# --- Microsoft Forms ----------------------------------------------------------------------------

MICROSOFT = {
    "en": ["ID", "Start time", "Completion time", "Email", "Name", "Last modified time"],
    "it": ["ID", "Ora di inizio", "Ora di completamento", "Posta elettronica", "Nome",
           "Ora dell'ultima modifica"],
}  # fmt: skip


@pytest.mark.parametrize("language", ["en", "it"])
def test_microsoft_forms_workbook(tmp_path: Path, language: str) -> None:
    """ "Open in Excel": the fixed columns (only the id and the completion time used), dates as
    the workbook's own datetimes, a multiple choice joined by ";" ending with one, an "Other"
    answer as the respondent's words."""
    survey = questionnaire_with_other()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([*MICROSOFT[language], "Genere", MOTIVI, "Commenti"])
    # Excel's cells have no zone: the workbook's times are the form owner's local time.
    started = datetime(2024, 3, 5, 10, 10, 2, tzinfo=ROME).replace(tzinfo=None)
    done = datetime(2024, 3, 5, 10, 15, 30, tzinfo=ROME).replace(tzinfo=None)
    anonymous = "anonymous" if language == "en" else "anonimo"
    sheet.append([1, started, done, anonymous, None, None, "Donna", "Traffico;Salute;", None])
    sheet.append([2, started, done, anonymous, None, None, "Uomo", "Lavoro;Troppi cantieri;", ""])
    sheet.append([2, started, done, anonymous, None, None, "Uomo", "Lavoro;", "Di nuovo"])
    sheet.append([3, started, "ieri", anonymous, None, None, "Donna", "Salute;", None])
    path = tmp_path / "Milano Ti Ascolta.xlsx"
    book.save(path)

    report = actions.import_questionnaire(survey, path, path.name)

    id_, _start, completion, *ignored = MICROSOFT[language]
    assert report.run.mapping[id_] == imports.RESPONDENT_ID
    assert report.run.mapping[completion] == imports.SUBMITTED
    assert all(report.run.mapping[h] == "" for h in [_start, *ignored])
    assert [(r["row"], r["reason"]) for r in report.refusals] == [
        (4, Reason.DUPLICATE),
        (5, Reason.BAD_DATE),
    ]
    first = Response.objects.get(import_row=2)
    assert answers_of(first) == {"genere": ["F"], "motivi": ["traffico", "salute"]}
    assert first.submitted_at == done.replace(tzinfo=ROME)
    assert answers_of(Response.objects.get(import_row=3))["motivi"] == ["lavoro", "altro"]
