"""The 400, 403, 404 and 500 pages and the CSRF failure are the site's own pages (DEBUG off):
Italian, English when the visitor chose English; the 500 page shows an incident id that the
server's log line of the error carries too, and renders with the database down."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from unittest import mock

import pytest
from django.conf import settings
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client

from tests import personas

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.web.error_urls")]

INCIDENT = re.compile(r'id="incident"[^>]*>([0-9a-f]{12})<')


def visitor(language: str = "it", **kwargs: object) -> Client:
    client = Client(raise_request_exception=False, **kwargs)  # type: ignore[arg-type]
    if language != "it":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def assert_branded(html: str, language: str) -> None:
    assert f'<html lang="{language}">' in html
    assert "bootstrap-italia" in html and "it-header-wrapper" in html
    assert settings.ASCOLTO_MUNICIPALITY in html


@pytest.fixture
def debug_off() -> Iterator[None]:
    assert settings.DEBUG is False  # pytest-django's default: the pages production serves
    yield


def test_a_missing_page_answers_the_sites_404_in_italian(debug_off: None) -> None:
    page = visitor().get("/non-esiste/")
    html = page.content.decode()
    assert page.status_code == 404
    assert_branded(html, "it")
    assert "Pagina non trovata" in html
    assert "Not Found" not in html


def test_the_404_speaks_english_when_english_was_chosen(debug_off: None) -> None:
    page = visitor("en").get("/non-esiste/")
    html = page.content.decode()
    assert page.status_code == 404
    assert_branded(html, "en")
    assert "Page not found" in html
    assert "Pagina non trovata" not in html


@pytest.mark.parametrize(
    ("language", "title"), [("it", "Accesso non consentito"), ("en", "Access denied")]
)
def test_a_refused_page_answers_the_sites_403(debug_off: None, language: str, title: str) -> None:
    page = visitor(language).get("/test-errors/forbidden/")
    assert page.status_code == 403
    assert_branded(page.content.decode(), language)
    assert title in page.content.decode()


@pytest.mark.parametrize(
    ("language", "title"), [("it", "Richiesta non valida"), ("en", "Bad request")]
)
def test_a_bad_request_answers_the_sites_400(debug_off: None, language: str, title: str) -> None:
    page = visitor(language).get("/test-errors/suspicious/")
    assert page.status_code == 400
    assert_branded(page.content.decode(), language)
    assert title in page.content.decode()


def test_an_unknown_host_answers_the_sites_400(debug_off: None) -> None:
    page = visitor().get("/scrivi/", HTTP_HOST="evil.example")
    assert page.status_code == 400
    assert "Richiesta non valida" in page.content.decode()


@pytest.mark.parametrize(("language", "title"), [("it", "Pagina scaduta"), ("en", "Page expired")])
def test_a_form_without_its_csrf_token_answers_the_sites_page(
    debug_off: None, cast: personas.Cast, language: str, title: str
) -> None:
    page = visitor(language, enforce_csrf_checks=True).post("/console/accedi/", {"username": "x"})
    html = page.content.decode()
    assert page.status_code == 403
    assert_branded(html, language)
    assert title in html
    assert "CSRF verification failed" not in html


def test_a_server_error_shows_an_incident_id_that_the_log_line_carries(
    debug_off: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="django.request"):
        page = visitor().get("/test-errors/boom/?email=maria@example.it")
    html = page.content.decode()
    assert page.status_code == 500
    assert_branded(html, "it")
    assert "Si è verificato un errore" in html
    incident = INCIDENT.search(html)
    assert incident is not None
    lines = [r.getMessage() for r in caplog.records if r.name == "django.request"]
    assert lines == [f"Internal Server Error: /test-errors/boom/ [incident {incident.group(1)}]"]
    assert "maria" not in caplog.text


def test_each_server_error_has_its_own_incident(debug_off: None) -> None:
    first = INCIDENT.search(visitor().get("/test-errors/boom/").content.decode())
    second = INCIDENT.search(visitor().get("/test-errors/boom/").content.decode())
    assert first and second and first.group(1) != second.group(1)


def test_the_500_speaks_english_when_english_was_chosen(debug_off: None) -> None:
    html = visitor("en").get("/test-errors/boom/").content.decode()
    assert_branded(html, "en")
    assert "An error occurred" in html
    assert INCIDENT.search(html)


def test_the_error_page_renders_with_the_database_down_as_a_503(
    debug_off: None, cast: personas.Cast, caplog: pytest.LogCaptureFixture
) -> None:
    client = visitor()
    client.force_login(cast.operator)  # a session and a user the page must not try to read
    down = OperationalError("connection to server at 127.0.0.1 failed: Connection refused")
    with (
        mock.patch.object(CursorWrapper, "execute", side_effect=down),
        mock.patch.object(CursorWrapper, "executemany", side_effect=down),
        caplog.at_level(logging.ERROR, logger="django.request"),
    ):
        page = client.get("/console/inbox/")
    html = page.content.decode()
    # A database that does not answer is a passing outage (core/outages.py): 503, retry later.
    assert page.status_code == 503
    assert page["Retry-After"] == "30"
    assert "Servizio momentaneamente non disponibile" in html
    assert_branded(html, "it")
    incident = INCIDENT.search(html)
    assert incident is not None
    assert f"[incident {incident.group(1)}]" in caplog.text
    assert "could not be rendered" not in caplog.text
