"""Alerts where people read them: at the top of the Scrivi pages and of the console (every
operator), in the portal's feed and banner, from their start to their end with nobody touching
them; and the editorial team's pages in the console (who may, what is refused, ending one,
sending one after a confirmation)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from ascolto.knowledge.models import Alert
from tests import personas
from tests.alerts.helpers import make_alert

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 1, 12, 7, 0, tzinfo=UTC)
LOCAL = "%Y-%m-%dT%H:%M"


def _client(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_an_alert_shows_everywhere_from_its_start_and_goes_at_its_end(
    cast: personas.Cast,
) -> None:
    operator, citizen = _client(cast.operator), _client()
    with time_machine.travel(T0, tick=False) as clock:
        make_alert(
            T0 + timedelta(minutes=30),
            hours=1,
            title="Sciopero dei mezzi",
            link="https://www.comune.example.it/sciopero",
        )
        for page in (
            _page(citizen, "/scrivi/"),
            _page(operator, "/console/inbox/"),
            _page(citizen, "/avvisi/banner/"),
        ):
            assert "Sciopero dei mezzi" not in page
        assert citizen.get("/api/v1/alerts").json()["alerts"] == []

        clock.shift(timedelta(minutes=30))
        scrivi = _page(citizen, "/scrivi/")
        assert "Sciopero dei mezzi" in scrivi
        assert 'href="https://www.comune.example.it/sciopero"' in scrivi
        assert "Sciopero dei mezzi" in _page(citizen, "/scrivi/pratica/")
        assert "Sciopero dei mezzi" in _page(operator, "/console/inbox/")
        # Every operator sees it: the phone operators say the same thing.
        assert "Sciopero dei mezzi" in _page(_client(cast.office_operator), "/console/inbox/")
        assert "Sciopero dei mezzi" in _page(_client(cast.analyst), "/console/reports/")
        banner = citizen.get("/avvisi/banner/")
        assert "Sciopero dei mezzi" in banner.content.decode()
        assert 'target="_top"' in banner.content.decode()
        assert "X-Frame-Options" not in banner  # the one page the portal may frame
        feed = citizen.get("/api/v1/alerts")
        [item] = feed.json()["alerts"]
        assert item["title"] == "Sciopero dei mezzi"
        assert item["priority"] == "important"
        assert item["link"] == "https://www.comune.example.it/sciopero"
        assert feed["Access-Control-Allow-Origin"] == "*"
        assert feed["Cache-Control"] == "public, max-age=60"

        clock.shift(timedelta(minutes=59, seconds=30))  # 30 s from its end
        assert citizen.get("/api/v1/alerts")["Cache-Control"] == "public, max-age=30"
        clock.shift(timedelta(seconds=30))  # its end
        for page in (
            _page(citizen, "/scrivi/"),
            _page(operator, "/console/inbox/"),
            _page(citizen, "/avvisi/banner/"),
        ):
            assert "Sciopero dei mezzi" not in page
        assert citizen.get("/api/v1/alerts").json()["alerts"] == []


def test_an_alert_shows_only_where_it_was_meant_to(cast: personas.Cast) -> None:
    with time_machine.travel(T0, tick=False):
        make_alert(T0, title="Riunione interna", channels=("console",))
        make_alert(T0, title="Neve sui marciapiedi", channels=("web",))
        scrivi = _page(_client(), "/scrivi/")
        console = _page(_client(cast.operator), "/console/inbox/")
        login = _page(_client(), "/console/accedi/")
    assert "Neve sui marciapiedi" in scrivi and "Riunione interna" not in scrivi
    assert "Riunione interna" in console and "Neve sui marciapiedi" not in console
    assert "Riunione interna" not in login  # not for whoever is not signed in


def test_only_supervisors_and_administrators_edit_alerts(cast: personas.Cast) -> None:
    for user, status in [
        (cast.supervisor, 200),
        (cast.administrator, 200),
        (cast.operator, 403),
        (cast.office_operator, 403),
        (cast.analyst, 403),
    ]:
        assert _client(user).get("/console/alerts/").status_code == status, user
    assert _client().get("/console/alerts/").status_code == 302
    assert 'href="/console/alerts/"' in _page(_client(cast.supervisor), "/console/inbox/")
    assert 'href="/console/alerts/"' not in _page(_client(cast.operator), "/console/inbox/")


def _form(**changes: Any) -> dict[str, Any]:
    start = timezone.localtime(T0)
    return {
        "title": "Emergenza neve",
        "text": "Scuole chiuse domani.",
        "link": "https://www.comune.example.it/neve",
        "theme": "",
        "starts_at": start.strftime(LOCAL),
        "ends_at": (start + timedelta(hours=6)).strftime(LOCAL),
        "channels": ["web", "console"],
        "priority": "1",
    } | changes


def test_the_editorial_team_writes_changes_and_ends_an_alert(cast: personas.Cast) -> None:
    client = _client(cast.supervisor)
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False) as clock:
        page = _page(client, "/console/alerts/new/")
        assert 'type="datetime-local"' in page
        response = client.post("/console/alerts/new/", _form())
        assert response.status_code == 302
        alert = Alert.objects.get()
        assert (alert.starts_at, alert.ends_at) == (T0, T0 + timedelta(hours=6))
        assert alert.channels == ["web", "console"]
        assert alert.created_by == cast.supervisor
        listing = client.get("/console/alerts/").context
        assert (listing["current"], listing["upcoming"], listing["ended"]) == ([alert], [], [])
        assert "Emergenza neve" in _page(_client(), "/scrivi/")

        response = client.post(
            f"/console/alerts/{alert.pk}/", _form(title="Emergenza neve: aggiornamento")
        )
        assert response.status_code == 302
        assert "Emergenza neve: aggiornamento" in _page(_client(), "/scrivi/")

        clock.shift(timedelta(minutes=10))
        assert client.post(f"/console/alerts/{alert.pk}/end/").status_code == 302
        assert "Emergenza neve" not in _page(_client(), "/scrivi/")
        alert.refresh_from_db()
        assert alert.ends_at == T0 + timedelta(minutes=11)
        listing = client.get("/console/alerts/")
        assert listing.context["ended"] == [alert]
        assert "Emergenza neve" in listing.content.decode().split('id="ended-heading"')[1]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "Il titolo è obbligatorio."),
        ({"text": ""}, "Il testo è obbligatorio."),
        ({"link": "ftp://comune.example.it/x"}, "inizia con http:// o https://"),
        ({"ends_at": timezone.localtime(T0).strftime(LOCAL)}, "La fine deve essere dopo l"),
        ({"starts_at": "domani"}, "Scrivi data e ora come 31/12/2026 18:30."),
        ({"channels": []}, "Scegli almeno un canale"),
        ({"priority": "7"}, "Scegli una priorità tra quelle proposte."),
    ],
)
def test_what_is_wrong_is_said_beside_its_field_and_nothing_is_saved(
    cast: personas.Cast, changes: dict[str, Any], message: str
) -> None:
    response = _client(cast.supervisor).post("/console/alerts/new/", _form(**changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "Emergenza neve" in response.content.decode() or changes.get("title") == ""
    assert not Alert.objects.exists()


def test_sending_asks_for_a_confirmation_first(cast: personas.Cast) -> None:
    client = _client(cast.supervisor)
    with time_machine.travel(T0, tick=False):
        alert = make_alert(T0, hours=2)
        page = _page(client, f"/console/alerts/{alert.pk}/send/")
        assert "Conferma e invia" in page
        assert "Lo riceveranno 0 cittadini." in page
        assert "non è tra quelli approvati di nessun canale WhatsApp" in page
        assert _client(cast.operator).post(f"/console/alerts/{alert.pk}/send/").status_code == 403
