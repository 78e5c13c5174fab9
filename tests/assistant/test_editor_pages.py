"""The assistant's menu editor in the console (`/console/assistente/`): who may use it, each edit
of a draft and the message its mistakes get, "Crea bozza", "Pubblica", "Scarta la bozza", and
the simulator, which answers as the engine does and stores nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ascolto.assistant import menus
from ascolto.assistant.models import (
    MenuNode,
    MenuVersion,
    Reply,
    Session,
    SurveyAnswer,
    Turn,
    Unanswered,
)
from ascolto.knowledge.models import Article
from tests import personas
from tests.assistant.conftest import node

INDEX = "/console/assistente/"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def editor(cast: personas.Cast) -> Client:
    return _client(cast.supervisor)


@pytest.fixture
def draft(cast: personas.Cast, menu: MenuVersion) -> MenuVersion:
    return menus.draft_from(menu, cast.supervisor)


def _node_data(**values: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "parent": "",
        "letter": "",
        "label": "",
        "kind": "card",
        "text": "",
        "article": "",
        "url": "",
        "handoff": "",
        "phone": "",
        "theme_code": "",
        "f-count": "0",
        "save": "1",
    }
    data.update(values)
    return data


def _fields(*rows: dict[str, str]) -> dict[str, str]:
    data = {"f-count": str(len(rows))}
    for n, row in enumerate(rows):
        for name, value in row.items():
            data[f"f-{n}-{name}"] = value
    return data


def _errors(response: Any) -> str:
    return " ".join(str(e) for errors in response.context["form"].errors.values() for e in errors)


# --- access -------------------------------------------------------------------------------------


def test_only_the_editorial_team_reaches_the_editor(
    cast: personas.Cast, menu: MenuVersion, draft: MenuVersion
) -> None:
    card = node(draft, "A.A")
    pages = [
        INDEX,
        f"/console/assistente/versioni/{menu.pk}/",
        f"/console/assistente/versioni/{menu.pk}/simulatore/",
        f"/console/assistente/versioni/{draft.pk}/voci/nuova/",
        f"/console/assistente/voci/{card.pk}/",
        "/console/assistente/articoli/?article_q=carta",
    ]
    posts = [
        f"/console/assistente/versioni/{menu.pk}/bozza/",
        f"/console/assistente/versioni/{draft.pk}/pubblica/",
        f"/console/assistente/voci/{card.pk}/elimina/",
        f"/console/assistente/versioni/{menu.pk}/simulatore/",
        "/console/assistente/menu/nuovo/",
    ]
    for user in (cast.operator, cast.office_operator, cast.analyst):
        client = _client(user)
        for url in pages:
            assert client.get(url).status_code == 403, (user, url)
        for url in posts:
            assert client.post(url, {"text": "ciao"}).status_code == 403, (user, url)
        assert "Assistente virtuale" not in client.get("/console/inbox/").content.decode()
    for user in (cast.supervisor, cast.administrator):
        client = _client(user)
        for url in pages:
            assert client.get(url).status_code == 200, (user, url)
    for url in pages:
        assert Client().get(url).status_code == 302
    # Nothing was changed by the refused posts.
    assert MenuVersion.objects.count() == 2
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert MenuNode.objects.filter(pk=card.pk).exists()
    assert "Assistente virtuale" in _client(cast.supervisor).get(INDEX).content.decode()


# --- the menus and their versions ---------------------------------------------------------------


def test_the_index_lists_versions_with_who_and_when(
    cast: personas.Cast, menu: MenuVersion, draft: MenuVersion, editor: Client
) -> None:
    page = editor.get(INDEX).content.decode()
    assert "Menu del Comune" in page
    assert "Versione 1" in page and "Versione 2" in page
    assert "Pubblicata" in page and "Bozza" in page
    assert "Anna Conti" in page  # published version 1
    assert "Marco Neri" in page  # made the draft
    assert "Apri la bozza 2" in page
    assert "Nessun canale lo usa ancora" in page
    cast.whatsapp.config = {**cast.whatsapp.config, "assistant_menu": "comune"}
    cast.whatsapp.full_clean()
    cast.whatsapp.save()
    assert "Risponde su: WhatsApp del Comune" in editor.get(INDEX).content.decode()


def test_crea_bozza_copies_the_published_version_once(
    cast: personas.Cast, menu: MenuVersion, editor: Client
) -> None:
    response = editor.post(f"/console/assistente/versioni/{menu.pk}/bozza/")
    new = MenuVersion.objects.get(status="draft")
    assert response.status_code == 302
    assert response["Location"] == f"/console/assistente/versioni/{new.pk}/"
    assert new.number == 2 and new.created_by == cast.supervisor
    assert sorted(new.nodes.values_list("key", flat=True)) == sorted(
        menu.nodes.values_list("key", flat=True)
    )
    # Pressed again (another tab): the same draft, not a second one.
    again = editor.post(f"/console/assistente/versioni/{menu.pk}/bozza/", follow=True)
    assert MenuVersion.objects.filter(status="draft").count() == 1
    assert "Il menu ha già una bozza, la 2" in again.content.decode()


def test_a_published_version_is_read_only(
    cast: personas.Cast, menu: MenuVersion, editor: Client
) -> None:
    card = node(menu, "A.A")
    page = editor.get(f"/console/assistente/versioni/{menu.pk}/").content.decode()
    assert "Questa versione non si modifica" in page
    assert f"/console/assistente/voci/{card.pk}/" not in page
    response = editor.post(
        f"/console/assistente/voci/{card.pk}/",
        _node_data(letter="A", label="Cambiata", kind="card", article=str(card.article_id)),
        follow=True,
    )
    assert "Si modificano solo le bozze" in response.content.decode()
    card.refresh_from_db()
    assert card.label == "Carta d'identità"
    response = editor.post(f"/console/assistente/voci/{card.pk}/elimina/", follow=True)
    assert "Si modificano solo le bozze" in response.content.decode()
    assert MenuNode.objects.filter(pk=card.pk).exists()


def test_a_new_menu_starts_with_an_empty_draft(editor: Client, menu: MenuVersion) -> None:
    response = editor.post(
        "/console/assistente/menu/nuovo/", {"code": "chat-sito", "name": "Chat del sito"}
    )
    draft = MenuVersion.objects.get(menu__code="chat-sito")
    assert response["Location"] == f"/console/assistente/versioni/{draft.pk}/"
    assert draft.status == "draft" and draft.number == 1
    taken = editor.post(
        "/console/assistente/menu/nuovo/", {"code": "comune", "name": "Doppio"}, follow=True
    )
    assert "già un menu con il codice «comune»" in taken.content.decode()


# --- editing nodes ------------------------------------------------------------------------------


def test_adding_a_card_with_its_article(editor: Client, draft: MenuVersion) -> None:
    article = Article.objects.get(slug="passi-carrabili")
    anagrafe = node(draft, "A")
    url = f"/console/assistente/versioni/{draft.pk}/voci/nuova/"
    form = editor.get(f"{url}?sotto={anagrafe.pk}")
    assert form.context["form"].initial["letter"] == "C"  # A and B are taken there
    response = editor.post(
        url,
        _node_data(
            parent=str(anagrafe.pk), letter="c", label="Passo carrabile", article=str(article.pk)
        ),
    )
    added = draft.nodes.get(label="Passo carrabile")
    assert response.status_code == 302
    assert response["Location"].endswith(f"#node-{added.pk}")
    assert (added.parent, added.letter, added.kind, added.article) == (
        anagrafe,
        "C",
        "card",
        article,
    )
    assert added.position > node(draft, "A.B").position


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"letter": "B", "label": "Doppione", "kind": "link", "url": "https://x.example.it/"},
            "La lettera «B» è già usata da «Rifiuti e TARI» nello stesso menu.",
        ),
        (
            {"letter": "Z", "label": "Senza articolo", "kind": "card"},
            "Una scheda informativa mostra un articolo: cercalo e sceglilo.",
        ),
        (
            {"letter": "Z", "label": "FTP", "kind": "link", "url": "ftp://files.example.it/"},
            "L'indirizzo deve iniziare con http:// o https://",
        ),
        (
            {"letter": "Z", "label": "Senza indirizzo", "kind": "link"},
            "Un collegamento ha un indirizzo web",
        ),
        (
            {"letter": "Z", "label": "Modulo vuoto", "kind": "form"},
            "Un modulo ha almeno un campo.",
        ),
        (
            {
                "letter": "Z",
                "label": "Modulo",
                "kind": "form",
                **_fields({"label": "", "name": "via", "type": "text"}),
            },
            "Il campo 1 non ha la domanda da fare al cittadino.",
        ),
        (
            {
                "letter": "Z",
                "label": "Modulo",
                "kind": "form",
                **_fields({"label": "In quale via?", "type": ""}),
            },
            "Il campo 1 non ha un tipo.",
        ),
        (
            {
                "letter": "Z",
                "label": "Modulo",
                "kind": "form",
                **_fields({"label": "Che cosa?", "type": "choice", "choices": ""}),
            },
            "Il campo «che_cosa» ha da 1 a 10 scelte.",
        ),
        (
            {"letter": "Z", "label": "Chiama", "kind": "handoff", "handoff": "phone"},
            "Scrivi il numero di contatto",
        ),
        (
            {"letter": "Z", "label": "Passaggio", "kind": "handoff"},
            "Scegli a chi passa la conversazione.",
        ),
        (
            {"letter": "ab!", "label": "Lettera", "kind": "submenu"},
            "La lettera è una o due lettere maiuscole o cifre",
        ),
        ({"letter": "Z", "label": "", "kind": "submenu"}, "Scrivi l'etichetta"),
    ],
)
def test_a_node_with_a_mistake_is_refused_with_what_is_wrong(
    editor: Client, draft: MenuVersion, values: dict[str, Any], message: str
) -> None:
    before = draft.nodes.count()
    response = editor.post(
        f"/console/assistente/versioni/{draft.pk}/voci/nuova/", _node_data(**values)
    )
    assert response.status_code in (200, 400)
    assert message in _errors(response), _errors(response)
    assert "La voce non è stata salvata" in response.content.decode()
    if values["kind"] == "form":  # also above the fields' table
        assert message in " ".join(response.context["fields_errors"])
    assert draft.nodes.count() == before


def test_an_unpublished_or_internal_article_is_refused_for_a_card(
    editor: Client, draft: MenuVersion
) -> None:
    internal = Article.objects.create(
        slug="procedura-interna",
        title="Procedura interna",
        summary="Solo per gli operatori.",
        body="...",
        audience=Article.Audience.INTERNAL,
    )
    response = editor.post(
        f"/console/assistente/versioni/{draft.pk}/voci/nuova/",
        _node_data(letter="Z", label="Interna", article=str(internal.pk)),
    )
    assert "non è pubblicato per i cittadini" in _errors(response)


def test_a_form_with_its_fields(editor: Client, draft: MenuVersion) -> None:
    url = f"/console/assistente/versioni/{draft.pk}/voci/nuova/"
    data = _node_data(
        letter="G",
        label="Prenota un appuntamento",
        kind="form",
        text="Ti richiamiamo noi.",
        theme_code="tari-dichiarazione",
        **_fields(
            {"label": "Il tuo nome?", "type": "text", "required": "1"},
            {"label": "Che giorno?", "name": "giorno", "type": "date", "required": "1"},
            {"label": "Quale sportello?", "type": "choice", "choices": "Centro; Nord ;Sud"},
            {"label": "Da togliere", "type": "text", "delete": "1"},
            {"label": "", "type": "text"},  # an empty row does not count
        ),
    )
    # "Aggiungi un campo" shows the form again with one more row, saving nothing.
    more = editor.post(url, {**data, "add_field": "1"})
    assert more.status_code == 200
    assert len(more.context["rows"]) == 3 + 2
    assert not draft.nodes.filter(letter="G").exists()
    response = editor.post(url, data)
    assert response.status_code == 302, _errors(response)
    form = draft.nodes.get(letter="G")
    assert form.theme_code == "tari-dichiarazione"
    assert form.fields == [
        {"name": "il_tuo_nome", "label": "Il tuo nome?", "type": "text", "required": True},
        {"name": "giorno", "label": "Che giorno?", "type": "date", "required": True},
        {
            "name": "quale_sportello",
            "label": "Quale sportello?",
            "type": "choice",
            "required": False,
            "choices": ["Centro", "Nord", "Sud"],
        },
    ]
    # The editor shows the fields back as rows, with one empty row to add another.
    page = editor.get(f"/console/assistente/voci/{form.pk}/")
    assert [r.label for r in page.context["rows"]] == [
        "Il tuo nome?",
        "Che giorno?",
        "Quale sportello?",
        "",
    ]
    assert page.context["rows"][2].choices == "Centro; Nord; Sud"


def test_editing_a_node_and_moving_it_under_another_menu(
    editor: Client, draft: MenuVersion
) -> None:
    link = node(draft, "A.B")
    response = editor.post(
        f"/console/assistente/voci/{link.pk}/",
        _node_data(
            letter="H",
            label="Certificati",
            kind="link",
            url="https://www.comune.example.it/certificati-online",
            text="Dal portale.",
        ),
    )
    assert response.status_code == 302, _errors(response)
    link.refresh_from_db()
    assert (link.parent, link.letter, link.label) == (None, "H", "Certificati")
    assert link.url == "https://www.comune.example.it/certificati-online"
    # Under itself, or as a child of a card: refused.
    anagrafe = node(draft, "A")
    response = editor.post(
        f"/console/assistente/voci/{anagrafe.pk}/",
        _node_data(letter="A", label="Anagrafe", kind="submenu", parent=str(anagrafe.pk)),
    )
    assert response.status_code == 200  # the choice is not offered: Django's own message
    assert "parent" in response.context["form"].errors


def test_a_submenu_with_entries_keeps_its_kind(editor: Client, draft: MenuVersion) -> None:
    anagrafe = node(draft, "A")
    response = editor.post(
        f"/console/assistente/voci/{anagrafe.pk}/",
        _node_data(letter="A", label="Anagrafe", kind="link", url="https://x.example.it/"),
    )
    assert "La voce ha 2 voci sotto di sé: solo un sottomenu ne ha." in _errors(response)
    anagrafe.refresh_from_db()
    assert anagrafe.kind == "submenu"


def test_changing_kind_drops_what_the_old_kind_used(editor: Client, draft: MenuVersion) -> None:
    link = node(draft, "A.B")
    article = Article.objects.get(slug="carta-identita")
    response = editor.post(
        f"/console/assistente/voci/{link.pk}/",
        _node_data(
            parent=str(link.parent_id),
            letter="B",
            label="Certificati",
            kind="card",
            article=str(article.pk),
            url="https://www.comune.example.it/vecchio",
        ),
    )
    assert response.status_code == 302, _errors(response)
    link.refresh_from_db()
    assert (link.kind, link.article, link.url) == ("card", article, "")


def test_reordering_and_relettering(editor: Client, draft: MenuVersion) -> None:
    def order() -> list[str]:
        return list(
            draft.nodes.filter(parent=None).order_by("position").values_list("label", flat=True)
        )

    first = order()
    scrivi = draft.nodes.get(parent=None, letter="F")
    editor.post(f"/console/assistente/voci/{scrivi.pk}/su/")
    assert order() == [*first[:4], first[5], first[4]]
    anagrafe = node(draft, "A")
    editor.post(f"/console/assistente/voci/{anagrafe.pk}/su/")  # already first: nothing
    editor.post(f"/console/assistente/voci/{anagrafe.pk}/giu/")
    assert order()[:2] == [first[1], first[0]]
    editor.post(f"/console/assistente/versioni/{draft.pk}/lettere/")
    letters = list(
        draft.nodes.filter(parent=None).order_by("position").values_list("letter", "label")
    )
    assert letters[:2] == [("A", first[1]), ("B", first[0])]
    assert [letter for letter, _label in letters] == list("ABCDEF")


def test_deleting_a_submenu_deletes_its_entries(editor: Client, draft: MenuVersion) -> None:
    anagrafe = node(draft, "A")
    before = draft.nodes.count()
    response = editor.post(f"/console/assistente/voci/{anagrafe.pk}/elimina/", follow=True)
    assert "eliminata (3 voci in tutto)" in response.content.decode()
    assert draft.nodes.count() == before - 3


def test_the_greeting(editor: Client, draft: MenuVersion) -> None:
    editor.post(
        f"/console/assistente/versioni/{draft.pk}/benvenuto/",
        {"greeting": "Ciao! Sono l'assistente del Comune. Non conservo nome né numero."},
    )
    draft.refresh_from_db()
    assert draft.greeting.startswith("Ciao! Sono l'assistente")


def test_article_search_by_title(editor: Client, draft: MenuVersion) -> None:
    response = editor.get("/console/assistente/articoli/?article_q=carrab")
    page = response.content.decode()
    assert "Passo carrabile" in page and "Carta d&#x27;identità" not in page
    # Without JavaScript, "Cerca" shows the form again with the matches.
    response = editor.post(
        f"/console/assistente/versioni/{draft.pk}/voci/nuova/",
        _node_data(letter="Z", label="Passo", article_q="carrab", search="1"),
    )
    assert [label for _pk, label in response.context["form"].fields["article"].choices] == [
        "—",
        "Passo carrabile",
    ]
    assert not draft.nodes.filter(letter="Z").exists()


def test_the_tree_shows_what_forbids_publishing_and_what_whatsapp_shows_otherwise(
    editor: Client, draft: MenuVersion
) -> None:
    empty = MenuNode.objects.create(
        version=draft, letter="G", position=7, label="Servizi sociali", kind="submenu"
    )
    for i in range(11):
        MenuNode.objects.create(
            version=draft,
            parent=node(draft, "A"),
            letter=chr(ord("C") + i),
            position=10 + i,
            label=f"Voce {i}",
            kind="link",
            url="https://www.comune.example.it/",
        )
    page = editor.get(f"/console/assistente/versioni/{draft.pk}/")
    html = page.content.decode()
    assert "Un sottomenu ha almeno una voce." in html
    assert page.context["problem_count"] == 1
    assert "Ha 13 voci: su WhatsApp una lista ne porta al più 10" in html
    assert "il titolo si ferma a 24 caratteri («D. Parla con un operato…»)" in html
    assert "Scheda senza articolo" not in html  # a problem now, not a note
    assert html.index(f'id="node-{empty.pk}"') < html.index("Un sottomenu ha almeno una voce.")


# --- publishing and discarding ------------------------------------------------------------------


def test_publish_refuses_a_draft_with_problems_then_publishes_it(
    cast: personas.Cast, menu: MenuVersion, draft: MenuVersion, editor: Client
) -> None:
    empty = MenuNode.objects.create(
        version=draft, letter="G", position=7, label="Servizi sociali", kind="submenu"
    )
    response = editor.post(f"/console/assistente/versioni/{draft.pk}/pubblica/", follow=True)
    assert "Un sottomenu ha almeno una voce." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"
    editor.post(f"/console/assistente/voci/{empty.pk}/elimina/")
    response = editor.post(f"/console/assistente/versioni/{draft.pk}/pubblica/", follow=True)
    assert "Versione 2 pubblicata" in response.content.decode()
    draft.refresh_from_db()
    menu.refresh_from_db()
    assert (draft.status, draft.published_by) == ("published", cast.supervisor)
    assert draft.published_at is not None
    assert menu.status == "retired"
    # Published, it is read-only and offers a new draft.
    page = editor.get(f"/console/assistente/versioni/{draft.pk}/").content.decode()
    assert "Crea bozza" in page and "Pubblica</button>" not in page


def test_discarding_a_draft_leaves_the_published_version(
    menu: MenuVersion, draft: MenuVersion, editor: Client
) -> None:
    response = editor.post(f"/console/assistente/versioni/{draft.pk}/scarta/", follow=True)
    assert "Bozza 2 scartata." in response.content.decode()
    assert list(MenuVersion.objects.values_list("number", "status")) == [(1, "published")]
    # Only a draft is discarded.
    response = editor.post(f"/console/assistente/versioni/{menu.pk}/scarta/", follow=True)
    assert "Si modificano solo le bozze" in response.content.decode()
    assert MenuVersion.objects.filter(pk=menu.pk).exists()


# --- the simulator ------------------------------------------------------------------------------


def test_the_simulator_answers_as_the_engine_and_stores_nothing(
    editor: Client, draft: MenuVersion
) -> None:
    url = f"/console/assistente/versioni/{draft.pk}/simulatore/"
    editor.post(url, {"text": "ciao"})
    turns = editor.get(url).context["turns"]
    [first] = turns
    assert first["said"] == "ciao"
    menu_reply = first["replies"][-1]
    assert menu_reply["style"] == "list"
    assert [c["title"] for c in menu_reply["choices"]][:2] == ["A. Anagrafe", "B. Rifiuti e TARI"]
    anagrafe = next(c for c in menu_reply["choices"] if c["title"] == "A. Anagrafe")
    # Tap "A. Anagrafe": the submenu, as a list («B. Certificati online» is too long for a
    # button).
    editor.post(url, {"choice": anagrafe["id"], "said": anagrafe["title"]})
    # Type the letter of the card.
    response = editor.post(url, {"text": "A"}, follow=True)
    turns = response.context["turns"]
    assert [t["said"] for t in turns] == ["ciao", "A. Anagrafe", "A"]
    assert turns[1]["replies"][-1]["style"] == "list"
    card = turns[2]["replies"][0]
    assert "Carta d'identità" in card["text"]
    assert "https://www.comune.example.it/cie" in card["text"]
    html = response.content.decode()
    assert "Carta d&#x27;identità" in html
    # A question nobody answers is not counted: nothing of the simulation is stored.
    editor.post(url, {"text": "quando passa il camion delle angurie"})
    assert Session.objects.count() == 0
    assert Turn.objects.count() == 0
    assert Reply.objects.count() == 0
    assert Unanswered.objects.count() == 0
    # "Ricomincia" empties the conversation.
    editor.post(url, {"reset": "1"})
    assert editor.get(url).context["turns"] == []


def test_the_simulator_shows_an_edit_of_the_draft_and_the_web_chat(
    editor: Client, draft: MenuVersion
) -> None:
    url = f"/console/assistente/versioni/{draft.pk}/simulatore/"
    MenuNode.objects.filter(pk=node(draft, "B").pk).update(label="Rifiuti")
    editor.post(url, {"text": "menu"})
    [turn] = editor.get(url).context["turns"]
    assert "B. Rifiuti" in [c["title"] for c in turn["replies"][-1]["choices"]]
    # The web chat: the same menu as lettered text.
    editor.post(url, {"reset": "1", "channel": "web"})
    editor.post(url, {"text": "menu"})
    [turn] = editor.get(url).context["turns"]
    assert turn["replies"][-1]["style"] == "text"
    assert "*A* Anagrafe" in turn["replies"][-1]["text"]


def test_the_simulator_previews_the_survey_after_inactivity(
    editor: Client, draft: MenuVersion
) -> None:
    url = f"/console/assistente/versioni/{draft.pk}/simulatore/"
    assert 'name="idle"' in editor.get(url).content.decode()
    editor.post(url, {"text": "ciao"})
    editor.post(url, {"text": "B"})
    response = editor.post(url, {"idle": "1"}, follow=True)
    turns = response.context["turns"]
    assert turns[-1]["idle"] and turns[-1]["said"] == "10 minuti senza messaggi"
    [survey] = turns[-1]["replies"]
    assert survey["text"] == "Ti sono stato utile?" and survey["style"] == "buttons"
    assert [c["id"] for c in survey["choices"]] == ["survey:yes", "survey:no"]
    assert "10 minuti senza messaggi" in response.content.decode()
    editor.post(url, {"choice": "survey:yes", "said": "Sì"})
    response = editor.post(url, {"text": "Gli orari delle piscine"}, follow=True)
    turns = response.context["turns"]
    assert turns[-2]["replies"][0]["text"].startswith("Grazie! Ci sono argomenti")
    assert turns[-1]["replies"][0]["text"].startswith("Grazie per il tuo aiuto")
    # Once per session: ten more minutes bring a note, not a second survey.
    response = editor.post(url, {"idle": "1"}, follow=True)
    [note] = response.context["turns"][-1]["replies"]
    assert note["style"] == "note" and "già stato inviato" in note["text"]
    # Nothing of it is stored: no session, no survey answer.
    assert Session.objects.count() == 0
    assert SurveyAnswer.objects.count() == 0


def test_the_simulator_over_htmx_returns_the_conversation(
    editor: Client, draft: MenuVersion
) -> None:
    url = f"/console/assistente/versioni/{draft.pk}/simulatore/"
    response = editor.post(url, {"text": "ciao"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<div id="simulator"')
    assert "Anagrafe" in html
    empty = editor.post(url, {"text": " "}, headers={"HX-Request": "true"})
    assert empty.status_code == 400
    assert "Scrivi un messaggio" in empty.content.decode()


def test_the_tree_page_reads_a_fixed_number_of_queries(editor: Client, draft: MenuVersion) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"/console/assistente/versioni/{draft.pk}/"
    with CaptureQueriesContext(connection) as small:
        assert editor.get(url).status_code == 200
    anagrafe = node(draft, "A")
    article = Article.objects.get(slug="carta-identita")
    for i in range(20):
        sub = MenuNode.objects.create(
            version=draft,
            parent=anagrafe,
            letter=f"Z{i % 10}",
            label=f"Gruppo {i}",
            kind="submenu",
            position=10 + i,
        )
        MenuNode.objects.create(
            version=draft, parent=sub, letter="A", label="Scheda", kind="card", article=article
        )
    with CaptureQueriesContext(connection) as large:
        assert editor.get(url).status_code == 200
    # (The console's banner of current alerts is read once and kept a while: not more.)
    assert len(large) <= len(small), [q["sql"] for q in large.captured_queries]
    # And the node editor, whose "Nel menu" lists every submenu with its path.
    with CaptureQueriesContext(connection) as edit:
        assert editor.get(f"/console/assistente/voci/{anagrafe.pk}/").status_code == 200
    assert len(edit) <= 15, [q["sql"] for q in edit.captured_queries]


def test_the_simulator_on_an_empty_or_broken_draft(editor: Client, draft: MenuVersion) -> None:
    """A draft being written (an empty submenu, a new menu with no entry) still answers in the
    simulator: the editor tries what exists."""
    MenuNode.objects.create(version=draft, letter="G", position=7, label="Vuoto", kind="submenu")
    url = f"/console/assistente/versioni/{draft.pk}/simulatore/"
    editor.post(url, {"text": "ciao"})
    editor.post(url, {"text": "G"})
    turns = editor.get(url).context["turns"]
    assert len(turns) == 2 and turns[1]["replies"]
    editor.post("/console/assistente/menu/nuovo/", {"code": "vuoto", "name": "Vuoto"})
    empty = MenuVersion.objects.get(menu__code="vuoto")
    url = f"/console/assistente/versioni/{empty.pk}/simulatore/"
    response = editor.post(url, {"text": "ciao"}, follow=True)
    assert response.status_code == 200
    assert response.context["turns"][0]["replies"]
