"""Fixtures of the virtual assistant: the city's menu (every kind of node), the WhatsApp channel
configured with it, and a citizen who writes to it through Meta's real webhook endpoint (signed
deliveries, then the drain) while the local Graph server records what the bot sends."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ascolto.assistant import engine, menus
from ascolto.assistant.models import MenuNode, MenuVersion
from ascolto.channels.adapters.meta import deliveries
from ascolto.channels.adapters.meta.sandbox import GraphSandbox
from ascolto.channels.adapters.meta.signature import sign
from ascolto.channels.models import WebhookDelivery
from ascolto.knowledge.models import Article
from tests import personas
from tests.meta.conftest import _graph_server, graph_sandbox  # noqa: F401 (fixtures)
from tests.meta.inbound.conftest import APP_SECRET, VERIFY_TOKEN

WA_ID = "393331234567"
PHONE_NUMBER_ID = "1234567890"
_ids = itertools.count(1)


MENU: list[menus.NodeSpec] = [
    (
        "A",
        "Anagrafe",
        "submenu",
        {
            "text": "Servizi dell'anagrafe:",
            "children": [
                ("A", "Carta d'identità", "card", {"article": "carta-identita"}),
                (
                    "B",
                    "Certificati online",
                    "link",
                    {
                        "text": "Scarica i certificati anagrafici dal portale.",
                        "url": "https://www.comune.example.it/certificati",
                    },
                ),
            ],
        },
    ),
    (
        "B",
        "Rifiuti e TARI",
        "card",
        {"article": "tari", "text": "La TARI si paga in due rate, il 16 aprile e il 16 novembre."},
    ),
    (
        "C",
        "Segnala un guasto",
        "form",
        {
            "text": "Segnala un lampione spento o una buca.",
            "theme": "tari-dichiarazione",
            "fields": [
                {"name": "via", "label": "In quale via?", "type": "text", "required": True},
                {
                    "name": "email",
                    "label": "Un indirizzo email?",
                    "type": "email",
                    "required": False,
                },
                {
                    "name": "tipo",
                    "label": "Che cosa?",
                    "type": "choice",
                    "choices": ["Lampione", "Buca"],
                    "required": True,
                },
            ],
        },
    ),
    (
        "D",
        "Parla con un operatore",
        "handoff",
        {"handoff": "operator", "theme": "tari-dichiarazione"},
    ),
    (
        "E",
        "Numeri utili",
        "handoff",
        {"handoff": "phone", "phone": "020202", "text": "Chiama il contact center:"},
    ),
    (
        "F",
        "Scrivi al Comune",
        "handoff",
        {"handoff": "scrivi", "url": "https://ascolto.comune.example.it/scrivi/"},
    ),
]


def build_menu(user: Any = None) -> MenuVersion:
    """The published menu `comune` (`MENU`): A submenu (a card of an article, a link), B card,
    C form, D hand-off to an operator, E the contact number, F Scrivi."""
    articles = [
        Article.objects.create(
            slug="carta-identita",
            title="Carta d'identità elettronica",
            summary="Si richiede su appuntamento all'anagrafe, porta una fototessera.",
            body="...",
            keywords="carta identità, documento, CIE",
            url="https://www.comune.example.it/cie",
        ),
        Article.objects.create(
            slug="passi-carrabili",
            title="Passo carrabile",
            summary="Il permesso per il passo carrabile si chiede allo sportello mobilità.",
            body="...",
            keywords="passo carrabile, permesso, cancello",
            url="https://www.comune.example.it/passo-carrabile",
        ),
        Article.objects.create(
            slug="tari",
            title="TARI, la tassa sui rifiuti",
            summary="La TARI si paga in due rate.",
            body="...",
            keywords="tari, rifiuti, tassa",
            url="https://www.comune.example.it/tari",
        ),
    ]
    draft = menus.new_menu("comune", "Menu del Comune", user)
    menus.add_tree(draft, MENU, {a.slug: a for a in articles})
    return menus.publish(draft, user)


def node(version: MenuVersion, path: str) -> MenuNode:
    """The node of `version` at letters `path` (e.g. `A.B`)."""
    parent = None
    found: MenuNode | None = None
    for letter in path.split("."):
        found = version.nodes.get(parent=parent, letter=letter)
        parent = found
    assert found is not None
    return found


def text_delivery(text: str, *, wa_id: str = WA_ID, wamid: str = "") -> dict[str, Any]:
    return _delivery({"type": "text", "text": {"body": text}}, wa_id, wamid)


def tap_delivery(
    choice: str, title: str = "", *, wa_id: str = WA_ID, wamid: str = "", kind: str = "list_reply"
) -> dict[str, Any]:
    reply = {"id": choice, "title": title or choice}
    return _delivery(
        {"type": "interactive", "interactive": {"type": kind, kind: reply}}, wa_id, wamid
    )


def _delivery(message: dict[str, Any], wa_id: str, wamid: str) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "390200000000",
                                "phone_number_id": PHONE_NUMBER_ID,
                            },
                            "contacts": [{"profile": {"name": "Giulia Bianchi"}, "wa_id": wa_id}],
                            "messages": [
                                {
                                    "from": wa_id,
                                    "id": wamid or f"wamid.BOT-{next(_ids)}",
                                    "timestamp": str(int(timezone.now().timestamp())),
                                    **message,
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


@dataclass
class Citizen:
    """A citizen on WhatsApp: what they send goes through the real webhook and the drain (with
    the after-commit sending run); `sent` is what the Graph server received since."""

    graph: GraphSandbox
    client: Client
    capture: Any
    wa_id: str = WA_ID
    seen: int = 0
    last: list[dict[str, Any]] = field(default_factory=list)

    def deliver(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        raw = json.dumps(body).encode()
        with self.capture(execute=True):
            response = self.client.post(
                "/webhooks/meta/whatsapp/",
                data=raw,
                content_type="application/json",
                headers={"X-Hub-Signature-256": sign(APP_SECRET, raw)},
            )
            assert response.status_code == 200
            done = deliveries.drain()
        assert done.failed == 0, WebhookDelivery.objects.values_list("last_error", flat=True)
        return self.sent()

    def sent(self) -> list[dict[str, Any]]:
        """The messages the Graph server received since the last look."""
        bodies = [
            r.body
            for r in self.graph.requests
            if r.method == "POST" and r.path.endswith(f"/{PHONE_NUMBER_ID}/messages")
        ]
        self.last = bodies[self.seen :]
        self.seen = len(bodies)
        return self.last

    def say(self, text: str, **kwargs: Any) -> list[dict[str, Any]]:
        return self.deliver(text_delivery(text, wa_id=self.wa_id, **kwargs))

    def tap(self, choice: str, title: str = "", **kwargs: Any) -> list[dict[str, Any]]:
        return self.deliver(tap_delivery(choice, title, wa_id=self.wa_id, **kwargs))


def body_text(message: dict[str, Any]) -> str:
    """The text the citizen reads in a sent message (a text's body, an interactive's body)."""
    if message["type"] == "text":
        return str(message["text"]["body"])
    return str(message["interactive"]["body"]["text"])


def choices(message: dict[str, Any]) -> list[tuple[str, str]]:
    """The (id, title) of the buttons or list rows of a sent message."""
    if message["type"] != "interactive":
        return []
    interactive = message["interactive"]
    if interactive["type"] == "button":
        return [(b["reply"]["id"], b["reply"]["title"]) for b in interactive["action"]["buttons"]]
    return [(r["id"], r["title"]) for s in interactive["action"]["sections"] for r in s["rows"]]


@pytest.fixture(autouse=True)
def _no_cached_trees() -> Iterator[None]:
    """A rolled-back test may give the next one's version the same id (and, with a pinned
    clock, the same creation time): the engine's cache of published trees starts empty."""
    engine._trees.clear()
    yield
    engine._trees.clear()


@pytest.fixture
def menu(cast: personas.Cast) -> MenuVersion:
    return build_menu(cast.administrator)


@pytest.fixture
def citizen(
    cast: personas.Cast,
    menu: MenuVersion,
    graph_sandbox: GraphSandbox,  # noqa: F811 (the fixture)
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> Iterator[Citizen]:
    monkeypatch.setenv("ASCOLTO_META_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("ASCOLTO_META_VERIFY_TOKEN", VERIFY_TOKEN)
    cast.whatsapp.config = {**cast.whatsapp.config, "assistant_menu": "comune"}
    cast.whatsapp.full_clean()
    cast.whatsapp.save()
    yield Citizen(graph_sandbox, Client(), django_capture_on_commit_callbacks)
