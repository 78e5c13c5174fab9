"""Actions on citizens and their identities: the one write path for this app."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.citizens.batch import Claim, Key, find_or_create_citizens, identities_by_handle
from ascolto.citizens.handles import normalise_handle
from ascolto.citizens.models import Citizen, Consent, Identity, MergeSuggestion, PrivacyNotice
from ascolto.citizens.sender import Sender
from ascolto.citizens.signals import citizens_merged
from ascolto.core.errors import DomainError, InvalidInput


def resolve_identity(
    kind: str, handle: str, *, display_name: str = "", seen_at: datetime | None = None
) -> Identity:
    """Return the identity for a handle, creating it on first contact.

    The handle is normalised first (`normalise_handle`), so '333 123 4567' and '+39 333 1234567'
    are one identity. Safe under concurrent first contacts: the loser of the insert race reads
    the winner's row.
    """
    return resolve_normalised_identity(
        kind, normalise_handle(kind, handle), display_name=display_name, seen_at=seen_at
    )


def resolve_normalised_identity(
    kind: str, value: str, *, display_name: str = "", seen_at: datetime | None = None
) -> Identity:
    """`resolve_identity` for a handle its caller has already normalised (`handles.py`), so a
    value checked once at the boundary (a form, a logged call) is not parsed again."""
    seen_at = seen_at or timezone.now()
    identity = Identity.objects.filter(kind=kind, value=value).first()
    if identity is None:
        try:
            with transaction.atomic():
                identity = Identity.objects.create(
                    kind=kind, value=value, display_name=display_name[:200], last_seen_at=seen_at
                )
        except IntegrityError:
            identity = Identity.objects.get(kind=kind, value=value)
        return identity
    fields = []
    if identity.last_seen_at is None or identity.last_seen_at < seen_at:
        identity.last_seen_at = seen_at
        fields.append("last_seen_at")
    if display_name and not identity.display_name:  # as intake does: a name fills a blank
        identity.display_name = display_name[:200]
        fields.append("display_name")
    if fields:
        identity.save(update_fields=fields)
    return identity


@transaction.atomic
def find_or_create_citizen(
    *,
    first_name: str = "",
    last_name: str = "",
    fiscal_code: str = "",
    email: str = "",
    phone: str = "",
) -> Citizen:
    """Find the citizen by fiscal code, then by email or phone identity; create one if none.

    Every given value is validated before anything is written. Known details fill blanks on the
    found citizen, never overwrite what is there. A batch of one of
    `batch.find_or_create_citizens`, which intake uses for many senders at once; here every value
    counts as verified (decision 0009): it is an operator's entry, not a public form's.
    """
    sender = Sender(
        first_name=first_name,
        last_name=last_name,
        fiscal_code=fiscal_code,
        email=email,
        phone=phone,
    )
    return find_or_create_citizens([Claim(sender).all_verified()])[0]


def link_identity(identity: Identity, citizen: Citizen) -> Identity:
    """Point an identity at a citizen (first contact of a known person, or an operator's choice)."""
    citizen = citizen.live()
    if identity.citizen_id != citizen.pk:
        identity.citizen = citizen
        identity.save(update_fields=["citizen"])
    return identity


def pair_identities(pairs: Sequence[tuple[Key, Key]]) -> int:
    """Two handles the channel proves belong to one person (a WhatsApp user id and the number
    Meta delivers with it), each pair normalised: both become identities if they are not, and a
    citizen known by either becomes known by both. A handle that already belongs to a citizen is
    never moved: two different citizens stay as they are (an operator may merge them). A few
    queries for the whole batch (intake's pace); returns how many identities were linked."""
    if not pairs:
        return 0
    keys = {key for pair in pairs for key in pair}
    found = identities_by_handle(keys)
    missing = keys - found.keys()
    if missing:
        Identity.objects.bulk_create(
            [Identity(kind=kind, value=value) for kind, value in missing],
            ignore_conflicts=True,  # a concurrent batch may create the same identity
        )
        found.update(identities_by_handle(missing))
    linked: dict[int, Identity] = {}
    for first, second in pairs:
        one, other = found[first], found[second]
        if one.citizen_id and not other.citizen_id:
            other.citizen_id = one.citizen_id
            linked[other.pk] = other
        elif other.citizen_id and not one.citizen_id:
            one.citizen_id = other.citizen_id
            linked[one.pk] = one
    if linked:
        Identity.objects.bulk_update(list(linked.values()), ["citizen"])
    return len(linked)


@transaction.atomic
def merge_citizens(source: Citizen, target: Citizen, *, actor: object | None = None) -> Citizen:
    """Merge `source` into `target`: the same person recorded twice.

    Identities and consents move to `target`, blank details of `target` are filled from
    `source`, and `source` keeps only `merged_into`. Apps above (cases) follow through the
    `citizens_merged` signal in the same transaction.
    """
    source = Citizen.objects.select_for_update().get(pk=source.pk)
    target = Citizen.objects.select_for_update().get(pk=target.pk)
    if source.pk == target.pk:
        raise DomainError(_("Un cittadino non può essere unito a sé stesso."))
    if source.merged_into_id is not None:
        raise DomainError(
            _("Il cittadino n. %(source)s è già stato unito al n. %(target)s.")
            % {"source": source.pk, "target": source.merged_into_id}
        )
    if target.merged_into_id is not None:
        raise DomainError(
            _("Il cittadino n. %(source)s è stato unito al n. %(target)s: unisci a quello.")
            % {"source": target.pk, "target": target.merged_into_id}
        )
    if source.fiscal_code and target.fiscal_code and source.fiscal_code != target.fiscal_code:
        raise DomainError(
            _("I due cittadini hanno codici fiscali diversi: non sono la stessa persona.")
        )

    fiscal_code = source.fiscal_code
    Identity.objects.filter(citizen=source).update(citizen=target)
    Consent.objects.filter(citizen=source).update(citizen=target)
    source.merged_into = target
    source.fiscal_code = ""  # frees the unique fiscal code for the kept record
    source.save(update_fields=["merged_into", "fiscal_code"])
    changed = []
    for name in ("first_name", "last_name", "email", "phone"):
        if not getattr(target, name) and getattr(source, name):
            setattr(target, name, getattr(source, name))
            changed.append(name)
    if fiscal_code and not target.fiscal_code:
        target.fiscal_code = fiscal_code
        changed.append("fiscal_code")
    if changed:
        target.save(update_fields=changed)
    _follow_suggestions(source, target, actor)
    citizens_merged.send(sender=Citizen, source=source, target=target, actor=actor)
    return target


def _follow_suggestions(source: Citizen, target: Citizen, actor: object | None) -> None:
    """After `source` was merged into `target`: the open suggestion of that pair is accepted, and
    the other suggestions that name `source` name `target` instead (an open one that `target`
    already has with the same citizen is not doubled)."""
    first, second = sorted((source.pk, target.pk))
    Suggestion = MergeSuggestion
    this_pair = Suggestion.objects.filter(first_id=first, second_id=second)
    this_pair.filter(status=Suggestion.Status.OPEN).update(
        status=Suggestion.Status.ACCEPTED,
        decided_by_id=getattr(actor, "pk", None),
        decided_at=timezone.now(),
    )
    naming = Suggestion.objects.filter(Q(first=source) | Q(second=source)).exclude(
        first_id=first, second_id=second
    )
    for suggestion in naming:
        other = suggestion.second_id if suggestion.first_id == source.pk else suggestion.first_id
        if other == target.pk:
            continue
        pair = sorted((other, target.pk))
        doubled = (
            suggestion.status == Suggestion.Status.OPEN
            and Suggestion.objects.filter(
                first_id=pair[0], second_id=pair[1], status=Suggestion.Status.OPEN
            ).exists()
        )
        if doubled:
            suggestion.delete()
            continue
        suggestion.first_id, suggestion.second_id = pair
        suggestion.save(update_fields=["first", "second"])


@transaction.atomic
def accept_merge_suggestion(suggestion: MergeSuggestion, *, actor: Any) -> Citizen:
    """Merge the two citizens of an open suggestion (the newer record into the older one, with
    `merge_citizens`) and record who decided; return the kept citizen."""
    suggestion = _open_suggestion(suggestion)
    first, second = suggestion.first.live(), suggestion.second.live()
    if first.pk == second.pk:
        kept = first  # merged some other way meanwhile
    else:
        older, newer = sorted((first, second), key=lambda c: c.pk)
        kept = merge_citizens(newer, older, actor=actor)
    MergeSuggestion.objects.filter(pk=suggestion.pk, status=MergeSuggestion.Status.OPEN).update(
        status=MergeSuggestion.Status.ACCEPTED, decided_by=actor, decided_at=timezone.now()
    )
    return kept


@transaction.atomic
def dismiss_merge_suggestion(suggestion: MergeSuggestion, *, actor: Any) -> MergeSuggestion:
    """Keep the two citizens of an open suggestion apart: the pair is not suggested again."""
    suggestion = _open_suggestion(suggestion)
    suggestion.status = MergeSuggestion.Status.DISMISSED
    suggestion.decided_by = actor
    suggestion.decided_at = timezone.now()
    suggestion.save(update_fields=["status", "decided_by", "decided_at"])
    return suggestion


def _open_suggestion(suggestion: MergeSuggestion) -> MergeSuggestion:
    """The suggestion, locked, if still open; else a clear error (someone decided first)."""
    current = (
        MergeSuggestion.objects.select_for_update()
        .select_related("first", "second")
        .get(pk=suggestion.pk)
    )
    if current.status != MergeSuggestion.Status.OPEN:
        raise DomainError(
            _("Questa proposta è già stata decisa (%(status)s).")
            % {"status": current.get_status_display()}
        )
    return current


def record_consent(citizen: Citizen, purpose: str, granted: bool, *, source: str = "") -> Consent:
    """Record that a citizen gave (or withdrew) a consent."""
    if purpose not in Consent.Purpose.values:
        raise InvalidInput(
            _("Finalità del consenso sconosciuta: «%(purpose)s».") % {"purpose": purpose},
            field="purpose",
        )
    return Consent.objects.create(
        citizen=citizen, purpose=purpose, granted=granted, source=source[:100]
    )


NOTICE_VERSION_MAX = 40  # `PrivacyNotice.version`, `Consent.notice_version`


def record_privacy_notice(version: str, text: str) -> PrivacyNotice:
    """The stored notice whose words are `text`, shown as `version`: stored the first time it is
    shown. When `version` is already stored with other words (the notice was edited and its
    version number not changed), the text is kept as a version of its own, `version~<hash>`, so
    each consent keeps pointing at the exact words the citizen read."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    stored = PrivacyNotice.objects.filter(version=version).first()
    if stored is not None and stored.sha256 != digest:
        version = f"{version[: NOTICE_VERSION_MAX - 13]}~{digest[:12]}"
        stored = PrivacyNotice.objects.filter(version=version).first()
    if stored is not None:
        return stored
    try:
        with transaction.atomic():
            return PrivacyNotice.objects.create(version=version, text=text, sha256=digest)
    except IntegrityError:  # another process stored it first
        return PrivacyNotice.objects.get(version=version)
