"""`POST /api/v1/cases` when it is plainly right, for the WSGI entry point's fast path.

Opening cases is what the portal and the other systems do all day (issue 18 asks 600 accepted
per second of two gunicorn workers). The entry point (`config/wsgi.py`) hands such a request
here without building Django's handler chain, URL resolution and django-ninja's operation:
`accept` checks what `cases.create_case` would — the body against the same schema (`CaseIn`),
the bearer token and its scope (`tokens.authenticate`), the token's rate limit — and then does
the same work, `cases.open_case`, with the same idempotency keys and intake. It answers only a
success (the 202 of a queued case, the 200 of a replay, or a stored answer replayed); anything
else returns None before anything is written — a body that is not valid, a token refused, the
limit reached, a domain error (the idempotency key is released by `idempotency.idempotent`
first), a database error — and the entry point gives the request to Django's handler, which
answers it as ever (422, 401, 403, 429, 409, 503 …) and logs it.

The rate limit is counted once: the count made here rides on the request (`RATE_COUNTED`) and
`auth.BearerToken` uses it instead of counting again.

Measured in-process on the 2-core machine (`benchmarks/api.py --profile`): see the module's
figures in docs/decisions/0032-api-case-fast-path.md.
"""

from __future__ import annotations

import json

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse
from pydantic import ValidationError

from ascolto.api.auth import RATE_COUNTED, Caller, token_rate
from ascolto.api.cases import CaseIn, open_case
from ascolto.api.tokens import authenticate
from ascolto.core.errors import DomainError

PATH = "/api/v1/cases"
SCOPE = "cases:write"  # create_case's
BEARER = "Bearer "


def accept(request: HttpRequest) -> HttpResponse | None:
    """The answer to the POST `request` (its body already read by the caller), or None for
    Django's handler to answer it (its environ, `request.META`, then tells the handler the rate
    counted). The caller has checked the method, path, host and scheme."""
    environ = request.META
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    if not authorization.startswith(BEARER) or "HTTP_COOKIE" in environ:
        return None  # a console session's call: CSRF, the user's role (auth.StaffSession)
    try:
        payload = CaseIn.model_validate(json.loads(request.body))
    except (ValueError, ValidationError):  # not JSON, not UTF-8, or not a valid case
        return None
    db = connections[DEFAULT_DB_ALIAS]
    outside = not db.in_atomic_block  # inside one: a test's transaction, left as it is
    if outside:
        db.close_if_unusable_or_obsolete()  # as at the start of any request of the handler
    try:
        token = authenticate(authorization[len(BEARER) :].strip(), SCOPE)
        wait = token_rate(token)
        environ[RATE_COUNTED] = (token.pk, wait)
        if wait is not None:
            return None
        response = open_case(request, Caller(scopes=frozenset(token.scopes), token=token), payload)
    except DomainError:  # TokenRefused among them
        return None
    except DatabaseError:
        if outside:
            db.close()  # the handler connects again, and answers 503 if the database is down
        return None
    return response if response.status_code in (200, 202) else None
