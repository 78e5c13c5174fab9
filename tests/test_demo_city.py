"""The demo city: one command builds a working city with users who can sign in."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Count, Q
from django.test import RequestFactory
from django.utils import timezone

from ascolto.analytics.period import Period
from ascolto.analytics.queries import chatbot_figures
from ascolto.assistant.models import Menu, Reply, Turn
from ascolto.assistant.models import Session as AssistantSession
from ascolto.channels.models import Channel, Message, WebhookDelivery
from ascolto.contactcenter.models import CallRecord, ForecastRun, IvrNode
from ascolto.knowledge.alerts import current_alerts
from ascolto.organisation.models import User
from ascolto.social.models import SocialThread
from ascolto.tickets.models import Ticket, TicketEvent
from tests import factories
from tests.dbstats import has_statistics
from tests.surveys.test_demo_surveys import survey_answers

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
    # Through the sign-in throttle too (django-axes), which needs the request.
    sign_in = RequestFactory().post("/console/accedi/")
    for name, password in logins:
        assert authenticate(sign_in, username=name, password=password) is not None, name

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

    _check_meta_traffic()
    _check_assistant()

    again = StringIO()
    call_command("demo", "--no-serve", "--scale", SCALE, stdout=again)
    assert Ticket.objects.count() == tickets  # a second start keeps the data


def _check_meta_traffic() -> None:
    """The WhatsApp and social traffic came in through Meta's webhook (signed deliveries, all
    taken in by the drain) and went out to the local Graph server."""
    meta = ("whatsapp", "facebook", "messenger", "instagram")
    deliveries = list(WebhookDelivery.objects.values_list("channel", "body", "processed_at"))
    assert deliveries
    assert all(processed is not None for _c, _b, processed in deliveries)
    assert {channel for channel, _b, _p in deliveries} == set(meta)
    bodies = "\n".join(body for _c, body, _p in deliveries)
    inbound = Message.objects.filter(
        channel__kind__in=meta, direction=Message.Direction.INBOUND
    ).values_list("external_id", "raw")
    assert inbound.filter(channel__kind="whatsapp").count() > 100
    for external_id, raw in inbound:
        assert f'"{external_id}"' in bodies, external_id  # every one arrived in a delivery
        assert raw, external_id  # as the parser stored it
    # The survey's answers are taps on the list the Graph server sent.
    assert inbound.filter(raw__whatsapp__message__type="interactive").exists()
    outbound = Message.objects.filter(channel__kind__in=meta, direction=Message.Direction.OUTBOUND)
    assert outbound.filter(channel__kind="whatsapp").count() > 100
    went = [Message.Status.SENT, Message.Status.DELIVERED, Message.Status.READ]
    sent = outbound.filter(status__in=went)
    # Then the Graph server's status webhooks (delivered, then read) came back through the
    # webhook: the messages it accepted on WhatsApp and Messenger/Instagram Direct are read;
    # a public reply to a comment has no status after "sent".
    assert sent.filter(channel__kind="whatsapp").exclude(status=Message.Status.READ).count() == 0
    assert not sent.filter(channel__kind="facebook").exclude(status=Message.Status.SENT).exists()
    assert WebhookDelivery.objects.filter(body__contains='"statuses"').exists()
    # Sent: the ids the local Graph server gave (random, Meta's shape), never made up here.
    assert sent.count() > 0.9 * outbound.count()
    assert not sent.filter(external_id="").exists()
    assert not sent.filter(external_id__startswith="wamid.OUT").exists()
    wamids = list(sent.filter(channel__kind="whatsapp").values_list("external_id", flat=True))
    assert all(w.startswith("wamid.HBgM") for w in wamids) and len(set(wamids)) == len(wamids)
    # Not sent: the reason says why (the 24-hour window was closed at the time).
    failed = outbound.exclude(status__in=went)
    assert not failed.exclude(status=Message.Status.FAILED).exists()
    assert not failed.filter(last_error="").exists()
    # The hand-offs and social cases sit on the conversations intake made.
    assert Ticket.objects.filter(channel__kind="whatsapp").exists()
    # The comment threads are in the social triage queue; the handled ones with their case.
    threads = SocialThread.objects.all()
    assert threads.exists()
    assert not threads.filter(ticket__isnull=False, state=SocialThread.State.NEW).exists()
    assert not threads.exclude(conversation__channel__kind__in=["facebook", "instagram"]).exists()


def _check_assistant() -> None:
    """Milan's menu A–M is published and connected to WhatsApp, and the last month's sessions
    were played through the engine: turns in and out, replies the Graph server accepted."""
    whatsapp = Channel.objects.get(code="whatsapp")
    assert whatsapp.config["assistant_menu"] == "milano"
    version = Menu.objects.get(code="milano").published()
    assert version is not None
    assert [n.letter for n in version.roots()] == list("ABCDEFGHIJKLM")
    assert version.nodes.filter(kind="card", article__isnull=False).count() > 20
    month_ago = timezone.now() - timedelta(days=32)
    sessions = AssistantSession.objects.filter(kind="whatsapp")
    assert sessions.count() >= 10
    assert not sessions.filter(started_at__lt=month_ago).exists()
    turns = Turn.objects.filter(session__in=sessions)
    assert turns.filter(direction="in").count() >= 2 * sessions.count()
    assert turns.filter(direction="in", kind="choice").exclude(node_key="").exists()
    replies = Reply.objects.filter(session__in=sessions)
    assert replies.filter(status="sent").count() >= turns.filter(direction="in").count()
    sent = replies.filter(status="sent").values_list("external_id", flat=True)
    assert all(r.startswith("wamid.") for r in sent)
    # Only the surveys of the sessions handed to an operator are not sent.
    assert set(replies.exclude(status="sent").values_list("status", "purpose")) <= {
        ("cancelled", "survey")
    }
    assert not replies.exclude(recipient="").exists()  # no number kept once sent
    # Forms and hand-offs opened cases through intake, dated in the month, with their node's
    # theme; the hand-off's case carries the transcript to the console's queue.
    form = version.nodes.get(parent=None, letter="I")
    handoff = version.nodes.get(parent=None, letter="L")
    assert turns.filter(kind=Turn.Kind.FORM_SUBMITTED, node_key=form.key).exists()
    assert turns.filter(direction="out", kind=Turn.Kind.HANDOFF, node_key=handoff.key).exists()
    today = timezone.now() - timedelta(hours=12)
    reports = Ticket.objects.filter(description__startswith="Modulo «Segnala un problema»")
    assert reports.exists() and not reports.filter(created_at__gte=today).exists()
    assert set(reports.values_list("theme__code", flat=True)) == {"verde-pubblico"}
    for description in reports.values_list("description", flat=True):
        assert "- In quale via o piazza?: " in description
    operator = Ticket.objects.filter(description__contains="Conversazione con l'assistente:")
    assert operator.exists() and not operator.filter(created_at__gte=today).exists()
    assert set(operator.values_list("theme__code", flat=True)) == {"altro-generico"}
    assert operator.filter(status="new", assignee__isnull=True).exists()  # the console's queue
    assert not Message.objects.filter(
        conversation__tickets__in=[*reports, *operator], created_at__gte=today
    ).exists()
    # The survey: sent by the tick, answered in about one session in six.
    figures = chatbot_figures(
        Period(timezone.localdate() - timedelta(days=40), timezone.localdate())
    )
    assert figures.survey["asked"] > figures.survey["answered"] >= 1
    assert sum(r["n"] for r in figures.forms) >= 1 and sum(r["n"] for r in figures.handoffs) >= 1


@pytest.mark.django_db(transaction=True)
def test_the_same_seed_makes_the_same_city() -> None:
    factories.ensure_taxonomy()
    args = ["--scale", "0.001", "--seed", "7", "--end", "2026-03-31"]
    call_command("generate_city", *args, stdout=StringIO())
    first = list(Ticket.objects.order_by("pk").values_list("code", "created_at", "theme_id"))
    first_answers = survey_answers()
    call_command("generate_city", *args, "--wipe", stdout=StringIO())
    second = list(Ticket.objects.order_by("pk").values_list("code", "created_at", "theme_id"))

    assert first and first == second
    # The satisfaction surveys' answers too (one city made twice serves both checks: each
    # generation costs about half a minute of the suite).
    assert first_answers and survey_answers() == first_answers
    # The loaded tables have the planner's statistics (ANALYZE), without waiting for autovacuum.
    assert has_statistics(Ticket._meta.db_table)
    assert has_statistics(CallRecord._meta.db_table)
