# ruff: noqa: E501  (a data module: the texts read better unbroken)
"""The demo city's WhatsApp assistant: Milan's lettered menu A–M (docs/assistant.md), published
by the seed, with information cards on the demo's knowledge articles (demo/knowledge.py), links,
one form that opens a case, and hand-offs to an operator, to Scrivi and to the phone numbers.

`seed_menu()` creates the menu `MENU_CODE` and publishes its first version once; a menu the
editors have changed since is left alone (their versions are the city's). The benchmark of the
assistant (benchmarks/chatbot.py) plays against the same menu.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ascolto.assistant import menus
from ascolto.assistant.engine import SURVEY_AFTER
from ascolto.assistant.models import (
    Menu,
    MenuNode,
    MenuVersion,
    Reply,
    Session,
    SurveyAnswer,
    Turn,
    Unanswered,
)
from ascolto.knowledge.models import Article

MENU_CODE = "milano"
MENU_NAME = "Assistente virtuale WhatsApp"
SCRIVI_URL = "https://ascolto.comune.milano.demo/scrivi/"
GREETING = (
    "Ciao, sono l'assistente virtuale del Comune di Milano. Ti aiuto a trovare informazioni sui "
    "servizi più richiesti. Non conservo il tuo nome né il tuo numero: se scegli di parlare con un "
    "operatore o di inviare un modulo, il Comune ti ricontatterà su questa chat."
)

Node = menus.NodeSpec  # (letter, label, kind, details): see `menus.add_tree`


def _card(letter: str, label: str, slug: str) -> Node:
    return (letter, label, "card", {"article": slug})


REPORT_FIELDS: list[dict[str, Any]] = [
    {"name": "via", "label": "In quale via o piazza?", "type": "text", "required": True},
    {
        "name": "problema",
        "label": "Che cosa vuoi segnalare?",
        "type": "choice",
        "choices": ["Albero o verde", "Rifiuti abbandonati", "Panchina o giochi", "Altro"],
        "required": True,
    },
    {
        "name": "descrizione",
        "label": "Descrivi il problema in breve.",
        "type": "text",
        "required": True,
    },
    {
        "name": "email",
        "label": "Un indirizzo email per l'esito? (scrivi «-» per non lasciarlo)",
        "type": "email",
        "required": False,
    },
]

MENU: list[Node] = [
    (
        "A",
        "Sostegno ai cittadini",
        "submenu",
        {
            "text": "Servizi di sostegno ai cittadini e alle famiglie:",
            "children": [
                _card("A", "Contributo affitto", "contributo-affitto"),
                _card("B", "Assistenza anziani", "assistenza-domiciliare-anziani"),
                _card("C", "Contrassegno disabili", "contrassegno-disabili"),
                _card("D", "Case popolari", "case-popolari-domanda"),
            ],
        },
    ),
    (
        "B",
        "Scuola e bambini",
        "submenu",
        {
            "text": "Nidi, scuole dell'infanzia e refezione:",
            "children": [
                _card("A", "Iscrizione al nido", "iscrizione-nido"),
                _card("B", "Refezione scolastica", "refezione-scolastica"),
            ],
        },
    ),
    (
        "C",
        "Servizi pubblici",
        "submenu",
        {
            "text": "Anagrafe, documenti e certificati:",
            "children": [
                _card("A", "Carta d'identità", "carta-identita-elettronica-come-richiederla"),
                _card("B", "Rinnovo della carta", "carta-identita-rinnovo"),
                _card("C", "Carta rubata o persa", "carta-identita-furto-smarrimento"),
                _card("D", "Cambio di residenza", "cambio-residenza"),
                _card("E", "Appuntamenti anagrafe", "appuntamenti-anagrafe"),
                (
                    "F",
                    "Certificati online",
                    "link",
                    {
                        "text": "Scarica gratis i certificati anagrafici dall'Anagrafe nazionale con SPID o CIE.",
                        "url": "https://www.anagrafenazionale.interno.it/servizi-al-cittadino/",
                    },
                ),
                _card("G", "Autocertificazione", "autocertificazione"),
            ],
        },
    ),
    _card("D", "Numeri utili ed emergenze", "numeri-utili-emergenze"),
    (
        "E",
        "Tasse: TARI e IMU",
        "submenu",
        {
            "text": "Tassa rifiuti e imposta sugli immobili:",
            "children": [
                _card("A", "Pagare la TARI", "tari-come-pagare"),
                _card("B", "Dichiarazione TARI", "tari-dichiarazione"),
                _card("C", "Rimborso TARI", "tari-rimborso"),
                _card("D", "Pagare l'IMU", "imu-pagamento"),
            ],
        },
    ),
    (
        "F",
        "Mobilità e sosta",
        "submenu",
        {
            "text": "Area B, Area C, permessi e veicoli:",
            "children": [
                _card("A", "Area B e Area C", "area-b-area-c"),
                _card("B", "Permesso residenti", "permesso-sosta-residenti"),
                _card("C", "Passo carraio", "passo-carraio"),
                _card("D", "Auto rimossa", "auto-rimossa"),
            ],
        },
    ),
    (
        "G",
        "Multe",
        "submenu",
        {
            "text": "Verbali della Polizia locale:",
            "children": [
                _card("A", "Pagare una multa", "verbali-pagamento"),
                _card("B", "Fare ricorso", "verbali-ricorso"),
            ],
        },
    ),
    (
        "H",
        "Rifiuti e ambiente",
        "submenu",
        {
            "text": "Rifiuti, verde e animali:",
            "children": [
                _card("A", "Rifiuti ingombranti", "rifiuti-ingombranti"),
                _card("B", "Verde pubblico", "verde-pubblico-segnalazioni"),
                _card("C", "Anagrafe canina", "animali-anagrafe-canina"),
            ],
        },
    ),
    (
        "I",
        "Segnala un problema",
        "form",
        {
            "text": "Segnala un problema del verde o del decoro urbano: apriamo una pratica e ti diamo il suo numero.",
            "theme": "verde-pubblico",
            "fields": REPORT_FIELDS,
        },
    ),
    _card("J", "Orari e sedi", "orari-sedi-uffici"),
    (
        "K",
        "Documenti ed elezioni",
        "submenu",
        {
            "text": "Matrimoni, tessera elettorale, oggetti smarriti:",
            "children": [
                _card("A", "Matrimonio civile", "matrimonio-civile"),
                _card("B", "Tessera elettorale", "tessera-elettorale"),
                _card("C", "Oggetti smarriti", "oggetti-smarriti"),
            ],
        },
    ),
    (
        "L",
        "Parla con un operatore",
        "handoff",
        {"handoff": MenuNode.Handoff.OPERATOR, "theme": "altro-generico"},
    ),
    (
        "M",
        "Scrivi al Comune",
        "handoff",
        {
            "handoff": MenuNode.Handoff.SCRIVI,
            "text": "Per una richiesta con allegati o una segnalazione scritta usa il modulo Scrivi:",
            "url": SCRIVI_URL,
        },
    ),
]


def seed_menu() -> MenuVersion | None:
    """The published version of the demo city's menu: made and published the first time (the
    articles must be seeded first); afterwards whatever the editors made of it (None when they
    withdrew it)."""
    menu = Menu.objects.filter(code=MENU_CODE).first()
    if menu is not None:
        return menu.published()
    with transaction.atomic():
        draft = menus.new_menu(MENU_CODE, MENU_NAME, greeting=GREETING)
        articles = {a.slug: a for a in Article.objects.all()}
        menus.add_tree(draft, MENU, articles)
        return menus.publish(draft)


# --- the last month, played through the engine -------------------------------------------------

PLAYED_DAYS = 30
USERS_PER_MONTH = 3_700  # the city's active users on WhatsApp (demo/plan.py)
SURVEY_SHARE = 0.17  # the citizens who answer the survey
# What citizens type, session by session (a letter chooses in the menu it was shown), with a
# weight. No script submits the form or asks for an operator: those open cases, which would be
# dated the day the demo is generated (the 020202 and Scrivi history has the city's cases).
SCRIPTS: list[tuple[int, list[str]]] = [
    (12, ["Buongiorno", "C", "A"]),
    (8, ["Ciao", "E", "A", "menu", "J"]),
    (7, ["Salve", "B", "B", "indietro", "A"]),
    (7, ["Buonasera", "F", "A"]),
    (6, ["ciao", "come rinnovo la carta d'identità?"]),
    (6, ["Buongiorno", "D"]),
    (5, ["Ciao", "A", "A"]),
    (5, ["Buongiorno", "G", "A"]),
    (4, ["ciao", "H", "A", "menu", "I", "Via Padova 12", "menu"]),
    (4, ["Salve", "E", "B"]),
    (4, ["Buongiorno", "K", "C"]),
    (3, ["ciao", "M"]),
    (3, ["Ciao", "orari della piscina comunale?"]),
    (3, ["Salve", "quando passa la spazzatrice in via Torino?"]),
    (2, ["Buongiorno", "dove si paga il parcheggio allo stadio?"]),
    (2, ["ciao", "A", "D", "indietro", "B"]),
    (2, ["Buongiorno", "F", "D"]),
]
SUGGESTIONS = [
    "Gli orari delle piscine comunali",
    "Le date della pulizia strade per via",
    "Come iscriversi ai centri estivi",
    "no",
]


def play_month(
    traffic: Any, channel: Any, horizon: datetime, scale: float, rnd: random.Random
) -> int:
    """Connect the demo's WhatsApp channel to the menu and play the last `PLAYED_DAYS` days of
    sessions through the engine: each citizen's messages are signed deliveries posted to the
    webhook and drained (`traffic`, demo/meta.py), the engine answers and its replies go to the
    local Graph server; the survey is sent by the assistant's tick, and answered by about 17 %.
    The engine dates what it stores with the current time, so each session, once played, is
    moved back to its place in the month (every time of the session, its turns, replies,
    questions and survey by the same amount). Returns the number of sessions."""
    from ascolto.assistant import actions
    from ascolto.channels.adapters.meta import replay as meta

    if seed_menu() is None:
        return 0
    Session.objects.all().delete()  # an earlier generation's (the database was wiped)
    channel.config = {**channel.config, "assistant_menu": MENU_CODE}
    channel.save(update_fields=["config"])
    sessions = max(round(USERS_PER_MONTH * scale * 1.3), 1)
    first = horizon - timedelta(days=PLAYED_DAYS)
    starts = sorted(
        first + timedelta(seconds=rnd.randrange(PLAYED_DAYS * 86_400 - 3_600))
        for _ in range(sessions)
    )
    weights = [w for w, _s in SCRIPTS]
    wamid = 0
    for n, start in enumerate(starts):
        number = f"39351{rnd.randrange(10**7):07d}"
        name = rnd.choice(("Giulia", "Marco", "Francesca", "Luca", "Sara", "Paolo", "Chiara"))
        played_from = timezone.now()

        def say(item: dict[str, Any], number: str = number, name: str = name) -> None:
            traffic.whatsapp_many([(number, name, item)])

        for text in rnd.choices(SCRIPTS, weights)[0][1]:
            wamid += 1
            say(meta.wa_text(f"wamid.DEMOBOT{n:05d}{wamid:06d}", number, text, int(time.time())))
        session = (
            Session.objects.filter(kind=Session.Kind.WHATSAPP, started_at__gte=played_from)
            .order_by("-pk")
            .first()
        )
        if session is None:
            continue
        actions.tick(now=timezone.now() + SURVEY_AFTER + timedelta(minutes=1))
        if rnd.random() < SURVEY_SHARE:
            useful = rnd.random() < 0.8
            wamid += 1
            say(
                meta.wa_interactive(
                    f"wamid.DEMOBOT{n:05d}{wamid:06d}",
                    number,
                    "survey:yes" if useful else "survey:no",
                    "Sì" if useful else "No",
                    int(time.time()),
                )
            )
            if rnd.random() < 0.5:
                wamid += 1
                text = rnd.choice(SUGGESTIONS)
                say(
                    meta.wa_text(f"wamid.DEMOBOT{n:05d}{wamid:06d}", number, text, int(time.time()))
                )
            later = SURVEY_AFTER + timedelta(minutes=2)
            Turn.objects.filter(
                session=session, direction=Turn.Direction.INBOUND, kind=Turn.Kind.SURVEY
            ).update(at=F("at") + later)
            SurveyAnswer.objects.filter(session=session).update(
                answered_at=F("answered_at") + later
            )
        _move(session.pk, start - session.started_at)
    actions.tick()
    return len(starts)


def disconnect(channel: Any) -> None:
    """The channel without the assistant, while the year's history is written (its generated
    WhatsApp sessions go to conversations, as before the assistant existed)."""
    if "assistant_menu" in channel.config:
        channel.config = {k: v for k, v in channel.config.items() if k != "assistant_menu"}
        channel.save(update_fields=["config"])


def _move(session_id: int, by: timedelta) -> None:
    """Every time of the session `session_id` moved by `by`."""
    Session.objects.filter(pk=session_id).update(
        started_at=F("started_at") + by,
        last_at=F("last_at") + by,
        last_inbound_at=F("last_inbound_at") + by,
        ended_at=F("ended_at") + by,
        survey_sent_at=F("survey_sent_at") + by,
    )
    Turn.objects.filter(session_id=session_id).update(at=F("at") + by)
    Reply.objects.filter(session_id=session_id).update(
        created_at=F("created_at") + by,
        not_before=F("not_before") + by,
        next_attempt_at=F("next_attempt_at") + by,
        sent_at=F("sent_at") + by,
    )
    Unanswered.objects.filter(session_id=session_id).update(at=F("at") + by)
    SurveyAnswer.objects.filter(session_id=session_id).update(
        asked_at=F("asked_at") + by, answered_at=F("answered_at") + by
    )
