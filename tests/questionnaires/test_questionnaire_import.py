"""The import of a questionnaire's answers from the files LimeSurvey, Google Forms, Microsoft
Forms and the Italian Excel write: the mapping proposed from the headers, the values read as
the tools write them, each refused row with its reason, and nothing written from a bad file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from ascolto.core.errors import InvalidInput
from ascolto.surveys import actions, imports
from ascolto.surveys.imports import Reason
from ascolto.surveys.models import Answer, QuestionnaireImport, Response
from tests.questionnaires.helpers import make_questionnaire

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent.parent / "data" / "questionnaires"


def answers_of(response: Response) -> dict[str, list[object]]:
    found: dict[str, list[object]] = {}
    for answer in response.answers.select_related("question").order_by("pk"):
        value = answer.number if answer.number is not None else answer.value
        found.setdefault(answer.question.code, []).append(value)
    return found


def test_limesurvey_codes_and_one_column_per_option() -> None:
    survey = make_questionnaire()
    source = imports.read_file(DATA / "limesurvey.csv")
    mapping = imports.propose_mapping(survey.current_version, source.headers)
    assert mapping["id"] == imports.RESPONDENT_ID
    assert mapping["submitdate"] == imports.SUBMITTED
    assert mapping["motivi[SQ001]"] == "motivi=traffico"  # LimeSurvey's default subquestion codes
    assert mapping["quali_servizi[tari]"] == "quali_servizi=tari"
    assert mapping["seed"] == ""

    report = actions.import_questionnaire(survey, DATA / "limesurvey.csv", "limesurvey.csv")

    assert (report.rows, report.accepted) == (5, 4)
    assert [(r["row"], r["reason"]) for r in report.refusals] == [(6, Reason.MISSING_REQUIRED)]
    first = Response.objects.get(import_row=2)
    assert answers_of(first) == {
        "genere": ["F"],
        "eta": ["fino18"],
        "municipio": ["1"],
        "soddisfazione": [4],
        "motivi": ["traffico", "salute"],
        "servizi_usati": ["si"],
        "quali_servizi": ["anagrafe"],
        "nps": [9],
        "commenti": ["Più verde"],
    }
    assert (first.source, first.csat, first.nps, first.complete) == ("import", 4, 9, True)
    assert first.submitted_at.date().isoformat() == "2020-06-15"
    assert first.import_run == report.run and first.citizen_id is None


def test_google_forms_texts_ages_and_comma_joined_choices() -> None:
    survey = make_questionnaire()
    report = actions.import_questionnaire(survey, DATA / "google_forms.csv", "google_forms.csv")

    assert (report.rows, report.accepted) == (4, 3)
    assert [(r["row"], r["reason"]) for r in report.refusals] == [(5, Reason.NOT_A_CHOICE)]
    assert "Parcheggi" in report.refusals[0]["message"]
    first = answers_of(Response.objects.get(import_row=2))
    assert first["eta"] == ["fino18"]  # 17 years old, in the band "fino a 18"
    assert first["motivi"] == ["traffico", "casa"]  # "Costo della vita, casa" is one option
    third = answers_of(Response.objects.get(import_row=4))
    assert third["genere"] == ["M"] and third["municipio"] == ["7"]  # case forgiven
    assert third["eta"] == ["75+"]
    assert third["quali_servizi"] == ["anagrafe", "tari"]


def test_microsoft_forms_workbook_duplicates_and_unreadable_dates() -> None:
    survey = make_questionnaire()
    report = actions.import_questionnaire(
        survey, DATA / "microsoft_forms.xlsx", "microsoft_forms.xlsx"
    )

    assert report.run.mapping["Ora di completamento"] == imports.SUBMITTED
    assert report.run.mapping["Posta elettronica"] == ""
    assert (report.rows, report.accepted) == (4, 2)
    assert [(r["row"], r["reason"]) for r in report.refusals] == [
        (4, Reason.DUPLICATE),
        (5, Reason.BAD_DATE),
    ]
    assert "riga 3" in report.refusals[0]["message"]
    assert answers_of(Response.objects.get(import_row=2))["motivi"] == ["traffico", "sicurezza"]
    assert answers_of(Response.objects.get(import_row=3))["motivi"] == ["casa"]


def test_italian_excel_semicolons_and_windows_1252() -> None:
    survey = make_questionnaire()
    report = actions.import_questionnaire(survey, DATA / "excel_italiano.csv", "risposte.csv")

    assert (report.rows, report.accepted, report.refusals) == (2, 2, [])
    assert answers_of(Response.objects.get(import_row=3))["commenti"] == ["Perché no?"]
    assert answers_of(Response.objects.get(import_row=2))["eta"] == ["65-74"]


def test_utf16_text_is_read(tmp_path: Path) -> None:
    survey = make_questionnaire()
    text = "Genere\tQuanto è soddisfatto dei servizi del Comune?\r\nDonna\t5\r\nUomo\t1\r\n"
    path = tmp_path / "unicode.csv"
    path.write_bytes(text.encode("utf-16"))
    report = actions.import_questionnaire(survey, path)
    assert (report.accepted, report.refusals) == (2, [])
    assert sorted(Response.objects.values_list("csat", flat=True)) == [1, 5]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("F,9,", Reason.NOT_A_NUMBER),
        ("F,tre,", Reason.NOT_A_NUMBER),
        ("F,,", Reason.MISSING_REQUIRED),
        ("Z,3,", Reason.NOT_A_CHOICE),
        ("F,3,centoventi", Reason.BAD_AGE),
        (",,", None),  # an empty line is skipped, not counted
    ],
)
def test_each_refusal_reason(tmp_path: Path, row: str, reason: str | None) -> None:
    survey = make_questionnaire()
    path = tmp_path / "answers.csv"
    path.write_text(f"genere,soddisfazione,eta\nM,4,30\n{row}\n", encoding="utf-8")
    report = actions.import_questionnaire(survey, path)
    assert [r["reason"] for r in report.refusals] == ([reason] if reason else [])
    assert all(r["row"] == 3 and r["message"] for r in report.refusals)
    assert report.accepted == 1


def test_cells_written_again_are_read_alike_across_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each distinct cell of a question is read once and remembered: a cell refused on one row
    is refused, with the same reason, on every row that repeats it; the answers of each row go
    to its own response across batches (three of two rows here)."""
    survey = make_questionnaire()
    monkeypatch.setattr(imports, "BATCH", 2)
    path = tmp_path / "answers.csv"
    path.write_text(
        "genere,soddisfazione,motivi,commenti\n"
        "F,4,Traffico;Salute,uno\n"  # 2
        "M,9,Traffico,\n"  # 3: 9 is not a rating
        "F,4,Traffico;Salute,due\n"  # 4
        "M,9,Lavoro,\n"  # 5: the same 9, refused again
        "M,2,Traffico,\n"  # 6
        "F,4,Lavoro,tre\n"  # 7
        "F,4,Parcheggi,\n",  # 8: not an option
        encoding="utf-8",
    )
    report = actions.import_questionnaire(survey, path)

    assert (report.rows, report.accepted) == (7, 4)
    assert [(r["row"], r["reason"]) for r in report.refusals] == [
        (3, Reason.NOT_A_NUMBER),
        (5, Reason.NOT_A_NUMBER),
        (8, Reason.NOT_A_CHOICE),
    ]
    assert report.refusals[0]["message"] == report.refusals[1]["message"]
    stored = {r.import_row: answers_of(r) for r in Response.objects.filter(import_run=report.run)}
    assert stored == {
        2: {"genere": ["F"], "soddisfazione": [4], "motivi": ["traffico", "salute"],
            "commenti": ["uno"]},
        4: {"genere": ["F"], "soddisfazione": [4], "motivi": ["traffico", "salute"],
            "commenti": ["due"]},
        6: {"genere": ["M"], "soddisfazione": [2], "motivi": ["traffico"]},
        7: {"genere": ["F"], "soddisfazione": [4], "motivi": ["lavoro"], "commenti": ["tre"]},
    }  # fmt: skip
    assert sorted(Response.objects.values_list("import_row", "csat")) == [
        (2, 4), (4, 4), (6, 2), (7, 4)
    ]  # fmt: skip


def test_free_text_is_stored_as_written(tmp_path: Path) -> None:
    """Free text reaches the database unchanged, whatever it holds: lines, tabs, backslashes,
    quotes, and the characters COPY reads as a missing value (\\N)."""
    survey = make_questionnaire()
    written = 'Prima riga\nseconda\triga, "citata" \\ e \\N'
    path = tmp_path / "answers.csv"
    path.write_text(
        'genere,soddisfazione,commenti\nF,4,"' + written.replace('"', '""') + '"\nM,2,\\N\n',
        encoding="utf-8",
    )
    report = actions.import_questionnaire(survey, path)
    assert (report.accepted, report.refusals) == (2, [])
    comments = Answer.objects.filter(question__code="commenti").order_by("response__import_row")
    assert [a.value for a in comments] == [written, "\\N"]


@pytest.mark.postgres
def test_a_large_import_refreshes_the_planner_statistics(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """After the commit of a large file the answers' statistics are those of the table as it
    is (ANALYZE sets pg_class.reltuples to the rows it counted), for the summary's plan."""
    survey = make_questionnaire()
    monkeypatch.setattr(imports, "ANALYZE_AFTER", 3)
    path = tmp_path / "answers.csv"
    path.write_text("genere,soddisfazione,motivi\n" + "F,4,Traffico;Salute\n" * 4, encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        actions.import_questionnaire(survey, path)
    assert len(callbacks) == 1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Answer._meta.db_table]
        )
        assert cursor.fetchone()[0] == Answer.objects.count() == 16


def test_branching_skips_questions_not_shown(tmp_path: Path) -> None:
    survey = make_questionnaire()
    path = tmp_path / "answers.csv"
    # quali_servizi is required, but only asked of those who used the online services.
    path.write_text(
        "genere,soddisfazione,servizi_usati,quali_servizi\nF,4,no,TARI\nM,4,si,\n",
        encoding="utf-8",
    )
    report = actions.import_questionnaire(survey, path)
    assert [(r["row"], r["reason"]) for r in report.refusals] == [(3, Reason.MISSING_REQUIRED)]
    assert "quali_servizi" not in answers_of(Response.objects.get())


def test_edited_mapping_is_used_and_kept(tmp_path: Path) -> None:
    survey = make_questionnaire()
    path = tmp_path / "answers.csv"
    path.write_text("D1,D2,ignota\nUomo,5,x\n", encoding="utf-8")
    assert imports.propose_mapping(survey.current_version, ["D1", "D2", "ignota"]) == {
        "D1": "",
        "D2": "",
        "ignota": "",
    }
    mapping = {"D1": "genere", "D2": "soddisfazione", "ignota": ""}
    report = actions.import_questionnaire(survey, path, mapping=mapping)
    assert report.accepted == 1
    assert QuestionnaireImport.objects.get().mapping == mapping


def test_a_file_that_breaks_midway_writes_nothing(tmp_path: Path) -> None:
    survey = make_questionnaire()
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(InvalidInput):
        actions.import_questionnaire(survey, path)
    bad_mapping = tmp_path / "answers.csv"
    bad_mapping.write_text("genere\nF\n", encoding="utf-8")
    with pytest.raises(InvalidInput):
        actions.import_questionnaire(survey, bad_mapping, mapping={"genere": "nessuna"})
    assert not QuestionnaireImport.objects.exists()
    assert not Response.objects.exists() and not Answer.objects.exists()


def test_rows_already_written_roll_back_when_a_later_line_is_unreadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    survey = make_questionnaire()
    monkeypatch.setattr(imports, "BATCH", 2)  # two batches are written before the bad line
    path = tmp_path / "answers.csv"
    # The last line's field passes the csv module's limit (131,072 characters): unreadable.
    huge = '"' + "x" * 200_000 + '"'
    path.write_text("genere,soddisfazione\n" + "F,4\n" * 5 + f"F,{huge}\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="CSV"):
        actions.import_questionnaire(survey, path)
    assert not QuestionnaireImport.objects.exists()
    assert not Response.objects.exists() and not Answer.objects.exists()
