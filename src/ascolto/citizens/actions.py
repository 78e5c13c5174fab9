"""Actions on citizens and their identities: the one write path for this app."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from ascolto.citizens.batch import Details, find_or_create_citizens, live_citizen
from ascolto.citizens.handles import (
    normalise_email,
    normalise_fiscal_code,
    normalise_handle,
    normalise_phone,
)
from ascolto.citizens.models import Citizen, Consent, Identity
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
    value = normalise_handle(kind, handle)
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
    if identity.last_seen_at is None or identity.last_seen_at < seen_at:
        identity.last_seen_at = seen_at
        fields = ["last_seen_at"]
        if display_name and not identity.display_name:
            identity.display_name = display_name[:200]
            fields.append("display_name")
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
    `batch.find_or_create_citizens`, which intake uses for many senders at once.
    """
    details = Details(
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        fiscal_code=normalise_fiscal_code(fiscal_code) if fiscal_code else "",
        email=normalise_email(email) if email else "",
        phone=normalise_phone(phone) if phone else "",
    )
    if len(details.first_name) > 100 or len(details.last_name) > 100:
        raise InvalidInput("A first or last name is longer than 100 characters.", field="name")
    return find_or_create_citizens([details])[0]


def link_identity(identity: Identity, citizen: Citizen) -> Identity:
    """Point an identity at a citizen (first contact of a known person, or an operator's choice)."""
    citizen = live_citizen(citizen)
    if identity.citizen_id != citizen.pk:
        identity.citizen = citizen
        identity.save(update_fields=["citizen"])
    return identity


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
        raise DomainError("A citizen cannot be merged with itself.")
    if source.merged_into_id is not None:
        raise DomainError(f"Citizen #{source.pk} was already merged into #{source.merged_into_id}.")
    if target.merged_into_id is not None:
        raise DomainError(
            f"Citizen #{target.pk} was merged into #{target.merged_into_id}; merge into that one."
        )
    if source.fiscal_code and target.fiscal_code and source.fiscal_code != target.fiscal_code:
        raise DomainError(
            "These citizens have different fiscal codes: they are not the same person."
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
    citizens_merged.send(sender=Citizen, source=source, target=target, actor=actor)
    return target


def record_consent(citizen: Citizen, purpose: str, granted: bool, *, source: str = "") -> Consent:
    """Record that a citizen gave (or withdrew) a consent."""
    if purpose not in Consent.Purpose.values:
        raise InvalidInput(f"Unknown consent purpose '{purpose}'.", field="purpose")
    return Consent.objects.create(
        citizen=citizen, purpose=purpose, granted=granted, source=source[:100]
    )
