"""The signed token of a survey invitation: the link a citizen gets names the invitation, signed
with the secret key (`django.core.signing`, its own salt), so no one answers in another's name
and an invitation is answered once (`Invitation.answered_at`).

The public answering page is `scrivi:survey-answer` (`/scrivi/questionario/<token>/`).
"""

from __future__ import annotations

from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from ascolto.core.errors import InvalidInput, NotFound
from ascolto.surveys.models import Invitation

SALT = "ascolto.surveys.invitation"


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "s": invitation.survey_id}, salt=SALT, compress=True)


def invitation_path(invitation: Invitation) -> str:
    """The answering page's path for this invitation (prefix the site's address for a mail)."""
    return reverse("scrivi:survey-answer", args=[invitation_token(invitation)])


def invitation_of(token: str) -> Invitation:
    """The invitation a token names; `InvalidInput` if the token was altered, `NotFound` if
    the invitation no longer exists. Expiry and one answer are checked by the actions."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise InvalidInput(_("Il link del questionario non è valido."), field="token") from None
    invitation = (
        Invitation.objects.select_related("survey", "survey__current_version")
        .filter(pk=data.get("i"), survey_id=data.get("s"))
        .first()
    )
    if invitation is None:
        raise NotFound(_("Questo invito al questionario non esiste più."), field="token")
    return invitation
