"""Idempotency keys of the creating POSTs: a retried request creates nothing twice.

A client sends `Idempotency-Key: <up to 200 characters of its choice>` with a creating POST
(a case, a call-record import, an article). The first request inserts the key (unique per
token) before doing anything, committed at once; then it does the work and stores its answer
(status, body) on the key. A request with the same key then gets:

- the stored answer, unchanged, with `Idempotent-Replayed: true`, when it asks the same thing
  (same method, path and body);
- 422 `idempotency-key-reused` when the key was used for another request;
- 409 `idempotency-in-progress` (with `Retry-After: 1`) while the first one is still running:
  two concurrent requests with one key create once. A key still without its answer after
  `ABANDONED` belonged to a request that never finished (its worker killed): it is released
  for the retry.

A request that created nothing — refused by a domain error (400, 404, 409) or failed (5xx) —
releases its key: the client may correct it and send it again under the same key. Keys are
kept `KEEP` and pruned nightly by `prune_tables` (docs/api.md). A session of the console has
no token to keep keys under: its requests ignore the header.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.api import problems
from ascolto.api.auth import Caller
from ascolto.api.models import IdempotencyKey
from ascolto.core import inserts, maintenance

HEADER = "Idempotency-Key"
KEEP = timedelta(hours=24)
# Longer than any request runs (gunicorn's timeout kills a worker silent for 30 s).
ABANDONED = timedelta(minutes=2)
MAX_KEY = 200


def _digest(request: HttpRequest) -> str:
    hashed = hashlib.sha256()
    hashed.update(request.method.encode() if request.method else b"")
    hashed.update(b"\0" + request.path.encode() + b"\0")
    hashed.update(request.body)
    return hashed.hexdigest()


def idempotent(
    request: HttpRequest, caller: Caller, work: Callable[[], HttpResponse]
) -> HttpResponse:
    """Run `work` once per idempotency key of the request (none: every time)."""
    key = request.headers.get(HEADER, "")
    if not key or caller.token is None:
        return work()
    if len(key) > MAX_KEY or not key.isprintable():
        return problems.problem(
            request,
            problems.VALIDATION,
            _("La chiave di idempotenza deve avere al massimo %(n)d caratteri stampabili.")
            % {"n": MAX_KEY},
            field=HEADER,
        )
    digest = _digest(request)
    row = IdempotencyKey(
        token=caller.token,
        key=key,
        method=request.method or "",
        path=request.path[:300],
        request_digest=digest,
    )
    try:
        inserts.insert(row)  # committed before the work, so a concurrent retry sees it
    except IntegrityError:
        if not _abandoned(caller, key):
            return _earlier(request, caller, key, digest)
        try:
            inserts.insert(row)
        except IntegrityError:  # another retry took it first
            return _earlier(request, caller, key, digest)
    try:
        response = work()
    except BaseException:
        IdempotencyKey.objects.filter(pk=row.pk).delete()
        raise
    if response.status_code >= 500 or getattr(response, "streaming", False):
        IdempotencyKey.objects.filter(pk=row.pk).delete()
        return response
    IdempotencyKey.objects.filter(pk=row.pk).update(
        status=response.status_code,
        body=response.content,
        content_type=response.get("Content-Type", "application/json")[:100],
    )
    return response


def _abandoned(caller: Caller, key: str) -> bool:
    """Whether the key was taken by a request that never finished (its worker killed, the
    database gone before its answer was stored): still without an answer after ABANDONED. Such a
    key is released, so the client's retry is served rather than told "in progress" until the
    key is pruned. The request it stood for may have been accepted: a case sent with its
    `external_id` is then found again (200, its first code)."""
    cutoff = timezone.now() - ABANDONED
    stale = IdempotencyKey.objects.filter(
        token=caller.token, key=key, status__isnull=True, created_at__lt=cutoff
    )
    return bool(stale.delete()[0])


def _earlier(request: HttpRequest, caller: Caller, key: str, digest: str) -> HttpResponse:
    first = IdempotencyKey.objects.filter(token=caller.token, key=key).first()
    if first is None:  # released meanwhile (the first one failed): the client retries
        return _in_progress(request)
    if first.request_digest != digest:
        return problems.problem(
            request,
            problems.IDEMPOTENCY_MISMATCH,
            _("Questa chiave di idempotenza è già stata usata per una richiesta diversa."),
            field=HEADER,
        )
    if first.status is None:
        return _in_progress(request)
    response = HttpResponse(
        bytes(first.body or b""), status=first.status, content_type=first.content_type
    )
    response["Idempotent-Replayed"] = "true"
    return response


def _in_progress(request: HttpRequest) -> HttpResponse:
    response = problems.problem(
        request,
        problems.IDEMPOTENCY_IN_PROGRESS,
        _("Una richiesta con questa chiave di idempotenza è in corso: riprova tra poco."),
        field=HEADER,
    )
    response["Retry-After"] = "1"
    return response


def prune(now: datetime | None = None, dry_run: bool = False) -> int:
    """Delete (or, with `dry_run`, count) the keys older than `KEEP`, by batches; how many.
    Run nightly by `prune_tables` (pruner `idempotency_keys`) and `prune_idempotency_keys`."""
    cutoff = (now or timezone.now()) - KEEP
    old = IdempotencyKey.objects.filter(created_at__lt=cutoff)
    return maintenance.delete_in_batches(old, dry_run=dry_run)
