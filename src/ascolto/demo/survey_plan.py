"""The demo city's survey plan for the demo year: a few surveys per department (Direzione) of
the seeds, with a mix of states (done, running, in planning, suspended, placed by the demo's end
date) and the schools' surveys by school year."""

from __future__ import annotations

from datetime import date

from ascolto.organisation.models import Office
from ascolto.surveys import plan
from ascolto.surveys.models import Survey, SurveyPlanEntry

State = SurveyPlanEntry.State

# department code → (title, subject, audience, start (month, day), end (month, day) or a
# school year offset (0: the one starting in the plan's year, -1: the one before), owner)
PLAN: dict[str, list[tuple[str, str, str, tuple[int, int] | None, tuple[int, int] | int, str]]] = {
    "transizione-digitale": [
        (
            "Milano Ti Ascolta",
            "Indagine generale sulla qualità della vita e sui servizi del Comune",
            "Cittadini residenti maggiorenni",
            (3, 1),
            (4, 30),
            "Area CRM – Customer Intelligence",
        ),
        (
            "Soddisfazione per i servizi online",
            "Certificati, appuntamenti, TARI, cambio di residenza",
            "Utenti dei servizi online del portale",
            (1, 1),
            (12, 31),
            "Area CRM – Data Analysis",
        ),
        (
            "Valutazione del contact center 020202",
            "Cortesia, competenza, tempi di attesa",
            "Chi ha chiamato il 020202",
            (10, 1),
            (10, 31),
            "Customer Operations",
        ),
    ],
    "servizi-civici": [
        (
            "Soddisfazione agli sportelli anagrafici",
            "Attesa, cortesia, chiarezza delle informazioni",
            "Utenti delle sedi anagrafiche dei Municipi",
            (5, 1),
            (5, 31),
            "Direzione Servizi Civici",
        ),
    ],
    "educazione": [
        (
            "Gradimento dei nidi d'infanzia",
            "Qualità educativa, ambienti, rapporto con le famiglie",
            "Famiglie dei bambini iscritti ai nidi",
            None,
            -1,
            "Area Servizi all'infanzia",
        ),
        (
            "Gradimento della ristorazione scolastica",
            "Qualità dei pasti, menù, diete speciali",
            "Famiglie e insegnanti",
            None,
            0,
            "Area Ristorazione scolastica",
        ),
    ],
    "politiche-sociali": [
        (
            "Servizi domiciliari per anziani",
            "Qualità percepita dell'assistenza a domicilio",
            "Anziani assistiti e loro familiari",
            (9, 1),
            (11, 30),
            "Direzione Politiche Sociali",
        ),
    ],
    "mobilita": [
        (
            "Pass sosta residenti",
            "Chiarezza della procedura di rinnovo online",
            "Residenti con pass sosta",
            (2, 1),
            (2, 28),
            "Direzione Mobilità",
        ),
    ],
    "transizione-ambientale": [
        (
            "Igiene ambientale e ritiro ingombranti",
            "Puntualità, pulizia delle strade, ingombranti",
            "Cittadini che hanno chiesto un ritiro",
            (6, 1),
            (7, 15),
            "Direzione Transizione Ambientale",
        ),
    ],
    "casa": [
        (
            "Inquilini delle case comunali",
            "Manutenzione, sportelli, comunicazione",
            "Assegnatari di alloggi ERP",
            (11, 1),
            (12, 15),
            "Direzione Casa",
        ),
    ],
}


def _state(start: date, end: date, today: date, suspended: bool) -> str:
    if suspended:
        return State.SUSPENDED
    if end < today:
        return State.DONE
    return State.RUNNING if start <= today else State.PLANNING


def seed_survey_plan(end: date) -> str:
    """The plan of `end`'s year for the seeds' departments, written again; returns a summary."""
    year = end.year
    offices = {o.code: o for o in Office.objects.filter(code__in=PLAN, kind=Office.Kind.DEPARTMENT)}
    SurveyPlanEntry.objects.filter(year=year, department__in=offices.values()).delete()
    linked = Survey.objects.filter(code="milano-ti-ascolta").first()
    written = 0
    for code, surveys in PLAN.items():
        office = offices.get(code)
        if office is None:
            continue
        for title, subject, audience, starts, ends, owner in surveys:
            school_year = ""
            if isinstance(ends, int):
                first = year + ends
                school_year = f"{first}/{first + 1}"
                start, finish = date(first, 9, 1), date(first + 1, 6, 30)
                starts_on = ends_on = None
            else:
                assert starts is not None  # noqa: S101
                start, finish = date(year, *starts), date(year, *ends)
                starts_on, ends_on = start, finish
            plan.save_entry(
                plan.EntryData(
                    year=year,
                    department=office,
                    title=title,
                    subject=subject,
                    audience=audience,
                    starts_on=starts_on,
                    ends_on=ends_on,
                    school_year=school_year,
                    state=_state(start, finish, end, suspended=code == "mobilita"),
                    owner=owner,
                    survey=linked if title == "Milano Ti Ascolta" else None,
                )
            )
            written += 1
    return f"{written} surveys in the {year} plan of {len(offices)} departments"
