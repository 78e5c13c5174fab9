"""The chatbot overview reads the assistant's own tables: known sessions, turns, hand-offs,
forms, unanswered questions and survey answers over two months give known figures, menu use is
shown by label, the citizens' words are masked, and the page exports as CSV and XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from ascolto.analytics import dashboards
from ascolto.analytics.period import Period
from ascolto.assistant import menus
from ascolto.assistant.models import MenuNode, MenuVersion, Session, SurveyAnswer, Turn, Unanswered
from ascolto.core.tables import Dashboard
from ascolto.knowledge.models import Article
from tests import personas

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")
IN, OUT = Turn.Direction.INBOUND, Turn.Direction.OUTBOUND


@pytest.fixture(autouse=True)
def _pinned_clock() -> Iterator[None]:
    with time_machine.travel(datetime(2026, 6, 17, 10, 0, tzinfo=ROME)):
        yield


def _menu() -> tuple[MenuVersion, dict[str, MenuNode]]:
    draft = menus.new_menu("whatsapp", "Menu WhatsApp", None)
    school = MenuNode.objects.create(
        version=draft, letter="B", position=2, label="Scuola e bambini", kind="submenu"
    )
    nodes = {
        "school": school,
        "meals": MenuNode.objects.create(
            version=draft,
            parent=school,
            letter="A",
            position=1,
            label="Refezione scolastica",
            kind="card",
            text="Le iscrizioni si fanno online.",
            article=Article.objects.create(
                slug="refezione", title="Refezione scolastica", summary="Online.", body="..."
            ),
        ),
        "operator": MenuNode.objects.create(
            version=draft,
            letter="K",
            position=11,
            label="Parla con un operatore",
            kind="handoff",
            handoff="operator",
        ),
        "report": MenuNode.objects.create(
            version=draft,
            letter="L",
            position=12,
            label="Segnala un guasto",
            kind="form",
            fields=[{"name": "via", "label": "In quale via?", "type": "text", "required": True}],
        ),
    }
    version = menus.publish(draft, None)
    return version, {k: version.nodes.get(key=n.key) for k, n in nodes.items()}


def _session(version: MenuVersion, key: str, at: datetime, kind: str = "whatsapp") -> Session:
    return Session.objects.create(
        key=key, kind=kind, version=version, started_at=at, last_at=at, last_inbound_at=at
    )


def _turn(
    session: Session, direction: str, kind: str, at: datetime, node: MenuNode | None = None
) -> None:
    Turn.objects.create(
        session=session,
        direction=direction,
        kind=kind,
        at=at,
        node=node,
        node_key=node.key if node is not None else "",
    )


@pytest.fixture
def played() -> dict[str, MenuNode]:
    """May: two sessions of the same citizen (one key) and one of another; June: one web chat.
    May: 7 received and 6 sent; school chosen three times, meals twice, one hand-off, one form;
    three unanswered questions (two the same); two surveys asked, one answered useful with a
    suggestion."""
    version, nodes = _menu()
    may = datetime(2026, 5, 4, 9, 0, tzinfo=ROME)
    a1 = _session(version, "k-anna", may)
    _turn(a1, IN, Turn.Kind.FREE_TEXT, may)
    _turn(a1, OUT, Turn.Kind.GREETING, may)
    _turn(a1, IN, Turn.Kind.CHOICE, may, nodes["school"])
    _turn(a1, OUT, Turn.Kind.NODE, may, nodes["school"])
    _turn(a1, IN, Turn.Kind.CHOICE, may, nodes["meals"])
    _turn(a1, OUT, Turn.Kind.NODE, may, nodes["meals"])
    a2 = _session(version, "k-anna", datetime(2026, 5, 20, 18, 0, tzinfo=ROME))
    _turn(a2, IN, Turn.Kind.CHOICE, a2.started_at, nodes["school"])
    _turn(a2, IN, Turn.Kind.CHOICE, a2.started_at, nodes["meals"])
    _turn(a2, OUT, Turn.Kind.NODE, a2.started_at, nodes["meals"])
    _turn(a2, IN, Turn.Kind.FORM_SUBMITTED, a2.started_at, nodes["report"])
    b = _session(version, "k-bruno", datetime(2026, 5, 31, 23, 30, tzinfo=ROME))
    _turn(b, IN, Turn.Kind.CHOICE, b.started_at, nodes["school"])
    _turn(b, OUT, Turn.Kind.HANDOFF, b.started_at, nodes["operator"])
    _turn(b, OUT, Turn.Kind.NODE, b.started_at)
    for text in ("Orari della piscina?", "orari della piscina? ", "Sono Mario, tel 333 123 4567"):
        Unanswered.objects.create(session=b, text=text, at=b.started_at)
    SurveyAnswer.objects.create(
        session=a1,
        path="B.A",
        node_key=nodes["meals"].key,
        asked_at=may,
        useful=True,
        suggestion="Aggiungete gli orari dei centri estivi, scrivetemi a anna@example.org",
        answered_at=may,
    )
    SurveyAnswer.objects.create(session=a2, path="L", asked_at=a2.started_at)
    june = datetime(2026, 6, 1, 0, 30, tzinfo=ROME)
    web = _session(version, "k-web", june, kind="web")
    _turn(web, IN, Turn.Kind.MENU, june)
    _turn(web, OUT, Turn.Kind.MENU, june)
    return nodes


def _table(board: Dashboard, key: str) -> list[list[Any]]:
    return next(t for t in board.tables if t.key == key).rows


def test_the_overview_counts_the_assistants_own_rows(played: dict[str, MenuNode]) -> None:
    board = dashboards.chatbot(Period(date(2026, 5, 1), date(2026, 6, 30)))

    assert _table(board, "months") == [["05/2026", 7, 6, 2, 3], ["06/2026", 1, 1, 1, 1]]
    figures = {f.label: f.value for f in board.figures}
    assert figures["Utenti attivi"] == 3
    assert figures["Sessioni"] == 4
    assert figures["Passaggi a un operatore"] == 1
    assert figures["Moduli inviati"] == 1
    assert figures["Risposte al questionario"] == 50.0
    assert figures["Ti sono stato utile? Sì"] == 100.0
    assert _table(board, "kinds") == [["WhatsApp", 3, 75.0], ["Chat sul sito", 1, 25.0]]
    # Menu use by label and path, not bare letters.
    assert _table(board, "menu") == [
        ["Scuola e bambini", "B", 3, 3, 60.0],
        ["Refezione scolastica", "B.A", 2, 2, 40.0],
    ]
    assert _table(board, "handoffs") == [["Parla con un operatore", "K", 1]]
    assert _table(board, "forms") == [["Segnala un guasto", "L", 1]]
    # Most frequent first (the same question however typed), the number masked.
    assert _table(board, "unanswered") == [
        ["orari della piscina?", 2],
        ["sono mario, tel [numero]", 1],
    ]
    assert _table(board, "suggestions") == [
        ["Aggiungete gli orari dei centri estivi, scrivetemi a [email]", "B.A"]
    ]


def test_a_month_alone_and_a_relabelled_node(played: dict[str, MenuNode]) -> None:
    """A node renamed in a later version is shown with its current label (its key is kept)."""
    draft = menus.draft_from(played["school"].version, None)
    draft.nodes.filter(key=played["school"].key).update(label="Scuola, nidi e bambini")
    menus.publish(draft, None)

    board = dashboards.chatbot(Period(date(2026, 6, 1), date(2026, 6, 30)))
    assert _table(board, "months") == [["06/2026", 1, 1, 1, 1]]
    assert _table(board, "menu") == []

    board = dashboards.chatbot(Period(date(2026, 5, 1), date(2026, 5, 31)))
    assert _table(board, "menu")[0][:2] == ["Scuola, nidi e bambini", "B"]


def test_citizen_text_is_masked_and_cut() -> None:
    masked = dashboards.citizen_text("Il mio codice è RSSMRA80A01F205X, mail a.b@c.it " + "x" * 200)
    assert "RSSMRA" not in masked and "a.b@c.it" not in masked
    assert "[codice fiscale]" in masked and "[email]" in masked
    assert len(masked) == dashboards.CITIZEN_TEXT and masked.endswith("…")


def test_the_page_exports_csv_and_xlsx(
    client: Client, cast: personas.Cast, played: dict[str, MenuNode]
) -> None:
    client.force_login(cast.analyst)
    query = "periodo=personalizzato&dal=2026-05-01&al=2026-06-30"

    page = client.get(f"/console/reports/chatbot/?{query}")
    assert page.status_code == 200
    assert "Refezione scolastica" in page.content.decode()

    response = client.get(f"/console/reports/chatbot/?{query}&formato=csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert any(row[:2] == ["Scuola e bambini", "B"] for row in rows)
    assert not any("333" in cell for row in rows for cell in row)

    response = client.get(f"/console/reports/chatbot/?{query}&formato=xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) >= 7
