"""The writes of the organisation app that concern staff's sign-in: ending a user's sessions and
an administrator's reset of a lost second factor (recorded)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import devices_for_user

from ascolto.core import access
from ascolto.core.errors import DomainError
from ascolto.organisation.models import SecondFactorReset, User


def end_sessions(user: User) -> None:
    """End every session of `user` (signed cookies included): the session generation is part
    of the sessions' authentication hash. A view keeps its own session afterwards with
    `django.contrib.auth.update_session_auth_hash`."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])


@transaction.atomic
def reset_second_factor(user: User, *, actor: User, reason: str = "") -> SecondFactorReset:
    """Remove every second-factor device of `user` (a lost phone) and end their sessions: they
    enrol again at their next sign-in. Recorded: who, for whom, when, why."""
    if not access.administers(actor):
        raise DomainError(_("Solo un amministratore può azzerare il secondo fattore."))
    removed = 0
    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()
        removed += 1
    end_sessions(user)
    return SecondFactorReset.objects.create(
        user=user, actor=actor, at=timezone.now(), reason=reason.strip()[:300], devices=removed
    )
