"""Satisfaction surveys of the demo city: the portal's online services (and the three services
with a charter, not online) as `surveys.Service` rows, a satisfaction survey after each online
service, and the survey after a resolved case, with a year of invitations and answers.

The volumes are assumptions (the city publishes none): at scale 1.0 the online services are
used about 1.3 M times a year; the portal's widget invites one use in five (`sample_percent`
20) and about one invitation in eight is answered. After a case, a third of the resolved cases
of the web form, email, WhatsApp and the phone are invited (by email, by WhatsApp buttons, on
the status page); about one in five answers, fewer on the status page. Answers of the post-case
survey carry the dimensions of a resolved case of the generated year (its channel, office and
theme), rate it lower when it took long, and comment on the contact or on the case's subject (by
its theme: `CASE_TOPIC_TEXTS`). Every survey is anonymous: no citizen, no case on
the answers.

Seasonality: the services follow the portal's daily traffic (weekends and August lower) and
their own calendar: TARI declarations peak in January and June, changes of residence in
September; the online appointments get worse marks in September and October, when slots are
short. Deterministic for a given seed: every draw comes from the generator's stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

import numpy as np
from django.db import transaction

from ascolto.demo.timeline import DAYS, online_days, online_hours, to_datetime
from ascolto.organisation.models import Office
from ascolto.surveys.actions import suggest_answer_themes
from ascolto.surveys.models import (
    Answer,
    Invitation,
    Question,
    Response,
    Service,
    Survey,
    SurveyVersion,
)
from ascolto.tickets.models import Theme, Ticket

if TYPE_CHECKING:  # demo.city imports demo.seed, which seeds the services from here
    from ascolto.demo.city import City


@dataclass(frozen=True)
class ServiceSpec:
    code: str
    name: str
    name_en: str
    online: bool
    office: str
    theme: str
    url: str
    uses: int = 0  # a year at scale 1.0
    csat: float = 4.0  # mean stars
    busy_months: tuple[int, ...] = ()
    texts: tuple[str, ...] = ()


PORTAL = "https://www.comune.milano.demo/servizi/"

SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        "appuntamenti-online",
        "Appuntamenti online",
        "Online appointments",
        True,
        "anagrafe",
        "appuntamenti-anagrafe",
        PORTAL + "appuntamenti",
        uses=420_000,
        csat=3.7,
        texts=(
            "Non trovavo posti liberi per l'appuntamento in anagrafe.",
            "Prenotazione facile, ho trovato subito l'appuntamento.",
            "Il primo appuntamento disponibile era dopo due mesi.",
        ),
    ),
    ServiceSpec(
        "certificati-anagrafici",
        "Certificati anagrafici",
        "Registry certificates",
        True,
        "anagrafe",
        "certificati-online",
        PORTAL + "certificati-anagrafici",
        uses=560_000,
        csat=4.4,
        texts=(
            "Il certificato online si scarica in un attimo, grazie.",
            "Non sapevo che bastava l'autocertificazione.",
            "L'accesso con SPID non funzionava al primo tentativo.",
        ),
    ),
    ServiceSpec(
        "certificati-stato-civile",
        "Certificati di stato civile",
        "Civil-status certificates",
        True,
        "stato-civile",
        "stato-civile",
        PORTAL + "certificati-stato-civile",
        uses=140_000,
        csat=4.1,
        texts=(
            "Il certificato di matrimonio è arrivato dopo una settimana.",
            "Servizio comodo, evita la fila allo sportello.",
        ),
    ),
    ServiceSpec(
        "cambio-residenza",
        "Cambio di residenza",
        "Change of residence",
        True,
        "anagrafe",
        "cambio-residenza",
        PORTAL + "cambio-residenza",
        uses=70_000,
        csat=3.5,
        busy_months=(9,),
        texts=(
            "La pratica di cambio di residenza è lenta e non si sa a che punto è.",
            "Moduli della residenza poco chiari sui documenti da allegare.",
            "Il vigile per la verifica della residenza è passato in pochi giorni.",
        ),
    ),
    ServiceSpec(
        "dichiarazione-tari",
        "Dichiarazione TARI",
        "TARI declarations",
        True,
        "siad",
        "tari-dichiarazione",
        PORTAL + "dichiarazione-tari",
        uses=60_000,
        csat=3.6,
        busy_months=(1, 6),
        texts=(
            "Il modulo della dichiarazione TARI chiede dati che non ho.",
            "Non è chiaro come calcolare la superficie per la TARI.",
            "Dichiarazione della nuova utenza fatta in cinque minuti.",
        ),
    ),
    ServiceSpec(
        "copie-pratiche-edilizie",
        "Copie di pratiche edilizie",
        "Building-file copies",
        True,
        "",
        "",
        PORTAL + "copie-pratiche-edilizie",
        uses=30_000,
        csat=3.3,
        texts=(
            "La copia della pratica edilizia è arrivata dopo settimane.",
            "Costi dei diritti di ricerca poco chiari.",
        ),
    ),
    ServiceSpec(
        "nidi-infanzia",
        "Nidi d'infanzia",
        "Nursery schools",
        False,
        "nidi-infanzia",
        "iscrizione-nidi",
        PORTAL + "nidi",
    ),
    ServiceSpec(
        "ristorazione-scolastica",
        "Ristorazione scolastica",
        "School catering",
        False,
        "refezione",
        "refezione",
        PORTAL + "ristorazione-scolastica",
    ),
    ServiceSpec(
        "igiene-ambientale",
        "Igiene ambientale",
        "Environmental hygiene",
        False,
        "transizione-ambientale",
        "ambiente",
        PORTAL + "igiene-ambientale",
    ),
)

IMPROVE = (
    ("tempi", "Tempi di attesa", "Waiting times"),
    ("chiarezza", "Chiarezza delle informazioni", "Clarity of the information"),
    ("sito", "Facilità d'uso del sito", "Ease of use of the website"),
    ("documenti", "Documenti richiesti", "Documents required"),
    ("assistenza", "Assistenza in caso di problemi", "Help when something goes wrong"),
)
# What a citizen writes after a case: about the contact (any case), or about the case's
# subject, by the theme of the case (its taxonomy theme, the topics' parent), so the results'
# themes suggested from the text fit the cases they came after.
CASE_TEXTS = (
    "Risposta chiara e veloce, grazie.",
    "Ho dovuto scrivere due volte prima di avere una risposta.",
    "L'operatore è stato gentile ma la risposta non risolve il problema.",
)
CASE_TOPIC_TEXTS = {
    "tari": ("Il rimborso TARI non è ancora arrivato.", "L'avviso TARI era sbagliato."),
    "sanzioni": ("Pagare la multa online è stato semplice dopo la vostra risposta.",),
    "contributi": ("Mi avete indicato il modulo giusto per il contributo affitto.",),
    "carta-identita": ("Non trovavo posti liberi per rinnovare la carta d'identità.",),
    "certificati": ("Il certificato di residenza online si scarica subito.",),
    "residenza": ("La pratica di cambio di residenza è ferma da settimane.",),
    "iscrizione-nidi": ("La graduatoria del nido non è chiara.",),
    "refezione": ("La retta della mensa scolastica è troppo alta.",),
    "pass-sosta": ("Il pass per la sosta dei residenti è arrivato dopo un mese.",),
    "rifiuti-ingombranti": ("Il ritiro dei rifiuti ingombranti è stato puntuale.",),
}
SAMPLE = 20  # % of an online service's uses invited by the portal's widget
ANSWERED = 0.12  # of the widget's invitations
CASE_SAMPLE = 33  # % of resolved cases invited
CASE_ANSWERED = {"email": 0.22, "whatsapp": 0.30, "status_page": 0.06}
CASE_VIA = {"web": "email", "email": "email", "whatsapp": "whatsapp", "phone": "status_page"}
WROTE = 0.22  # respondents who write a comment
VALID_DAYS = 30


def seed_services() -> int:
    """The services, by code (idempotent): reference data the charters use too."""
    offices = {o.code: o for o in Office.objects.filter(code__in={s.office for s in SERVICES})}
    themes = {t.code: t for t in Theme.objects.filter(code__in={s.theme for s in SERVICES})}
    for spec in SERVICES:
        Service.objects.update_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "name_en": spec.name_en,
                "online": spec.online,
                "office": offices.get(spec.office),
                "theme": themes.get(spec.theme),
                "url": spec.url,
                "is_active": True,
            },
        )
    return len(SERVICES)


def _questions(version: SurveyVersion, subject: str, subject_en: str) -> None:
    choices = [{"value": v, "label": it, "label_en": en} for v, it, en in IMPROVE]
    rows = [
        (
            "voto",
            Question.Kind.RATING,
            f"Quanto sei soddisfatto {subject}?",
            f"How satisfied are you with {subject_en}?",
            True,
            [],
        ),
        (
            "consiglio",
            Question.Kind.NPS,
            "Quanto è probabile che consiglieresti questo servizio a un amico?",
            "How likely are you to recommend this service to a friend?",
            False,
            [],
        ),
        (
            "migliorare",
            Question.Kind.MULTIPLE,
            "Cosa possiamo migliorare?",
            "What can we improve?",
            False,
            choices,
        ),
        (
            "commento",
            Question.Kind.TEXT,
            "Vuoi aggiungere qualcosa?",
            "Anything else you want to tell us?",
            False,
            [],
        ),
    ]
    Question.objects.bulk_create(
        Question(
            version=version,
            position=i,
            code=code,
            kind=kind,
            text=text,
            text_en=text_en,
            required=required,
            choices=options,
        )
        for i, (code, kind, text, text_en, required, options) in enumerate(rows)
    )


def _survey(code: str, title: str, title_en: str, **fields: object) -> Survey:
    subject, subject_en = fields.pop("subject"), fields.pop("subject_en")
    survey, _ = Survey.objects.update_or_create(
        code=code,
        defaults={
            "title": title,
            "title_en": title_en,
            "status": Survey.Status.OPEN,
            "kind": Survey.Kind.SATISFACTION,
            "anonymous": True,
            **fields,
        },
    )
    if survey.current_version is None:
        # Published when the survey opens, as `surveys.building.publish_survey` would: a version
        # in use without a date is a draft to the builder.
        version = SurveyVersion.objects.create(
            survey=survey, number=1, published_at=cast(datetime, fields["opens_at"])
        )
        _questions(version, str(subject), str(subject_en))
        survey.current_version = version
        survey.save(update_fields=["current_version"])
    return survey


def seed_surveys(since: object) -> list[Survey]:
    """The satisfaction survey of each online service and the post-case survey."""
    surveys = [
        _survey(
            "dopo-pratica",
            "Com'è andata la tua richiesta?",
            "How did your request go?",
            trigger=Survey.Trigger.CASE_RESOLVED,
            sample_percent=CASE_SAMPLE,
            fatigue_days=90,
            valid_days=VALID_DAYS,
            channels=sorted(CASE_VIA),
            opens_at=since,
            subject="della risposta ricevuta",
            subject_en="the answer you received",
        )
    ]
    for service in Service.objects.filter(online=True, code__in=[s.code for s in SERVICES]):
        surveys.append(
            _survey(
                f"soddisfazione-{service.code}",
                f"{service.name}: com'è andata?",
                f"{service.name_en}: how did it go?",
                trigger=Survey.Trigger.ONLINE_SERVICE,
                service=service,
                office=service.office,
                sample_percent=SAMPLE,
                fatigue_days=30,
                valid_days=1,
                opens_at=since,
                subject="del servizio",
                subject_en="the service",
            )
        )
    return surveys


def _month_factor(spec: ServiceSpec, months: np.ndarray) -> np.ndarray:
    factor = np.ones(len(months))
    for month in spec.busy_months:
        factor[months == month] = 2.2
    return factor


class _Writer:
    """Invitations, responses and answers of one survey, in bulk."""

    def __init__(self, survey: Survey, rng: np.random.Generator) -> None:
        self.survey, self.rng = survey, rng
        version = survey.current_version
        if version is None:
            raise ValueError(f"survey {survey.code} has no version")
        self.version = version
        self.q = {q.code: q for q in version.questions.all()}
        self.invitations: list[Invitation] = []
        self.responses: list[Response] = []
        self.answers: list[list[tuple[str, int | None, str]]] = []

    def add(
        self,
        at: int,
        answered_after: int | None,
        stars: int,
        texts: tuple[str, ...],
        **dims: object,
    ) -> None:
        invited = to_datetime(at)
        answered = to_datetime(at + answered_after) if answered_after is not None else None
        self.invitations.append(
            Invitation(
                survey=self.survey,
                created_at=invited,
                expires_at=invited + timedelta(days=self.survey.valid_days),
                answered_at=answered,
                **dims,
            )
        )
        if answered is None:
            return
        rng = self.rng
        nps = int(np.clip(np.rint(2.3 * stars - 1.2 + rng.normal(0, 1.3)), 0, 10))
        gave_nps = rng.random() < 0.9
        rows: list[tuple[str, int | None, str]] = [("voto", stars, "")]
        if gave_nps:
            rows.append(("consiglio", nps, ""))
        if stars <= 4:
            picks = rng.choice(len(IMPROVE), size=1 + int(rng.random() < 0.35), replace=False)
            rows += [("migliorare", None, IMPROVE[int(p)][0]) for p in sorted(picks)]
        if texts and rng.random() < WROTE:
            rows.append(("commento", None, texts[int(rng.integers(0, len(texts)))]))
        response_dims = {k: v for k, v in dims.items() if k != "ticket_id" and k != "citizen_id"}
        self.responses.append(
            Response(
                survey=self.survey,
                version=self.version,
                source=Response.Source.WEB,
                csat=stars,
                nps=nps if gave_nps else None,
                submitted_at=answered,
                **response_dims,
            )
        )
        self.answers.append(rows)

    def write(self) -> tuple[int, int]:
        Invitation.objects.bulk_create(self.invitations, batch_size=5_000)
        Response.objects.bulk_create(self.responses, batch_size=5_000)
        answers = [
            Answer(response=response, question=self.q[code], number=number, value=value)
            for response, rows in zip(self.responses, self.answers, strict=True)
            for code, number, value in rows
        ]
        Answer.objects.bulk_create(answers, batch_size=5_000)
        return len(self.invitations), len(self.responses)


def _stars(mean: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.clip(np.rint(mean + rng.normal(0, 0.9, len(mean))), 1, 5).astype(int)


def _write_services(
    city: City, scale: float, rng: np.random.Generator, surveys: dict[int, Survey]
) -> tuple[int, int]:
    invited = answered = 0
    day_weight = online_days(city.calendar)
    hours = online_hours()
    for spec in SERVICES:
        service = Service.objects.filter(code=spec.code, online=True).first()
        if service is None or service.pk not in surveys:
            continue
        writer = _Writer(surveys[service.pk], rng)
        n = int(round(spec.uses * scale * SAMPLE / 100))
        weight = day_weight * _month_factor(spec, city.calendar.month)
        day = np.sort(rng.choice(DAYS, n, p=weight / weight.sum()))
        at = city.calendar.midnight[day] + rng.choice(24, n, p=hours) * 3600
        at = at + rng.integers(0, 3600, n)
        busy = np.isin(city.calendar.month[day], (9, 10)) & (spec.code == "appuntamenti-online")
        stars = _stars(np.where(busy, spec.csat - 0.6, spec.csat), rng)
        delay = rng.integers(30, 1800, n)  # the widget is answered within the session
        answers = (rng.random(n) < ANSWERED) & (at + delay < city.window.horizon_epoch)
        for i in range(n):
            writer.add(
                int(at[i]),
                int(delay[i]) if answers[i] else None,
                int(stars[i]),
                spec.texts,
                via=Invitation.Via.WIDGET,
                service=service,
                office=service.office,
                theme=service.theme,
            )
        a, b = writer.write()
        invited, answered = invited + a, answered + b
    return invited, answered


def _theme_code(path: str | None) -> str:
    """The code of the taxonomy theme a case's theme is or is under ("" for an area)."""
    codes = (path or "").strip("/").split("/")
    return codes[1] if len(codes) > 1 else ""


def _write_cases(city: City, rng: np.random.Generator, survey: Survey) -> tuple[int, int]:
    since, until = to_datetime(int(city.calendar.midnight[0])), city.window.horizon
    cases = list(
        Ticket.objects.filter(
            resolved_at__gte=since,
            resolved_at__lt=until - timedelta(days=1),
            channel__kind__in=list(CASE_VIA),
            parent__isnull=True,
        )
        .exclude(status=Ticket.Status.CANCELLED)
        .order_by("pk")
        .values_list(
            "pk",
            "citizen_id",
            "channel__kind",
            "office_id",
            "theme_id",
            "theme__path",
            "created_at",
            "resolved_at",
        )
    )
    if not cases:
        return 0, 0
    chosen = rng.random(len(cases)) < CASE_SAMPLE / 100
    writer = _Writer(survey, rng)
    for keep, (pk, citizen, kind, office, theme, path, created, resolved) in zip(
        chosen, cases, strict=True
    ):
        if not keep or resolved is None:
            continue
        via = CASE_VIA[kind]
        at = int(resolved.timestamp()) + int(rng.integers(60, 3600))
        days = (resolved - created).total_seconds() / 86_400
        mean = 4.3 - min(days, 60) / 30 - (0.3 if kind == "phone" else 0.0)
        stars = int(_stars(np.array([mean]), rng)[0])
        answer_after = int(rng.exponential(2 * 86_400)) + 120
        answered = rng.random() < CASE_ANSWERED[via] and at + answer_after < int(until.timestamp())
        writer.add(
            at,
            answer_after if answered else None,
            stars,
            CASE_TEXTS + CASE_TOPIC_TEXTS.get(_theme_code(path), ()),
            via=via,
            channel_kind=kind,
            office_id=office,
            theme_id=theme,
            ticket_id=pk,
            citizen_id=citizen,
        )
    return writer.write()


def write_surveys(city: City, scale: float, rng: np.random.Generator) -> str:
    """Replace the demo surveys' invitations and answers with a generated year; returns a
    summary."""
    since = to_datetime(int(city.calendar.midnight[0]))
    with transaction.atomic():
        seed_services()
        surveys = seed_surveys(since)
        Response.objects.filter(survey__in=surveys).delete()
        Invitation.objects.filter(survey__in=surveys).delete()
        by_service = {s.service_id: s for s in surveys if s.service_id is not None}
        invited, answered = _write_services(city, scale, rng, by_service)
        case_invited, case_answered = _write_cases(city, rng, surveys[0])
        themed = suggest_answer_themes(Answer.objects.filter(response__survey__in=surveys))
    return (
        f"{invited + case_invited:,} invitations, {answered + case_answered:,} answers "
        f"({case_answered:,} after a case), {themed:,} comments with a suggested theme"
    )
