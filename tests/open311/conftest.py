"""The Open311 set-up: the channel reporting apps write by, two public services of the taxonomy
(one with questions), and the token of a reporting app."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ascolto.api.models import ApiToken
from ascolto.api.tokens import issue_token
from ascolto.channels.models import Channel
from ascolto.tickets.models import Theme
from tests import personas

QUESTIONS = [
    {
        "code": "TIPO",
        "datatype": "singlevaluelist",
        "required": True,
        "order": 1,
        "description": "Che cosa è danneggiato?",
        "values": [{"key": "albero", "name": "Albero"}, {"key": "panchina", "name": "Panchina"}],
    },
    {
        "code": "NOTE_ACCESSO",
        "datatype": "string",
        "required": False,
        "order": 2,
        "description": "Come si raggiunge il punto?",
    },
]


@dataclass
class Open311:
    channel: Channel
    green: Theme  # "verde-pubblico", with questions
    bulky: Theme  # "rifiuti-ingombranti", none
    token: ApiToken
    key: str


@pytest.fixture
def open311(cast: personas.Cast) -> Open311:
    channel = personas.make_channel("api", "open311", "Open311")
    green = Theme.objects.get(code="verde-pubblico")
    green.open311_public = True
    green.disservice_category = "Verde pubblico e parchi"
    green.open311_description = "Alberi, aiuole, panchine e giochi dei parchi danneggiati."
    green.open311_attributes = QUESTIONS
    green.office = cast.anagrafe  # any office: the agency responsible
    green.full_clean()
    green.save()
    bulky = Theme.objects.get(code="rifiuti-ingombranti")
    bulky.open311_public = True
    bulky.save()
    token, key = issue_token("App Segnalazioni", ["open311"])
    return Open311(channel=channel, green=green, bulky=bulky, token=token, key=key)
