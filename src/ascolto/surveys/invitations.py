"""Invitations to the triggered surveys: after a resolved case, after an online service of the
portal, after a chat with the assistant (docs/surveys-invitations.md, decision 0027).

After a case (`invite_after_case`, the `ticket.resolved` handler): each open survey with the
trigger `case_resolved` whose channels and themes match the case invites its citizen, unless
the case is cancelled or merged into another, the survey's sample leaves it out (a share of the
cases decided by a hash of the survey's code and the case's id, so a re-delivered event decides
the same), the citizen had any survey invitation in the last `fatigue_days` of that survey, or
the case already has one (`one_invitation_per_case`). The invitation copies the case's channel,
office and theme, and is delivered by the case's channel:

- email, and a phone case whose citizen left an address: a short mail whose link is a
  postscript (it reaches only the citizen's mailbox, never the case's thread);
- WhatsApp, inside Meta's 24-hour window: a list with the 1–5 rating; the citizen's tap is
  routed here by `channels.assistants` (`answer_tap`) before any assistant or intake sees it,
  and is the answer, or, when the survey asks more, the link to it with the rating chosen;
- Scrivi (web): a box on the request's status page (`status_page_invitation`).

A case of another channel, or one that cannot be reached now (a WhatsApp window closed, a phone
case without an address), gets no invitation.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.assistant.models import Session, SurveyAnswer
from ascolto.channels import actions as channel_actions
from ascolto.channels.actions import Choice
from ascolto.channels.inbound import InboundMessage
from ascolto.channels.models import Channel, Conversation, Message
from ascolto.channels.windows import reply_window
from ascolto.core.errors import DomainError, NotFound
from ascolto.surveys.models import Answer, Invitation, Question, Response, Service, Survey
from ascolto.surveys.tokens import invitation_path
from ascolto.tickets import actions as ticket_actions
from ascolto.tickets.models import Ticket

logger = logging.getLogger(__name__)

Status = Ticket.Status
# The prefix of the ids of the rating's choices on WhatsApp: "invito:<invitation id>:<1-5>".
TAP_PREFIX = "invito:"
_TAP = re.compile(r"^invito:(\d+):([1-5])$")
STARS = {
    1: "★ Pessimo",
    2: "★★ Scarso",
    3: "★★★ Sufficiente",
    4: "★★★★ Buono",
    5: "★★★★★ Ottimo",
}


# --- the rules ---------------------------------------------------------------------------------


def in_sample(survey: Survey, key: int | str) -> bool:
    """Whether the case (or session) `key` falls in the survey's sampled share: a stable hash
    of the survey's code and the key, so the same case is always decided the same way."""
    if survey.sample_percent >= 100:
        return True
    digest = hashlib.blake2b(f"{survey.code}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % 100 < survey.sample_percent


def recently_invited(ticket: Ticket, days: int, now: datetime) -> bool:
    """Whether the citizen of the case had any survey invitation in the last `days` days (of
    any survey: decision 0027). A case without a known citizen is matched by the handle it came
    from: the invitations of the cases of that identity."""
    if days <= 0:
        return False
    since = now - timedelta(days=days)
    recent = Invitation.objects.filter(created_at__gt=since)
    if ticket.citizen_id is not None:
        return recent.filter(citizen_id=ticket.citizen_id).exists()
    identities = Conversation.objects.filter(tickets=ticket).values("identity_id")
    return recent.filter(ticket__conversations__identity_id__in=identities).exists()


def matches(survey: Survey, ticket: Ticket) -> bool:
    """Whether the survey's channels and themes (with their sub-themes) take this case."""
    if survey.channels and ticket.channel.kind not in survey.channels:
        return False
    themes = list(survey.themes.all())
    if not themes:
        return True
    if ticket.theme is None:
        return False
    return any(ticket.theme.path.startswith(theme.path) for theme in themes)


def case_surveys() -> list[Survey]:
    """The open surveys invited to after a case, the most specific first (one naming themes or
    channels before one taking every case), then by code: with the fatigue rule, the first that
    takes a case is the one its citizen gets."""
    surveys = list(
        Survey.objects.filter(
            status=Survey.Status.OPEN,
            trigger=Survey.Trigger.CASE_RESOLVED,
            current_version__isnull=False,
        ).prefetch_related("themes")
    )
    return sorted(surveys, key=lambda s: (not (s.themes.all() or s.channels), s.code))


# --- after a case --------------------------------------------------------------------------------


def invite_after_case(ticket_id: int, now: datetime | None = None) -> list[Invitation]:
    """Invite the citizen of a resolved case to the surveys that take it (see the module's
    docstring); the invitations made. Idempotent: run twice, it invites once."""
    now = now or timezone.now()
    ticket = (
        Ticket.objects.select_related("channel", "theme", "office", "citizen")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None or ticket.parent_id is not None:
        return []
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        return []  # cancelled, or reopened before the event was handled
    made: list[Invitation] = []
    for survey in case_surveys():
        if not matches(survey, ticket) or not in_sample(survey, ticket.pk):
            continue
        if Invitation.objects.filter(survey=survey, ticket=ticket).exists():
            continue  # the event handled a second time
        if recently_invited(ticket, survey.fatigue_days, now):
            continue
        invitation = _deliver(survey, ticket, now)
        if invitation is not None:
            made.append(invitation)
    return made


def _deliver(survey: Survey, ticket: Ticket, now: datetime) -> Invitation | None:
    kind = ticket.channel.kind
    conversation = (
        ticket.conversations.select_related("channel", "identity")
        .order_by("-last_message_at", "-pk")
        .first()
    )
    if kind == Channel.Kind.WEB:
        return _invitation(survey, ticket, Invitation.Via.STATUS_PAGE, now)
    if kind in (Channel.Kind.EMAIL, Channel.Kind.PHONE):
        route = ticket_actions.reply_route(ticket)
        if route.conversation is None or (route.refusal and not route.by_email):
            return None  # a phone case without an address
        invitation = _invitation(survey, ticket, Invitation.Via.EMAIL, now)
        if invitation is not None:
            _mail(invitation, ticket)
        return invitation
    if kind == Channel.Kind.WHATSAPP and conversation is not None:
        window = reply_window(conversation)
        if window is None or not window.is_open:
            return None  # outside Meta's 24 hours no free-form message may go
        invitation = _invitation(survey, ticket, Invitation.Via.WHATSAPP, now)
        if invitation is not None:
            _buttons(invitation, ticket, conversation)
        return invitation
    return None


def _invitation(survey: Survey, ticket: Ticket, via: str, now: datetime) -> Invitation | None:
    try:
        with transaction.atomic():
            return Invitation.objects.create(
                survey=survey,
                via=via,
                ticket=ticket,
                citizen_id=ticket.citizen_id,
                channel_kind=ticket.channel.kind,
                office_id=ticket.office_id,
                theme_id=ticket.theme_id,
                created_at=now,
                expires_at=now + timedelta(days=survey.valid_days),
            )
    except IntegrityError:
        return None  # `one_invitation_per_case`: a concurrent handling made it


def invitation_url(invitation: Invitation, prefill: dict[str, int | str] | None = None) -> str:
    return settings.ASCOLTO_PUBLIC_URL + invitation_path(invitation, prefill)


MAIL = (
    "Gentile cittadina, gentile cittadino,\n\n"
    "la sua richiesta {code} è stata risolta. Ci aiuta a migliorare rispondendo a un breve "
    "questionario? Richiede un minuto ed è {anonymous}.\n\n{municipality}"
)


def _mail(invitation: Invitation, ticket: Ticket) -> Message:
    """The invitation by email, on the case's mail conversation (a phone case's: the mailbox
    conversation its replies use); the link is a postscript, for the citizen's mailbox only."""
    conversation = ticket_actions.reply_conversation(ticket)
    text = MAIL.format(
        code=ticket.code,
        anonymous=_("anonimo") if invitation.survey.anonymous else _("facoltativo"),
        municipality=settings.ASCOLTO_MUNICIPALITY,
    )
    postscript = _("Risponda qui: %(url)s") % {"url": invitation_url(invitation)}
    return channel_actions.send_message(
        conversation,
        text,
        subject=_("[%(code)s] La sua opinione sul servizio") % {"code": ticket.code},
        postscript=postscript,
    )


def _buttons(invitation: Invitation, ticket: Ticket, conversation: Conversation) -> Message:
    choices = [Choice(f"{TAP_PREFIX}{invitation.pk}:{n}", STARS[n]) for n in (5, 4, 3, 2, 1)]
    return channel_actions.send_interactive(
        conversation,
        _("La sua richiesta %(code)s è stata risolta. Come valuta il servizio ricevuto?")
        % {"code": ticket.code},
        choices,
        button=_("Valuta"),
    )


# --- the WhatsApp tap ----------------------------------------------------------------------------


def answer_tap(inbound: InboundMessage, choice: str) -> bool:
    """A citizen's tap on the rating of a WhatsApp invitation (`channels.assistants`): the
    score is the answer to the survey's first rating question (`surveys.actions
    .submit_response`). When the survey asks more and some of it is required, the tap brings
    the link to the whole questionnaire instead, its rating already chosen (the score signed in
    the link): the citizen answers the rest and one response results. Only the person the
    invitation's message went to can answer it (the tap names our message, `context.id`).
    True: the tap was ours (taken, never stored as a message of the case)."""
    from ascolto.surveys import actions

    match = _TAP.match(choice)
    if match is None:
        return False
    invitation = (
        Invitation.objects.select_related("survey__current_version", "ticket")
        .filter(pk=int(match.group(1)), via=Invitation.Via.WHATSAPP)
        .first()
    )
    sent = _tapped_message(inbound, choice)
    if invitation is None or sent is None or invitation.answered_at is not None:
        return True  # not ours to answer, or a re-delivered tap: nothing to store
    survey = invitation.survey
    version = survey.current_version
    rating = (
        version.questions.filter(kind=Question.Kind.RATING).order_by("position", "pk").first()
        if version is not None
        else None
    )
    if rating is None:
        return True
    try:
        actions.submit_response(
            survey,
            {rating.code: int(match.group(2))},
            invitation=invitation,
            source=Response.Source.CHAT,
        )
    except actions.AnswersInvalid:
        # The questionnaire asks more, required: the link to answer all of it, with the tap's
        # rating carried, signed, in the link and shown chosen (decision 0028). The link is a
        # postscript: it reaches the citizen's chat, not the case's thread.
        _send_after_tap(
            sent.conversation,
            _(
                "Grazie! Per inviare la sua valutazione completi il questionario dal link qui "
                "sotto: la valutazione è già indicata."
            ),
            postscript=invitation_url(invitation, {rating.code: int(match.group(2))}),
        )
        return True
    except DomainError as error:
        logger.info("surveys: tap on invitation %s refused: %s", invitation.pk, error.message)
        return True
    _send_after_tap(sent.conversation, _("Grazie per la sua valutazione!"))
    return True


def _tapped_message(inbound: InboundMessage, choice: str) -> Message | None:
    """Our interactive message the tap answers (Meta's `context.id`), if it offered `choice`."""
    message = ((inbound.raw or {}).get("whatsapp") or {}).get("message") or {}
    context = message.get("context") if isinstance(message, dict) else None
    wamid = str((context or {}).get("id") or "") if isinstance(context, dict) else ""
    if not wamid:
        return None
    sent = (
        Message.objects.select_related("conversation__channel")
        .filter(
            channel__code=inbound.channel,
            external_id=wamid,
            direction=Message.Direction.OUTBOUND,
        )
        .first()
    )
    interactive = ((sent.raw or {}).get("interactive") or {}) if sent is not None else {}
    offered = {str(c[0]) for c in interactive.get("choices") or []}
    return sent if choice in offered else None


def _send_after_tap(conversation: Conversation, text: str, postscript: str = "") -> None:
    # The tap reopened Meta's window, but it is not stored (it stays out of the case), so the
    # window is checked against the messages we know: a refusal is only logged.
    try:
        channel_actions.send_message(conversation, text, postscript=postscript)
    except DomainError as error:
        logger.info("surveys: no message after the tap: %s", error.message)


# --- the status page --------------------------------------------------------------------------


def status_page_invitation(code: str, now: datetime | None = None) -> Invitation | None:
    """The open, unanswered invitation the status page of the request `code` offers."""
    now = now or timezone.now()
    return (
        Invitation.objects.filter(
            ticket__code=code,
            via=Invitation.Via.STATUS_PAGE,
            answered_at__isnull=True,
            expires_at__gt=now,
            survey__status=Survey.Status.OPEN,
        )
        .select_related("survey")
        .order_by("-created_at")
        .first()
    )


# --- after an online service ----------------------------------------------------------------------


def invite_for_service(code: str, now: datetime | None = None) -> Invitation:
    """An anonymous invitation (via the portal's widget) to the open survey of the online
    service `code`; `NotFound` when the service has none."""
    now = now or timezone.now()
    service = Service.objects.filter(code=code, is_active=True).first()
    survey = (
        Survey.objects.filter(
            service=service,
            status=Survey.Status.OPEN,
            trigger=Survey.Trigger.ONLINE_SERVICE,
            current_version__isnull=False,
        )
        .order_by("-pk")
        .first()
        if service is not None
        else None
    )
    if service is None or survey is None:
        raise NotFound(_("Per questo servizio non c'è un questionario aperto."), field="service")
    return Invitation.objects.create(
        survey=survey,
        via=Invitation.Via.WIDGET,
        service=service,
        channel_kind="web",
        office_id=service.office_id,
        theme_id=service.theme_id,
        created_at=now,
        expires_at=now + timedelta(days=survey.valid_days),
    )


# --- after a chat with the assistant --------------------------------------------------------------

# The mapping of the assistant's survey ("Ti sono stato utile?" yes/no, then a suggestion) to the
# questions of the open survey with the trigger `chatbot`: the yes/no goes to the first single
# choice question offering the values "yes" and "no"; the suggestion to the first free-text
# question. No CSAT nor NPS is made up from a yes/no.
USEFUL_VALUES = {"yes", "no"}


def chat_survey() -> Survey | None:
    return (
        Survey.objects.filter(
            status=Survey.Status.OPEN,
            trigger=Survey.Trigger.CHATBOT,
            current_version__isnull=False,
        )
        .select_related("current_version")
        .order_by("-pk")
        .first()
    )


def record_chat_answer(answer_id: int) -> Response | None:
    """The assistant's in-chat survey answer `answer_id` as a `Response` (source chat) of the
    open chatbot survey: made at the first answer, completed by the suggestion; idempotent.
    None when there is no such survey, or the session is outside its sample."""
    answer = SurveyAnswer.objects.select_related("session").filter(pk=answer_id).first()
    survey = chat_survey()
    if answer is None or survey is None or answer.answered_at is None:
        return None
    if not in_sample(survey, f"chat:{answer.session_id}"):
        return None
    version = survey.current_version
    assert version is not None  # noqa: S101 (filtered above)
    questions = list(version.questions.order_by("position", "pk"))
    useful = next(
        (
            q
            for q in questions
            if q.kind == Question.Kind.SINGLE
            and USEFUL_VALUES <= {str(c.get("value")) for c in q.choices or []}
        ),
        None,
    )
    text = next((q for q in questions if q.kind == Question.Kind.TEXT), None)
    values: dict[Question, str] = {}
    if useful is not None and answer.useful is not None:
        values[useful] = "yes" if answer.useful else "no"
    if text is not None and answer.suggestion.strip():
        values[text] = answer.suggestion.strip()[:2000]
    with transaction.atomic():
        response, _created = Response.objects.select_for_update().get_or_create(
            chat_answer=answer,
            defaults={
                "survey": survey,
                "version": version,
                "source": Response.Source.CHAT,
                "via": Invitation.Via.CHAT,
                "channel_kind": (
                    "whatsapp" if answer.session.kind == Session.Kind.WHATSAPP else "web"
                ),
                "submitted_at": answer.answered_at,
            },
        )
        if response.version_id != version.pk:
            return response  # answered on an earlier version: kept as it was
        for question, value in values.items():
            Answer.objects.update_or_create(
                response=response, question=question, defaults={"value": value}
            )
        answered = {q.pk for q in values} | set(
            response.answers.values_list("question_id", flat=True)
        )
        complete = all(q.pk in answered for q in questions if q.required and not q.show_if)
        Response.objects.filter(pk=response.pk).update(
            complete=complete, submitted_at=answer.answered_at
        )
        response.complete = complete
    return response
