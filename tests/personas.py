"""The people and the organisation every test talks about, built with the real models.

- Giulia Verdi, first-level operator of the 020202 contact center (team "020202").
- Marco Neri, supervisor of the contact center.
- Lucia Ferrari, operator of the TARI office (under Direzione Tributi); she must never see or be
  handed a case of another office, such as the Anagrafe's.
- Paolo Gallo, analyst: reads reports, handles no case.
- Anna Conti, administrator (superuser): offices, channels, rules.
- Maria Rossi, a citizen who writes through Scrivi with her email and fiscal code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from ascolto.channels.models import Channel
from ascolto.organisation import twofactor
from ascolto.organisation.models import Office, Team, User

# Valid fiscal codes (check character included), computed for the people below.
MARIA_FISCAL_CODE = "RSSMRA80C52F205L"  # Maria Rossi, born in Milan on 12/03/1980
LUCA_FISCAL_CODE = "BNCLCU75L01F205Z"  # Luca Bianchi, born in Milan on 01/07/1975
ANNA_FISCAL_CODE = "SPSNNA90S63F839K"  # Anna Esposito, born in Naples on 23/11/1990

MARIA_EMAIL = "maria.rossi@example.it"
LUCA_PHONE = "+393331234567"


@dataclass
class Cast:
    contact_center: Office
    tributi: Office
    tari: Office
    anagrafe: Office
    cc_team: Team
    tari_team: Team
    operator: User  # first level, contact center
    supervisor: User
    office_operator: User  # TARI office
    anagrafe_operator: User
    analyst: User
    administrator: User
    scrivi: Channel
    mailbox: Channel
    phone: Channel
    whatsapp: Channel


def make_channel(kind: str, code: str, name: str, config: dict[str, Any] | None = None) -> Channel:
    """A channel configured as an administrator does it in the admin: `full_clean()` checks the
    config against its kind's schema (and completes it with defaults), then it is saved."""
    channel = Channel(kind=kind, code=code, name=name, config=config or {})
    channel.full_clean()
    channel.save()
    return channel


def _user(username: str, first: str, last: str, role: str, office: Office | None) -> User:
    return User.objects.create_user(
        username=username,
        password=None,  # unusable: tests log in with force_login, and hashing is slow
        first_name=first,
        last_name=last,
        email=f"{username}@comune.example.it",
        role=role,
        office=office,
    )


# Django's own `force_login`, which gives a session a user without their password and nothing
# more: the tests of the second factor itself use it (tests/conftest.py wraps the other).
password_only_login = Client.force_login


def verify_second_factor(client: Client, user: Any) -> None:
    """Give `client`'s signed-in session the verified second factor its user's role requires,
    as the code page does (`force_login` skips the password and, with this, the code too):
    the user gets a confirmed authenticator device if they have none."""
    if not twofactor.required_for(user):
        return
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=twofactor.APP_DEVICE, confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def build_cast() -> Cast:
    contact_center = Office.objects.create(
        name="Contact center 020202", code="contact-center", kind=Office.Kind.UNIT
    )
    tributi = Office.objects.create(
        name="Direzione Tributi",
        code="dir-tributi",
        kind=Office.Kind.DEPARTMENT,
        email="tributi@comune.example.it",
    )
    tari = Office.objects.create(
        name="Ufficio TARI",
        code="ufficio-tari",
        kind=Office.Kind.BUSINESS_UNIT,
        parent=tributi,
        email="tari@comune.example.it",
    )
    anagrafe = Office.objects.create(
        name="Anagrafe",
        code="anagrafe",
        kind=Office.Kind.DEPARTMENT,
        email="anagrafe@comune.example.it",
    )
    operator = _user("giulia", "Giulia", "Verdi", User.Role.FIRST_LEVEL, contact_center)
    supervisor = _user("marco", "Marco", "Neri", User.Role.SUPERVISOR, contact_center)
    office_operator = _user("lucia", "Lucia", "Ferrari", User.Role.OFFICE, tari)
    anagrafe_operator = _user("sara", "Sara", "Colombo", User.Role.OFFICE, anagrafe)
    analyst = _user("paolo", "Paolo", "Gallo", User.Role.ANALYST, None)
    administrator = User.objects.create_superuser(
        username="anna",
        password=None,
        email="anna@comune.example.it",
        first_name="Anna",
        last_name="Conti",
        role=User.Role.ADMINISTRATOR,
    )
    cc_team = Team.objects.create(name="020202", code="cc-020202", office=contact_center)
    cc_team.members.add(operator, supervisor)
    tari_team = Team.objects.create(name="Back office TARI", code="bo-tari", office=tari)
    tari_team.members.add(office_operator)
    return Cast(
        contact_center=contact_center,
        tributi=tributi,
        tari=tari,
        anagrafe=anagrafe,
        cc_team=cc_team,
        tari_team=tari_team,
        operator=operator,
        supervisor=supervisor,
        office_operator=office_operator,
        anagrafe_operator=anagrafe_operator,
        analyst=analyst,
        administrator=administrator,
        scrivi=make_channel("web", "scrivi", "Scrivi al Comune"),
        mailbox=make_channel(
            "email", "buoni-spesa", "Casella buoni spesa", {"address": "buonispesa@comune.it"}
        ),
        phone=make_channel("phone", "020202", "020202", {"number": "020202"}),
        whatsapp=make_channel(
            "whatsapp", "whatsapp", "WhatsApp del Comune", {"phone_number_id": "1234567890"}
        ),
    )
