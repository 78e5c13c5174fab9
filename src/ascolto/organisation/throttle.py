"""Sign-in throttling (django-axes), with a limit of its own for each way of counting.

`AXES_LOCKOUT_PARAMETERS` counts wrong passwords per account and address, and per account from
any address. Axes compares the largest count with one limit; here each has its own: a few
guesses for one account from one address (`ASCOLTO_SIGNIN_LIMIT`), more for one account from
anywhere (`ASCOLTO_SIGNIN_ACCOUNT_LIMIT`, a guesser who changes address). Never by address
alone: a whole office signs in from behind one NAT, and a colleague's typos must not lock it out.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off, get_lockout_parameters
from django.conf import settings
from django.db.models import Max, QuerySet, Sum
from django.http import HttpRequest
from django.utils import timezone


def _limit(parameter: Any) -> int:
    """The limit of one way of counting: by account alone, or with the address."""
    if parameter in (["username"], "username"):
        return int(settings.ASCOLTO_SIGNIN_ACCOUNT_LIMIT)
    return int(settings.ASCOLTO_SIGNIN_LIMIT)


def failure_limit(request: HttpRequest, credentials: dict[str, Any] | None) -> int:
    """`AXES_FAILURE_LIMIT`: axes compares `get_failures` with it; `SignInThrottle.get_failures`
    answers 1 once any way of counting is past its own limit."""
    return 1


class SignInThrottle(AxesDatabaseHandler):  # type: ignore[misc]
    def _locked_counts(self, request: HttpRequest, credentials: dict[str, Any] | None) -> list[Any]:
        """The attempts of each way of counting that has reached its own limit."""
        parameters = get_lockout_parameters(request, credentials)
        attempts: list[QuerySet[Any]] = self.get_user_attempts(request, credentials)
        return [
            qs
            for parameter, qs in zip(parameters, attempts, strict=True)
            if (qs.aggregate(n=Sum("failures_since_start"))["n"] or 0) >= _limit(parameter)
        ]

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        return 1 if self._locked_counts(request, credentials) else 0

    def wait(self, request: HttpRequest, credentials: dict[str, Any] | None) -> int:
        """Whole minutes until the lock on this sign-in lifts (at least 1)."""
        cool_off: timedelta | None = get_cool_off(request)
        latest: datetime | None = None
        for qs in self._locked_counts(request, credentials):
            last = qs.aggregate(last=Max("attempt_time"))["last"]
            if last is not None and (latest is None or last > latest):
                latest = last
        if cool_off is None or latest is None:
            return math.ceil(cool_off.total_seconds() / 60) if cool_off else 1
        seconds = (latest + cool_off - timezone.now()).total_seconds()
        return max(1, int(math.ceil(seconds / 60)))

    def user_login_failed(
        self,
        sender: Any,
        credentials: dict[str, Any],
        request: HttpRequest | None = None,
        **kwargs: Any,
    ) -> None:
        """Count a wrong password, but not a refused single sign-on (its callback passes a nonce
        and no user name): the directory checked the password and throttles guesses itself, and
        counting it would put every refused sign-on of the city under one empty name."""
        if credentials and "nonce" in credentials and not credentials.get("username"):
            return
        super().user_login_failed(sender, credentials, request, **kwargs)
