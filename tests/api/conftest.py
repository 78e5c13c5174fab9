"""The API's world: a case of the TARI office and one of the Anagrafe, with their citizens and
files, and tokens of external systems (every scope, or one office's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

from ascolto.api.models import ApiToken
from ascolto.api.tokens import SCOPES, issue_token
from ascolto.channels.models import Message
from ascolto.citizens.models import Citizen
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from tests import factories, personas

TARI_TEXT = "L'avviso TARI del 2026 non mi è mai arrivato a casa."
ANAGRAFE_TEXT = "Chiedo il certificato di residenza storico per la successione."
LUCA_EMAIL = "luca.bianchi@example.it"


@dataclass
class World:
    cast: personas.Cast
    tari: Ticket
    anagrafe: Ticket
    maria: Citizen
    luca: Citizen
    inbound: Message  # Luca's message in the Anagrafe's case, with a stored file


def stored_file(name: str) -> list[dict[str, Any]]:
    saved = default_storage.save(f"allegati/{name}", ContentFile(factories.PNG))
    return [{"url": f"storage:{saved}", "name": name, "content_type": "image/png", "size": 67}]


@pytest.fixture
def world(cast: personas.Cast, settings: Any, tmp_path: Any) -> World:
    settings.MEDIA_ROOT = tmp_path
    tari = factories.submit_scrivi(
        TARI_TEXT, email=personas.MARIA_EMAIL, fiscal_code=personas.MARIA_FISCAL_CODE
    )
    anagrafe = factories.submit_scrivi(
        ANAGRAFE_TEXT, email=LUCA_EMAIL, first_name="Luca", last_name="Bianchi"
    )
    assert tari.ticket_id and anagrafe.ticket_id
    tari_case = actions.escalate_ticket(
        Ticket.objects.get(pk=tari.ticket_id), cast.tari, actor=cast.operator
    )
    anagrafe_case = actions.escalate_ticket(
        Ticket.objects.get(pk=anagrafe.ticket_id), cast.anagrafe, actor=cast.operator
    )
    inbound = Message.objects.get(conversation__tickets=anagrafe_case, direction="inbound")
    Message.objects.filter(pk=inbound.pk).update(attachments=stored_file("documento.png"))
    assert tari_case.citizen is not None and anagrafe_case.citizen is not None
    return World(
        cast=cast,
        tari=factories.refresh(tari_case),
        anagrafe=factories.refresh(anagrafe_case),
        maria=tari_case.citizen,
        luca=anagrafe_case.citizen,
        inbound=Message.objects.get(pk=inbound.pk),
    )


class Api:
    """A client of the API with a bearer token."""

    def __init__(self, plaintext: str, token: ApiToken) -> None:
        self.client = Client()
        self.plaintext = plaintext
        self.token = token

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.plaintext}", **(headers or {})}

    def get(self, path: str, data: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.get(f"/api/v1{path}", data or {}, headers=self._headers(headers))

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        # Header names as Django's test client spells them (HTTP_IDEMPOTENCY_KEY) or plainly.
        extra: dict[str, Any] = {k: v for k, v in headers.items() if k.startswith("HTTP_")}
        plain = {k: v for k, v in headers.items() if not k.startswith("HTTP_")}
        return self.client.post(
            f"/api/v1{path}",
            body if body is not None else {},
            content_type="application/json",
            headers=self._headers(plain),
            **extra,
        )

    def put(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.client.put(
            f"/api/v1{path}", body, content_type="application/json", headers=self._headers(headers)
        )


def api_for(scopes: Any = None, **kwargs: Any) -> Api:
    token, plaintext = issue_token("Portale", scopes if scopes is not None else SCOPES, **kwargs)
    return Api(plaintext, token)


@pytest.fixture
def portal(cast: personas.Cast) -> Api:
    """The city's portal: every scope, every office."""
    return api_for()


@pytest.fixture
def tari_system(cast: personas.Cast) -> Api:
    """The waste company's system: every scope, limited to the TARI office."""
    return api_for(office=cast.tari)
