"""What a citizen's access archive holds, section by section (GDPR art. 15).

Each section is made by a provider, a function of the citizen returning a `Section`: its rows
(one dict a row, plain values: text, numbers, ISO dates) and the files that go with them. This app
registers its own providers (`register_builtin`, from `PrivacyConfig.ready`): the citizen's record,
identities, cases with their events, messages of every conversation, files, calls, surveys,
consents with the notices' texts, merge suggestions, erasures, and the reads of their data in the
access log (`audit`: when, on which screen, what; not which employee, as the EU Court of Justice
allows, C-579/21). An app above this one adds its section from its own `AppConfig.ready()`:

    from ascolto.privacy import sections
    sections.register("key", gettext_lazy("Titolo"), provider)

Nothing here reads another citizen: every query starts from this citizen's identities and cases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath
from typing import IO, Any

from django.core.exceptions import SuspiciousFileOperation
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy

from ascolto.audit import queries as audit_queries
from ascolto.channels.inbound import STORED
from ascolto.channels.models import Conversation, Message
from ascolto.citizens.models import Citizen, Consent, MergeSuggestion, PrivacyNotice
from ascolto.contactcenter.models import CallRecord
from ascolto.tickets.models import Ticket, TicketEvent


@dataclass(frozen=True)
class ArchiveFile:
    """A file that goes in the ZIP: its path there and how to open the stored bytes."""

    path: str
    open: Callable[[], IO[bytes]]


@dataclass
class Section:
    """One part of the archive: a title, its rows (the JSON and the PDF's table) and files."""

    key: str
    title: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    files: list[ArchiveFile] = field(default_factory=list)
    note: str = ""


Provider = Callable[[Citizen], Section]
_providers: dict[
    str, tuple[Promise | str, Callable[[Citizen], list[dict[str, Any]] | Section]]
] = {}


def register(
    key: str,
    title: Promise | str,
    provider: Callable[[Citizen], list[dict[str, Any]] | Section],
) -> None:
    """Add (or replace) the section `key`: `provider(citizen)` returns its rows or a `Section`.
    Sections come out in the order they were registered."""
    _providers[key] = (title, provider)


def registered() -> list[str]:
    return list(_providers)


def collect(citizen: Citizen) -> Iterator[Section]:
    """Each registered section for `citizen`, in order (one at a time: the caller reports
    progress between them)."""
    for key, (title, provider) in list(_providers.items()):
        made = provider(citizen)
        if isinstance(made, Section):
            made.key, made.title = key, str(title)
            yield made
        else:
            yield Section(key=key, title=str(title), rows=made)


# --- the citizen's own data -----------------------------------------------------------------------


def _when(value: datetime | None) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


def identity_ids(citizen: Citizen) -> list[int]:
    return list(citizen.identities.values_list("pk", flat=True))


def tickets_of(citizen: Citizen) -> QuerySet[Ticket]:
    """The citizen's cases: filed under them, or opened from one of their handles."""
    return Ticket.objects.filter(Q(citizen=citizen) | Q(identity__in=identity_ids(citizen)))


def conversations_of(citizen: Citizen) -> QuerySet[Conversation]:
    """The citizen's conversations: on one of their handles, or linked to one of their cases."""
    cases = tickets_of(citizen).values("pk")
    return Conversation.objects.filter(
        Q(identity__in=identity_ids(citizen)) | Q(tickets__in=cases)
    ).distinct()


def messages_of(citizen: Citizen) -> QuerySet[Message]:
    return Message.objects.filter(conversation__in=conversations_of(citizen).values("pk"))


def _record(citizen: Citizen) -> list[dict[str, Any]]:
    return [
        {
            "id": citizen.pk,
            "first_name": citizen.first_name,
            "last_name": citizen.last_name,
            "fiscal_code": citizen.fiscal_code,
            "email": citizen.email,
            "phone": citizen.phone,
            "created_at": _when(citizen.created_at),
        }
    ]


def _identities(citizen: Citizen) -> list[dict[str, Any]]:
    return [
        {
            "kind": identity.kind,
            "value": identity.value,
            "display_name": identity.display_name,
            "first_contact": _when(identity.created_at),
            "last_contact": _when(identity.last_seen_at),
        }
        for identity in citizen.identities.order_by("kind", "value")
    ]


def _cases(citizen: Citizen) -> list[dict[str, Any]]:
    rows = []
    cases = tickets_of(citizen).select_related("channel", "theme", "office").order_by("created_at")
    for ticket in cases.prefetch_related("legal_holds"):
        holds = [h.reason for h in ticket.legal_holds.all() if h.released_at is None]
        rows.append(
            {
                "code": ticket.code,
                "channel": ticket.channel.name,
                "kind": ticket.get_kind_display(),
                "theme": ticket.theme.name if ticket.theme else "",
                "office": ticket.office.name if ticket.office else "",
                "status": ticket.get_status_display(),
                "subject": ticket.subject,
                "description": ticket.description,
                "place": ticket.place,
                "resolution": ticket.resolution,
                "opened_at": _when(ticket.created_at),
                "resolved_at": _when(ticket.resolved_at),
                "closed_at": _when(ticket.closed_at),
                "legal_hold": "; ".join(holds),
            }
        )
    return rows


def _events(citizen: Citizen) -> list[dict[str, Any]]:
    events = (
        TicketEvent.objects.filter(ticket__in=tickets_of(citizen).values("pk"))
        .select_related("ticket")
        .order_by("ticket__created_at", "at", "pk")
    )
    return [
        {
            "case": event.ticket.code,
            "at": _when(event.at),
            "kind": event.get_kind_display(),
            "from": event.from_value,
            "to": event.to_value,
        }
        for event in events
    ]


def _stored(item: dict[str, Any]) -> str:
    url = str(item.get("url") or "")
    return url.removeprefix(STORED) if url.startswith(STORED) else ""


def _messages(citizen: Citizen) -> Section:
    rows, files = [], []
    messages = messages_of(citizen).select_related("channel").order_by("conversation", "sent_at")
    for message in messages:
        names = []
        for n, item in enumerate(message.attachments or []):
            name = _file_name(str(item.get("name") or ""))
            stored = _stored(item)
            if stored:
                path = f"files/{message.pk}-{n}-{name}"
                files.append(ArchiveFile(path, _opener(stored)))
                names.append(path)
            else:
                names.append(name)
        rows.append(
            {
                "conversation": message.conversation_id,
                "channel": message.channel.name,
                "direction": message.get_direction_display(),
                "sent_at": _when(message.sent_at),
                "subject": message.subject,
                "text": message.text,
                "attachments": names,
            }
        )
    return Section(key="", title="", rows=rows, files=files)


def _file_name(raw: str) -> str:
    """A stored file's name as a plain name inside the ZIP (no folders, no `..`)."""
    try:
        return get_valid_filename(PurePath(raw).name)[:100] or "allegato"
    except SuspiciousFileOperation:
        return "allegato"


def _opener(name: str) -> Callable[[], IO[bytes]]:
    from django.core.files.storage import default_storage

    return lambda: default_storage.open(name, "rb")


def _calls(citizen: Citizen) -> list[dict[str, Any]]:
    calls = CallRecord.objects.filter(
        Q(caller__in=identity_ids(citizen)) | Q(conversation__in=conversations_of(citizen))
    ).order_by("arrived_at")
    return [
        {
            "arrived_at": _when(call.arrived_at),
            "queue": call.queue,
            "ivr_path": call.ivr_path,
            "wait_seconds": call.wait_seconds,
            "talk_seconds": call.talk_seconds,
            "abandoned": call.abandoned,
        }
        for call in calls.distinct()
    ]


def _surveys(citizen: Citizen) -> list[dict[str, Any]]:
    answered = tickets_of(citizen).filter(satisfaction__isnull=False).order_by("created_at")
    return [{"case": t.code, "satisfaction": t.satisfaction} for t in answered]


def _consents(citizen: Citizen) -> Section:
    consents = list(Consent.objects.filter(citizen=citizen).order_by("recorded_at", "pk"))
    versions = {c.notice_version for c in consents if c.notice_version}
    notices = {n.version: n for n in PrivacyNotice.objects.filter(version__in=versions)}
    rows = []
    for consent in consents:
        notice = notices.get(consent.notice_version)
        rows.append(
            {
                "purpose": consent.get_purpose_display(),
                "granted": consent.granted,
                "source": consent.source,
                "recorded_at": _when(consent.recorded_at),
                "notice_version": consent.notice_version,
                "notice_sha256": notice.sha256 if notice else "",
                "notice_text": notice.text if notice else "",
            }
        )
    return Section(key="", title="", rows=rows)


def _suggestions(citizen: Citizen) -> list[dict[str, Any]]:
    # The evidence names the other record's details: another person's data, left out.
    suggestions = MergeSuggestion.objects.filter(Q(first=citizen) | Q(second=citizen))
    return [
        {
            "status": s.get_status_display(),
            "proposed_at": _when(s.created_at),
            "decided_at": _when(s.decided_at),
        }
        for s in suggestions.order_by("created_at", "pk")
    ]


def _erasures(citizen: Citizen) -> list[dict[str, Any]]:
    from ascolto.privacy.models import Erasure

    return [
        {
            "performed_at": _when(e.performed_at),
            "cause": e.get_cause_display(),
            "reason": e.reason,
            "kept": e.kept,
        }
        for e in Erasure.objects.filter(citizen=citizen).order_by("performed_at")
    ]


def _access_log(citizen: Citizen) -> list[dict[str, Any]]:
    # The person's record and those merged into it, as the DPO's page reads them. Which member of
    # staff read the data is the controller's to know, not part of the access (C-579/21): the
    # date, the screen and what was shown are.
    ids = [citizen.pk, *Citizen.objects.filter(merged_into=citizen).values_list("pk", flat=True)]
    entries = audit_queries.records(audit_queries.LogQuery(citizen_ids=ids)).order_by("at", "pk")
    return [
        {
            "at": _when(r.at),
            "screen": r.get_purpose_display(),
            "kind": r.kind,
            "shown": r.shown,
        }
        for r in entries
    ]


def register_builtin() -> None:
    register("citizen", gettext_lazy("Dati anagrafici e recapiti principali"), _record)
    register("identities", gettext_lazy("Recapiti su ogni canale"), _identities)
    register("cases", gettext_lazy("Casi"), _cases)
    register("events", gettext_lazy("Storia dei casi"), _events)
    register("messages", gettext_lazy("Messaggi di tutte le conversazioni"), _messages)
    register("calls", gettext_lazy("Chiamate"), _calls)
    register("surveys", gettext_lazy("Questionari di soddisfazione"), _surveys)
    register("consents", gettext_lazy("Consensi e testo delle informative"), _consents)
    register("merge_suggestions", gettext_lazy("Possibili doppioni"), _suggestions)
    register("erasures", gettext_lazy("Cancellazioni"), _erasures)
    register("access_log", gettext_lazy("Consultazioni dei dati da parte del Comune"), _access_log)
