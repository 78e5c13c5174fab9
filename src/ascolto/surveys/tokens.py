"""The signed token of a survey invitation: the link a citizen gets names the invitation, signed
with the secret key (`django.core.signing`, its own salt), so no one answers in another's name
and an invitation is answered once (`Invitation.answered_at`). A link may also carry answers
to pre-fill (`prefill`): the WhatsApp tap's rating when the survey asks more (decision 0028),
signed with the rest, so nobody can make a link that pre-fills another's page.

The public answering page is `scrivi:survey-answer` (`/scrivi/questionario/<token>/`).
"""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from ascolto.core.errors import InvalidInput, NotFound
from ascolto.surveys.models import Invitation

SALT = "ascolto.surveys.invitation"


def invitation_token(invitation: Invitation, prefill: dict[str, int | str] | None = None) -> str:
    data: dict[str, Any] = {"i": invitation.pk, "s": invitation.survey_id}
    if prefill:
        data["a"] = {str(code): value for code, value in prefill.items()}
    return signing.dumps(data, salt=SALT, compress=True)


def invitation_path(invitation: Invitation, prefill: dict[str, int | str] | None = None) -> str:
    """The answering page's path for this invitation (prefix the site's address for a mail);
    `prefill` maps question codes to the answers the page shows already chosen."""
    return reverse("scrivi:survey-answer", args=[invitation_token(invitation, prefill)])


def _loads(token: str) -> dict[str, Any]:
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise InvalidInput(_("Il link del questionario non è valido."), field="token") from None
    if not isinstance(data, dict):
        raise InvalidInput(_("Il link del questionario non è valido."), field="token")
    return data


def prefill_of(token: str) -> dict[str, str]:
    """The answers a link pre-fills, by question code, as the page's form takes them (texts);
    the page checks each against its question before showing it."""
    answers = _loads(token).get("a")
    if not isinstance(answers, dict):
        return {}
    return {str(code): str(value) for code, value in answers.items()}


def invitation_of(token: str) -> Invitation:
    """The invitation a token names; `InvalidInput` if the token was altered, `NotFound` if
    the invitation no longer exists. Expiry and one answer are checked by the actions."""
    data = _loads(token)
    invitation = (
        Invitation.objects.select_related("survey", "survey__current_version")
        .filter(pk=data.get("i") or 0, survey_id=data.get("s") or 0)
        .first()
    )
    if invitation is None:
        raise NotFound(_("Questo invito al questionario non esiste più."), field="token")
    return invitation
