"""The IVR paths page under the console reports: a table per choice and month, the choices an
IVR recording could answer listed first, and the CSV of every table."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from ascolto.contactcenter.actions import record_call
from ascolto.contactcenter.ivr import MIN_TRANSFERS, load_ivr_tree
from tests import personas

pytestmark = pytest.mark.django_db

URL = "/console/reports/ivr/?periodo=mese&mese=2026-03"


def test_the_page_shows_the_choices_and_exports_csv(cast: personas.Cast) -> None:
    load_ivr_tree(
        [
            {"code": "1", "label": "Orari degli sportelli", "transfer": "anagrafe"},
            {"code": "2", "label": "Tributi", "transfer": "tributi"},
        ]
    )
    when = datetime(2026, 3, 10, 9, tzinfo=ZoneInfo("Europe/Rome"))
    for i in range(MIN_TRANSFERS):
        record_call(
            external_id=f"h{i}",
            queue="anagrafe",
            arrived_at=when,
            wait_seconds=20,
            talk_seconds=45,
            ivr_path="1",
        )
    record_call(
        external_id="t1",
        queue="tributi",
        arrived_at=when,
        wait_seconds=20,
        ivr_path="2",
        abandoned=True,
    )
    client = Client()
    client.force_login(cast.supervisor)

    page = client.get(URL).content.decode()
    assert "Percorsi IVR" in page
    assert "Voci che mandano all&#x27;operatore domande brevi" in page
    assert "1 · Orari degli sportelli" in page and "2 · Tributi" in page

    csv = client.get(URL + "&formato=csv&tabella=nodes")
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert lines[0].startswith("Voce,Trasferisce a,Ingressi,")
    assert lines[1].startswith(f"1 · Orari degli sportelli,anagrafe,{MIN_TRANSFERS},")
    assert lines[1].endswith(",sì")
    assert lines[2].startswith("2 · Tributi,tributi,1,1,1,100.0,0,")


def test_case_handlers_do_not_see_it(cast: personas.Cast) -> None:
    client = Client()
    client.force_login(cast.operator)
    assert client.get(URL).status_code == 403
