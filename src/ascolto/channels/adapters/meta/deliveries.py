"""Meta's webhook deliveries: accepted as they arrived with one insert, taken in by a drain.

`accept(channel, body)` is all the webhook does once the signature is good: one INSERT of the
body as received (`WebhookDelivery`), one commit, and the debounced `drain_inbound` task after
commit, so Meta gets its 200 in milliseconds whatever the delivery holds.

`drain(limit)` takes the oldest due deliveries and:
1. parses each (`parse.parse`) against the active channels its entries may go to (those that
   share the app secret of the channel whose URL received it);
2. fetches the media of messages not yet stored (WhatsApp's from the Graph API by id,
   Messenger's and Instagram's from the CDN address in the delivery, without the token),
   OUTSIDE any transaction (a slow Graph API must not hold database locks), checks them as any
   citizen's attachment (`channels.files`) and stores each under a name fixed by the channel and
   media id (Messenger, Instagram: message id and position), so a drain that runs again after a
   crash finds the file and writes no second copy;
3. in ONE transaction: locks the deliveries still pending (SKIP LOCKED on PostgreSQL), links
   the WhatsApp user id and number of each sender (`citizens.actions.pair_identities`), hands
   every message of every delivery to `intake.receive_many(..., accepted=True)` in one call,
   applies the status updates (never backwards), and marks the deliveries processed.
A crash anywhere before that commit leaves the deliveries pending for the next drain; intake is
idempotent on (channel, message id), so nothing is stored twice. A delivery that fails is tried
again with exponential backoff, never given up, and shown to administrators after a few
failures (`needs_attention`, `retry_now`, `mark_handled`), as the intake queue's rows are
(decision 0007). A media file the Graph API cannot give after `MEDIA_TRIES` tries (Meta
down, no token configured) is not waited for any longer: the message is taken in with a note
saying so (its media id stays in `raw`); a file Meta refuses for good (unknown id, too large)
is noted at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg import OperationalError as PgOperationalError
from psycopg import pq

from ascolto.channels import assistants, intake, queue
from ascolto.channels.adapters.meta import comments
from ascolto.channels.adapters.meta import parse as parsing
from ascolto.channels.adapters.meta.graph import (
    INVALID_TOKEN,
    GraphClient,
    GraphError,
    download_url,
)
from ascolto.channels.config import secret
from ascolto.channels.files import (
    EXTENSIONS,
    MAX_FILE_BYTES,
    UnsafeFile,
    accepted_type,
    display_name,
    sanitised,
    storage_name,
    unsafe_note,
)
from ascolto.channels.inbound import STORED, Attachment
from ascolto.channels.models import Channel, Message, PendingStatus, WebhookDelivery
from ascolto.channels.queue import FLAG_AFTER, RETRY_BASE, RETRY_CAP, Drained
from ascolto.citizens.actions import pair_identities
from ascolto.citizens.models import Identity
from ascolto.core.bulk import update_each
from ascolto.core.errors import DomainError
from ascolto.core.retry import backoff

logger = logging.getLogger(__name__)

META_KINDS = (
    Channel.Kind.WHATSAPP,
    Channel.Kind.MESSENGER,
    Channel.Kind.FACEBOOK,
    Channel.Kind.INSTAGRAM,
)
MAX_BODY_BYTES = 1024 * 1024  # Meta's deliveries are a few kB; a batch of 1,000 stays below
# A status kept for a message id not recorded yet, looked for again by each drain this long.
PENDING_RACE = timedelta(minutes=15)
# A kept status whose message id never showed up: not one of ours (another tool on the number).
PENDING_TTL = timedelta(days=7)
MEDIA_TRIES = 3  # a media still failing at the delivery's third try is noted, not waited for
FOLDER = "meta"  # fetched media, in the default storage (personal data, no public URL)
# How far a status may move: a lower rank never replaces a higher one. A failure replaces only
# `sent` (a message Meta later says was delivered or read did reach the citizen).
RANK: dict[str, int] = {
    Message.Status.QUEUED: 0,
    Message.Status.SENT: 1,
    Message.Status.FAILED: 2,
    Message.Status.DELIVERED: 3,
    Message.Status.READ: 4,
}


def accept(channel: str, body: str) -> None:
    """Queue a signed delivery for `channel` (a channel code) as it arrived: one INSERT, in
    autocommit (a single statement is its own transaction), then the debounced drain.

    Written in SQL rather than with `WebhookDelivery(...).save()`, because this is the whole
    work of the hottest path: measured on the 2-core machine, the model's save in a transaction
    costs 0.47 ms of CPU per delivery and this statement 0.23 ms (`benchmarks/webhooks.py`)."""
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(), [channel, body, timezone.now()])
    # At once in autocommit; after the commit when a caller holds a transaction.
    transaction.on_commit(queue.schedule_drain)


def accept_now(channel: str, body: bytes) -> bool:
    """`accept` for the webhook's fast path (`config/wsgi.py`), which runs outside Django's
    request cycle: the same INSERT of `body` (UTF-8 without NUL, checked by the caller), straight
    on the thread's database connection; True once committed.

    Django checks a reused connection with a `SELECT 1` before each request's first query
    (`CONN_HEALTH_CHECKS`): a second round trip for a request whose whole work is one statement.
    Here the connection is closed only when it had an error or outlived its age, as at the start
    of any request, and a statement that fails closes it and returns False: the caller hands the
    request to the view, which connects again (or answers 500). A delivery stored twice that way
    is harmless (Meta re-delivers too; the drain stores each message once).

    On PostgreSQL the statement is prepared once per connection and executed through psycopg's
    libpq wrapper (`pgconn`, its documented low-level interface), which releases the GIL while
    it waits: measured on the 2-core machine, 0.03 ms of CPU per insert, against 0.09 ms through
    a psycopg cursor and 0.14-0.19 ms through Django's."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.in_atomic_block:
        accept(channel, body.decode("utf-8"))
        return True
    db.close_if_unusable_or_obsolete()
    try:
        with db.wrap_database_errors:
            db.ensure_connection()
            if db.vendor == "postgresql":
                _pg_insert(db.connection.pgconn, [channel.encode(), body, _now_text()])
            else:
                cursor = db.create_cursor()
                try:
                    cursor.execute(_insert_sql(), [channel, body.decode("utf-8"), timezone.now()])
                finally:
                    cursor.close()
    except DatabaseError:
        logger.warning("meta webhook: the fast insert failed; the view tries again", exc_info=True)
        db.close()
        return False
    queue.schedule_drain()
    return True


_STATEMENT = b"ascolto_accept_webhook_delivery"
_PG_INSERT = (
    f'INSERT INTO "{WebhookDelivery._meta.db_table}" '  # noqa: S608 (the table's name is ours)
    "(channel, body, received_at, attempts, last_error) VALUES ($1, $2, $3, 0, '')"
).encode()


def _now_text() -> bytes:
    return timezone.now().isoformat().encode()


def _pg_insert(pgconn: Any, params: list[bytes]) -> None:
    result = pgconn.exec_prepared(_STATEMENT, params)
    if (
        result.status == pq.ExecStatus.FATAL_ERROR
        and result.error_field(pq.DiagnosticField.SQLSTATE) == b"26000"  # not prepared here yet
    ):
        prepared = pgconn.prepare(_STATEMENT, _PG_INSERT)
        if prepared.status != pq.ExecStatus.COMMAND_OK:
            raise PgOperationalError(prepared.get_error_message())
        result = pgconn.exec_prepared(_STATEMENT, params)
    if result.status != pq.ExecStatus.COMMAND_OK:
        raise PgOperationalError(result.get_error_message())


def _insert_sql() -> str:
    table = connection.ops.quote_name(WebhookDelivery._meta.db_table)
    return (
        f"INSERT INTO {table} (channel, body, received_at, attempts, last_error) "  # noqa: S608
        "VALUES (%s, %s, %s, 0, '')"
    )


def pending() -> int:
    return WebhookDelivery.objects.filter(
        processed_at__isnull=True, handled_at__isnull=True
    ).count()


def needs_attention() -> QuerySet[WebhookDelivery]:
    """Deliveries still not taken in after FLAG_AFTER tries, for an administrator to look at;
    they keep being retried meanwhile."""
    return WebhookDelivery.objects.filter(
        processed_at__isnull=True, handled_at__isnull=True, attempts__gte=FLAG_AFTER
    ).order_by("id")


def drain(limit: int = 100) -> Drained:
    """Take in up to `limit` due deliveries (see the module docstring); when the batch fails as
    a whole, each delivery is tried alone, so one cannot hold the others back."""
    return _drain_after(0, limit)


def _drain_after(after: int, limit: int) -> Drained:
    """`drain` of the due deliveries whose id is above `after`."""
    rows = list(_due().filter(id__gt=after).values("id", "channel", "body", "attempts")[:limit])
    if not rows:
        return Drained(0, 0)
    prepared = _prepare(rows)
    ids = [row["id"] for row in rows]
    try:
        done = _take_in(ids, prepared)
    except Exception:
        logger.exception("meta deliveries: batch drain failed; trying them one by one")
        done = _one_by_one(ids, prepared)
    return replace(done, last=ids[-1])


def drain_all(limit: int = 100) -> int:
    """Drain until nothing is due (a batch short of `limit`: the next poll takes what arrives
    meanwhile); return the deliveries processed.

    Each batch after the first starts above the last one's ids: the index of the due rows
    (`processed_at IS NULL`) keeps an entry for each row taken in until the table is vacuumed,
    and a batch that started from the lowest id walked over every entry the earlier batches
    left. (It did not cure the slowdown round after round `benchmarks/webhooks.py` shows: see
    docs/meta.md, "How fast".) A delivery committed late under a lower id (the ids are handed
    out before the commits) is left to the next call, which starts from the lowest again."""
    total, after = 0, 0
    while True:
        done = _drain_after(after, limit)
        total += done.processed
        after = max(after, done.last)
        if done.processed == 0 or done.processed + done.failed < limit:
            return total


def retry_now(ids: Iterable[int]) -> Drained:
    """Try the given pending deliveries at once, whatever their backoff says."""
    wanted = [int(pk) for pk in ids]
    WebhookDelivery.objects.filter(pk__in=wanted, processed_at__isnull=True).update(
        next_attempt_at=None
    )
    rows = list(
        WebhookDelivery.objects.filter(
            pk__in=wanted, processed_at__isnull=True, handled_at__isnull=True
        )
        .order_by("id")
        .values("id", "channel", "body", "attempts")
    )
    return _one_by_one([row["id"] for row in rows], _prepare(rows))


def mark_handled(ids: Iterable[int], user: Any) -> int:
    """Record that an administrator dealt with these deliveries by hand: no more retries."""
    return WebhookDelivery.objects.filter(
        pk__in=list(ids), processed_at__isnull=True, handled_at__isnull=True
    ).update(handled_at=timezone.now(), handled_by=user)


def prune(
    *, days: int | None = None, batch: int = 10_000, dry_run: bool = False
) -> tuple[int, int]:
    """Delete the deliveries processed (or handled by hand) more than `days` ago (default
    `ASCOLTO_WEBHOOK_RETENTION_DAYS`), by batches, and the kept statuses that never found their
    message in `PENDING_TTL`; a delivery still pending is never deleted, whatever its age.
    Returns (deliveries, statuses) deleted (or, with `dry_run`, that would be)."""
    days = settings.ASCOLTO_WEBHOOK_RETENTION_DAYS if days is None else days
    if days < 1:
        raise ValueError("the retention is at least one day")
    now = timezone.now()
    cutoff = now - timedelta(days=days)
    old = WebhookDelivery.objects.filter(
        Q(processed_at__lt=cutoff) | Q(processed_at__isnull=True, handled_at__lt=cutoff)
    )
    stale = PendingStatus.objects.filter(received_at__lt=now - PENDING_TTL)
    if dry_run:
        return old.count(), stale.count()
    deleted = 0
    while ids := list(old.order_by("id").values_list("id", flat=True)[:batch]):
        deleted += WebhookDelivery.objects.filter(pk__in=ids).delete()[0]
    return deleted, stale.delete()[0]


# --- the drain's steps ---------------------------------------------------------------------------


def _due() -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now()),
        processed_at__isnull=True,
        handled_at__isnull=True,
    ).order_by("id")


@dataclass
class _Prepared:
    parsed: parsing.Parsed | None
    error: str = ""


def _prepare(rows: Sequence[Mapping[str, Any]]) -> dict[int, _Prepared]:
    """Parse each delivery and fetch its media (no transaction is open here)."""
    channels = list(Channel.objects.filter(kind__in=META_KINDS))
    by_code = {c.code: c for c in channels}
    routes: dict[str, parsing.Routes] = {}
    prepared: dict[int, _Prepared] = {}
    for row in rows:
        code = row["channel"]
        if code not in routes:
            routes[code] = _routes_for(by_code.get(code), channels)
        try:
            prepared[row["id"]] = _Prepared(parsing.parse(row["body"], routes[code]))
        except parsing.MalformedDelivery as exc:
            prepared[row["id"]] = _Prepared(None, str(exc))
        except Exception as exc:  # a shape the parser does not expect: this delivery waits
            logger.exception("meta deliveries: delivery %s could not be parsed", row["id"])
            prepared[row["id"]] = _Prepared(None, f"parse: {type(exc).__name__}: {exc}")
    _fetch_media(rows, prepared, by_code)
    return prepared


def _routes_for(received_by: Channel | None, channels: list[Channel]) -> parsing.Routes:
    """The channels a delivery received at `received_by`'s URL may feed: the active Meta
    channels whose app secret is the one that signed it (one Meta app serves several)."""
    if received_by is None:
        return parsing.Routes()
    signing = secret(str(received_by.config.get("app_secret_env", "")))
    same_app = [
        c
        for c in channels
        if c.is_active and secret(str(c.config.get("app_secret_env", ""))) == signing
    ]
    return parsing.Routes.of(same_app)


def _fetch_media(
    rows: Sequence[Mapping[str, Any]], prepared: dict[int, _Prepared], channels: dict[str, Channel]
) -> None:
    """Download, check and store the media of each message not stored yet; replace each such
    message with one carrying its stored files (and a note for a file refused). A transient
    failure fails the delivery (it is tried again) until its MEDIA_TRIES-th try."""
    wanted = [
        incoming
        for p in prepared.values()
        if p.parsed is not None
        for incoming in p.parsed.messages
        if incoming.media
    ]
    if not wanted:
        return
    stored = set(
        Message.objects.filter(
            external_id__in={i.inbound.external_id for i in wanted},
            channel__code__in={i.inbound.channel for i in wanted},
        ).values_list("channel__code", "external_id")
    )
    clients: dict[str, GraphClient] = {}
    try:
        for row in rows:
            entry = prepared[row["id"]]
            if entry.parsed is None:
                continue
            last_try = row["attempts"] + 1 >= MEDIA_TRIES
            messages = []
            for incoming in entry.parsed.messages:
                key = (incoming.inbound.channel, incoming.inbound.external_id)
                if incoming.media and key not in stored:
                    try:
                        incoming = _with_media(incoming, channels, clients, last_try)
                    except GraphError as exc:
                        entry.error = f"media: {exc}"[:500]
                        break
                    except Exception as exc:  # the storage refusing, a bug: this one waits
                        logger.exception("meta deliveries: media of delivery %s", row["id"])
                        entry.error = f"media: {type(exc).__name__}: {exc}"[:500]
                        break
                messages.append(incoming)
            if entry.error:
                entry.parsed = None
            else:
                entry.parsed.messages = messages
    finally:
        for client in clients.values():
            client.close()


def _with_media(
    incoming: parsing.Incoming,
    channels: dict[str, Channel],
    clients: dict[str, GraphClient],
    last_try: bool,
) -> parsing.Incoming:
    inbound = incoming.inbound
    channel = channels[inbound.channel]
    attachments = list(inbound.attachments)
    notes = []
    for media in incoming.media:
        name = _file_name(media)
        try:
            if media.url:  # Messenger, Instagram: Meta's CDN, no token
                fetched = download_url(media.url, max_bytes=MAX_FILE_BYTES)
            else:
                client = clients.get(channel.code)
                if client is None:
                    client = clients[channel.code] = GraphClient.for_channel(channel)
                fetched = client.download_media(media.id, max_bytes=MAX_FILE_BYTES)
        except GraphError as exc:
            # Meta down, or the token not (yet) configured: worth a few more tries.
            if (exc.transient or exc.code == INVALID_TOKEN) and not last_try:
                raise
            logger.warning("meta: media of a %s message not fetched (%s)", channel.code, exc.code)
            notes.append(
                _("Allegato «%(name)s» non scaricato da %(network)s: %(reason)s.")
                % {"name": name, "reason": exc.message, "network": channel.get_kind_display()}
            )
            continue
        mime = accepted_type(fetched.data, audio=True)
        if mime is None:
            notes.append(
                _("Allegato «%(name)s» non importato: non è un'immagine, un PDF o un audio.")
                % {"name": name}
            )
            continue
        if not media.filename:
            name = _file_name(replace(media, mime_type=mime))
        try:
            data = sanitised(fetched.data, mime, name)
        except UnsafeFile:
            notes.append(unsafe_note(name))
            continue
        path = _store(channel, media.id, data, mime)
        attachments.append(Attachment(name, mime, len(data), f"{STORED}{path}"))
    text = inbound.text
    if notes:
        text = f"{text}\n\n" + "\n".join(f"[{note}]" for note in notes)
    return replace(incoming, inbound=replace(inbound, text=text, attachments=tuple(attachments)))


def _file_name(media: parsing.Media) -> str:
    if media.filename:
        return display_name(media.filename, media.kind)
    return f"{media.kind}{EXTENSIONS.get(media.mime_type.split(';')[0].strip(), '')}"


def _store(channel: Channel, media_id: str, data: bytes, content_type: str) -> str:
    """Save `data` under a name fixed by the channel and media id: a drain run again after a
    crash finds the file instead of writing a second copy. Nothing of the sender's file name."""
    path = storage_name(f"{FOLDER}/{channel.code}", content_type, key=f"{channel.code}\0{media_id}")
    if not default_storage.exists(path):
        path = default_storage.save(path, ContentFile(data))
    return path


def _locked(ids: list[int]) -> list[WebhookDelivery]:
    queryset = (
        WebhookDelivery.objects.filter(
            pk__in=ids, processed_at__isnull=True, handled_at__isnull=True
        )
        .defer("body")  # read before the transaction, parsed already
        .order_by("id")
    )
    # SQLite's IMMEDIATE transaction already holds the only write lock; PostgreSQL lets several
    # drains run side by side, each on deliveries the others have not locked.
    if connection.features.has_select_for_update_skip_locked:
        queryset = queryset.select_for_update(skip_locked=True)
    return list(queryset)


def _failed(row: WebhookDelivery, error: str, now: datetime) -> None:
    row.attempts += 1
    row.last_error = error[:500]
    row.next_attempt_at = now + backoff(row.attempts, base=RETRY_BASE, cap=RETRY_CAP)


FIELDS = ["processed_at", "attempts", "last_error", "next_attempt_at"]


def _take_in(ids: list[int], prepared: dict[int, _Prepared]) -> Drained:
    with transaction.atomic():
        rows = _locked(ids)
        if not rows:
            return Drained(0, 0)
        now = timezone.now()
        good = [row for row in rows if prepared[row.pk].parsed is not None]
        incoming = [i for row in good for i in _parsed(prepared, row).messages]
        pairs = [i.pair for i in incoming if i.pair is not None]
        if pairs:
            pair_identities(
                [((Identity.Kind.WHATSAPP_BSUID, b), (Identity.Kind.WHATSAPP, p)) for b, p in pairs]
            )
        outcomes = _receive(incoming)
        refused: dict[int, str] = {}
        position = 0
        for row in good:
            for _message in _parsed(prepared, row).messages:
                outcome = outcomes[position]
                position += 1
                if isinstance(outcome, DomainError) and row.pk not in refused:
                    refused[row.pk] = f"{outcome.field}: {outcome.message}"
        comments.apply_changes([c for row in good for c in _parsed(prepared, row).changes])
        apply_statuses([s for row in good for s in _parsed(prepared, row).statuses])
        apply_pending(since=now - PENDING_RACE)
        apply_watermarks([w for row in good for w in _parsed(prepared, row).watermarks])
        failed = 0
        for row in rows:
            error = prepared[row.pk].error or refused.get(row.pk, "")
            if error:
                _failed(row, error, now)
                failed += 1
            else:
                row.attempts += 1
                row.processed_at = now
                row.last_error = ""
                row.next_attempt_at = None
        # One UPDATE ... FROM (VALUES ...): bulk_update's CASE per row and column cost more CPU
        # than the work itself (core/bulk.py).
        update_each(rows, FIELDS)
    if failed:
        logger.warning("meta deliveries: %d delivery(ies) not taken in, retried later", failed)
    return Drained(len(rows) - failed, failed)


def _receive(incoming: list[parsing.Incoming]) -> list[Any]:
    """Intake's outcome of each message, in order; a WhatsApp channel with an assistant hands
    its messages to the assistant first (`channels.assistants`): those it keeps (None) never
    reach intake, and count as taken in."""
    inbounds = comments.thread_by_visitor_post([i.inbound for i in incoming])
    codes = {i.channel for i in inbounds}
    channels = {c.code: c for c in Channel.objects.filter(code__in=codes)} if codes else {}
    routed = assistants.route(inbounds, channels)
    received = iter(intake.receive_many([m for m in routed if m is not None], accepted=True))
    return [None if m is None else next(received) for m in routed]


def _parsed(prepared: dict[int, _Prepared], row: WebhookDelivery) -> parsing.Parsed:
    parsed = prepared[row.pk].parsed
    assert parsed is not None  # noqa: S101 (the caller kept only parsed rows)
    return parsed


def _one_by_one(ids: list[int], prepared: dict[int, _Prepared]) -> Drained:
    processed = failed = 0
    for row_id in ids:
        try:
            done = _take_in([row_id], prepared)
            processed += done.processed
            failed += done.failed
        except Exception as exc:
            failed += 1
            row = WebhookDelivery.objects.filter(pk=row_id).first()
            if row is not None:
                _failed(row, f"{type(exc).__name__}: {exc}", timezone.now())
                row.save(update_fields=["attempts", "last_error", "next_attempt_at"])
            logger.exception("meta deliveries: delivery %s failed", row_id)
    return Drained(processed, failed)


# --- status updates ----------------------------------------------------------------------------


def _lower(status: str) -> list[str]:
    return [s for s, rank in RANK.items() if rank < RANK[status]]


def apply_statuses(updates: Sequence[parsing.StatusUpdate]) -> int:
    """Apply WhatsApp status updates to our outbound messages, by the id our send got back;
    never backwards, whatever order Meta delivers them in. A failure keeps Meta's error in
    `last_error`. Returns how many messages changed. An update for an id no message carries yet
    (Meta may report before our send has recorded it) is kept as a `PendingStatus`, applied
    when a message gets that id (`apply_pending`)."""
    if not updates:
        return 0
    best: dict[tuple[str, str], parsing.StatusUpdate] = {}
    for update in updates:
        key = (update.channel, update.external_id)
        if key not in best or RANK[update.status] > RANK[best[key].status]:
            best[key] = update
    channel_ids = dict(
        Channel.objects.filter(code__in={c for c, _ in best}).values_list("code", "pk")
    )
    by_id = {
        (channel_ids[code], external_id): update
        for (code, external_id), update in best.items()
        if code in channel_ids
    }
    changed = _update_messages(by_id)
    known = set(
        _outbound()
        .filter(channel_id__in={c for c, _ in by_id}, external_id__in={e for _, e in by_id})
        .values_list("channel_id", "external_id")
    )
    _keep_pending({key: u for key, u in by_id.items() if key not in known})
    return changed


def _outbound() -> QuerySet[Message]:
    return Message.objects.filter(direction=Message.Direction.OUTBOUND).exclude(external_id="")


def _update_messages(updates: Mapping[tuple[int, str], parsing.StatusUpdate]) -> int:
    """The conditional UPDATEs (only from a lower rank) of `updates`, keyed by (channel pk,
    external id); the messages changed."""
    changed = 0
    groups: dict[tuple[int, str], list[str]] = {}
    for (channel_id, external_id), update in updates.items():
        if update.status == Message.Status.FAILED:
            changed += (
                _outbound()
                .filter(
                    channel_id=channel_id,
                    external_id=external_id,
                    status__in=_lower(update.status),
                )
                .update(status=update.status, last_error=update.error[:500])
            )
        else:
            groups.setdefault((channel_id, update.status), []).append(external_id)
    for (channel_id, status), external_ids in groups.items():
        changed += (
            _outbound()
            .filter(channel_id=channel_id, external_id__in=external_ids, status__in=_lower(status))
            .update(status=status, last_error="")
        )
    return changed


def _keep_pending(updates: Mapping[tuple[int, str], parsing.StatusUpdate]) -> None:
    """Store updates for ids no message carries yet, the highest status of each id only."""
    if not updates:
        return
    PendingStatus.objects.bulk_create(
        [
            PendingStatus(
                channel_id=channel_id,
                external_id=external_id[:255],
                status=update.status,
                error=update.error[:500],
            )
            for (channel_id, external_id), update in updates.items()
        ],
        ignore_conflicts=True,
    )
    kept = PendingStatus.objects.filter(
        channel_id__in={c for c, _ in updates}, external_id__in={e for _, e in updates}
    ).values_list("channel_id", "external_id", "status")
    for channel_id, external_id, status in list(kept):  # already there: move it up, never down
        update = updates.get((channel_id, external_id))
        if update is not None and RANK[update.status] > RANK.get(status, 0):
            PendingStatus.objects.filter(
                channel_id=channel_id, external_id=external_id, status__in=_lower(update.status)
            ).update(status=update.status, error=update.error[:500])


def apply_pending(
    channel_id: int | None = None,
    external_ids: Iterable[str] = (),
    *,
    since: datetime | None = None,
) -> int:
    """Apply the kept status updates whose message now carries their id (all of them, or those
    of `external_ids` on `channel_id`), never backwards, and forget them. Called by each drain
    and by the send that records a message's id, so an update that raced the send is applied by
    whichever commits last (the drain looks only at those kept `since` a while ago: the race
    lasts milliseconds). Returns how many messages changed."""
    rows = PendingStatus.objects.filter(
        Exists(
            _outbound().filter(
                channel_id=OuterRef("channel_id"), external_id=OuterRef("external_id")
            )
        )
    )
    if since is not None:
        rows = rows.filter(received_at__gte=since)
    if channel_id is not None:
        rows = rows.filter(channel_id=channel_id, external_id__in=list(external_ids))
    found = list(rows.values_list("pk", "channel_id", "external_id", "status", "error"))
    if not found:
        return 0
    changed = _update_messages(
        {
            (channel, external_id): parsing.StatusUpdate("", external_id, status, error)
            for _pk, channel, external_id, status, error in found
        }
    )
    PendingStatus.objects.filter(pk__in=[row[0] for row in found]).delete()
    return changed


def apply_watermarks(watermarks: Sequence[parsing.Watermark]) -> int:
    """Apply Messenger and Instagram receipts: our messages to that citizen sent up to the
    watermark (or named by id, or sent before a message named) are delivered, or read; never
    backwards. Returns how many messages changed."""
    changed = 0
    if not watermarks:
        return 0
    channel_ids = dict(
        Channel.objects.filter(code__in={w.channel for w in watermarks}).values_list("code", "pk")
    )
    for mark in watermarks:
        if mark.channel not in channel_ids:
            continue
        to_them = Message.objects.filter(
            channel_id=channel_ids[mark.channel],
            direction=Message.Direction.OUTBOUND,
            conversation__identity__kind=mark.handle_kind,
            conversation__identity__value=mark.handle,
        )
        until = mark.until
        if mark.mids:
            named = list(
                to_them.filter(external_id__in=mark.mids).values_list("sent_at", flat=True)
            )
            if named and mark.status == Message.Status.READ:
                # Seen up to a message: what we sent before it was seen too.
                latest = max(named)
                until = latest if until is None or latest > until else until
            changed += to_them.filter(
                external_id__in=mark.mids, status__in=_lower(mark.status)
            ).update(status=mark.status, last_error="")
        if until is not None:
            changed += (
                to_them.filter(sent_at__lte=until, status__in=_lower(mark.status))
                .exclude(status=Message.Status.QUEUED)
                .update(status=mark.status, last_error="")
            )
    return changed
