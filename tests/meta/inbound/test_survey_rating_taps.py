"""A WhatsApp case resolved inside Meta's 24 hours is invited with the 1–5 rating as a list
(against the local Graph server); the citizen's tap, delivered as Meta does, is the answer to
the survey's first rating question, is never a message of the case, and counts once; a tap on
a survey that asks more, required, brings the link to the whole questionnaire with the rating
chosen (signed in the link, decision 0028), and one response results."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import signing

from ascolto.channels.adapters.meta import deliveries
from ascolto.channels.adapters.meta import replay as meta_replay
from ascolto.channels.adapters.meta.sandbox import GraphSandbox
from ascolto.channels.models import Message
from ascolto.surveys import tokens
from ascolto.surveys.models import Answer, Invitation, Response, Survey
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from tests.invitation_cases import open_survey
from tests.meta.cases import NUMBER, whatsapp_case
from tests.meta.inbound.conftest import APP_SECRET, Meta

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CASE = Survey.Trigger.CASE_RESOLVED


def _resolve(meta: Meta, capture: Any) -> Ticket:
    meta.whatsapp.config = {**meta.whatsapp.config, "opens_cases": True}
    meta.whatsapp.save()
    ticket = whatsapp_case(meta.whatsapp, capture)
    with capture(execute=True):
        return actions.resolve_ticket(ticket, "Squadra inviata.", actor=meta.cast.operator)


def _tap(meta: Meta, wamid: str, choice: str, context: str, at: datetime) -> None:
    tap = meta_replay.wa_interactive(
        wamid,
        NUMBER,
        choice,
        "★★★★ Buono",
        int(at.timestamp()),
        kind="list_reply",
        context=context,
    )
    raw = meta_replay.body(meta_replay.whatsapp("1234567890", messages=[tap]))
    response = meta.client.post(
        "/webhooks/meta/whatsapp/",
        data=raw,
        content_type="application/json",
        headers={meta_replay.SIGNATURE_HEADER: meta_replay.signed(raw, APP_SECRET)},
    )
    assert response.status_code == 200
    assert deliveries.drain().failed == 0


def test_the_rating_goes_as_a_list_and_the_tap_is_the_answer_once(
    meta: Meta, graph_sandbox: GraphSandbox, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    survey = open_survey(
        "dopo-pratica",
        CASE,
        questions=[
            {"code": "voto", "kind": "rating", "required": True},
            {"code": "commento", "kind": "text"},
        ],
    )
    with time_machine.travel(T0, tick=False) as clock:
        ticket = _resolve(meta, capture)
        invitation = Invitation.objects.get()
        assert (invitation.via, invitation.ticket_id) == ("whatsapp", ticket.pk)
        sent = graph_sandbox.last()
        assert sent.body["type"] == "interactive"
        rows = sent.body["interactive"]["action"]["sections"][0]["rows"]
        assert [r["id"] for r in rows] == [f"invito:{invitation.pk}:{n}" for n in (5, 4, 3, 2, 1)]
        ours = Message.objects.get(raw__has_key="interactive")
        assert ours.external_id

        clock.shift(timedelta(hours=1))
        with capture(execute=True):
            _tap(meta, "wamid.TAP1", f"invito:{invitation.pk}:4", ours.external_id, T0)
            _tap(meta, "wamid.TAP2", f"invito:{invitation.pk}:1", ours.external_id, T0)

    response = Response.objects.get()
    assert (response.survey, response.csat, response.via, response.channel_kind) == (
        survey,
        4,
        "whatsapp",
        "whatsapp",
    )
    assert response.ticket is None  # an anonymous survey
    assert list(Answer.objects.values_list("question__code", "number")) == [("voto", 4)]
    invitation.refresh_from_db()
    assert invitation.answered_at is not None
    # Neither tap became a message of the case (nor reopened it); the citizen was thanked.
    assert not Message.objects.filter(external_id__in=["wamid.TAP1", "wamid.TAP2"]).exists()
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.RESOLVED
    assert graph_sandbox.last().body["text"]["body"] == "Grazie per la sua valutazione!"


def _link_of(text: str) -> str:
    """The answering page's path in the text sent to the citizen."""
    match = re.search(r"https?://[^/\s]+(/scrivi/questionario/[^\s]+/)", text)
    assert match, text
    return match.group(1)


def test_a_tap_on_a_survey_asking_more_brings_the_link_with_the_rating_chosen(
    meta: Meta, graph_sandbox: GraphSandbox, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    survey = open_survey(
        "dopo-pratica",
        CASE,
        questions=[
            {"code": "voto", "kind": "rating", "required": True},
            {"code": "tempi", "kind": "rating", "required": True},
        ],
    )
    with time_machine.travel(T0, tick=False) as clock:
        _resolve(meta, capture)
        invitation = Invitation.objects.get()
        ours = Message.objects.get(raw__has_key="interactive")
        with capture(execute=True):
            _tap(meta, "wamid.TAP1", f"invito:{invitation.pk}:2", ours.external_id, T0)

        # Nothing is recorded yet: the link carries the rating to the whole questionnaire.
        assert not Response.objects.exists()
        text = graph_sandbox.last().body["text"]["body"]
        assert text.startswith("Grazie! Per inviare la sua valutazione completi il questionario")
        link = _link_of(text)
        # The link reaches the citizen's chat, not the case's thread (where operators read).
        after = Message.objects.filter(direction="outbound").order_by("-pk").first()
        assert after is not None and "/scrivi/" not in after.text

        page = meta.client.get(link)
        assert page.status_code == 200
        html = page.content.decode()
        assert 'id="q-voto-2" value="2" checked' in html  # the tap's rating, chosen
        assert re.search(r'name="voto"[^>]*checked', html)
        assert not re.search(r'name="tempi"[^>]*checked', html)

        clock.shift(timedelta(minutes=5))
        sent = meta.client.post(link, {"voto": "2", "tempi": "4"})
        assert sent.status_code == 302
        # The link, or a second tap's, is answered once.
        again = meta.client.post(link, {"voto": "5", "tempi": "5"})
        assert "Questionario già compilato" in again.content.decode()

    response = Response.objects.get()
    assert (response.survey, response.csat, response.via) == (survey, 2, "whatsapp")
    assert sorted(Answer.objects.values_list("question__code", "number")) == [
        ("tempi", 4),
        ("voto", 2),
    ]
    invitation.refresh_from_db()
    assert invitation.answered_at == T0 + timedelta(minutes=5)


def _tapped_link(meta: Meta, graph_sandbox: GraphSandbox, capture: Any, score: int) -> str:
    """Resolve a WhatsApp case for a survey that asks more than the rating (`voto`, then the
    required `motivo`), tap `score` stars (at T0): the link the citizen is sent back."""
    open_survey(
        "dopo-pratica",
        CASE,
        questions=[
            {"code": "voto", "kind": "rating", "required": True},
            {"code": "motivo", "kind": "text", "required": True},
        ],
    )
    _resolve(meta, capture)
    invitation = Invitation.objects.get()
    ours = Message.objects.get(raw__has_key="interactive")
    with capture(execute=True):
        _tap(meta, "wamid.TAP1", f"invito:{invitation.pk}:{score}", ours.external_id, T0)
    return _link_of(graph_sandbox.last().body["text"]["body"])


def test_the_citizen_may_change_the_rating_the_link_chose(
    meta: Meta, graph_sandbox: GraphSandbox, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(T0, tick=False):
        link = _tapped_link(meta, graph_sandbox, django_capture_on_commit_callbacks, 1)
        assert meta.client.post(link, {"voto": "3", "motivo": "Tempi lunghi"}).status_code == 302
    assert Response.objects.get().csat == 3


def test_a_link_altered_to_choose_another_rating_is_refused(
    meta: Meta, graph_sandbox: GraphSandbox, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(T0, tick=False):
        link = _tapped_link(meta, graph_sandbox, django_capture_on_commit_callbacks, 1)
        token = link.rstrip("/").rsplit("/", 1)[1]
        forged = signing.loads(token, salt=tokens.SALT)
        forged["a"] = {"voto": 5}
        unsigned = signing.dumps(forged, salt="another-salt", compress=True)
        page = meta.client.get(f"/scrivi/questionario/{unsigned}/")
    assert page.status_code == 404
    assert not Response.objects.exists()


def test_a_tap_naming_another_message_is_not_an_answer(
    meta: Meta, graph_sandbox: GraphSandbox, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    open_survey("dopo-pratica", CASE)
    with time_machine.travel(T0, tick=False):
        _resolve(meta, capture)
        invitation = Invitation.objects.get()
        with capture(execute=True):
            _tap(meta, "wamid.TAP1", f"invito:{invitation.pk}:1", "wamid.SOMETHING-ELSE", T0)
    assert not Response.objects.exists()
    invitation.refresh_from_db()
    assert invitation.answered_at is None


def test_no_rating_goes_once_the_24_hours_are_over(
    meta: Meta, graph_sandbox: GraphSandbox, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    open_survey("dopo-pratica", CASE)
    with time_machine.travel(T0, tick=False) as clock:
        meta.whatsapp.config = {**meta.whatsapp.config, "opens_cases": True}
        meta.whatsapp.save()
        ticket = whatsapp_case(meta.whatsapp, capture)
        clock.shift(timedelta(hours=25))
        with capture(execute=True):
            actions.resolve_ticket(ticket, "Risolto.", actor=meta.cast.operator)
    assert not Invitation.objects.exists()
    assert not Message.objects.filter(raw__has_key="interactive").exists()
