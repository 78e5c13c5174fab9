"""The console's questionnaire pages (upload, mapping, refused rows, the summary's draft,
publishing) and the public page and PDF of a published summary: aggregated shares, small counts
suppressed, no free text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ascolto.surveys.models import ExecutiveSummary, PopulationMargins, QuestionnaireImport
from tests import personas
from tests.pdfread import Pdf
from tests.questionnaires.helpers import make_questionnaire, published_summary

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent.parent / "data" / "questionnaires"


@pytest.fixture
def analyst(client: Client, cast: personas.Cast, settings: Any, tmp_path: Path) -> Client:
    settings.MEDIA_ROOT = tmp_path
    client.force_login(cast.analyst)
    return client


def test_upload_mapping_and_refused_rows(analyst: Client, tmp_path: Path) -> None:
    survey = make_questionnaire()
    url = f"/console/indagini/{survey.pk}/importa/"
    upload = SimpleUploadedFile("risposte.csv", (DATA / "google_forms.csv").read_bytes())

    page = analyst.post(url, {"file": upload})
    assert page.status_code == 200
    proposed = dict(page.context["mapping"])
    assert proposed["Genere"] == "genere"
    assert proposed["Informazioni cronologiche"] == "@date"
    assert list((tmp_path / "indagini").iterdir())  # the file waits for the second step

    columns = list(proposed)
    targets = [proposed[c] for c in columns]
    targets[columns.index("Commenti")] = ""  # the analyst leaves the comments out
    done = analyst.post(url, {"column": columns, "target": targets})
    run = QuestionnaireImport.objects.get()
    assert done.status_code == 302 and done["Location"].endswith(f"/importazioni/{run.pk}/")
    assert run.mapping["Commenti"] == "" and (run.rows, run.accepted) == (4, 3)
    assert not list((tmp_path / "indagini").iterdir())  # deleted after the import

    report = analyst.get(done["Location"])
    assert "«Parcheggi» non è tra le opzioni" in report.content.decode()
    assert "3 questionari importati, 1 righe rifiutate" in report.content.decode()

    again = analyst.post(url, {"column": columns, "target": targets})
    assert again.status_code == 400  # the file is gone: upload it again


def test_a_file_of_another_kind_is_refused(analyst: Client) -> None:
    survey = make_questionnaire()
    page = analyst.post(
        f"/console/indagini/{survey.pk}/importa/",
        {"file": SimpleUploadedFile("risposte.pdf", b"%PDF-1.7")},
    )
    assert page.status_code == 400 and "CSV o XLSX" in page.content.decode()


def test_summary_edited_weighted_and_published_from_the_console(analyst: Client) -> None:
    summary = published_summary()
    summary.status = ExecutiveSummary.Status.DRAFT
    summary.save()
    margins = PopulationMargins.objects.create(name="Milano", margins={"gender": {"F": 1, "M": 1}})
    url = f"/console/indagini/sintesi/{summary.pk}/"

    refused = analyst.post(url, {"title": "Indagine", "weighted": "1"})
    assert refused.status_code == 400 and "popolazione di riferimento" in refused.content.decode()

    saved = analyst.post(
        url,
        {
            "title": "Indagine 2020",
            "intro": "Come abbiamo vissuto il lockdown.",
            "weighted": "1",
            "margins": margins.pk,
            "note-soddisfazione": "Metà degli uomini è scontenta.",
        },
    )
    assert saved.status_code == 302
    summary.refresh_from_db()
    assert summary.weighted and summary.content["weighting"]["margins"] == "Milano"
    assert summary.notes == {"soddisfazione": "Metà degli uomini è scontenta."}
    page = analyst.get(url).content.decode()
    assert "Metà degli uomini è scontenta." in page and "Quota pesata (%)" in page

    assert analyst.get(f"/trasparenza/indagini/{summary.slug}/").status_code == 404  # a draft
    analyst.post(f"/console/indagini/sintesi/{summary.pk}/pubblica/")
    assert analyst.get(f"/trasparenza/indagini/{summary.slug}/").status_code == 200
    analyst.post(f"/console/indagini/sintesi/{summary.pk}/pubblica/", {"withdraw": "1"})
    assert analyst.get(f"/trasparenza/indagini/{summary.slug}/").status_code == 404


def test_public_page_suppresses_small_counts_and_free_text(client: Client) -> None:
    summary = published_summary()
    page = client.get(f"/trasparenza/indagini/{summary.slug}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Mario Verdi" not in body and "Chiamatemi" not in body  # free text never published
    board = page.context["board"]
    gender = board.table("campione-gender")
    assert gender.rows[0][:3] == ["Donna", 6, 85.7]
    assert gender.rows[1][:3] == ["Uomo", "< 5", "–"]  # one man: neither his count nor share
    rating = board.table("q-soddisfazione")
    assert rating.rows[1][1:] == ["< 5", "–"]  # the man's 2 stars
    crossed = board.table("x-soddisfazione-gender")
    assert crossed.rows[1][1:] == ["< 5", "–", "–", "–", "–", "–"]
    assert "q-commenti" not in [t.key for t in board.tables]
    assert summary.title in client.get("/trasparenza/").content.decode()


def test_public_pdf_is_tagged_and_has_no_free_text(client: Client) -> None:
    summary = published_summary()
    response = client.get(f"/trasparenza/indagini/{summary.slug}/?formato=pdf")
    if response.status_code == 503:
        pytest.skip("WeasyPrint's Pango is not installed here")
    assert response["Content-Type"] == "application/pdf"
    pdf = Pdf(response.content)
    text = " ".join(pdf.text())
    assert "Milano Ti Ascolta" in text and "Il campione per genere" in text
    assert "Mario Verdi" not in text
    assert pdf.struct_elements("Table")
