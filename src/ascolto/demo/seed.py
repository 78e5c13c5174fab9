"""Write the demo city's reference data (reference.py) idempotently.

Every row is updated or created by its code (routing rules by name, users by username), so
running the seed twice changes nothing but the five demo users' passwords, which are reset on
every run so whoever starts the demo always sees working credentials.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from faker import Faker

from ascolto.channels.config import validate_config
from ascolto.channels.models import Channel
from ascolto.demo import reference as ref
from ascolto.demo.assistant import seed_menu
from ascolto.demo.knowledge import seed_alerts, seed_articles
from ascolto.demo.surveys import seed_services
from ascolto.demo.timeline import Window, campaign_period
from ascolto.organisation.models import Office, Team, User
from ascolto.tickets.models import Campaign, RoutingRule, SlaPolicy, Tag, Theme

# The extra operators' names come from their own fixed seed, not the city's: re-seeding with
# another --seed must find the same usernames, not create a second staff.
STAFF_SEED = 2021
_READABLE = "abcdefghijkmnpqrstuvwxyz23456789"


@dataclass(frozen=True)
class Credential:
    username: str
    password: str
    role: str
    office: str


@dataclass(frozen=True)
class SeedResult:
    credentials: list[Credential]
    counts: dict[str, int]


def ascii_slug(text: str) -> str:
    """'Nicolò D'Amico' -> 'nicolodamico': for usernames and email addresses."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def new_password() -> str:
    """A random password easy to read off a terminal: three groups of four characters."""
    chars = "".join(secrets.choice(_READABLE) for _ in range(12))
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"


@transaction.atomic
def seed_reference(end: date, *, reset_passwords: bool = True) -> SeedResult:
    """Create or update everything; campaigns are placed in the 365 days ending on `end`.

    With `reset_passwords` the five demo users get new random passwords, returned in the
    result; without it their passwords are left alone (a user created then gets an unusable
    one until the next seed with passwords).
    """
    offices = _offices()
    _theme_offices(offices)
    teams = _teams(offices)
    credentials = _demo_users(offices, teams, reset_passwords)
    operators = _operators(teams)
    _channels()
    slas = _slas()
    _rules(offices, teams, slas)
    _campaigns(Window.ending(end), offices)
    seed_articles()
    seed_alerts()
    seed_menu()
    services = seed_services()
    counts = {
        "offices": len(offices),
        "teams": len(teams),
        "demo users": len(credentials),
        "operators": operators,
        "channels": len(ref.CHANNELS),
        "SLA policies": len(slas),
        "routing rules": len(ref.ROUTING_RULES),
        "campaigns": len(ref.CAMPAIGNS),
        "services": services,
    }
    return SeedResult(credentials, counts)


def _offices() -> dict[str, Office]:
    offices: dict[str, Office] = {}
    for spec in ref.OFFICES:  # parents come before their children in the list
        office, _ = Office.objects.update_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "kind": spec.kind,
                "parent": offices[spec.parent] if spec.parent else None,
                "email": f"{spec.mailbox}@{ref.MAIL_DOMAIN}",
                "budget_line": spec.budget_line,
                "is_active": True,
            },
        )
        offices[spec.code] = office
    return offices


def competent_offices() -> dict[str, str]:
    """Theme code -> office code for every node of the taxonomy, topics inheriting from their
    theme and themes from their area when reference.THEME_OFFICES does not name them."""
    result: dict[str, str] = {}
    for code, path in Theme.objects.order_by("level").values_list("code", "path"):
        parts = path.strip("/").split("/")
        parent = parts[-2] if len(parts) > 1 else None
        office = ref.THEME_OFFICES.get(code) or (result.get(parent) if parent else None)
        result[code] = office or "crm-customer-operations"
    return result


def _theme_offices(offices: dict[str, Office]) -> None:
    by_office: dict[str, list[str]] = {}
    for theme, office in competent_offices().items():
        by_office.setdefault(office, []).append(theme)
    for office, themes in by_office.items():
        # update(), not save(): Theme.save() recomputes level and path, which must not move.
        Theme.objects.filter(code__in=themes).update(office=offices[office])


def _teams(offices: dict[str, Office]) -> dict[str, Team]:
    teams: dict[str, Team] = {}
    for spec in ref.TEAMS:
        team, _ = Team.objects.update_or_create(
            code=spec.code,
            defaults={"name": spec.name, "office": offices[spec.office], "is_active": True},
        )
        teams[spec.code] = team
    return teams


def _demo_users(
    offices: dict[str, Office],
    teams: dict[str, Team],
    reset_passwords: bool,
) -> list[Credential]:
    """The five demo users. Only the administrator is staff (a superuser): the admin applies
    none of the console's rules of scope, so the other roles work in the console only
    (decision 0008)."""
    credentials = []
    for spec in ref.DEMO_USERS:
        user, created = User.objects.update_or_create(
            username=spec.username,
            defaults={
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "email": f"{spec.username}@{ref.MAIL_DOMAIN}",
                "role": spec.role,
                "office": offices[spec.office] if spec.office else None,
                "extension": spec.extension,
                "is_staff": spec.role == User.Role.ADMINISTRATOR,
                "is_superuser": spec.role == User.Role.ADMINISTRATOR,
                "is_active": True,
            },
        )
        password = ""
        if reset_passwords:
            password = new_password()
            user.set_password(password)
            user.save(update_fields=["password"])
        elif created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        user.groups.clear()  # admin permission groups of earlier demos, if any
        for code in spec.teams:
            teams[code].members.add(user)
        office = offices[spec.office].name if spec.office else ""
        credentials.append(Credential(spec.username, password, user.get_role_display(), office))
    return credentials


def _operators(teams: dict[str, Team]) -> int:
    fake = Faker("it_IT")
    fake.seed_instance(STAFF_SEED)
    taken = set(ref_user.username for ref_user in ref.DEMO_USERS)
    count = 0
    for spec in ref.TEAMS:
        first_level = spec.office.startswith("crm-")
        role = User.Role.FIRST_LEVEL if first_level else User.Role.OFFICE
        team = teams[spec.code]
        for _ in range(spec.operators):
            female = fake.random.random() < 0.6
            first = fake.first_name_female() if female else fake.first_name_male()
            last = fake.last_name()
            base = f"{ascii_slug(first)}.{ascii_slug(last)}"
            username, n = base, 1
            while username in taken:
                n += 1
                username = f"{base}{n}"
            taken.add(username)
            user, created = User.objects.update_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@{ref.MAIL_DOMAIN}",
                    "role": role,
                    "office": team.office,
                    "is_staff": False,
                    "is_active": True,
                },
            )
            if created:
                # Extra operators exist to own cases; nobody logs in as them.
                user.set_unusable_password()
                user.save(update_fields=["password"])
            team.members.add(user)
            count += 1
    return count


def _channels() -> None:
    for spec in ref.CHANNELS:
        # The assistant's menu is connected once the history is written (demo/assistant.py):
        # seeding again keeps it.
        existing = Channel.objects.filter(code=spec.code).values_list("config", flat=True).first()
        kept = {k: v for k, v in (existing or {}).items() if k == "assistant_menu"}
        Channel.objects.update_or_create(
            code=spec.code,
            defaults={
                "kind": spec.kind,
                "name": spec.name,
                "config": validate_config(spec.kind, {**spec.config, **kept}),
                "is_active": True,
            },
        )


def _slas() -> dict[str, SlaPolicy]:
    slas: dict[str, SlaPolicy] = {}
    for spec in ref.SLA_POLICIES:
        policy, _ = SlaPolicy.objects.update_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "resolution_days": spec.resolution_days,
                "working_days": spec.working_days,
                "first_response_hours": spec.first_response_hours,
            },
        )
        slas[spec.code] = policy
    return slas


def _rules(offices: dict[str, Office], teams: dict[str, Team], slas: dict[str, SlaPolicy]) -> None:
    themes = {t.code: t for t in Theme.objects.all()}
    for spec in ref.ROUTING_RULES:
        RoutingRule.objects.update_or_create(
            name=spec.name,
            defaults={
                "priority": spec.priority,
                "channel_kind": spec.channel_kind,
                "theme": themes[spec.theme] if spec.theme else None,
                "kind": spec.kind,
                "office": offices[spec.office] if spec.office else None,
                "team": teams[spec.team] if spec.team else None,
                "level": spec.level,
                "sla_policy": slas[spec.sla] if spec.sla else None,
                "is_active": True,
            },
        )


def _campaigns(window: Window, offices: dict[str, Office]) -> None:
    themes = {t.code: t for t in Theme.objects.all()}
    for spec in ref.CAMPAIGNS:
        period = campaign_period(spec, window)
        tag, _ = Tag.objects.update_or_create(slug=spec.tag_slug, defaults={"name": spec.tag_name})
        for name, slug, _share in spec.extra_tags:
            Tag.objects.update_or_create(slug=slug, defaults={"name": name})
        Campaign.objects.update_or_create(
            code=spec.code,
            defaults={
                "name": period.name,
                "description": spec.description,
                "theme": themes[spec.theme],
                "tag": tag,
                "task_force": offices[spec.task_force] if spec.task_force else None,
                "starts_on": period.starts_on,
                "ends_on": period.ends_on,
                "key_dates": [
                    {"date": day.isoformat(), "label": label}
                    for day, label, _effect, _weight in period.key_dates
                ],
            },
        )


def credentials_box(credentials: list[Credential], url: str) -> str:
    """The demo users and their passwords in a box that stands out in a terminal."""
    rows = [("utente", "password", "ruolo", "ufficio")] + [
        (c.username, c.password, c.role, c.office) for c in credentials
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    title = f"Utenti della demo: accedi a {url}"
    inner = max(len(title), *(len(line) for line in lines))
    out = [
        "┌" + "─" * (inner + 2) + "┐",
        f"│ {title.ljust(inner)} │",
        "├" + "─" * (inner + 2) + "┤",
    ]
    out += [f"│ {line.ljust(inner)} │" for line in lines]
    out.append("└" + "─" * (inner + 2) + "┘")
    return "\n".join(out)
