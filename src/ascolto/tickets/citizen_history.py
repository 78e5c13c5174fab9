"""A citizen's history with the municipality, as the case page shows it: every earlier case and
conversation, and whether they are a repeat contact.

The city's monthly report counts citizens who contacted it more than twice in the year, and more
than twice on the same theme; the case page flags them so the operator knows this is not a first
contact. Here:

- a *contact* is a conversation of any of the citizen's identities (a call, a Scrivi request,
  an email thread, a chat), started in the current calendar year, whether or not it opened a
  case;
- a contact is *on the same theme* when it is linked to a case filed under the same area of the
  taxonomy as the current case (Tributi, Anagrafe…: the "temi" of the report); the count on the
  exact theme (TARI within Tributi) is given too.

Every figure is one aggregate query; nothing loops over rows in Python. Who may see which case
is decided by `core.access`: cases out of a user's scope are counted, never listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from ascolto.channels.models import Conversation
from ascolto.citizens.models import Identity
from ascolto.core import access
from ascolto.tickets.models import Theme, Ticket

REPEAT_THRESHOLD = 2  # "more than twice": a third contact raises the flag
MAX_LISTED = 50


@dataclass
class RepeatContacts:
    """How often the citizen contacted the municipality this calendar year."""

    year: int
    total: int
    same_area: int
    same_theme: int
    area: Theme | None
    theme: Theme | None

    @property
    def repeat_in_year(self) -> bool:
        return self.total > REPEAT_THRESHOLD

    @property
    def repeat_on_theme(self) -> bool:
        return self.same_area > REPEAT_THRESHOLD

    @property
    def flagged(self) -> bool:
        return self.repeat_in_year or self.repeat_on_theme


@dataclass
class PastConversation:
    """One other conversation of the citizen, with the codes of its cases the user may see;
    `hidden` when it also belongs to a case out of the user's scope."""

    conversation: Conversation
    message_count: int
    case_codes: list[str]
    hidden: bool


@dataclass
class CitizenHistory:
    """What the citizen panel of a case shows."""

    identities: list[Identity]
    cases: list[Ticket]  # earlier and other cases the user may see, newest first
    hidden_cases: int  # cases of the citizen out of the user's scope: counted, not shown
    conversations: list[PastConversation]  # the citizen's other conversations, newest first
    conversation_count: int
    repeat: RepeatContacts


def _identities(ticket: Ticket) -> QuerySet[Identity]:
    if ticket.citizen_id is not None:
        return Identity.objects.filter(citizen_id=ticket.citizen_id)
    if ticket.identity_id is not None:
        return Identity.objects.filter(pk=ticket.identity_id)
    return Identity.objects.none()


def _year_bounds(now: datetime) -> tuple[datetime, datetime]:
    local = timezone.localtime(now)
    start = local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    return start, start.replace(year=start.year + 1)


def _ancestor(theme: Theme | None, level: int) -> Theme | None:
    """The node of `theme`'s branch at `level` (1 area, 2 theme); None above the theme's own.
    Found up its parents (no query when they were read with it: the case page's
    `select_related("theme__parent__parent")`), else by the code in its path."""
    if theme is None or theme.level < level:
        return None
    code = theme.path.strip("/").split("/")[level - 1]
    node: Theme | None = theme
    while node is not None and node.level > level:
        node = node.parent
    if node is not None and node.code == code:
        return node
    return Theme.objects.filter(code=code).first()


def citizen_repeat_contacts(ticket: Ticket, now: datetime | None = None) -> RepeatContacts:
    """The contacts of the case's citizen (or, for an unknown citizen, of its identity) this
    calendar year: in all, on the case's area and on its theme. One aggregate query. (The case
    page's flag. The monthly report counts per identity on the channel instead:
    `analytics.report.repeat_contacts`.)"""
    start, end = _year_bounds(now or timezone.now())
    area = _ancestor(ticket.theme, Theme.Level.AREA)
    theme = _ancestor(ticket.theme, Theme.Level.THEME)

    def _on(node: Theme | None) -> Any:
        if node is None:
            return Count("pk", filter=Q(pk__isnull=True))  # no theme: none on it
        related = Ticket.objects.filter(
            conversations=OuterRef("pk"), theme__path__startswith=node.path
        )
        return Count("pk", filter=Q(Exists(related)))

    figures = Conversation.objects.filter(
        identity__in=_identities(ticket), started_at__gte=start, started_at__lt=end
    ).aggregate(total=Count("pk"), same_area=_on(area), same_theme=_on(theme))
    return RepeatContacts(
        year=start.year,
        total=figures["total"] or 0,
        same_area=figures["same_area"] or 0,
        same_theme=figures["same_theme"] or 0,
        area=area,
        theme=theme,
    )


def citizen_history(ticket: Ticket, user: Any, now: datetime | None = None) -> CitizenHistory:
    """The citizen panel of `ticket` as `user` may see it."""
    identities = list(_identities(ticket).order_by("kind", "value"))
    if ticket.citizen_id is not None:
        others = Ticket.objects.filter(citizen_id=ticket.citizen_id)
    elif ticket.identity_id is not None:
        others = Ticket.objects.filter(identity_id=ticket.identity_id)
    else:
        others = Ticket.objects.none()
    others = others.exclude(pk=ticket.pk)
    shown = access.visible(others, user)
    # Who sees every office sees every case: nothing to count apart (one query less).
    everything = access.sees_every_office(user)
    hidden_cases = 0
    if not everything:
        counts = others.aggregate(
            total=Count("pk"), shown=Count("pk", filter=Q(pk__in=shown.values("pk")))
        )
        hidden_cases = (counts["total"] or 0) - (counts["shown"] or 0)
    cases = list(
        shown.select_related("theme", "channel", "office").order_by("-created_at")[:MAX_LISTED]
    )
    conversations_qs = (
        Conversation.objects.filter(identity__in=_identities(ticket))
        .exclude(tickets=ticket)
        .select_related("channel", "identity")
        .annotate(message_count=Count("messages", distinct=True))
        .order_by("-started_at")
    )
    listed = list(conversations_qs[:MAX_LISTED])
    links = list(
        Ticket.conversations.through.objects.filter(
            conversation_id__in=[c.pk for c in listed]
        ).values_list("conversation_id", "ticket_id", "ticket__code")
    )
    linked = {ticket_id for _c, ticket_id, _code in links}
    visible_ids = (
        linked if everything else set(shown.filter(pk__in=linked).values_list("pk", flat=True))
    )
    conversations = [
        PastConversation(
            conversation=c,
            message_count=c.message_count,
            case_codes=[code for cid, tid, code in links if cid == c.pk and tid in visible_ids],
            hidden=any(cid == c.pk and tid not in visible_ids for cid, tid, _code in links),
        )
        for c in listed
    ]
    return CitizenHistory(
        identities=identities,
        cases=cases,
        hidden_cases=hidden_cases,
        conversations=conversations,
        # All of them when fewer than the list's length were found (no counting query).
        conversation_count=(len(listed) if len(listed) < MAX_LISTED else conversations_qs.count()),
        repeat=citizen_repeat_contacts(ticket, now),
    )
