"""The demo city: one command builds a working city with users who can sign in."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Count, Q
from django.utils import timezone

from ascolto.channels.models import Channel
from ascolto.contactcenter.models import CallRecord, ForecastRun, IvrNode
from ascolto.knowledge.alerts import current_alerts
from ascolto.organisation.models import User
from ascolto.tickets.models import Ticket, TicketEvent
from tests import factories

SCALE = "0.003"  # about 3,000 calls: enough to see the city's shape, quick to make


@pytest.mark.django_db(transaction=True)
def test_the_demo_builds_a_city_and_prints_working_passwords() -> None:
    factories.ensure_taxonomy()
    out = StringIO()

    call_command("demo", "--no-serve", "--scale", SCALE, stdout=out)

    printed = out.getvalue()
    for role in User.Role.values:
        assert User.objects.filter(role=role, is_active=True).exists(), role
    # Only the administrator reaches the admin, which applies no office scope (decision 0008).
    staff = User.objects.filter(Q(is_staff=True) | Q(is_superuser=True) | ~Q(groups=None))
    assert list(staff.values_list("username", flat=True)) == ["admin"]
    logins = re.findall(r"│ (operatore|ufficio|supervisore|analista|admin)\s+(\S+)", printed)
    assert {name for name, _ in logins} == {
        "operatore",
        "ufficio",
        "supervisore",
        "analista",
        "admin",
    }
    for name, password in logins:
        assert authenticate(username=name, password=password) is not None, name

    tickets = Ticket.objects.count()
    calls = CallRecord.objects.count()
    assert 2_000 < calls < 4_500
    # The supervisor's contact-center page has a forecast with operators required to show.
    run = ForecastRun.objects.get()
    assert run.points.filter(agents__gt=0).exists()
    assert tickets > 0.8 * calls * 0.9  # most answered calls are logged as cases
    # Every case has its history, opened first.
    assert not Ticket.objects.annotate(n=Count("events")).filter(n=0).exists()
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.OPENED).count() == tickets
    # The theme mix leads with Anagrafe, as the city's does.
    areas = Ticket.objects.exclude(theme=None).values("theme__path").annotate(n=Count("id"))
    by_area: dict[str, int] = {}
    for row in areas:
        area = row["theme__path"].strip("/").split("/")[0]
        by_area[area] = by_area.get(area, 0) + row["n"]
    assert max(by_area, key=by_area.__getitem__) == "anagrafe"
    assert {c.kind for c in Channel.objects.all()} >= {"web", "email", "phone", "whatsapp"}
    # Every call went through the seeded IVR menu to the queue its choice transfers to.
    menu = dict(IvrNode.objects.values_list("path", "transfer"))
    paths = set(CallRecord.objects.values_list("ivr_path", "queue").distinct())
    assert paths and all(menu.get(path) == queue for path, queue in paths), paths - menu.items()
    assert User.objects.get(username="operatore").extension  # the screen-pop can be tried
    assert len(current_alerts("web", at=timezone.now())) == 2  # the two alerts of the day

    again = StringIO()
    call_command("demo", "--no-serve", "--scale", SCALE, stdout=again)
    assert Ticket.objects.count() == tickets  # a second start keeps the data


@pytest.mark.django_db(transaction=True)
def test_the_same_seed_makes_the_same_city() -> None:
    factories.ensure_taxonomy()
    args = ["--scale", "0.001", "--seed", "7", "--end", "2026-03-31"]
    call_command("generate_city", *args, stdout=StringIO())
    first = list(Ticket.objects.order_by("pk").values_list("code", "created_at", "theme_id"))
    call_command("generate_city", *args, "--wipe", stdout=StringIO())
    second = list(Ticket.objects.order_by("pk").values_list("code", "created_at", "theme_id"))

    assert first and first == second
