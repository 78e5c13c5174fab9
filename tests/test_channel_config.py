"""A channel's configuration is checked against the schema of its kind when it is saved."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from ascolto.channels.actions import create_channel
from ascolto.channels.config import validate_config
from ascolto.channels.models import Channel
from ascolto.core.errors import InvalidInput

pytestmark = pytest.mark.django_db


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        create_channel("fax", "fax", "Fax del Comune")

    assert caught.value.message == "Unknown channel kind 'fax'."
    assert caught.value.field == "kind"
    assert not Channel.objects.exists()


def test_whatsapp_needs_its_phone_number_id() -> None:
    with pytest.raises(InvalidInput) as caught:
        create_channel("whatsapp", "wa", "WhatsApp", {"display_phone_number": "+39 02 0202"})

    assert caught.value.message == (
        "Invalid whatsapp channel configuration: phone_number_id: Field required"
    )
    assert caught.value.field == "config"
    assert not Channel.objects.exists()


@pytest.mark.parametrize("bad", ["12ab5", "1234", "+391234567"])
def test_a_malformed_phone_number_id_is_refused(bad: str) -> None:
    with pytest.raises(InvalidInput, match=r"phone_number_id: String should match pattern"):
        create_channel("whatsapp", "wa", "WhatsApp", {"phone_number_id": bad})


def test_extra_fields_are_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        create_channel("web", "scrivi", "Scrivi", {"opens_case": False})

    assert caught.value.message == (
        "Invalid web channel configuration: opens_case: Extra inputs are not permitted"
    )


def test_every_wrong_field_is_named() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_config("email", {"address": "not-an-address", "session_hours": -1, "colour": 1})

    message = caught.value.message
    assert message.startswith("Invalid email channel configuration: ")
    for field in ("address", "session_hours", "colour"):
        assert f"{field}: " in message


def test_a_valid_config_is_completed_with_defaults() -> None:
    channel = create_channel("whatsapp", "wa", "WhatsApp", {"phone_number_id": "1234567890"})

    assert channel.config == {
        "session_hours": 24,
        "opens_cases": False,
        "phone_number_id": "1234567890",
        "display_phone_number": "",
        "access_token_env": "ASCOLTO_WHATSAPP_TOKEN",
        "app_secret_env": "ASCOLTO_META_APP_SECRET",
    }
    assert channel.session_window.total_seconds() == 24 * 3600
    assert channel.opens_cases is False
    web = create_channel("web", "scrivi", "Scrivi")
    assert web.config == {"session_hours": 0, "opens_cases": True}
    assert web.opens_cases is True


def test_channel_codes_are_unique() -> None:
    create_channel("web", "scrivi", "Scrivi")

    taken = gettext("Esiste già un canale con il codice «%(code)s».") % {"code": "scrivi"}
    with pytest.raises(InvalidInput, match=re.escape(taken)):
        create_channel("api", "scrivi", "Altro")
    assert Channel.objects.count() == 1


def test_the_admin_form_path_validates_too() -> None:
    """`Channel.clean` (what the admin form calls) applies the same schema."""
    channel = Channel(kind="phone", code="020202", name="020202", config={"queues": ["tari"]})

    with pytest.raises(ValidationError) as caught:
        channel.full_clean()

    assert caught.value.message_dict["config"] == [
        "Invalid phone channel configuration: number: Field required"
    ]
    channel.config = {"number": "020202"}
    channel.full_clean()
    assert channel.config == {
        "session_hours": 0,
        "opens_cases": True,
        "number": "020202",
        "queues": [],
    }
