"""The demo city's three service charters, as the city lists them: nursery schools ("Nidi
d'infanzia"), school catering ("Ristorazione scolastica") and environmental hygiene ("Igiene
ambientale"), each with indicators over the demo's cases, calls and survey answers (computed
when a page is read, `charters.indicators`). The services are `surveys.Service` rows by code,
made here when the satisfaction surveys' seeds have not made them yet."""

from __future__ import annotations

from datetime import date
from typing import Any

from ascolto.charters import actions
from ascolto.charters.actions import CharterData, IndicatorData
from ascolto.charters.models import QualityIndicator, ServiceCharter
from ascolto.organisation.models import Office
from ascolto.surveys.models import Service
from ascolto.tickets.models import Theme

F = QualityIndicator.Formula
AT_MOST = QualityIndicator.Direction.AT_MOST
QUARTER = QualityIndicator.Frequency.QUARTER
STATE = ServiceCharter.UpdateState

# (slug, title, service code, service name, office code, theme code, summary, issued, updated,
#  next update (years from the end's), update state, indicators)
CHARTERS: tuple[dict[str, Any], ...] = (
    {
        "slug": "nidi-infanzia",
        "title": "Carta dei servizi dei nidi d'infanzia",
        "service": ("nidi-infanzia", "Nidi d'infanzia", "Nursery schools"),
        "office": "nidi-infanzia",
        "theme": "iscrizione-nidi",
        "summary": (
            "I nidi d'infanzia comunali accolgono bambine e bambini da 3 mesi a 3 anni. La carta "
            "dice come si presenta la domanda di iscrizione, come si formano le graduatorie e in "
            "quanto tempo il Comune risponde alle famiglie."
        ),
        "issued": (-4, 9, 1),
        "updated": (-1, 9, 1),
        "next": (1, 9, 1),
        "state": STATE.IN_PROGRESS,
        "indicators": [
            (
                "Risposta alle richieste delle famiglie entro 30 giorni",
                F.ANSWERED_WITHIN,
                {"theme": "iscrizione-nidi", "days": 30},
                95,
                {},
            ),
            (
                "Richieste risolte entro 10 giorni lavorativi",
                F.RESOLVED_WITHIN,
                {"theme": "iscrizione-nidi", "days": 10, "working_days": True},
                70,
                {},
            ),
            (
                "Reclami sul totale delle richieste",
                F.COMPLAINT_SHARE,
                {"theme": "iscrizione-nidi"},
                5,
                {"direction": AT_MOST, "period": QUARTER},
            ),
            ("Soddisfazione delle famiglie (1-5)", F.CSAT, {}, 4, {"period": QUARTER}),
        ],
    },
    {
        "slug": "ristorazione-scolastica",
        "title": "Carta dei servizi della ristorazione scolastica",
        "service": ("ristorazione-scolastica", "Ristorazione scolastica", "School catering"),
        "office": "refezione",
        "theme": "refezione",
        "summary": (
            "Il pasto nelle scuole dell'infanzia, primarie e secondarie di primo grado: menù, "
            "diete speciali, rette. La carta fissa i tempi di risposta su rette e diete."
        ),
        "issued": (-3, 1, 15),
        "updated": (-1, 2, 1),
        "next": (0, 12, 31),
        "state": STATE.APPROVAL,
        "indicators": [
            (
                "Risposta alle richieste su rette e diete entro 30 giorni",
                F.ANSWERED_WITHIN,
                {"theme": "refezione", "days": 30},
                90,
                {},
            ),
            (
                "Tempo medio di risoluzione",
                F.MEAN_RESOLUTION,
                {"theme": "refezione"},
                20,
                {"direction": AT_MOST},
            ),
            ("Famiglie soddisfatte del servizio", F.SATISFIED_SHARE, {}, 75, {"period": QUARTER}),
            ("Net Promoter Score", F.NPS, {}, 0, {"period": QUARTER}),
        ],
    },
    {
        "slug": "igiene-ambientale",
        "title": "Carta dei servizi di igiene ambientale",
        "service": ("igiene-ambientale", "Igiene ambientale", "Environmental hygiene"),
        "office": "transizione-ambientale",
        "theme": "ambiente",
        "summary": (
            "Raccolta dei rifiuti, ritiro degli ingombranti, pulizia delle strade e del verde. "
            "La carta fissa i tempi di intervento sulle segnalazioni e l'attesa al 020202."
        ),
        "issued": (-5, 6, 1),
        "updated": (-2, 6, 1),
        "next": (0, 6, 1),
        "state": STATE.NOT_STARTED,
        "indicators": [
            (
                "Segnalazioni risolte entro 7 giorni",
                F.RESOLVED_WITHIN,
                {"theme": "ambiente", "days": 7},
                60,
                {},
            ),
            (
                "Attesa media in coda al 020202",
                F.QUEUE_WAIT,
                {"queues": ["generale"]},
                90,
                {"direction": AT_MOST},
            ),
            (
                "Chiamate abbandonate prima della risposta",
                F.CALLS_ABANDONED,
                {"queues": ["generale"]},
                8,
                {"direction": AT_MOST},
            ),
            ("Soddisfazione degli utenti (1-5)", F.CSAT, {}, 3.5, {"period": QUARTER}),
        ],
    },
)


def _day(end: date, spec: tuple[int, int, int]) -> date:
    years, month, day = spec
    return date(end.year + years, month, day)


def seed_charters(end: date) -> str:
    """Create or refresh the three charters (their indicators rewritten); returns a summary."""
    indicators = 0
    for spec in CHARTERS:
        code, name, name_en = spec["service"]
        theme = Theme.objects.filter(code=spec["theme"]).first()
        office = Office.objects.filter(code=spec["office"]).first()
        service, _created = Service.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "office": office, "theme": theme}
        )
        charter = ServiceCharter.objects.filter(slug=spec["slug"]).first()
        charter = actions.save_charter(
            CharterData(
                title=spec["title"],
                slug=spec["slug"],
                service=service,
                office=office,
                summary=spec["summary"],
                issued_on=_day(end, spec["issued"]),
                updated_on=_day(end, spec["updated"]),
                next_update_on=_day(end, spec["next"]),
                update_state=spec["state"],
                published=True,
            ),
            charter,
        )
        charter.indicators.all().delete()
        for position, (title, formula, parameters, target, extra) in enumerate(
            spec["indicators"], start=1
        ):
            actions.save_indicator(
                charter,
                IndicatorData(
                    name=title,
                    formula=formula,
                    parameters=dict(parameters),
                    target=target,
                    position=position,
                    **extra,
                ),
            )
            indicators += 1
    return f"{len(CHARTERS)} service charters, {indicators} indicators"
