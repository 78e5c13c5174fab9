"""/trasparenza/ lists what the transparency section publishes: the complaints report of each
year that has complaints, with its PDF and CSV (issue 10: it was a 404)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from tests import factories, personas

pytestmark = pytest.mark.django_db


def _complaint_on(when: datetime) -> None:
    with time_machine.travel(when, tick=False):
        factories.submit_scrivi("Il bus non è passato.", kind="complaint", theme="pass-sosta")


def test_the_index_lists_each_year_with_complaints(cast: personas.Cast, client: Client) -> None:
    _complaint_on(datetime(2024, 5, 6, 10, tzinfo=UTC))
    _complaint_on(datetime(2026, 2, 3, 10, tzinfo=UTC))
    factories.submit_scrivi("Solo una domanda.")  # not a complaint: no year of its own
    with time_machine.travel(datetime(2026, 6, 1, 9, tzinfo=UTC)):
        page = client.get("/trasparenza/")
        html = page.content.decode()
        assert page.status_code == 200
        assert "Relazione annuale sui reclami" in html
        for year in (2024, 2026):
            assert f'href="/trasparenza/reclami/{year}/"' in html
            assert f'href="/trasparenza/reclami/{year}/?formato=pdf"' in html
            assert f'href="/trasparenza/reclami/{year}/?formato=csv"' in html
            assert client.get(f"/trasparenza/reclami/{year}/").status_code == 200
        assert "/trasparenza/reclami/2025/" not in html  # no complaint that year
        assert "Anno in corso" in html  # 2026 is partial
        english = client.get("/trasparenza/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Annual complaints report" in english


def test_the_index_with_nothing_published_yet_says_so(cast: personas.Cast, client: Client) -> None:
    page = client.get("/trasparenza/")
    assert page.status_code == 200
    assert "Non ci sono ancora reclami da riportare." in page.content.decode()


def test_the_citizen_pages_and_the_report_link_to_the_index(
    cast: personas.Cast, client: Client
) -> None:
    assert 'href="/trasparenza/"' in client.get("/scrivi/").content.decode()
    with time_machine.travel(datetime(2026, 6, 1, 9, tzinfo=UTC)):
        report = client.get("/trasparenza/reclami/2026/").content.decode()
    assert 'href="/trasparenza/"' in report
