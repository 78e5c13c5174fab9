"""The simulator plays a conversation on a version, a draft too, with the real engine and
stores nothing; the console's preview and the editors' checks use it."""

from __future__ import annotations

import pytest

from ascolto.assistant import editing, menus
from ascolto.assistant.engine import IDLE
from ascolto.assistant.models import (
    MenuNode,
    MenuVersion,
    Reply,
    Session,
    SurveyAnswer,
    Turn,
    Unanswered,
)
from ascolto.assistant.simulator import simulate
from ascolto.core.errors import InvalidInput
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
    assert "Un collegamento ha un indirizzo web (https://...)." in problems
    with pytest.raises(Exception, match="usata due volte|indirizzo"):
        menus.publish(draft, cast.administrator)


def test_validate_holds_a_node_to_the_editors_rule(menu: MenuVersion, cast: personas.Cast) -> None:
    """A card written without its article (by an import, the demo, the admin) is refused at
    publishing with the editor's own message, as are a stray address and a missing theme."""
    draft = menus.draft_from(menu, cast.administrator)
    card = MenuNode.objects.create(
        version=draft, letter="G", position=9, label="Solo testo", kind="card", text="Testo."
    )
    link = MenuNode.objects.create(
        version=draft, letter="H", position=10, label="Sito", kind="link", url="www.comune.it"
    )
    form = node(draft, "C")
    form.theme_code = "non-esiste"
    form.save()
    found = {(p.node.pk if p.node else None, p.message) for p in menus.validate(draft)}
    values = editing.NodeInput(letter="G", label="Solo testo", kind="card", text="Testo.")
    refused = editing.node_errors(draft, values)["article"]
    assert refused == ["Una scheda informativa mostra un articolo: cercalo e sceglilo."]
    assert (card.pk, refused[0]) in found
    assert any(pk == link.pk and "http:// o https://" in m for pk, m in found)
    assert (form.pk, "Il tema «non-esiste» non esiste.") in found
    assert len(found) == 3
    with pytest.raises(InvalidInput, match="articolo|http|tema"):
        menus.publish(draft, cast.administrator)


def test_ten_minutes_of_silence_bring_the_survey_once_and_its_answers_go_nowhere(
    menu: MenuVersion,
) -> None:
    outs = simulate(menu, [IDLE, "ciao", "B", IDLE, "survey:no", "no", IDLE, "D", IDLE])
    texts = [o.text for o in outs]
    assert texts[0].startswith("Nessun questionario: la conversazione non è ancora iniziata")
    survey = next(o for o in outs if o.text == "Ti sono stato utile?")
    assert [c.id for c in survey.choices] == ["survey:yes", "survey:no"]
    assert texts.count("Ti sono stato utile?") == 1
    assert any(t.startswith("Grazie! Ci sono argomenti") for t in texts)
    assert any(t.startswith("Grazie per il tuo aiuto") for t in texts)
    notes = [o.text for o in outs if o.style == "note"]
    assert len(notes) == 3 and "già stato inviato" in notes[1]
    assert "passata a un operatore" in notes[2]  # D: the hand-off
    assert not SurveyAnswer.objects.exists() and not Session.objects.exists()
