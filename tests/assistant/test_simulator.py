"""The simulator plays a conversation on a version, a draft too, with the real engine and
stores nothing; the console's preview and the editors' checks use it."""

from __future__ import annotations

import pytest

from ascolto.assistant import menus
from ascolto.assistant.models import MenuNode, MenuVersion, Reply, Session, Turn, Unanswered
from ascolto.assistant.simulator import simulate
from tests import personas
from tests.assistant.conftest import node

pytestmark = pytest.mark.django_db


def test_the_simulator_answers_like_the_bot_and_stores_nothing(menu: MenuVersion) -> None:
    outs = simulate(menu, ["ciao", "A", "A", "indietro", "una domanda sul gatto", "C", "Via Roma"])
    texts = [o.text for o in outs]
    assert "assistente virtuale" in texts[0]
    assert outs[1].style == "list" and len(outs[1].choices) == 6
    assert outs[2].text == "Servizi dell'anagrafe:"
    assert "fototessera" in outs[3].text and outs[3].style == "buttons"
    assert outs[4].text == "Servizi dell'anagrafe:"
    assert "Non ho trovato una risposta" in outs[5].text
    assert outs[-1].text.startswith("Un indirizzo email?")
    for model in (Session, Turn, Reply, Unanswered):
        assert not model.objects.exists()


def test_a_draft_is_simulated_before_it_is_published(
    menu: MenuVersion, cast: personas.Cast
) -> None:
    draft = menus.draft_from(menu, cast.administrator)
    MenuNode.objects.create(
        version=draft,
        letter="G",
        position=7,
        label="Scuola e bambini",
        kind="card",
        text="Iscrizioni ai nidi dal 1° marzo.",
    )
    outs = simulate(draft, ["menu", "G", "menu"])
    assert "Iscrizioni ai nidi" in outs[-2].text
    assert len(outs[-1].choices) == 7  # "menu" stays on the simulated draft
    assert simulate(draft, ["menu", f"node:{node(draft, 'B').key}"])[-1].text.startswith(
        "*Rifiuti e TARI*"
    )


def test_validate_finds_what_forbids_publishing(menu: MenuVersion, cast: personas.Cast) -> None:
    draft = menus.draft_from(menu, cast.administrator)
    assert menus.validate(draft) == []
    MenuNode.objects.create(version=draft, letter="A", position=9, label="Doppia", kind="link")
    problems = [p.message for p in menus.validate(draft)]
    assert "La lettera «A» è usata due volte." in problems
    assert "Un collegamento ha un indirizzo." in problems
    with pytest.raises(Exception, match="usata due volte|indirizzo"):
        menus.publish(draft, cast.administrator)
