"""The events of a case's timeline: one constructor per kind, the one place each is built.

A constructor takes the values of one change and returns the `Event` it records: its kind, the
`from_value` and `to_value` the timeline and the reports read, and its details (`data`). Three
writers use them, each turning the `Event` into a row its own way:

- the actions (`tickets/actions.py`), one case at a time: `event.record(ticket, actor, at)`
  saves the row now;
- intake (`tickets.threading.TicketIntake`), a batch at a time: `event.row(ticket, actor, at)` is
  an unsaved `TicketEvent` for one `bulk_create`;
- the demo's generator (`demo/replay.py`), millions of events: `event.values(ticket_id,
  actor_id, at)` are the field values its sink inserts, without the model instance that would
  cost more than the insert itself.

So a new detail of an event, or a change in what it records, is made here once and every writer
records it the same way (`tests/test_event_parity.py` checks the actions against the demo).

Who is named in an event (an operator, an office, a team, a campaign, a theme) is given as an
object with a `pk` whose `str()` is its name: a model instance, or the demo's lightweight
`Staff` and `Desk`.

An event made by another system of the city through the API has no operator: its actor is
empty, and `acting_system(name)` (`core.acting`) around the actions the system asked for records
its name in the details (`data["system"]`, `TicketEvent.system`), so the case's history says who
did it. Intake, which takes a whole batch in at once, names the system a message came from per
row instead (`row(..., system=)`, from `CaseHints.system`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from ascolto.core.acting import MAX_NAME, current_system
from ascolto.core.acting import acting_system as acting_system  # the API's (`Caller.acting`)
from ascolto.organisation.models import User
from ascolto.tickets.models import Ticket, TicketEvent
from ascolto.tickets.routing import Route

Kind = TicketEvent.Kind


def _details(data: dict[str, Any], actor: object, system: str = "") -> dict[str, Any]:
    """The event's details, with the external system that made it when no operator did: the one
    given (intake's, per message) or the one acting now (`core.acting.acting_system`)."""
    if actor is not None:
        return data
    system = system[:MAX_NAME] or current_system()
    return {**data, "system": system} if system else data


class Named(Protocol):
    """Someone or something an event names: its id goes in the details, its name in the text."""

    @property
    def pk(self) -> Any: ...


@dataclass(frozen=True, slots=True)
class Event:
    """What a `TicketEvent` records, before it is given its case, its actor and its time."""

    kind: str
    from_value: str = ""
    to_value: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def row(
        self, ticket: Ticket, actor: User | None, at: datetime, *, system: str = ""
    ) -> TicketEvent:
        """An unsaved row (for a bulk insert; the case may be unsaved too, until then).
        `system`: the external system that sent what the event records (intake's)."""
        return TicketEvent(
            ticket=ticket,
            kind=self.kind,
            actor=actor,
            at=at,
            from_value=self.from_value,
            to_value=self.to_value,
            data=_details(self.data, actor, system),
        )

    def record(self, ticket: Ticket, actor: User | None, at: datetime) -> TicketEvent:
        """The row, saved."""
        return TicketEvent.objects.create(
            ticket=ticket,
            kind=self.kind,
            actor=actor,
            at=at,
            from_value=self.from_value,
            to_value=self.to_value,
            data=_details(self.data, actor),
        )

    def values(self, ticket_id: int, actor_id: int | None, at: datetime) -> dict[str, Any]:
        """The row's field values by attribute name, for writers that build no instances."""
        return {
            "ticket_id": ticket_id,
            "kind": self.kind,
            "actor_id": actor_id,
            "at": at,
            "from_value": self.from_value,
            "to_value": self.to_value,
            "data": self.data,
        }


def _text(value: object) -> str:
    """A name as the event's `from_value` or `to_value` holds it: empty for none, cut to fit."""
    return str(value or "")[:255]


def _pk(value: Named | None) -> Any:
    return value.pk if value is not None else None


# --- Opening and the citizen ----------------------------------------------------------------


def opened_event(*, channel_code: str, route: Route, status: str = Ticket.Status.NEW) -> Event:
    """A case was opened on a channel and routed: where the routing sent it, and by which rule
    (`send_back_ticket` reads the first-level office back from here)."""
    return Event(
        Kind.OPENED,
        to_value=_text(status),
        data={
            "channel": channel_code,
            "office": _pk(route.office),
            "team": _pk(route.team),
            "level": route.level,
            "rule": _pk(route.rule),
        },
    )


def message_event(message_id: int) -> Event:
    """The citizen wrote on a conversation of the case."""
    return Event(Kind.MESSAGE, data={"message": message_id})


# --- Status ---------------------------------------------------------------------------------


def status_event(
    previous: str, status: str, *, cause: str | None = None, reason: str | None = None
) -> Event:
    """The case moved from `previous` to `status`. `cause` says what moved it when no operator
    asked for the move (the citizen wrote: 'citizen_replied', 'citizen_wrote_after_resolution';
    a merge: 'merged'); `reason` is the operator's, when the move asks for one."""
    data: dict[str, Any] = {}
    if cause is not None:
        data["cause"] = cause
    if reason is not None:
        data["reason"] = reason
    return Event(Kind.STATUS, from_value=_text(previous), to_value=_text(status), data=data)


def first_contact_event(previous: str, assignee: Named | None) -> Event:
    """The operator resolved the case while the citizen was still there (a logged call): one
    status event, with who holds the case (`assignee`, possibly nobody)."""
    return Event(
        Kind.STATUS,
        from_value=_text(previous),
        to_value=_text(Ticket.Status.RESOLVED),
        data={"cause": "first_contact", "assignee": _pk(assignee)},
    )


# --- Who works on it ------------------------------------------------------------------------


def assigned_event(previous: object, assignee: Named | None, team: Named | None) -> Event:
    """The case was given to `assignee` (the operator who had it was `previous`), and/or to
    `team`; with no operator, the event names the team."""
    if assignee is not None:
        return Event(
            Kind.ASSIGNED,
            from_value=_text(previous),
            to_value=_text(assignee),
            data={"assignee": assignee.pk, "team": _pk(team)},
        )
    return Event(Kind.ASSIGNED, to_value=_text(team), data={"team": _pk(team)})


def escalated_event(previous: object, office: Named, note: str) -> Event:
    """The case was handed to `office` (second level) from `previous`, with the operator's note."""
    return Event(
        Kind.ESCALATED,
        from_value=_text(previous),
        to_value=_text(office),
        data={"office": office.pk, "note": note},
    )


def sent_back_event(previous: object, office: object, reason: str) -> Event:
    """The office `previous` returned the case to the first level (`office`), saying why."""
    return Event(
        Kind.SENT_BACK,
        from_value=_text(previous),
        to_value=_text(office),
        data={"reason": reason},
    )


def citizen_event(source_id: int, target_id: int) -> Event:
    """The case moved to another citizen record (two records of one person were merged)."""
    return Event(Kind.CITIZEN, from_value=_text(source_id), to_value=_text(target_id))


# --- Messages of the staff ------------------------------------------------------------------


def replied_event(message_id: int, *, resent: bool = False) -> Event:
    """A reply went to the citizen (`resent`: a failed one, sent again)."""
    data: dict[str, Any] = {"message": message_id}
    if resent:
        data["resent"] = True
    return Event(Kind.REPLIED, data=data)


def note_event(message_id: int) -> Event:
    """An internal note was left on the case."""
    return Event(Kind.NOTE, data={"message": message_id})


# --- Classification -------------------------------------------------------------------------


def theme_event(previous: object, theme: object) -> Event:
    return Event(Kind.THEME, from_value=_text(previous), to_value=_text(theme))


def kind_event(previous: str, kind: str) -> Event:
    return Event(Kind.KIND, from_value=_text(previous), to_value=_text(kind))


def tagged_event(added: list[str], removed: list[str]) -> Event:
    """Labels added and removed, by slug."""
    return Event(Kind.TAGGED, data={"added": added, "removed": removed})


def campaign_event(previous: object, campaign: object) -> Event:
    """The case joined `campaign` (none: it left `previous`)."""
    return Event(Kind.CAMPAIGN, from_value=_text(previous), to_value=_text(campaign))


# --- Merging --------------------------------------------------------------------------------


def merged_into_event(into: Ticket) -> Event:
    """On the duplicate: it was merged into the kept case `into`."""
    return Event(Kind.MERGED, to_value=_text(into.code), data={"into": into.pk})


def merged_from_event(duplicate: Ticket) -> Event:
    """On the kept case: `duplicate` was merged into it."""
    return Event(Kind.MERGED, from_value=_text(duplicate.code), data={"duplicate": duplicate.pk})


# --- SLA ------------------------------------------------------------------------------------


def sla_breached_event(due_at: datetime | None) -> Event:
    """The case passed its due time (in UTC, as the database gives it back)."""
    return Event(Kind.SLA_BREACHED, to_value=due_at.astimezone(UTC).isoformat() if due_at else "")
