"""Italian texts of the demo city: what citizens write and say, what operators answer, the notes
they leave, social comments and the WhatsApp assistant's menu.

Templates come from texts_bank.py (per topic) and from the generic frames below (per kind of
request); `Writer` fills their placeholders from a seeded `random.Random`, so the same seed
writes the same words.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from string import Formatter

from ascolto.demo.texts_bank import BANK, SCHOOLS, STREETS
from ascolto.demo.timeline import ROME, to_datetime

KIND_PROFILES: dict[str, dict[str, float]] = {
    "info": {
        "information": 0.81,
        "verification": 0.07,
        "complaint": 0.025,
        "suggestion": 0.02,
        "disservice": 0.01,
        "appointment": 0.025,
        "callback": 0.04,
    },
    "check": {
        "information": 0.46,
        "verification": 0.40,
        "complaint": 0.045,
        "suggestion": 0.01,
        "disservice": 0.0,
        "appointment": 0.03,
        "callback": 0.05,
    },
    "report": {
        "information": 0.22,
        "verification": 0.04,
        "complaint": 0.06,
        "suggestion": 0.05,
        "disservice": 0.60,
        "appointment": 0.0,
        "callback": 0.03,
    },
    "booking": {
        "information": 0.67,
        "verification": 0.04,
        "complaint": 0.025,
        "suggestion": 0.01,
        "disservice": 0.0,
        "appointment": 0.22,
        "callback": 0.035,
    },
}

# How each channel bends the kind mix: people write to complain and suggest, and phone to book.
CHANNEL_KIND_FACTORS: dict[str, dict[str, float]] = {
    "phone": {},
    "web": {
        "complaint": 1.7,
        "suggestion": 2.5,
        "verification": 1.3,
        "disservice": 1.3,
        "appointment": 0.15,
        "callback": 0.2,
    },
    "email": {"complaint": 1.8, "suggestion": 1.5, "appointment": 0.1, "callback": 0.1},
    "social": {"disservice": 1.6, "complaint": 1.5, "appointment": 0.0, "callback": 0.0},
}

KIND_LABELS = {
    "information": "richiesta di informazioni",
    "verification": "richiesta di verifica",
    "suggestion": "suggerimento",
    "complaint": "reclamo",
    "disservice": "segnalazione di disservizio",
    "appointment": "appuntamento",
    "callback": "richiesta di richiamata",
}

COMPLAINT_TAILS = (
    "È la terza volta che scrivo e nessuno mi ha ancora risposto: trovo inaccettabile questo "
    "servizio.",
    "Allo sportello mi hanno dato un'informazione diversa da quella del sito e ho perso una "
    "mattinata di lavoro.",
    "Ho atteso al telefono più di venti minuti prima che cadesse la linea. Chiedo che il mio "
    "reclamo venga registrato.",
)
SUGGESTIONS = (
    "Vorrei dare un suggerimento: la pagina del portale su «{summary}» è difficile da trovare, "
    "sarebbe utile un collegamento dalla home page.",
    "Suggerisco di permettere di fare tutto online anche per «{summary}», senza dover andare "
    "allo sportello.",
    "Propongo di mandare un promemoria via sms per le scadenze: per «{summary}» me ne sono "
    "accorto all'ultimo.",
)
DISSERVICES = (
    "Segnalo che il servizio online per «{summary}» non funziona da due giorni: dopo l'accesso "
    "con SPID compare una pagina di errore.",
    "Il modulo online per «{summary}» si blocca all'ultimo passaggio e non invia la domanda.",
)
CALLBACKS = (
    "Chiedo di essere richiamato per «{summary}».",
    "Vorrei parlare con un operatore per «{summary}»: potete richiamarmi?",
)
APPOINTMENT_TAIL = (
    " Abbiamo fissato l'appuntamento per il {date} alle {time} presso la sede di {address}."
)
ANSWER_PREFIX = {"complaint": "Ci scusiamo per il disagio che ha dovuto affrontare. "}
ANSWER_SUFFIX = {
    "complaint": " Il suo reclamo è stato registrato e trasmesso al responsabile del servizio.",
}
SUGGESTION_ANSWER = (
    "Grazie per il suggerimento: lo abbiamo trasmesso alla redazione del portale e all'ufficio "
    "competente, che lo valuteranno nel prossimo aggiornamento del servizio."
)
DISSERVICE_ANSWER = (
    "Il malfunzionamento è stato risolto dai tecnici: il servizio è di nuovo disponibile. Ci "
    "scusiamo per il disagio."
)
ESCALATION_NOTES = (
    "Inoltrato per competenza: serve la verifica della posizione del cittadino.",
    "Inoltrato all'ufficio competente: richiesta non risolvibile al primo livello.",
    "Il cittadino chiede un riesame della pratica; allegata la documentazione ricevuta.",
    "Inoltrato per competenza. Il cittadino è già stato informato dei tempi di risposta.",
)
QUESTIONS = (
    "copia di un documento d'identità",
    "il numero di protocollo della domanda",
    "la ricevuta del pagamento",
    "la planimetria catastale dell'immobile",
    "l'indirizzo esatto e il numero civico",
)
CITIZEN_REPLIES = (
    "Buongiorno, vi invio quanto richiesto in allegato. Grazie.",
    "Ecco i dati richiesti, spero siano sufficienti.",
    "Allego il documento. Resto in attesa di una risposta.",
)
FORWARDED = (
    "Gentile cittadina, gentile cittadino,\n\nla sua richiesta è stata inoltrata all'ufficio "
    "{office}, competente per materia, che le risponderà direttamente. Può seguirne lo stato con "
    "il codice {code}.\n\nCordiali saluti\n{operator}"
)

SOCIAL_CHATTER = (
    "Grazie per l'informazione!",
    "Finalmente una bella notizia per la città.",
    "E le buche in {address} quando le sistemate?",
    "Bellissima iniziativa, complimenti.",
    "Sempre le solite promesse...",
    "Ma il sito funziona solo a giorni alterni?",
    "Condivido, grazie!",
    "Io abito in {address} e da noi non è arrivato nessun avviso.",
    "Orari? Si può andare anche il sabato?",
    "👏👏👏",
)
SOCIAL_REPLY_FRAME = "Ciao! {answer} Per altre domande scrivici in privato. Il team social"
SOCIAL_FORWARD = (
    "Ciao, grazie della segnalazione: l'abbiamo inoltrata all'ufficio competente ({office})."
)

WHATSAPP_GREETINGS = ("Ciao", "Buongiorno", "Salve", "Ciao, ho bisogno di un'informazione", "Menu")
WHATSAPP_MENU = (
    "Ciao! Sono l'assistente virtuale del Comune di Milano. Scrivi la lettera dell'argomento:\n"
    "A Anagrafe e certificati\nB Tributi e TARI\nC Polizia Locale e multe\nD Servizi sociali\n"
    "E Mobilità e Area C\nF Scuola e nidi\nG Orari e contatti\nH Ambiente e rifiuti\nI Casa\n"
    "L Avvisi del giorno\nM Parla con un operatore"
)
WHATSAPP_LETTERS = {
    "anagrafe": "A",
    "tributi": "B",
    "polizia-locale": "C",
    "sociale": "D",
    "mobilita": "E",
    "educazione": "F",
    "numeri-utili": "G",
    "ambiente": "H",
    "casa": "I",
    "altro": "L",
}
WHATSAPP_CARD = "Ecco le informazioni su «{summary}»: {answer} Scrivi MENU per tornare all'inizio."
WHATSAPP_HANDOFF = "M"
WHATSAPP_HANDOFF_REPLY = (
    "Ti metto in contatto con un operatore: ti risponderà qui appena possibile, dal lunedì al "
    "venerdì dalle 8:30 alle 18."
)
WHATSAPP_SURVEY = "La conversazione ti è stata utile? Rispondi con un numero da 1 (per niente) a 5."
WHATSAPP_RATE = "Dai un voto"  # the button that opens the survey's list of scores
WHATSAPP_THANKS = "Grazie per la tua risposta!"
WHATSAPP_ALERTS = (
    "Avviso: domani sciopero dei mezzi pubblici dalle 8:45 alle 15 e dopo le 18.",
    "Avviso: allerta neve, le scuole comunali restano aperte. Limitate gli spostamenti in auto.",
    "Avviso: il {date} scade la prima rata della TARI. Paga online con pagoPA.",
)


@dataclass(frozen=True)
class Topic:
    """A leaf of the taxonomy with its texts."""

    code: str
    weight: float
    profile: str
    summary: str
    requests: tuple[str, ...]
    answers: tuple[str, ...]


def topics() -> dict[str, Topic]:
    return {
        code: Topic(code, weight, profile, summaries[0], requests, answers)
        for code, (weight, profile, summaries, requests, answers) in BANK.items()
    }


class Writer:
    """Fills templates from a seeded random generator."""

    def __init__(self, rnd: random.Random, year: int) -> None:
        self.rnd = rnd
        self.year = year

    def address(self) -> str:
        return f"{self.rnd.choice(STREETS)} {self.rnd.randint(1, 180)}"

    def fill(self, template: str, at: int, summary: str = "") -> str:
        """The template with its placeholders filled; only those it uses are drawn."""
        names = _placeholders(template)
        if not names:
            return template
        return template.format(**{name: self._value(name, at, summary) for name in names})

    def _value(self, name: str, at: int, summary: str) -> object:
        rnd = self.rnd
        if name == "summary":
            return summary
        if name == "date":
            day = to_datetime(at + rnd.randint(2, 40) * 86400).astimezone(ROME)
            return f"{day:%d/%m/%Y}"
        if name == "time":
            return f"{rnd.choice((9, 10, 11, 14, 15))}:{rnd.choice(('00', '15', '30', '45'))}"
        if name == "address":
            return self.address()
        if name == "amount":
            return f"{rnd.randint(60, 620)},{rnd.randint(0, 99):02d}"
        if name == "year":
            return self.year
        if name == "plate":
            c = rnd.choices(_PLATE_LETTERS, k=4)
            return f"{c[0]}{c[1]}{rnd.randint(100, 999)}{c[2]}{c[3]}"
        if name == "number":
            return f"{rnd.randint(10000, 999999)}/{self.year}"
        if name == "municipio":
            return rnd.randint(1, 9)
        if name == "school":
            return f"la scuola di {rnd.choice(SCHOOLS)}"
        if name == "days":
            return rnd.randint(12, 60)
        raise KeyError(f"unknown placeholder {{{name}}} in a demo text")

    def request(self, topic: Topic, kind: str, at: int) -> str:
        """What the citizen writes or says."""
        summary = topic.summary.lower()
        base = self.fill(self.rnd.choice(topic.requests), at, summary)
        if kind == "complaint":
            return f"{base} {self.rnd.choice(COMPLAINT_TAILS)}"
        if kind == "suggestion":
            return self.fill(self.rnd.choice(SUGGESTIONS), at, summary)
        if kind == "disservice" and topic.profile != "report":
            return self.fill(self.rnd.choice(DISSERVICES), at, summary)
        if kind == "callback":
            return f"{base} {self.fill(self.rnd.choice(CALLBACKS), at, summary)}"
        return base

    def answer(self, topic: Topic, kind: str, at: int) -> str:
        """The substance of the city's answer."""
        if kind == "suggestion":
            return SUGGESTION_ANSWER
        if kind == "disservice" and topic.profile != "report":
            return DISSERVICE_ANSWER
        text = self.fill(self.rnd.choice(topic.answers), at, topic.summary.lower())
        text = ANSWER_PREFIX.get(kind, "") + text + ANSWER_SUFFIX.get(kind, "")
        if kind == "appointment":
            text += self.fill(APPOINTMENT_TAIL, at)
        return text

    def letter(self, answer: str, greeting: str, operator: str) -> str:
        """A reply sent by email (Scrivi, mailboxes)."""
        return f"{greeting},\n\n{answer}\n\nCordiali saluti\n{operator}\nComune di Milano"

    def phone_description(self, topic: Topic, kind: str, request: str) -> str:
        """What the operator logs: the kind, the topic and the caller's words."""
        label = KIND_LABELS[kind]
        return f"Chiamata al 020202 – {label}: {topic.summary}.\nRichiesta: «{request}»"

    def phone_resolution(self, answer: str, callback: bool) -> str:
        lead = "Ricontattato telefonicamente." if callback else "Fornite indicazioni."
        return f"{lead} {answer}"

    def note(self) -> str:
        return self.rnd.choice(ESCALATION_NOTES)

    def question(self, greeting: str, operator: str) -> str:
        missing = self.rnd.choice(QUESTIONS)
        body = (
            f"per completare la verifica ci serve {missing}. Può inviarcelo rispondendo a questo "
            "messaggio?"
        )
        return self.letter(body[0].upper() + body[1:], greeting, operator)

    def citizen_reply(self) -> str:
        return self.rnd.choice(CITIZEN_REPLIES)

    def forwarded(self, office: str, code: str, operator: str) -> str:
        return FORWARDED.format(office=office, code=code, operator=operator)

    def chatter(self, at: int) -> str:
        return self.fill(self.rnd.choice(SOCIAL_CHATTER), at)


_PLATE_LETTERS = "ABCDEFGHJKLMNPRSTVWXYZ"


@lru_cache(maxsize=1024)
def _placeholders(template: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for _, name, _, _ in Formatter().parse(template) if name))


def greeting(first_name: str, last_name: str, female: bool) -> str:
    if not last_name:
        return "Gentile cittadina, gentile cittadino"
    return f"Gentile {'signora' if female else 'signor'} {last_name}"


def after(at: int, days: float) -> int:
    return at + int(timedelta(days=days).total_seconds())
