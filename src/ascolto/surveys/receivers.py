"""Where the surveys app listens: outbox topics of the apps below it (docs/architecture.md),
registered in `SurveysConfig.ready()`."""

from __future__ import annotations

from ascolto.channels.inbound import InboundMessage
from ascolto.core.models import OutboxEvent
from ascolto.surveys import invitations


def invite_after_case(event: OutboxEvent) -> None:
    """A case was resolved (`ticket.resolved`): invite its citizen to the surveys that take it."""
    invitations.invite_after_case(int(event.payload["ticket_id"]))


def record_chat_answer(event: OutboxEvent) -> None:
    """The assistant's in-chat survey was answered (`assistant.survey_answered`)."""
    invitations.record_chat_answer(int(event.payload["survey_answer_id"]))


def answer_tap(inbound: InboundMessage, choice: str) -> bool:
    """A tap on a WhatsApp invitation's rating (`channels.assistants.register_choices`)."""
    return invitations.answer_tap(inbound, choice)
