"""Every page of the admin opens for an administrator, whatever the lead registers there.

The models are read from the admin registry, so a model registered tomorrow is covered too. The
database holds real state built by the actions, so list columns, filters and search run on rows.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib import admin
from django.db.models import Model
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from ascolto.channels.actions import receive
from ascolto.citizens.actions import record_consent
from ascolto.citizens.models import Consent
from ascolto.contactcenter.models import CallRecord
from ascolto.tickets import actions
from ascolto.tickets.models import Campaign, RoutingRule, SlaPolicy, Tag, Theme, Ticket
from tests import factories, personas

# WhiteNoise warns that collectstatic has not run; the admin pages do not need it to render.
pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")
REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
IDS = [model._meta.label for model, _ in REGISTERED]


def _rich_state(cast: personas.Cast) -> None:
    policy = SlaPolicy.objects.create(code="scrivi", name="Scrivi", resolution_days=30)
    RoutingRule.objects.create(name="SLA Scrivi", channel_kind="web", sla_policy=policy)
    tag = Tag.objects.create(name="Buoni spesa", slug="buoni-spesa")
    campaign = Campaign.objects.create(
        code="buoni-spesa-2025",
        name="Buoni spesa 2025",
        theme=Theme.objects.get(code="buoni-spesa"),
        tag=tag,
        task_force=cast.tari,
        starts_on=date(2025, 1, 1),
        ends_on=date(2025, 3, 31),
    )
    received = factories.submit_scrivi(
        "Come richiedo i buoni spesa?",
        fiscal_code=personas.MARIA_FISCAL_CODE,
        campaign=campaign.code,
        theme="buoni-spesa",
    )
    ticket = Ticket.objects.get(pk=received.ticket_id)
    record_consent(ticket.citizen, Consent.Purpose.PRIVACY, True, source="scrivi")
    actions.reply_to_ticket(ticket, "Dal portale, con SPID.", actor=cast.operator)
    actions.escalate_ticket(ticket, cast.tari, actor=cast.operator, note="Verificare ISEE.")
    other = factories.open_case("Avviso TARI", email="luca@example.it")
    actions.resolve_ticket(other, "Inviato di nuovo.", actor=cast.operator)
    call = receive(factories.phone_message("Chiamata", number="333 123 4567"))
    now = timezone.now()
    CallRecord.objects.create(
        external_id="call-1",
        conversation=call.conversation,
        caller=call.identity,
        queue="tributi",
        ivr_path="1>3",
        arrived_at=now - timedelta(minutes=6),
        answered_at=now - timedelta(minutes=5),
        ended_at=now,
        wait_seconds=60,
        talk_seconds=300,
        operator=cast.operator,
    )


@pytest.fixture
def staff_client(cast: personas.Cast) -> Client:
    _rich_state(cast)
    client = Client()
    client.force_login(cast.administrator)
    return client


def _url(model: type[Model], view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_the_admin_has_models_registered() -> None:
    labels = set(IDS)
    assert {"tickets.Ticket", "channels.Channel", "organisation.Office"} <= labels


@pytest.mark.django_db
def test_the_admin_index_opens(staff_client: Client) -> None:
    response = staff_client.get(reverse("admin:index"))
    assert response.status_code == 200


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_the_login_page() -> None:
    response = Client().get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=IDS)
def test_every_admin_page_opens(
    model: type[Model], model_admin: admin.ModelAdmin, staff_client: Client, cast: personas.Cast
) -> None:
    response = staff_client.get(_url(model, "changelist"))
    assert response.status_code == 200, f"changelist of {model._meta.label}"

    if model_admin.get_search_fields(None):  # type: ignore[arg-type]
        response = staff_client.get(_url(model, "changelist"), {"q": "maria"})
        assert response.status_code == 200, f"search in {model._meta.label}"

    request = RequestFactory().get("/")
    request.user = cast.administrator
    response = staff_client.get(_url(model, "add"))
    expected = 200 if model_admin.has_add_permission(request) else 403
    assert response.status_code == expected, f"add page of {model._meta.label}"

    first = model._default_manager.order_by("pk").first()
    if first is not None:
        response = staff_client.get(_url(model, "change", first.pk))
        assert response.status_code == 200, f"change page of {model._meta.label} #{first.pk}"
