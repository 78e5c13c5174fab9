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
from ascolto.tickets.codes import ALPHABET

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
SURVEY_SHARE = 0.17  # the sessions whose citizen answers the survey (the city's first months)
FORM_SHARE = 0.04  # the sessions that send the form «Segnala un problema»
HANDOFF_SHARE = 0.05  # the sessions handed to an operator
# A citizen's message: a text, or a tap on a button or list row (its id, its title).
Said = str | tuple[str, str]
# What citizens type, session by session (a letter chooses in the menu it was shown), with a
# weight. The sessions that send the form or ask for an operator are written by `_form` and
# `_handoff`; one here leaves the form half-way, as some citizens do.
SCRIPTS: list[tuple[int, list[Said]]] = [
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
GREETINGS = ["Buongiorno", "Ciao", "Salve", "Buonasera", "ciao"]
BROWSED: list[list[Said]] = [[], [], ["H", "B", "menu"], ["H", "A", "menu"], ["F", "menu"]]
STREETS = [
    "Via Padova 112",
    "Viale Monza 45",
    "Piazza Leonardo da Vinci",
    "Via Lorenteggio 170",
    "Parco Sempione, ingresso Arena",
    "Via dei Missaglia 89",
    "Corso Lodi 8",
    "Via Novara 300",
]
DESCRIPTIONS = [  # by the form's problem (REPORT_FIELDS' choices)
    [
        "Un ramo grosso è caduto sul marciapiede e blocca il passaggio.",
        "L'aiuola davanti alla scuola non viene tagliata da mesi.",
    ],
    [
        "Sacchi di rifiuti e un materasso abbandonati accanto ai cassonetti.",
        "Qualcuno ha lasciato calcinacci e mobili rotti sotto il ponte.",
    ],
    [
        "Lo scivolo del parco giochi è rotto e ha un bordo tagliente.",
        "Due panchine sono senza assi, i bambini rischiano di farsi male.",
    ],
    [
        "La fontanella del parco perde acqua da una settimana.",
        "Un cartello stradale è piegato e copre il semaforo.",
    ],
]
EMAILS = ["g.bianchi@example.it", "marco.rossi@example.org", "sara.conti@example.net"]
HANDOFF_QUESTIONS = [
    "Ho prenotato la carta d'identità ma non ho ricevuto la conferma: potete verificare?",
    "Devo pagare la TARI di un appartamento ereditato, a chi mi rivolgo?",
    "Mi hanno rimosso l'auto in viale Monza, posso ritirarla oggi pomeriggio?",
    "La domanda di contributo affitto risulta in istruttoria da due mesi, ci sono novità?",
    "Mio figlio è celiaco: come chiedo la dieta speciale per la mensa?",
    "Ho una multa per Area B ma avevo il permesso per disabili, come faccio?",
]
SUGGESTIONS = [
    "Gli orari delle piscine comunali",
    "Le date della pulizia strade per via",
    "Come iscriversi ai centri estivi",
    "no",
]


def _form(rnd: random.Random) -> list[Said]:
    """A session that sends the form «I. Segnala un problema»: its four answers, the problem
    tapped in the list or typed as its number, the email often left out."""
    problem = rnd.randrange(len(DESCRIPTIONS))
    label = str(REPORT_FIELDS[1]["choices"][problem])
    return [
        rnd.choice(GREETINGS),
        *rnd.choice(BROWSED),
        "I",
        rnd.choice(STREETS),
        (f"opt:{problem}", label) if rnd.random() < 0.7 else str(problem + 1),
        rnd.choice(DESCRIPTIONS[problem]),
        rnd.choice(EMAILS) if rnd.random() < 0.4 else "-",
    ]


def _handoff(rnd: random.Random) -> list[Said]:
    """A session handed to an operator («L»), after a look at the menu or not; the citizen's
    question then goes to the case the hand-off opened."""
    looked: list[Said] = rnd.choice([[], [], ["C", "E", "menu"], ["E", "A", "menu"]])
    return [rnd.choice(GREETINGS), *looked, "L", rnd.choice(HANDOFF_QUESTIONS)]


def play_month(
    traffic: Any, channel: Any, horizon: datetime, scale: float, rnd: random.Random
) -> int:
    """Connect the demo's WhatsApp channel to the menu and play the last `PLAYED_DAYS` days of
    sessions through the engine: each citizen's messages are signed deliveries posted to the
    webhook and drained (`traffic`, demo/meta.py), the engine answers and its replies go to the
    local Graph server. About `FORM_SHARE` of the sessions send the form and `HANDOFF_SHARE`
    ask for an operator: both open a case through intake, with the theme of their node, the
    hand-off's carrying the bot's transcript to the console's queue. The survey is sent by the
    assistant's tick and answered in `SURVEY_SHARE` of the sessions. The messages carry their
    time in the month, so what intake stores (messages, cases, their events) is dated there;
    the engine dates what it stores with the current time, so each session, once played, is
    moved back to its place (every time of the session, its turns, replies, questions and
    survey by the same amount). Returns the number of sessions."""
    from ascolto.assistant import actions

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
    # Who does what, by quota (at least one of each, also in a small city), in random places.
    order = list(range(sessions))
    rnd.shuffle(order)
    forms = set(order[: max(1, round(sessions * FORM_SHARE))])
    handoffs = set(order[len(forms) : len(forms) + max(1, round(sessions * HANDOFF_SHARE))])
    others = order[len(forms) + len(handoffs) :]
    answering = set(others[: max(1, round(sessions * SURVEY_SHARE))])
    weights = [w for w, _s in SCRIPTS]
    for n, start in enumerate(starts):
        if n in forms:
            script = _form(rnd)
        elif n in handoffs:
            script = _handoff(rnd)
        else:
            script = rnd.choices(SCRIPTS, weights)[0][1]
        _play_session(traffic, channel, n, start, script, rnd, survey=n in answering)
    actions.tick()
    return len(starts)


def _play_session(
    traffic: Any,
    channel: Any,
    n: int,
    start: datetime,
    script: list[Said],
    rnd: random.Random,
    *,
    survey: bool,
) -> None:
    """One citizen's session: `script` posted message by message, the survey sent by the tick
    ten minutes later and, when `survey`, answered; then every time moved to `start`."""
    from ascolto.assistant import actions
    from ascolto.channels.adapters.meta import replay as meta

    number = f"39351{rnd.randrange(10**7):07d}"
    name = rnd.choice(("Giulia", "Marco", "Francesca", "Luca", "Sara", "Paolo", "Chiara"))
    played_from = timezone.now()
    at = int(start.timestamp())
    wamids: list[str] = []

    def say(said: Said) -> None:
        wamid = f"wamid.DEMOBOT{n:05d}{len(wamids) + 1:03d}"
        wamids.append(wamid)
        if isinstance(said, tuple):
            item = meta.wa_interactive(wamid, number, said[0], said[1], at, kind="list_reply")
        else:
            item = meta.wa_text(wamid, number, said, at)
        traffic.whatsapp_many([(number, name, item)])

    for said in script:
        say(said)
        at += rnd.randint(8, 90)
    session = (
        Session.objects.filter(kind=Session.Kind.WHATSAPP, started_at__gte=played_from)
        .order_by("-pk")
        .first()
    )
    if session is None:
        return
    actions.tick(now=timezone.now() + SURVEY_AFTER + timedelta(minutes=1))
    if survey and session.mode != Session.Mode.HANDOFF:
        at += int(SURVEY_AFTER.total_seconds()) + rnd.randint(30, 300)
        useful = rnd.random() < 0.8
        say((f"survey:{'yes' if useful else 'no'}:{session.pk}", "Sì" if useful else "No"))
        if rnd.random() < 0.5:
            at += rnd.randint(20, 120)
            say(rnd.choice(SUGGESTIONS))
        later = SURVEY_AFTER + timedelta(minutes=2)
        Turn.objects.filter(
            session=session, direction=Turn.Direction.INBOUND, kind=Turn.Kind.SURVEY
        ).update(at=F("at") + later)
        SurveyAnswer.objects.filter(session=session).update(answered_at=F("answered_at") + later)
    _move(session.pk, start - session.started_at)
    _date_intake(channel, wamids, start, played_from, rnd)


def _date_intake(
    channel: Any, wamids: list[str], start: datetime, played_from: datetime, rnd: random.Random
) -> None:
    """What intake stored for a form or a hand-off carries the messages' times already; the
    rows Django dates when they are written (a message's registration, a new identity, a
    case's last change) take those times too, and the case's public code is drawn from the
    seeded `rnd` (intake draws it from the system's CSPRNG), so a seed gives the same city."""
    from ascolto.channels.models import Message
    from ascolto.citizens.models import Identity
    from ascolto.tickets.models import Ticket

    messages = Message.objects.filter(channel=channel, external_id__in=wamids)
    if not messages.exists():
        return
    messages.update(created_at=F("sent_at"))
    conversations = set(messages.values_list("conversation_id", flat=True))
    Identity.objects.filter(conversations__in=conversations, created_at__gte=played_from).update(
        created_at=start
    )
    for ticket in Ticket.objects.filter(
        conversations__in=conversations, updated_at__gte=played_from
    ):
        last = ticket.events.order_by("-at").values_list("at", flat=True).first()
        code = _code(rnd)
        while Ticket.objects.filter(code=code).exists():
            code = _code(rnd)
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=last or ticket.created_at, code=code)


def _code(rnd: random.Random) -> str:
    """A public code as `tickets.codes.new_code` makes it, from the seeded `rnd`."""
    chars = "".join(rnd.choice(ALPHABET) for _ in range(12))
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"


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
