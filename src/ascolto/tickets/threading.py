"""The tickets side of intake: threading a batch of stored messages into cases.

Registered with `channels.intake.set_case_handler` in `TicketsConfig.ready()`. For each message,
in batch order: an active case of its conversation continues (a case waiting for the citizen goes
back to whoever was working on it), a resolved one is reopened, and otherwise a new case is
opened when the channel opens cases (or the adapter says so for the message). A new conversation
that continues a conversation of another channel (`CaseHints.continues`: a mail answering the
Scrivi acknowledgement) joins that conversation's active case instead. Writes are
set-based: the batch's new cases, their links, events and outbox events are one insert each.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.channels.intake import Item
from ascolto.channels.models import Channel, Conversation
from ascolto.citizens.models import Citizen, Identity
from ascolto.core import outbox
from ascolto.core.errors import DomainError, InvalidInput
from ascolto.tickets import codes, events, sla
from ascolto.tickets.models import Campaign, RoutingRule, Theme, Ticket, TicketEvent
from ascolto.tickets.routing import route

Status = Ticket.Status


def _unknown_kind(kind: str) -> InvalidInput:
    return InvalidInput(
        _("Tipo di richiesta sconosciuto: «%(kind)s».") % {"kind": kind}, field="kind"
    )


def _place_too_long() -> InvalidInput:
    return InvalidInput(_("Il luogo supera i %(max)d caratteri.") % {"max": 255}, field="place")


def _malformed_code(code: str) -> InvalidInput:
    return InvalidInput(
        _("Codice di tracciamento non valido: «%(code)s».") % {"code": code}, field="code"
    )


def build_ticket(
    *,
    channel: Channel,
    identity: Identity | None,
    citizen: Citizen | None,
    kind: str,
    theme: Theme | None,
    subject: str,
    description: str,
    place: str,
    campaign: Campaign | None,
    at: datetime,
    rules: Sequence[RoutingRule] | None = None,
    due_at: datetime | None = None,
    code: str = "",
) -> tuple[Ticket, events.Event]:
    """A new, unsaved case routed by the rules, with its code and SLA due time, and its
    'opened' event. Shared by `open_ticket` and batch intake. An explicit `due_at` (a
    callback's booked slot) overrides the SLA policy's; an explicit `code` (pre-assigned by the
    intake queue and already shown to the citizen) replaces a fresh one."""
    if kind not in Ticket.Kind.values:
        raise _unknown_kind(kind)
    if len(subject) > 255:
        raise InvalidInput(
            _("L'oggetto supera i %(max)d caratteri.") % {"max": 255}, field="subject"
        )
    if len(place) > 255:
        raise _place_too_long()
    if code and not codes.is_code(code):
        raise _malformed_code(code)
    target = route(channel.kind, theme, kind, rules=rules)
    ticket = Ticket(
        code=code or codes.new_code(),
        channel=channel,
        kind=kind,
        theme=theme,
        campaign=campaign,
        level=target.level,
        office=target.office,
        team=target.team,
        citizen=citizen,
        identity=identity,
        subject=subject,
        description=description,
        place=place,
        sla_policy=target.sla_policy,
        created_at=at,
        due_at=sla.promised_due_at(target.sla_policy, at, booked=due_at),
    )
    return ticket, events.opened_event(channel_code=channel.code, route=target)


class TicketIntake:
    """The case handler of intake (see `channels.intake.CaseHandler`)."""

    def validate(self, items: Sequence[Item]) -> dict[int, DomainError]:
        """The one check of the case hints, run when a message is accepted into the intake queue
        (`channels.intake.check`) and again when it is taken in.

        A message arriving now is told a category or campaign is unknown (or switched off). An
        `accepted` one (the citizen holds its code) is checked only for what cannot change after
        it was accepted (kind, code, place): a category or campaign switched off or removed since
        does not refuse it, `thread` files it under the nearest active category above, or leaves
        it for triage, without the campaign. So what was accepted is never refused here."""
        fresh = [i for i in items if not i.accepted]
        themes = {i.inbound.hints.theme for i in fresh if i.inbound.hints.theme}
        campaigns = {i.inbound.hints.campaign for i in fresh if i.inbound.hints.campaign}
        active_themes = (
            set(
                Theme.objects.filter(code__in=themes, is_active=True).values_list("code", flat=True)
            )
            if themes
            else set()
        )
        known_campaigns = (
            set(Campaign.objects.filter(code__in=campaigns).values_list("code", flat=True))
            if campaigns
            else set()
        )
        errors: dict[int, DomainError] = {}
        for item in items:
            hints = item.inbound.hints
            strict = not item.accepted
            if hints.kind and hints.kind not in Ticket.Kind.values:
                errors[item.index] = _unknown_kind(hints.kind)
            elif strict and hints.theme and hints.theme not in active_themes:
                errors[item.index] = InvalidInput(
                    _("Categoria sconosciuta: «%(code)s».") % {"code": hints.theme}, field="theme"
                )
            elif strict and hints.campaign and hints.campaign not in known_campaigns:
                errors[item.index] = InvalidInput(
                    _("Campagna sconosciuta: «%(code)s».") % {"code": hints.campaign},
                    field="campaign",
                )
            elif hints.code and not codes.is_code(hints.code):
                errors[item.index] = _malformed_code(hints.code)
            elif len(hints.place) > 255:
                errors[item.index] = _place_too_long()
        return errors

    def thread(self, items: Sequence[Item]) -> None:
        current = self._latest_tickets(items)
        themes = self._active_themes({i.inbound.hints.theme for i in items})
        campaigns = self._by_code(Campaign, {i.inbound.hints.campaign for i in items})
        rules: list[RoutingRule] | None = None
        new: list[Ticket] = []
        links: list[tuple[Ticket, Conversation]] = []
        changed: dict[int, Ticket] = {}
        rows: list[TicketEvent] = []
        outcome: dict[int, Ticket | None] = {}
        now = timezone.now()
        for item in items:
            conversation, message = item.conversation, item.message
            assert conversation is not None and message is not None  # noqa: S101
            # The external system that sent the message through the API, named by its events.
            system = item.inbound.hints.system
            ticket = current.get(conversation.pk)
            continued = item.inbound.hints.continues
            if ticket is None and continued is not None:
                # A conversation of another channel's case (a mail answering the Scrivi
                # acknowledgement): this conversation joins that case.
                ticket = current.get(continued)
                if ticket is not None and ticket.status not in Ticket.FINAL:
                    links.append((ticket, conversation))
                    current[conversation.pk] = ticket
            if ticket is not None and ticket.status not in Ticket.FINAL:
                back = Status.OFFICE if ticket.level == Ticket.Level.SECOND else Status.OPEN
                if ticket.may("citizen_writes"):
                    cause = (
                        "citizen_replied"
                        if ticket.status == Status.WAITING
                        else "citizen_wrote_after_resolution"
                    )
                    previous = ticket.apply_status(back, now)
                    ticket.updated_at = now
                    rows.append(
                        events.status_event(previous, back, cause=cause).row(
                            ticket, None, now, system=system
                        )
                    )
                    if ticket.pk is not None:
                        changed[ticket.pk] = ticket
                rows.append(
                    events.message_event(message.pk).row(
                        ticket, None, message.sent_at, system=system
                    )
                )
                outcome[item.index] = ticket
                continue
            hints = item.inbound.hints
            opens = hints.open_case if hints.open_case is not None else item.channel.opens_cases
            if not opens:
                outcome[item.index] = None
                continue
            if rules is None:
                rules = list(
                    RoutingRule.objects.filter(is_active=True).select_related(
                        "theme", "office", "team", "sla_policy"
                    )
                )
            identity = item.identity
            ticket, opening = build_ticket(
                channel=item.channel,
                identity=identity,
                citizen=item.citizen
                or (identity.citizen if identity and identity.citizen_id else None),
                kind=hints.kind or Ticket.Kind.INFORMATION,
                theme=themes.get(hints.theme),
                subject=(item.inbound.subject or message.summary(60))[:255],
                description=message.text,
                place=hints.place,
                campaign=campaigns.get(hints.campaign),
                at=message.sent_at,
                rules=rules,
                code=hints.code,
            )
            new.append(ticket)
            links.append((ticket, conversation))
            current[conversation.pk] = ticket
            rows.append(opening.row(ticket, None, message.sent_at, system=system))
            outcome[item.index] = ticket
        self._write(new, links, changed, rows)
        for item in items:
            opened = outcome.get(item.index)
            item.ticket_id = opened.pk if opened is not None else None

    @staticmethod
    def _active_themes(wanted: set[str]) -> dict[str, Theme | None]:
        """The theme of each code; for a theme switched off, its nearest active ancestor (a
        deactivated service falls back to its area), or None (triage) when there is none."""
        wanted.discard("")
        if not wanted:
            return {}
        found = {t.code: t for t in Theme.objects.filter(code__in=wanted)}
        out: dict[str, Theme | None] = {c: t for c, t in found.items() if t.is_active}
        inactive = [t for t in found.values() if not t.is_active]
        if inactive:
            ancestors = {code for t in inactive for code in t.path.strip("/").split("/")}
            active = {t.code: t for t in Theme.objects.filter(code__in=ancestors, is_active=True)}
            for theme in inactive:
                above = theme.path.strip("/").split("/")[:-1]
                out[theme.code] = next((active[c] for c in reversed(above) if c in active), None)
        return out

    @staticmethod
    def _by_code(model: Any, wanted: set[str]) -> dict[str, Any]:
        wanted.discard("")
        if not wanted:
            return {}
        queryset = model.objects.filter(code__in=wanted)
        if model is Campaign:
            queryset = queryset.select_related("tag")
        return {row.code: row for row in queryset}

    @staticmethod
    def _latest_tickets(items: Sequence[Item]) -> dict[int, Ticket]:
        """The latest case of each conversation that existed before this batch, and of each
        conversation of another channel a message continues (`CaseHints.continues`), locked."""
        conversation_ids = {
            i.conversation.pk for i in items if i.conversation and not i.conversation_created
        } | {i.inbound.hints.continues for i in items if i.inbound.hints.continues is not None}
        if not conversation_ids:
            return {}
        through = Ticket.conversations.through
        pairs = list(
            through.objects.filter(conversation_id__in=conversation_ids).values_list(
                "conversation_id", "ticket_id"
            )
        )
        if not pairs:
            return {}
        # A merged duplicate shares its conversations with the kept case: the kept one continues.
        tickets = {
            t.pk: t
            for t in Ticket.objects.select_for_update().filter(
                pk__in={p[1] for p in pairs}, parent__isnull=True
            )
        }
        latest: dict[int, Ticket] = {}
        for conversation_id, ticket_id in pairs:
            ticket = tickets.get(ticket_id)
            if ticket is None:
                continue
            best = latest.get(conversation_id)
            if best is None or (ticket.created_at, ticket.pk) > (best.created_at, best.pk):
                latest[conversation_id] = ticket
        return latest

    @staticmethod
    def _write(
        new: list[Ticket],
        links: list[tuple[Ticket, Conversation]],
        changed: dict[int, Ticket],
        rows: list[TicketEvent],
    ) -> None:
        if new:
            Ticket.objects.bulk_create(new)
        if links:
            Ticket.conversations.through.objects.bulk_create(
                [
                    Ticket.conversations.through(ticket_id=t.pk, conversation_id=c.pk)
                    for t, c in links
                ]
            )
        if new:
            tags = [
                Ticket.tags.through(ticket_id=t.pk, tag_id=t.campaign.tag_id)
                for t in new
                if t.campaign is not None and t.campaign.tag_id is not None
            ]
            if tags:
                Ticket.tags.through.objects.bulk_create(tags, ignore_conflicts=True)
        if changed:
            Ticket.objects.bulk_update(
                list(changed.values()), ["status", "resolved_at", "closed_at", "updated_at"]
            )
        if rows:
            TicketEvent.objects.bulk_create(rows)
        # A case the citizen wrote on again moved back to work: tell the apps above too.
        moved = [
            (
                "ticket.status_changed",
                {"ticket_id": r.ticket.pk, "from_status": r.from_value, "to_status": r.to_value},
            )
            for r in rows
            if r.kind == TicketEvent.Kind.STATUS
        ]
        outbox.publish_many([("ticket.opened", {"ticket_id": t.pk}) for t in new] + moved)
