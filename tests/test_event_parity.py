"""The demo's replay records what the actions record.

`demo/replay.py` writes the generated city's cases as rows, without calling the actions; each of
its methods claims to mirror one action. Here the same case is driven both ways, step by step,
and the two timelines must say the same: the same events in the same order, with the same
actor, `from_value`, `to_value` and details (message ids aside, which differ by construction).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings

from ascolto.channels.models import Conversation
from ascolto.demo.replay import ConversationRow, Desk, Replay, Staff
from ascolto.demo.writer import INSERT_ORDER, Ids, Sink
from ascolto.organisation.models import User
from ascolto.tickets import actions, codes
from ascolto.tickets.models import Campaign, Ticket, TicketEvent
from ascolto.tickets.routing import route
from tests import factories, personas

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STEP = timedelta(minutes=7)


def _timeline(ticket_id: int) -> list[tuple[str, int | None, str, str, dict[str, Any]]]:
    rows = TicketEvent.objects.filter(ticket_id=ticket_id).order_by("at", "pk")
    return [
        (
            e.kind,
            e.actor_id,
            e.from_value,
            e.to_value,
            # A message id says which message; both sides have one, with different ids.
            {k: ("<message>" if k == "message" else v) for k, v in e.data.items()},
        )
        for e in rows
    ]


def _staff(user: User) -> Staff:
    return Staff(user.pk, str(user))


def test_a_case_replayed_records_the_events_its_actions_record(cast: personas.Cast) -> None:
    campaign = Campaign.objects.create(
        code="tari-2026",
        name="TARI 2026",
        tag=actions.ensure_tags(["campagna TARI"])[0],
        starts_on=START.date(),
        ends_on=START.date() + timedelta(days=90),
    )
    (label,) = actions.ensure_tags(["avviso non ricevuto"])
    operator, clerk = cast.operator, cast.office_operator

    # The actions: an email opens the case, the contact center takes it and passes it to the
    # TARI office, whose clerk asks the citizen a question, gets the answer and resolves it.
    with time_machine.travel(START, tick=False) as clock:
        ticket = factories.open_case("Non ho ricevuto l'avviso TARI.")
        for step in [
            lambda t: actions.assign_ticket(t, actor=operator, assignee=operator),
            lambda t: actions.tag_ticket(t, actor=operator, add=[label]),
            lambda t: actions.link_campaign(t, campaign, actor=operator),
            lambda t: actions.escalate_ticket(t, cast.tari, actor=operator, note="Verificare."),
            lambda t: actions.assign_ticket(t, actor=clerk, assignee=clerk),
            lambda t: actions.wait_for_citizen(t, actor=clerk, question="Il codice fiscale?"),
            lambda t: factories.citizen_answers(t, "RSSMRA80A01F205X"),
            lambda t: actions.resolve_ticket(t, "Avviso rispedito.", actor=clerk, notify=True),
            lambda t: actions.close_ticket(t, actor=None),
        ]:
            clock.shift(STEP)
            step(Ticket.objects.get(pk=ticket.pk))
    acted = _timeline(ticket.pk)

    # The replay of the same case, step by step.
    channel = ticket.channel
    conversation = Conversation.objects.get(tickets=ticket)
    ids = Ids(*INSERT_ORDER)
    sink = Sink()
    epoch = int(START.timestamp())
    replay = Replay(
        sink, ids, epoch + 86_400, settings.ASCOLTO_MUNICIPALITY, {channel.pk: channel.kind}
    )
    row = ConversationRow(
        id=ids.take(Conversation),
        channel=channel,
        identity_id=conversation.identity_id,
        started_at=START,
        last_message_at=START,
        external_thread_id="replay",
    )
    sink.add(row, Conversation)
    case = replay.open(
        code=codes.new_code(),
        channel=channel,
        conversation=row,
        route=route(channel.kind, ticket.theme, ticket.kind),
        at=epoch,
        kind=ticket.kind,
        theme_id=ticket.theme_id,
        subject=ticket.subject,
        description=ticket.description,
        identity_id=ticket.identity_id,
        citizen_id=ticket.citizen_id,
    )
    desk = Desk(cast.tari.pk, cast.tari.name, None, (_staff(clerk),))
    at = [epoch + int(STEP.total_seconds()) * n for n in range(1, 10)]
    replay.assign(case, at[0], _staff(operator), _staff(operator))
    replay.tag(case, at[1], _staff(operator), [(label.pk, label.slug)])
    replay.link_campaign(case, at[2], _staff(operator), campaign)
    replay.escalate(case, at[3], _staff(operator), desk, "Verificare.")
    replay.assign(case, at[4], _staff(clerk), _staff(clerk))
    replay.wait(case, at[5], _staff(clerk), "Il codice fiscale?")
    replay.citizen_writes(case, at[6], "RSSMRA80A01F205X", "<replayed@mail.example.it>")
    replay.resolve(case, at[7], _staff(clerk), "Avviso rispedito.", notify=True)
    replay.close(case, at[8], None)
    replay.finish(case)
    sink.flush()
    replayed = _timeline(case.ticket.id)

    assert [e[0] for e in acted] == [
        "opened",
        "assigned",
        "status",
        "tagged",
        "campaign",
        "status",
        "escalated",
        "assigned",
        "replied",
        "status",
        "status",
        "message",
        "replied",
        "status",
        "status",
    ]
    assert replayed == acted
    # And the case itself ends the same way.
    done, twin = Ticket.objects.get(pk=ticket.pk), Ticket.objects.get(pk=case.ticket.id)
    for name in ("status", "level", "office_id", "team_id", "assignee_id", "campaign_id"):
        assert getattr(twin, name) == getattr(done, name), name
    assert set(twin.tags.all()) == set(done.tags.all())
