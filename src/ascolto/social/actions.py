"""What the social operators do with a thread of the triage queue (decision 0015).

Claim before act: an operator first claims the thread (`claim`, one conditional update: of two
operators claiming at once one wins, the other is told who holds it); every other action locks
the row, checks that the actor holds a live claim, does its work in one transaction and
releases the claim. A claim lapses after `CLAIM_MINUTES`, so a thread an operator left returns
to the others. Replies leave through the outbox (`channels.actions.send_message`, the comment
adapter), hiding through the outbox topic `social.hide`: a failure is retried and shown, never
lost.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.channels import actions as channel_actions
from ascolto.channels.models import Message
from ascolto.core import access, outbox
from ascolto.core.errors import DomainError, InvalidInput, NotFound
from ascolto.organisation.models import Office, User
from ascolto.social.models import SocialThread
from ascolto.tickets import actions as ticket_actions
from ascolto.tickets.models import Theme, Ticket

CLAIM_MINUTES = 15
# Meta accepts one private reply per comment, within 7 days of it.
PRIVATE_REPLY_DAYS = 7
PUBLIC, PRIVATE = "public", "private"
# The kinds of case an operator opens from a comment (a disservice report goes to an office by
# `forward_to_office`).
CASE_KINDS = (
    Ticket.Kind.INFORMATION,
    Ticket.Kind.VERIFICATION,
    Ticket.Kind.COMPLAINT,
    Ticket.Kind.SUGGESTION,
)

State = SocialThread.State


class ClaimedByOther(DomainError):
    """Another operator holds the thread."""


def _may_triage(actor: User) -> None:
    if not access.triages_social(actor):
        raise DomainError(_("Il tuo ruolo non gestisce la coda dei commenti social."))


def _claimed_message(thread: SocialThread) -> str:
    until = timezone.localtime(thread.claimed_until) if thread.claimed_until else None
    holder = thread.claimed_by
    return _("Il thread è in carico a %(name)s fino alle %(time)s.") % {
        "name": (holder.get_full_name() or holder.username) if holder else "?",
        "time": f"{until:%H:%M}" if until else "?",
    }


def claim(thread: SocialThread | int, actor: User, *, now: datetime | None = None) -> SocialThread:
    """Take the thread for `CLAIM_MINUTES` (again, if the actor already holds it). One
    conditional update: of two operators claiming at once, one wins and the other gets
    `ClaimedByOther` naming who holds it."""
    _may_triage(actor)
    now = now or timezone.now()
    pk = thread.pk if isinstance(thread, SocialThread) else thread
    free = (
        Q(claimed_by__isnull=True)
        | Q(claimed_by=actor)
        | Q(claimed_until__isnull=True)
        | Q(claimed_until__lte=now)
    )
    taken = (
        SocialThread.objects.filter(pk=pk)
        .filter(free)
        .update(claimed_by=actor, claimed_until=now + timedelta(minutes=CLAIM_MINUTES))
    )
    row = SocialThread.objects.select_related("claimed_by").filter(pk=pk).first()
    if row is None:
        raise NotFound(_("Il thread %(pk)s non esiste.") % {"pk": pk})
    if not taken:
        raise ClaimedByOther(_claimed_message(row))
    return row


def release(thread: SocialThread | int, actor: User) -> None:
    """Give the thread back to the queue without acting on it (only its holder can)."""
    pk = thread.pk if isinstance(thread, SocialThread) else thread
    SocialThread.objects.filter(pk=pk, claimed_by=actor).update(claimed_by=None, claimed_until=None)


def _held(thread: SocialThread | int, actor: User, states: tuple[str, ...]) -> SocialThread:
    """The thread, locked, when `actor` holds a live claim on it and it is in one of
    `states`; else the refusal, in Italian."""
    _may_triage(actor)
    pk = thread.pk if isinstance(thread, SocialThread) else thread
    row = (
        SocialThread.objects.select_for_update(of=("self",))
        .select_related("conversation__channel", "conversation__identity", "claimed_by")
        .filter(pk=pk)
        .first()
    )
    if row is None:
        raise NotFound(_("Il thread %(pk)s non esiste.") % {"pk": pk})
    now = timezone.now()
    if row.claimed_by_other(actor.pk, now):
        raise ClaimedByOther(_claimed_message(row))
    if not row.holds(actor.pk, now):
        raise DomainError(
            _(
                "Prendi in carico il thread prima di agire: un altro operatore "
                "potrebbe già gestirlo."
            )
        )
    if row.state not in states:
        raise DomainError(
            _("Il thread è «%(state)s»: questa azione non è possibile.")
            % {"state": row.get_state_display()}
        )
    return row


def _done(thread: SocialThread, state: str, actor: User, **changes: Any) -> SocialThread:
    thread.state = state
    thread.handled_by = actor
    thread.handled_at = timezone.now()
    thread.claimed_by = None
    thread.claimed_until = None
    thread.last_error = ""
    for name, value in changes.items():
        setattr(thread, name, value)
    thread.save()
    return thread


def comments(thread: SocialThread) -> list[Message]:
    """The thread's comments (what its authors wrote, not our replies), oldest first."""
    return list(
        Message.objects.filter(
            conversation_id=thread.conversation_id,
            direction=Message.Direction.INBOUND,
            raw__has_key="social",
        ).order_by("sent_at", "pk")
    )


def _target(thread: SocialThread, message_id: int | None) -> Message:
    """The comment a reply answers: the one chosen, else the latest still visible."""
    candidates = [m for m in comments(thread) if not (m.raw or {}).get("withdrawn")]
    if message_id is not None:
        chosen = [m for m in comments(thread) if m.pk == message_id]
        if not chosen:
            raise InvalidInput(_("Il commento scelto non è di questo thread."), field="target")
        return chosen[0]
    if not candidates:
        raise InvalidInput(
            _("Nel thread non resta nessun commento visibile a cui rispondere."), field="target"
        )
    return candidates[-1]


def _text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("La risposta è vuota."), field="text")
    if len(text) > settings.ASCOLTO_MAX_MESSAGE_CHARS:
        raise InvalidInput(_("La risposta è troppo lunga."), field="text")
    return text


@transaction.atomic
def answer(
    thread: SocialThread | int,
    text: str,
    *,
    actor: User,
    private: bool = False,
    target: int | None = None,
) -> Message:
    """Answer the thread: publicly, under the comment (Facebook: a comment reply; Instagram: a
    reply), or privately to its author (Messenger or Instagram Direct, as Meta allows: one
    private reply per comment, within 7 days). The reply leaves through the outbox; the thread
    becomes 'answered' and leaves the queue until someone writes in it again."""
    row = _held(thread, actor, SocialThread.TO_HANDLE)
    text = _text(text)
    comment = _target(row, target)
    social = (comment.raw or {}).get("social", {})
    comment_id = str(social.get("comment_id") or comment.external_id)
    if private:
        if timezone.now() - comment.sent_at > timedelta(days=PRIVATE_REPLY_DAYS):
            raise InvalidInput(
                _("Meta consente la risposta privata solo entro 7 giorni dal commento."),
                field="private",
            )
        if social.get("kind") == "post":
            raise InvalidInput(
                _("Meta consente la risposta privata ai commenti, non ai post."), field="private"
            )
        already = Message.objects.filter(
            conversation_id=row.conversation_id,
            direction=Message.Direction.OUTBOUND,
            raw__social_reply__comment_id=comment_id,
            raw__social_reply__mode=PRIVATE,
        ).exclude(status=Message.Status.FAILED)
        if already.exists():
            raise InvalidInput(
                _("Questo commento ha già avuto la sua risposta privata: Meta ne consente una."),
                field="private",
            )
    message = channel_actions.send_message(
        row.conversation,
        text,
        author=actor,
        raw={
            "social_reply": {
                "mode": PRIVATE if private else PUBLIC,
                "comment_id": comment_id,
                "network": str(social.get("network") or row.conversation.channel.kind),
            }
        },
    )
    _done(row, State.ANSWERED, actor, proposed_reply="")
    return message


def _subject(thread: SocialThread) -> str:
    first = next(iter(comments(thread)), None)
    return first.summary(120) if first else ""


def _description(thread: SocialThread) -> str:
    return "\n\n".join(m.text for m in comments(thread))[: settings.ASCOLTO_MAX_MESSAGE_CHARS]


def _open(row: SocialThread, actor: User, kind: str, theme: Theme | None) -> Ticket:
    conversation = row.conversation
    return ticket_actions.open_ticket(
        channel=conversation.channel,
        conversation=conversation,
        identity=conversation.identity,
        citizen=conversation.identity.citizen,
        kind=kind,
        theme=theme,
        subject=_subject(row),
        description=_description(row),
        actor=actor,
    )


@transaction.atomic
def open_case(
    thread: SocialThread | int,
    *,
    actor: User,
    kind: str = Ticket.Kind.INFORMATION,
    theme: Theme | None = None,
) -> Ticket:
    """Open a case (an information or support request) whose conversation is the thread: it
    enters the inbox routed as any case, and later comments in the thread continue it."""
    row = _held(thread, actor, (State.NEW,))
    if kind not in CASE_KINDS:
        raise InvalidInput(
            _("Tipo di caso non previsto per un commento: «%(kind)s».") % {"kind": kind},
            field="kind",
        )
    ticket = _open(row, actor, kind, theme)
    _done(row, State.CASE, actor, ticket=ticket)
    return ticket


@transaction.atomic
def forward_to_office(
    thread: SocialThread | int,
    office: Office,
    *,
    actor: User,
    note: str = "",
    theme: Theme | None = None,
) -> Ticket:
    """Forward a disservice report to the competent office: a disservice case, escalated to
    `office` (second level) with the operator's note. When the office resolves it, its outcome
    comes back to the queue as a proposed reply (`offer_outcome`)."""
    row = _held(thread, actor, (State.NEW,))
    if not isinstance(office, Office) or not office.is_active:
        raise InvalidInput(_("Scegli un ufficio attivo."), field="office")
    ticket = _open(row, actor, Ticket.Kind.DISSERVICE, theme)
    ticket = ticket_actions.escalate_ticket(ticket, office, actor=actor, note=note)
    _done(row, State.FORWARDED, actor, ticket=ticket)
    return ticket


@transaction.atomic
def mark_not_relevant(thread: SocialThread | int, *, actor: User, note: str = "") -> SocialThread:
    """Set the thread aside (a greeting, an opinion, spam): it leaves the queue until someone
    writes in it again. `note`, if given, stays on the thread as an internal note."""
    row = _held(thread, actor, SocialThread.TO_HANDLE)
    if note.strip():
        channel_actions.add_note(row.conversation, note, author=actor)
    return _done(row, State.NOT_RELEVANT, actor, proposed_reply="")


@transaction.atomic
def hide(thread: SocialThread | int, *, actor: User) -> SocialThread:
    """Hide the thread's comments on Facebook or Instagram (moderation: offensive, spam,
    personal data): they stay visible only to their authors and their friends. The Graph calls
    leave through the outbox (`social.hide`); a call that still fails at its last attempt is
    shown on the thread."""
    states = tuple(s for s in State.values if s != State.HIDDEN)
    row = _held(thread, actor, states)
    ids = [m.pk for m in comments(row) if not (m.raw or {}).get("withdrawn")]
    if not ids:
        raise InvalidInput(_("Nel thread non c'è nessun commento visibile da nascondere."))
    outbox.publish("social.hide", thread_id=row.pk, message_ids=ids)
    return _done(row, State.HIDDEN, actor)


def offer_outcome(ticket_id: int) -> bool:
    """The office resolved a case forwarded from the queue: its resolution becomes the proposed
    reply of the thread, which returns to the queue as 'outcome from the office'. Idempotent:
    only a thread still 'forwarded' moves. Returns whether one did."""
    ticket = Ticket.objects.filter(pk=ticket_id).only("status", "resolution").first()
    if ticket is None or ticket.status != Ticket.Status.RESOLVED:
        return False
    moved = SocialThread.objects.filter(ticket_id=ticket_id, state=State.FORWARDED).update(
        state=State.OUTCOME,
        proposed_reply=ticket.resolution,
        claimed_by=None,
        claimed_until=None,
    )
    return bool(moved)


def record_hide_failure(thread_id: int, error: str) -> None:
    """A Graph call hiding the thread failed for good: say so on the thread."""
    SocialThread.objects.filter(pk=thread_id).update(last_error=error[:500])
