"""Only administrators reach the admin (decision 0008): it applies no office scope, so every
other role is refused on every page and action, even when given staff status and every
permission by mistake. Admin actions need the right to change, not only to view.

The models and actions are read from the admin registry, so whatever is registered tomorrow is
covered too.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.db.models import Model
from django.test import Client, RequestFactory
from django.urls import reverse

from ascolto.citizens.models import Citizen
from ascolto.core import access
from ascolto.organisation.models import User
from ascolto.tickets.models import Ticket
from tests import factories, personas
from tests.test_admin import REGISTERED, _rich_state

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]
NON_ADMINISTRATORS = ["operator", "supervisor", "office_operator", "anagrafe_operator", "analyst"]


def _url(model: type[Model], view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _every_right(user: User) -> User:
    """The worst mistake: staff status and every permission of every model."""
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.set(Permission.objects.all())
    return User.objects.get(pk=user.pk)  # no cached permissions


def _refused(response: object) -> None:
    status = response.status_code  # type: ignore[attr-defined]
    assert status in (302, 403), status
    if status == 302:
        assert response["Location"].startswith(reverse("admin:login"))  # type: ignore[index]


def _admin_actions(model_admin: admin.ModelAdmin) -> list[str]:  # type: ignore[type-arg]
    return [name for name in model_admin.actions or [] if isinstance(name, str)]


@pytest.mark.parametrize("persona", NON_ADMINISTRATORS)
def test_no_other_role_opens_any_admin_page_or_runs_any_action(
    persona: str, cast: personas.Cast
) -> None:
    _rich_state(cast)
    resolved = factories.ticket_in(
        Ticket.Status.RESOLVED, actor=cast.operator, office=cast.anagrafe, email="a@example.it"
    )
    factories.submit_scrivi("Seconda scheda", email="maria.due@example.it")
    citizens_before = Citizen.objects.filter(merged_into=None).count()
    user = _every_right(getattr(cast, persona))
    assert not access.administers(user)
    client = Client()
    client.force_login(user)

    _refused(client.get(reverse("admin:index")))
    for model, model_admin in REGISTERED:
        label = model._meta.label
        _refused(client.get(_url(model, "changelist")))
        _refused(client.get(_url(model, "changelist"), {"q": personas.MARIA_FISCAL_CODE}))
        _refused(client.get(_url(model, "add")))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            _refused(client.get(_url(model, "change", first.pk)))
            _refused(client.get(_url(model, "history", first.pk)))
        rows = [str(pk) for pk in model._default_manager.values_list("pk", flat=True)[:2]]
        for name in [*_admin_actions(model_admin), "delete_selected"]:
            response = client.post(
                _url(model, "changelist"),
                {"action": name, ACTION_CHECKBOX_NAME: rows, "post": "yes"},
            )
            _refused(response)
            assert model._default_manager.count() >= len(rows), (label, name)

    assert Ticket.objects.get(pk=resolved.pk).status == Ticket.Status.RESOLVED
    assert Citizen.objects.filter(merged_into=None).count() == citizens_before


def test_an_administrator_with_view_rights_only_cannot_run_the_actions(
    cast: personas.Cast,
) -> None:
    resolved = factories.ticket_in(
        Ticket.Status.RESOLVED, actor=cast.operator, office=cast.anagrafe
    )
    factories.submit_scrivi("Prima scheda", email="maria.uno@example.it")
    factories.submit_scrivi("Seconda scheda", email="maria.due@example.it", first_name="Mara")
    assert Citizen.objects.count() == 2
    viewer = User.objects.create_user(
        username="revisore", password=None, role=User.Role.ADMINISTRATOR, is_staff=True
    )
    viewer.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    client = Client()
    client.force_login(viewer)
    request = RequestFactory().get("/")
    request.user = viewer

    for model, model_admin in REGISTERED:
        assert client.get(_url(model, "changelist")).status_code == 200, model._meta.label
        offered = model_admin.get_actions(request)
        assert set(offered) & set(_admin_actions(model_admin)) == set(), model._meta.label

    tickets = client.post(
        _url(Ticket, "changelist"),
        {"action": "close_resolved", ACTION_CHECKBOX_NAME: [str(resolved.pk)]},
    )
    citizens = client.post(
        _url(Citizen, "changelist"),
        {
            "action": "merge_selected",
            ACTION_CHECKBOX_NAME: [str(pk) for pk in Citizen.objects.values_list("pk", flat=True)],
        },
    )

    assert tickets.status_code in (200, 302) and citizens.status_code in (200, 302)
    assert Ticket.objects.get(pk=resolved.pk).status == Ticket.Status.RESOLVED
    assert Citizen.objects.filter(merged_into=None).count() == 2


def test_an_administrator_with_the_right_to_change_closes_resolved_cases(
    cast: personas.Cast,
) -> None:
    resolved = factories.ticket_in(
        Ticket.Status.RESOLVED, actor=cast.operator, office=cast.anagrafe
    )
    client = Client()
    client.force_login(cast.administrator)

    client.post(
        _url(Ticket, "changelist"),
        {"action": "close_resolved", ACTION_CHECKBOX_NAME: [str(resolved.pk)]},
    )

    assert Ticket.objects.get(pk=resolved.pk).status == Ticket.Status.CLOSED


def test_the_demo_city_makes_only_the_administrator_staff() -> None:
    from ascolto.demo import reference

    staff = [spec.username for spec in reference.DEMO_USERS if spec.role == "administrator"]
    assert staff == ["admin"]
    assert not hasattr(reference, "ROLE_GROUPS")
