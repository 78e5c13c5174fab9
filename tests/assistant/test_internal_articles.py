"""One knowledge base behind every channel, and the internal procedures stay inside: the
assistant's free-text matching offers public articles only, and tapping an internal article's id
(a forged or stale choice) shows nothing of it."""

from __future__ import annotations

import pytest

from ascolto.assistant.models import MenuVersion
from ascolto.knowledge.models import Article
from tests.assistant.conftest import Citizen, body_text, choices

pytestmark = pytest.mark.django_db


def test_free_text_and_cards_never_show_an_internal_article(
    citizen: Citizen, menu: MenuVersion
) -> None:
    public = Article.objects.create(
        slug="rimborso-tari",
        title="Rimborso TARI",
        summary="Il rimborso della tassa rifiuti si chiede online.",
        body="...",
        keywords="rimborso, tari, rifiuti",
    )
    internal = Article.objects.create(
        slug="procedura-rimborso-tari",
        title="Procedura interna rimborso TARI",
        summary="Verifiche nel gestionale prima del rimborso tari.",
        body="Riservato agli operatori.",
        keywords="rimborso, tari, rifiuti, procedura",
        audience=Article.Audience.INTERNAL,
    )
    citizen.say("ciao")
    [offer] = citizen.say("procedura per il rimborso della tari")
    offered = choices(offer)
    assert (f"art:{public.pk}", public.title) in offered
    assert all(internal.title not in title for _id, title in offered)
    assert all(ident != f"art:{internal.pk}" for ident, _title in offered)

    answer = citizen.tap(f"art:{internal.pk}", internal.title)
    assert all("Riservato" not in body_text(m) and "gestionale" not in body_text(m) for m in answer)
