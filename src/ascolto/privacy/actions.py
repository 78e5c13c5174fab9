"""The writes of the data-protection duties (docs/privacy.md): a citizen's access archive made in
the background, legal holds on cases, the erasure of a citizen's personal data, and the retention
policy applied each night.

Erasure keeps every figure: the citizen row stays as a pseudonym ("Cittadino anonimizzato #n"),
their handles become keyed hashes (each still one handle, so repeat contacts count the same),
the cases keep their counts, times, theme, channel, office, status and satisfaction; what goes is
what says who the person is and what they wrote: names, fiscal code, email, phone, the texts of
cases, messages and conversations, the files, the payloads as received. `TicketEvent` rows are
never updated nor deleted (the case's history is append-only). A case under a legal hold is left
whole, and the erasure records it with the hold's reason.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.analytics.exports import PdfUnavailable
from ascolto.channels.inbound import STORED
from ascolto.channels.models import Conversation, Message, PendingInbound, WebhookDelivery
from ascolto.citizens.models import Citizen, Identity, MergeSuggestion
from ascolto.contactcenter.models import CallbackBooking, IncomingCall
from ascolto.core.errors import DomainError, InvalidInput
from ascolto.privacy import archive, sections
from ascolto.privacy.models import AccessArchive, ErasedCase, Erasure, LegalHold, RetentionRun
from ascolto.social.models import SocialThread
from ascolto.tickets.models import Ticket

logger = logging.getLogger(__name__)

PSEUDONYM = "Cittadino anonimizzato"
# The folders whose files are named by their content (`channels.adapters.email.receive`,
# `channels.adapters.meta.deliveries`): one file may serve several messages. The others
# (`scrivi/`, `replies/`) hold one message's file under a random folder.
SHARED_FOLDERS = ("email/", "meta/")
MAX_REASON = 500


# --- access archive ---------------------------------------------------------------------------


def request_access_archive(citizen: Citizen, *, actor: Any) -> AccessArchive:
    """Record a citizen's access archive to be made in the background and enqueue it once the
    request's transaction commits; an archive of the same citizen already queued or running is
    returned instead of a second one."""
    from ascolto.privacy.tasks import build_access_archive_task

    citizen = citizen.live()
    with transaction.atomic():
        active = (
            AccessArchive.objects.select_for_update()
            .filter(
                citizen=citizen,
                status__in=[AccessArchive.Status.QUEUED, AccessArchive.Status.RUNNING],
            )
            .first()
        )
        if active is not None:
            return active
        job = AccessArchive.objects.create(
            citizen=citizen, requested_by=actor, steps=len(sections.registered()) + 2
        )
        transaction.on_commit(lambda: build_access_archive_task.enqueue(job.pk))
    return job


def build_access_archive(archive_id: int) -> AccessArchive:
    """Gather every section of the citizen's data, one step each, then write the ZIP and the
    PDF into a new folder; the archive expires after `ASCOLTO_PRIVACY_ARCHIVE_DAYS`. A failure
    is stored on the archive (its folder removed) and raised for the worker to log."""
    job = AccessArchive.objects.select_related("citizen").get(pk=archive_id)
    if not job.active:
        return job
    job.status, job.started_at, job.step = AccessArchive.Status.RUNNING, timezone.now(), 0
    job.folder = secrets.token_hex(16)
    job.steps = len(sections.registered()) + 2  # each section, the ZIP, the PDF
    job.save(update_fields=["status", "started_at", "step", "steps", "folder"])

    def advance(doing: str) -> None:
        job.step += 1
        job.doing = doing[:100]
        AccessArchive.objects.filter(pk=job.pk).update(step=job.step, doing=job.doing)

    try:
        gathered = []
        for section in sections.collect(job.citizen):
            gathered.append(section)
            advance(section.title)
        target = archive.folder(job.folder)
        target.mkdir(parents=True, exist_ok=False)
        os.chmod(target, 0o700)
        job.zip_bytes = archive.write_zip(target / archive.ZIP_NAME, job.citizen, gathered)
        advance(_("archivio ZIP"))
        try:
            job.pdf_bytes = archive.write_pdf(target / archive.PDF_NAME, job.citizen, gathered)
        except PdfUnavailable:
            job.error = _("Il PDF non si può creare su questo server: l'archivio ZIP è completo.")
        advance(_("documento PDF"))
    except Exception:
        archive.remove(job.folder)
        _finish(job, AccessArchive.Status.FAILED, error=_("errore inatteso, registrato nel log"))
        raise
    job.expires_at = timezone.now() + timedelta(days=settings.ASCOLTO_PRIVACY_ARCHIVE_DAYS)
    _finish(job, AccessArchive.Status.DONE)
    logger.info("privacy: access archive %s ready", job.pk)
    return job


def _finish(job: AccessArchive, status: str, *, error: str = "") -> None:
    job.status, job.finished_at = status, timezone.now()
    job.error = error or job.error
    job.save(
        update_fields=[
            "status", "finished_at", "error", "zip_bytes", "pdf_bytes", "expires_at", "step"
        ]
    )  # fmt: skip


def expire_archive(job: AccessArchive) -> None:
    """Delete an archive's files; the row stays as the record that it was made and given."""
    archive.remove(job.folder)
    AccessArchive.objects.filter(pk=job.pk).update(status=AccessArchive.Status.EXPIRED)


# --- legal holds ------------------------------------------------------------------------------


def set_legal_hold(ticket: Ticket, *, reason: str, actor: Any) -> LegalHold:
    """Keep `ticket` whole whatever erasure or retention asks, for `reason` (required)."""
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput(
            _("Scrivi perché il caso va conservato (ad esempio: procedimento in corso)."),
            field="reason",
        )
    if len(reason) > 300:
        raise InvalidInput(_("Il motivo è troppo lungo: al massimo 300 caratteri."), field="reason")
    with transaction.atomic():
        current = LegalHold.objects.select_for_update().filter(
            ticket=ticket, released_at__isnull=True
        )
        if current.exists():
            raise DomainError(_("Il caso %(code)s è già conservato.") % {"code": ticket.code})
        return LegalHold.objects.create(ticket=ticket, reason=reason, set_by=actor)


def release_legal_hold(ticket: Ticket, *, actor: Any) -> int:
    """End the hold on `ticket`; returns how many were ended (0: there was none)."""
    return LegalHold.objects.filter(ticket=ticket, released_at__isnull=True).update(
        released_at=timezone.now()
    )


def held_ticket_ids(tickets: QuerySet[Ticket]) -> set[int]:
    return set(
        LegalHold.objects.filter(ticket__in=tickets, released_at__isnull=True).values_list(
            "ticket_id", flat=True
        )
    )


# --- erasure ----------------------------------------------------------------------------------


def pseudonym(value: str) -> str:
    """A handle replaced by a keyed hash: the same handle always gives the same pseudonym (one
    person's contacts still count as one), and nobody without the key can find the handle back
    by trying numbers."""
    key = settings.ASCOLTO_ERASURE_KEY.encode("utf-8")
    digest = hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"anonimo:{digest[:40]}"


@dataclass
class Scrub:
    """What an erasure removes, counted per kind, and the cases it keeps."""

    removed: dict[str, int] = field(default_factory=dict)
    kept: list[dict[str, Any]] = field(default_factory=list)

    def add(self, kind: str, n: int) -> None:
        self.removed[kind] = self.removed.get(kind, 0) + n


def _delete_files(messages: QuerySet[Message]) -> int:
    """Delete the stored files of `messages` (and their folders when empty); the bytes are
    deleted after commit, so a rolled-back erasure loses no file."""
    names: list[str] = []
    for attachments in messages.exclude(attachments=[]).values_list("attachments", flat=True):
        for item in attachments or []:
            url = str(item.get("url") or "") if isinstance(item, dict) else ""
            if url.startswith(STORED):
                names.append(url.removeprefix(STORED))
    # Mail and Meta media are stored by content (one file for the same bytes): a file another
    # message still names (someone else sent the same document) stays.
    others = Message.objects.exclude(pk__in=messages.values("pk")).annotate(
        files=Cast("attachments", TextField())
    )
    names = [
        n
        for n in dict.fromkeys(names)
        if not (n.startswith(SHARED_FOLDERS) and others.filter(files__contains=n).exists())
    ]

    def delete() -> None:
        for name in names:
            try:
                default_storage.delete(name)
            except Exception:
                logger.exception("privacy: could not delete a stored file of an erasure")
                continue
            with contextlib.suppress(NotImplementedError, OSError):
                os.rmdir(default_storage.path(str(PurePath(name).parent)))

    transaction.on_commit(delete)
    return len(names)


def scrub_cases(tickets: QuerySet[Ticket], scrub: Scrub) -> list[int]:
    """Remove the personal content of `tickets` (all but those under a legal hold, recorded in
    `scrub.kept`): their texts, their conversations' subjects, messages' texts, files and raw
    payloads, callback numbers, proposed social replies. Returns the ids scrubbed."""
    held = held_ticket_ids(tickets)
    for hold in LegalHold.objects.filter(
        ticket_id__in=held, released_at__isnull=True
    ).select_related("ticket"):
        scrub.kept.append({"case": hold.ticket.code, "reason": hold.reason})
    ids = list(tickets.exclude(pk__in=held).values_list("pk", flat=True))
    if not ids:
        return []
    held_conversations = Conversation.objects.filter(tickets__in=held).values("pk")
    conversations = Conversation.objects.filter(tickets__in=ids).exclude(pk__in=held_conversations)
    scrub_conversations(conversations, scrub)
    scrub.add(
        "cases",
        Ticket.objects.filter(pk__in=ids).update(
            subject="", description="", place="", resolution=""
        ),
    )
    scrub.add("callbacks", CallbackBooking.objects.filter(ticket_id__in=ids).update(phone=""))
    SocialThread.objects.filter(ticket_id__in=ids).update(proposed_reply="")
    codes = Ticket.objects.filter(pk__in=ids).values("code")
    scrub.add(
        "queued_requests",
        PendingInbound.objects.filter(code__in=codes, processed_at__isnull=False).update(
            payload={}
        ),
    )
    return ids


def scrub_conversations(conversations: QuerySet[Conversation], scrub: Scrub) -> None:
    ids = list(conversations.values_list("pk", flat=True).distinct())
    messages = Message.objects.filter(conversation_id__in=ids)
    scrub.add("files", _delete_files(messages))
    scrub.add(
        "messages",
        messages.update(subject="", text="", attachments=[], raw=None, last_error=""),
    )
    Conversation.objects.filter(pk__in=ids).update(subject="")


def erase_citizen(citizen: Citizen, *, actor: Any, reason: str, cause: str = "") -> Erasure:
    """Erase `citizen`'s personal data (the right to erasure, GDPR art. 17, or the end of the
    retention period), keeping the statistics and the cases under a legal hold; recorded as an
    `Erasure` with what was removed and what was kept and why."""
    reason = " ".join(reason.split())
    cause = cause or Erasure.Cause.REQUEST
    if cause == Erasure.Cause.REQUEST and not reason:
        raise InvalidInput(
            _(
                "Scrivi il motivo della cancellazione "
                "(ad esempio: richiesta del 3 marzo, prot. n.)."
            ),
            field="reason",
        )
    if len(reason) > MAX_REASON:
        raise InvalidInput(
            _("Il motivo è troppo lungo: al massimo %(n)d caratteri.") % {"n": MAX_REASON},
            field="reason",
        )
    citizen = citizen.live()
    with transaction.atomic():
        scrub = Scrub()
        records = _with_absorbed(citizen)
        identities = Identity.objects.filter(citizen__in=records)
        cases = Ticket.objects.filter(Q(citizen__in=records) | Q(identity__in=identities))
        held = held_ticket_ids(cases)
        erasure = Erasure.objects.create(
            citizen=citizen, cause=cause, reason=reason, performed_by=actor
        )
        scrubbed = scrub_cases(cases, scrub)
        ErasedCase.objects.bulk_create(
            [ErasedCase(ticket_id=pk, erasure=erasure) for pk in scrubbed],
            ignore_conflicts=True,
        )
        # Conversations on the citizen's handles that opened no case (a call, a chat, a
        # comment thread), except those of a held case.
        held_conversations = Conversation.objects.filter(tickets__in=held).values("pk")
        scrub_conversations(
            Conversation.objects.filter(identity__in=identities).exclude(pk__in=held_conversations),
            scrub,
        )
        _scrub_raw(citizen, records, identities, held_conversations, scrub)
        scrub.add("identities", _pseudonymise_identities(identities, held_conversations))
        MergeSuggestion.objects.filter(Q(first__in=records) | Q(second__in=records)).update(
            evidence={}
        )
        for record in records:
            Citizen.objects.filter(pk=record.pk).update(
                first_name=PSEUDONYM, last_name=f"#{record.pk}", fiscal_code="", email="", phone=""
            )
        scrub.add("citizens", len(records))
        consents = citizen.consents.count() + sum(r.consents.count() for r in records[1:])
        if consents:
            scrub.kept.append(
                {"consents": consents, "reason": _("prova dei consensi dati, senza dati personali")}
            )
        scrub.add("access_archives", _drop_archives(records))
        erasure.removed, erasure.kept = scrub.removed, scrub.kept
        erasure.save(update_fields=["removed", "kept"])
    logger.info("privacy: citizen %s erased (erasure %s)", citizen.pk, erasure.pk)
    return erasure


def _drop_archives(records: list[Citizen]) -> int:
    """The citizen's access archives hold everything the erasure removes: their files go after
    commit, their rows are marked expired (a queued one will not run)."""
    jobs = AccessArchive.objects.filter(citizen__in=records).exclude(
        status=AccessArchive.Status.EXPIRED
    )
    folders = [f for f in jobs.values_list("folder", flat=True) if f]
    n = jobs.update(status=AccessArchive.Status.EXPIRED)

    def remove() -> None:
        for folder in folders:
            archive.remove(folder)

    transaction.on_commit(remove)
    return n


def _with_absorbed(citizen: Citizen) -> list[Citizen]:
    """The citizen and every record merged into them (through every merge)."""
    found, frontier = [citizen], [citizen.pk]
    while frontier:
        absorbed = list(Citizen.objects.filter(merged_into__in=frontier))
        found.extend(absorbed)
        frontier = [c.pk for c in absorbed]
    return found


def _pseudonymise_identities(identities: QuerySet[Identity], held_conversations: Any) -> int:
    """Replace each handle with its keyed hash; the handles a held case's conversation is on
    stay (the case is kept whole)."""
    keep = set(
        Conversation.objects.filter(pk__in=held_conversations).values_list("identity_id", flat=True)
    )
    n = 0
    for identity in identities.exclude(pk__in=keep).exclude(value__startswith="anonimo:"):
        Identity.objects.filter(pk=identity.pk).update(
            value=pseudonym(f"{identity.kind}:{identity.value}"), display_name=""
        )
        n += 1
    return n


def _scrub_raw(
    citizen: Citizen,
    records: list[Citizen],
    identities: QuerySet[Identity],
    held_conversations: Any,
    scrub: Scrub,
) -> None:
    """Clear what holds the handles as received, outside the messages: the webhook deliveries
    already processed that name one of them, the screen-pops of their calls."""
    handles = set(identities.values_list("value", flat=True))
    handles |= {r.email for r in records if r.email} | {r.phone for r in records if r.phone}
    needles = {h for h in handles if len(h) >= 6} | {
        h.lstrip("+") for h in handles if h.startswith("+") and len(h) >= 7
    }
    if needles:
        match = Q()
        for needle in needles:
            match |= Q(body__contains=needle)
        processed = WebhookDelivery.objects.filter(processed_at__isnull=False).filter(match)
        scrub.add("webhook_deliveries", processed.update(body=""))
        phones = [h for h in handles if h.startswith("+") or h.isdigit()]
        scrub.add("screen_pops", IncomingCall.objects.filter(phone__in=phones).update(phone=""))


# --- retention --------------------------------------------------------------------------------


def _years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def _months_before(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, 28)
    return moment.replace(year=year, month=month + 1, day=day)


FINISHED = (Ticket.Status.RESOLVED, Ticket.Status.CLOSED, Ticket.Status.CANCELLED)


@dataclass
class Plan:
    """What the retention policy finds to do now: the ids per kind of data."""

    now: datetime
    policy: dict[str, int]
    ids: dict[str, list[int]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {kind: len(ids) for kind, ids in self.ids.items()}


def retention_policy() -> dict[str, int]:
    return {
        "case_years": settings.ASCOLTO_RETENTION_CASE_YEARS,
        "session_months": settings.ASCOLTO_RETENTION_SESSION_MONTHS,
        "raw_months": settings.ASCOLTO_RETENTION_RAW_MONTHS,
        "webhook_days": settings.ASCOLTO_WEBHOOK_RETENTION_DAYS,
        "archive_days": settings.ASCOLTO_PRIVACY_ARCHIVE_DAYS,
        "sign_in_days": settings.ASCOLTO_RETENTION_SIGNIN_DAYS,
    }


def retention_plan(now: datetime | None = None) -> Plan:
    """The rows the retention policy applies to at `now` (read only)."""
    from ascolto.assistant.models import Session

    now = now or timezone.now()
    policy = retention_policy()
    plan = Plan(now=now, policy=policy)
    case_cutoff = _years_before(now, policy["case_years"])
    raw_cutoff = _months_before(now, policy["raw_months"])
    held = LegalHold.objects.filter(released_at__isnull=True).values("ticket_id")
    finished = Ticket.objects.filter(status__in=FINISHED).exclude(pk__in=held)
    old = finished.filter(
        Q(closed_at__lt=case_cutoff)
        | Q(closed_at__isnull=True, resolved_at__lt=case_cutoff)
        | Q(closed_at__isnull=True, resolved_at__isnull=True, updated_at__lt=case_cutoff)
    )
    plan.ids["cases"] = _ids(old.exclude(erased__isnull=False))
    # Citizens with no contact since the cutoff and no case still open or held.
    recent = Ticket.objects.filter(
        Q(created_at__gte=case_cutoff) | ~Q(status__in=FINISHED) | Q(pk__in=held)
    )
    quiet = (
        Citizen.objects.filter(merged_into__isnull=True, created_at__lt=case_cutoff)
        .exclude(first_name=PSEUDONYM)
        .exclude(tickets__in=recent)
        .exclude(identities__tickets__in=recent)
        .annotate(seen=Max("identities__last_seen_at"))
        .filter(Q(seen__isnull=True) | Q(seen__lt=case_cutoff))
    )
    plan.ids["citizens"] = _ids(quiet)
    plan.ids["assistant_sessions"] = _ids(
        Session.objects.filter(last_at__lt=_months_before(now, policy["session_months"]))
    )
    plan.ids["raw_messages"] = _ids(
        Message.objects.filter(raw__isnull=False, sent_at__lt=raw_cutoff)
    )
    plan.ids["queued_requests"] = _ids(
        PendingInbound.objects.filter(processed_at__lt=raw_cutoff).exclude(payload={})
    )
    webhook_cutoff = now - timedelta(days=policy["webhook_days"])
    plan.ids["webhook_deliveries"] = _ids(
        WebhookDelivery.objects.filter(
            Q(processed_at__lt=webhook_cutoff)
            | Q(processed_at__isnull=True, handled_at__lt=webhook_cutoff)
        )
    )
    # Staff sign-ins as django-axes records them (username, address, browser): kept for the
    # administrators' checks, then deleted; a lock's own count expires long before.
    sign_in_cutoff = now - timedelta(days=policy["sign_in_days"])
    plan.ids["sign_ins"] = _ids(AccessLog.objects.filter(attempt_time__lt=sign_in_cutoff))
    plan.ids["failed_sign_ins"] = _ids(
        AccessFailureLog.objects.filter(attempt_time__lt=sign_in_cutoff)
    )
    plan.ids["sign_in_attempts"] = _ids(
        AccessAttempt.objects.filter(attempt_time__lt=sign_in_cutoff)
    )
    plan.ids["access_archives"] = _ids(
        AccessArchive.objects.filter(
            status__in=[AccessArchive.Status.DONE, AccessArchive.Status.FAILED],
            expires_at__lt=now,
        )
    )
    return plan


def _ids(queryset: QuerySet[Any]) -> list[int]:
    return sorted(set(queryset.values_list("pk", flat=True)))


def apply_retention(
    *, dry_run: bool = False, now: datetime | None = None
) -> tuple[RetentionRun, Plan]:
    """Apply the retention policy (or, with `dry_run`, only list it): closed cases anonymised,
    quiet citizens erased, the assistant's old sessions deleted, raw payloads cleared, webhook
    deliveries, staff sign-in records and expired access archives deleted. Recorded as a
    `RetentionRun`."""
    from ascolto.assistant.models import Session

    plan = retention_plan(now)
    run = RetentionRun.objects.create(
        started_at=timezone.now(), dry_run=dry_run, counts=plan.counts(), policy=plan.policy
    )
    if dry_run:
        RetentionRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
        return run, plan
    reason = _("fine del periodo di conservazione")
    if plan.ids["cases"]:
        scrub = Scrub()
        erasure = Erasure.objects.create(cause=Erasure.Cause.RETENTION, reason=reason)
        # A thousand cases a transaction: the first run on years of cases does not hold one
        # transaction for hours, and a run stopped halfway is finished by the next.
        for chunk in _chunks(plan.ids["cases"], 1000):
            with transaction.atomic():
                done = scrub_cases(Ticket.objects.filter(pk__in=chunk), scrub)
                ErasedCase.objects.bulk_create(
                    [ErasedCase(ticket_id=pk, erasure=erasure) for pk in done],
                    ignore_conflicts=True,
                )
                erasure.removed, erasure.kept = scrub.removed, scrub.kept
                erasure.save(update_fields=["removed", "kept"])
    for citizen in Citizen.objects.filter(pk__in=plan.ids["citizens"]):
        erase_citizen(citizen, actor=None, reason=reason, cause=Erasure.Cause.RETENTION)
    for chunk in _chunks(plan.ids["assistant_sessions"]):
        Session.objects.filter(pk__in=chunk).delete()
    for chunk in _chunks(plan.ids["raw_messages"]):
        Message.objects.filter(pk__in=chunk).update(raw=None)
    for chunk in _chunks(plan.ids["queued_requests"]):
        PendingInbound.objects.filter(pk__in=chunk).update(payload={})
    for chunk in _chunks(plan.ids["webhook_deliveries"]):
        WebhookDelivery.objects.filter(pk__in=chunk).delete()
    for model, kind in (
        (AccessLog, "sign_ins"),
        (AccessFailureLog, "failed_sign_ins"),
        (AccessAttempt, "sign_in_attempts"),
    ):
        for chunk in _chunks(plan.ids[kind]):
            model.objects.filter(pk__in=chunk).delete()
    for job in AccessArchive.objects.filter(pk__in=plan.ids["access_archives"]):
        expire_archive(job)
    run.finished_at = timezone.now()
    run.save(update_fields=["finished_at"])
    logger.info("privacy: retention applied %s", plan.counts())
    return run, plan


def _chunks(ids: list[int], size: int = 5000) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
