"""A channel's configuration is checked against the schema of its kind when it is saved.

Administrators configure channels in the admin, whose form runs `Channel.full_clean()`: the
model's `clean()` applies `channels.config.validate_config`, so these tests take that path.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from ascolto.channels.config import validate_config
from ascolto.channels.models import Channel
from ascolto.core.errors import InvalidInput
from tests.personas import make_channel

pytestmark = pytest.mark.django_db


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_config("fax", {})

    assert caught.value.message == "Tipo di canale sconosciuto: «fax»."
    assert caught.value.field == "kind"


def test_whatsapp_needs_its_phone_number_id() -> None:
    with pytest.raises(ValidationError) as caught:
        make_channel("whatsapp", "wa", "WhatsApp", {"display_phone_number": "+39 02 0202"})

    assert caught.value.message_dict["config"] == [
        "Configurazione del canale whatsapp non valida: phone_number_id: campo obbligatorio"
    ]
    assert not Channel.objects.exists()


@pytest.mark.parametrize("bad", ["12ab5", "1234", "+391234567"])
def test_a_malformed_phone_number_id_is_refused(bad: str) -> None:
    with pytest.raises(InvalidInput, match=r"phone_number_id: formato non valido"):
        validate_config("whatsapp", {"phone_number_id": bad})


def test_extra_fields_are_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_config("web", {"opens_case": False})

    assert caught.value.message == (
        "Configurazione del canale web non valida: opens_case: campo non previsto"
    )


def test_every_wrong_field_is_named() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_config("email", {"address": "not-an-address", "session_hours": -1, "colour": 1})

    message = caught.value.message
    assert message.startswith("Configurazione del canale email non valida: ")
    for field in ("address", "session_hours", "colour"):
        assert f"{field}: " in message


def test_a_valid_config_is_completed_with_defaults() -> None:
    channel = make_channel("whatsapp", "wa", "WhatsApp", {"phone_number_id": "1234567890"})

    channel.refresh_from_db()
    assert channel.config == {
        "session_hours": 24,
        "opens_cases": False,
        "phone_number_id": "1234567890",
        "display_phone_number": "",
        "access_token_env": "ASCOLTO_WHATSAPP_TOKEN",
        "app_secret_env": "ASCOLTO_META_APP_SECRET",
        "verify_token_env": "ASCOLTO_META_VERIFY_TOKEN",
        "templates": [],
        "assistant_menu": "",
    }
    assert channel.session_window.total_seconds() == 24 * 3600
    assert channel.opens_cases is False
    web = make_channel("web", "scrivi", "Scrivi")
    assert web.config == {"session_hours": 0, "opens_cases": True}
    assert web.opens_cases is True


def test_channel_codes_are_unique() -> None:
    make_channel("web", "scrivi", "Scrivi")

    with pytest.raises(ValidationError) as caught:
        make_channel("api", "scrivi", "Altro")

    assert list(caught.value.message_dict) == ["code"]
    assert Channel.objects.count() == 1


def test_a_fixed_config_is_accepted_and_completed() -> None:
    channel = Channel(kind="phone", code="020202", name="020202", config={"queues": ["tari"]})

    with pytest.raises(ValidationError) as caught:
        channel.full_clean()

    assert caught.value.message_dict["config"] == [
        "Configurazione del canale phone non valida: number: campo obbligatorio"
    ]
    channel.config = {"number": "020202"}
    channel.full_clean()
    assert channel.config == {
        "session_hours": 0,
        "opens_cases": True,
        "number": "020202",
        "queues": [],
    }
