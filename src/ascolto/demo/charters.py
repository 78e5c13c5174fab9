"""The demo city's three service charters, as the city lists them: nursery schools ("Nidi
d'infanzia"), school catering ("Ristorazione scolastica") and environmental hygiene ("Igiene
ambientale"), each with indicators over the demo's cases, calls and survey answers (computed
when a page is read, `charters.indicators`). The services are `surveys.Service` rows by code,
made here when the satisfaction surveys' seeds have not made them yet.

The charters are data, a table a line (a charter is keyed by its address, which is also its
service's code), and `seed_charters` is the one loop that writes them."""

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
AT_LEAST = QualityIndicator.Direction.AT_LEAST
AT_MOST = QualityIndicator.Direction.AT_MOST
MONTH = QualityIndicator.Frequency.MONTH
QUARTER = QualityIndicator.Frequency.QUARTER
STATE = ServiceCharter.UpdateState
NIDI, REFEZIONE, IGIENE = "nidi-infanzia", "ristorazione-scolastica", "igiene-ambientale"

TITLES = {
    NIDI: "Carta dei servizi dei nidi d'infanzia",
    REFEZIONE: "Carta dei servizi della ristorazione scolastica",
    IGIENE: "Carta dei servizi di igiene ambientale",
}
# The service: its name, English name, the responsible office and the theme of its cases.
SERVICES = {
    NIDI: ("Nidi d'infanzia", "Nursery schools", "nidi-infanzia", "iscrizione-nidi"),
    REFEZIONE: ("Ristorazione scolastica", "School catering", "refezione", "refezione"),
    IGIENE: ("Igiene ambientale", "Environmental hygiene", "transizione-ambientale", "ambiente"),
}
# Where the update stands; issued, last updated and next update as (years from the end's year,
# month, day).
DATES = {
    NIDI: (STATE.IN_PROGRESS, (-4, 9, 1), (-1, 9, 1), (1, 9, 1)),
    REFEZIONE: (STATE.APPROVAL, (-3, 1, 15), (-1, 2, 1), (0, 12, 31)),
    IGIENE: (STATE.NOT_STARTED, (-5, 6, 1), (-2, 6, 1), (0, 6, 1)),
}
SUMMARIES = {
    NIDI: (
        "I nidi d'infanzia comunali accolgono bambine e bambini da 3 mesi a 3 anni. La carta "
        "dice come si presenta la domanda di iscrizione, come si formano le graduatorie e in "
        "quanto tempo il Comune risponde alle famiglie."
    ),
    REFEZIONE: (
        "Il pasto nelle scuole dell'infanzia, primarie e secondarie di primo grado: menù, "
        "diete speciali, rette. La carta fissa i tempi di risposta su rette e diete."
    ),
    IGIENE: (
        "Raccolta dei rifiuti, ritiro degli ingombranti, pulizia delle strade e del verde. "
        "La carta fissa i tempi di intervento sulle segnalazioni e l'attesa al 020202."
    ),
}
# Each charter's commitments, in order: the name, then the formula, whether the value must be at
# least or at most the target, the target, the period it is measured over and the parameters.
# The case formulas are measured on the cases of the charter's theme (`SERVICES`).
QUEUE = {"queues": ["generale"]}  # the 020202 general line's queue
Commitment = tuple[str, str, str, float, str, dict[str, Any]]
INDICATORS: dict[str, tuple[Commitment, ...]] = {
    NIDI: (
        ("Risposta alle richieste delle famiglie entro 30 giorni",
         F.ANSWERED_WITHIN, AT_LEAST, 95, MONTH, {"days": 30}),
        ("Richieste risolte entro 10 giorni lavorativi",
         F.RESOLVED_WITHIN, AT_LEAST, 70, MONTH, {"days": 10, "working_days": True}),
        ("Reclami sul totale delle richieste",
         F.COMPLAINT_SHARE, AT_MOST, 5, QUARTER, {}),
        ("Soddisfazione delle famiglie (1-5)",
         F.CSAT, AT_LEAST, 4, QUARTER, {}),
    ),
    REFEZIONE: (
        ("Risposta alle richieste su rette e diete entro 30 giorni",
         F.ANSWERED_WITHIN, AT_LEAST, 90, MONTH, {"days": 30}),
        ("Tempo medio di risoluzione",
         F.MEAN_RESOLUTION, AT_MOST, 20, MONTH, {}),
        ("Famiglie soddisfatte del servizio",
         F.SATISFIED_SHARE, AT_LEAST, 75, QUARTER, {}),
        ("Net Promoter Score",
         F.NPS, AT_LEAST, 0, QUARTER, {}),
    ),
    IGIENE: (
        ("Segnalazioni risolte entro 7 giorni",
         F.RESOLVED_WITHIN, AT_LEAST, 60, MONTH, {"days": 7}),
        ("Attesa media in coda al 020202",
         F.QUEUE_WAIT, AT_MOST, 90, MONTH, QUEUE),
        ("Chiamate abbandonate prima della risposta",
         F.CALLS_ABANDONED, AT_MOST, 8, MONTH, QUEUE),
        ("Soddisfazione degli utenti (1-5)",
         F.CSAT, AT_LEAST, 3.5, QUARTER, {}),
    ),
}  # fmt: skip
CASE_FORMULAS = (F.ANSWERED_WITHIN, F.RESOLVED_WITHIN, F.MEAN_RESOLUTION, F.COMPLAINT_SHARE)


def _day(end: date, spec: tuple[int, int, int]) -> date:
    years, month, day = spec
    return date(end.year + years, month, day)


def seed_charters(end: date) -> str:
    """Create or refresh the three charters (their indicators rewritten); returns a summary."""
    indicators = 0
    for slug, title in TITLES.items():
        name, name_en, office_code, theme_code = SERVICES[slug]
        theme = Theme.objects.filter(code=theme_code).first()
        office = Office.objects.filter(code=office_code).first()
        service, _created = Service.objects.get_or_create(
            code=slug, defaults={"name": name, "name_en": name_en, "office": office, "theme": theme}
        )
        state, issued, updated, next_update = DATES[slug]
        charter = actions.save_charter(
            CharterData(
                title=title,
                slug=slug,
                service=service,
                office=office,
                summary=SUMMARIES[slug],
                issued_on=_day(end, issued),
                updated_on=_day(end, updated),
                next_update_on=_day(end, next_update),
                update_state=state,
                published=True,
            ),
            ServiceCharter.objects.filter(slug=slug).first(),
        )
        charter.indicators.all().delete()
        for position, (label, formula, direction, target, period, parameters) in enumerate(
            INDICATORS[slug], start=1
        ):
            theme_of = {"theme": theme_code} if formula in CASE_FORMULAS else {}
            actions.save_indicator(
                charter,
                IndicatorData(
                    name=label,
                    formula=formula,
                    parameters=theme_of | parameters,
                    target=target,
                    direction=direction,
                    period=period,
                    position=position,
                ),
            )
            indicators += 1
    return f"{len(TITLES)} service charters, {indicators} indicators"
