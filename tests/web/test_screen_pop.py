"""Screen-pop: the telephony system's signed "call started" webhook stores a pop for the operator
on that extension; a bad or stale signature answers 401 and stores nothing; the operator's
console takes the pop once and shows the caller within the operator's scope; the call form opens
filled with the number and the call id."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client, override_settings

from ascolto.contactcenter.models import IncomingCall
from ascolto.core.webhooks import sign
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from tests import factories, personas

pytestmark = pytest.mark.django_db

SECRET = "s3cret-shared-with-the-pbx"
HOOK = "/api/v1/telephony/call-started"
POLL = "/console/calls/incoming/"
MARIA_PHONE = "+393337654321"


def payload(**changes: Any) -> bytes:
    body = {
        "call_id": "pbx-2026-0001",
        "caller_number": "333 765 4321",
        "agent_extension": "201",
        "queue": "tributi",
        "started_at": "2026-12-06T10:15:00+01:00",
    }
    body.update(changes)
    return json.dumps(body).encode()


def post_hook(
    body: bytes, *, secret: str = SECRET, timestamp: int | None = None, signature: str = ""
) -> Any:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "X-Ascolto-Signature": signature or sign(secret, stamp, body),
        "X-Ascolto-Timestamp": stamp,
    }
    with override_settings(ASCOLTO_TELEPHONY_SECRET=SECRET):
        return Client().post(HOOK, body, content_type="application/json", headers=headers)


@pytest.fixture
def ringing(cast: personas.Cast) -> personas.Cast:
    cast.operator.extension = "201"
    cast.operator.save(update_fields=["extension"])
    cast.office_operator.extension = "305"
    cast.office_operator.save(update_fields=["extension"])
    return cast


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "how",
    ["wrong secret", "tampered body", "no signature", "stale timestamp", "future timestamp"],
)
def test_a_bad_signature_answers_401_and_stores_nothing(ringing: personas.Cast, how: str) -> None:
    body = payload()
    now = int(time.time())
    if how == "wrong secret":
        response = post_hook(body, secret="not-the-secret")
    elif how == "tampered body":
        signed = sign(SECRET, now, body)
        response = post_hook(payload(agent_extension="305"), timestamp=now, signature=signed)
    elif how == "no signature":
        response = post_hook(body, signature="sha256=")
    elif how == "stale timestamp":
        response = post_hook(body, timestamp=now - 301)
    else:
        response = post_hook(body, timestamp=now + 301)
    assert response.status_code == 401
    assert not IncomingCall.objects.exists()


def test_an_unconfigured_secret_refuses_every_call(ringing: personas.Cast) -> None:
    body = payload()
    stamp = str(int(time.time()))
    headers = {"X-Ascolto-Signature": sign("", stamp, body), "X-Ascolto-Timestamp": stamp}
    with override_settings(ASCOLTO_TELEPHONY_SECRET=""):
        response = Client().post(HOOK, body, content_type="application/json", headers=headers)
    assert response.status_code == 401
    assert not IncomingCall.objects.exists()


def test_a_signed_call_is_stored_once_for_the_operator_on_the_extension(
    ringing: personas.Cast,
) -> None:
    first = post_hook(payload())
    again = post_hook(payload())  # the telephony system delivers twice
    assert first.status_code == again.status_code == 202
    incoming = IncomingCall.objects.get()
    assert incoming.operator == ringing.operator
    assert incoming.phone == MARIA_PHONE
    assert incoming.queue == "tributi"
    assert incoming.seen_at is None


def test_an_unknown_extension_or_a_bad_payload_stores_nothing(ringing: personas.Cast) -> None:
    assert post_hook(payload(agent_extension="999")).status_code == 404
    assert post_hook(payload(call_id="")).status_code == 400
    assert post_hook(payload(started_at="yesterday")).status_code == 400
    assert post_hook(b"[1, 2]").status_code == 400
    assert post_hook(b"not json").status_code == 400
    assert not IncomingCall.objects.exists()


def test_the_console_pops_the_caller_once_and_the_form_is_filled(ringing: personas.Cast) -> None:
    received = factories.submit_scrivi(
        "Quando scade la TARI?", fiscal_code=personas.MARIA_FISCAL_CODE, phone="333 765 4321"
    )
    code = Ticket.objects.get(pk=received.ticket_id).code
    operator = signed_in(ringing.operator)
    assert operator.post(POLL).status_code == 204  # nothing ringing yet
    post_hook(payload())

    pop = operator.post(POLL)
    assert pop.status_code == 200
    html = pop.content.decode()
    assert "Chiamata in arrivo da +393337654321" in html
    assert "Maria Rossi" in html and code in html
    assert operator.post(POLL).status_code == 204  # once

    incoming = IncomingCall.objects.get()
    assert incoming.seen_at is not None
    form = operator.get(f"/console/calls/new/?incoming={incoming.pk}").content.decode()
    assert 'value="+393337654321"' in form
    assert 'value="pbx-2026-0001"' in form
    assert code in form  # the caller's history beside the form


def test_another_operator_gets_neither_the_pop_nor_its_form(ringing: personas.Cast) -> None:
    post_hook(payload())
    incoming = IncomingCall.objects.get()
    other = signed_in(ringing.supervisor)
    assert other.post(POLL).status_code == 204
    form = other.get(f"/console/calls/new/?incoming={incoming.pk}").content.decode()
    assert "pbx-2026-0001" not in form and "+393337654321" not in form
    assert IncomingCall.objects.get().seen_at is None


def test_the_panel_shows_only_what_the_office_operator_may_see(ringing: personas.Cast) -> None:
    """Maria's case is at the Anagrafe: the TARI office operator's pop says the number and
    nothing of her."""
    received = factories.submit_scrivi(
        "Cambio di residenza", fiscal_code=personas.MARIA_FISCAL_CODE, phone="333 765 4321"
    )
    ticket = Ticket.objects.get(pk=received.ticket_id)
    actions.escalate_ticket(ticket, ringing.anagrafe, actor=ringing.operator)
    post_hook(payload(agent_extension="305"))
    html = signed_in(ringing.office_operator).post(POLL).content.decode()
    assert "Chiamata in arrivo da +393337654321" in html
    assert "Rossi" not in html and ticket.code not in html
    assert personas.MARIA_FISCAL_CODE not in html


def test_only_operators_with_an_extension_poll(ringing: personas.Cast) -> None:
    assert 'id="screen-pop"' in signed_in(ringing.operator).get("/console/inbox/").content.decode()
    page = signed_in(ringing.supervisor).get("/console/inbox/").content.decode()
    assert 'id="screen-pop"' not in page


def test_a_signed_out_page_stops_polling(ringing: personas.Cast) -> None:
    """No redirect to the sign-in page (HTMX would swap it into the panel): 286 stops it."""
    post_hook(payload())
    assert Client().post(POLL).status_code == 286
    assert signed_in(ringing.analyst).post(POLL).status_code == 286
    assert IncomingCall.objects.get().seen_at is None
