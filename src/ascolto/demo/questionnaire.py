"""The demo city's large questionnaire, like Milan's "Milano Ti Ascolta" after the 2020
lockdown: how the citizens lived it, what worried them most ("I motivi che preoccupano
maggiormente"), the services they used, how satisfied they are; with gender, age and municipio.

About 5,000 answers are generated as the CSV Google Forms exports (ages as numbers, a
multiple choice as labels joined by ", ", a few rows a tool would let through wrong), imported
through the same action as the console's (`surveys.actions.import_questionnaire`), summarised
weighted to Milan's population (approximate margins, said in their `source`) and published at
/trasparenza/indagini/milano-ti-ascolta-2020/.

The sample leans, as such samples do, towards women and the middle-aged; the answers depend on
age (the old worry about health, the young about work and school), on gender and on the
municipio, so the cross-tabulations have real differences to find and the weighting has an
effect to show. The figures are invented.
"""

from __future__ import annotations

import csv
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from ascolto.surveys import actions
from ascolto.surveys.models import (
    Answer,
    ExecutiveSummary,
    PopulationMargins,
    Question,
    Response,
    Survey,
    SurveyVersion,
)

CODE = "milano-ti-ascolta-2020"
ANSWERS = 5_000
MARGINS_NAME = "Milano, popolazione residente per genere, età e municipio"

AGES = [
    ("fino18", "Fino a 18 anni", 14, 18),
    ("19-24", "19-24 anni", 19, 24),
    ("25-34", "25-34 anni", 25, 34),
    ("35-44", "35-44 anni", 35, 44),
    ("45-54", "45-54 anni", 45, 54),
    ("55-64", "55-64 anni", 55, 64),
    ("65-74", "65-74 anni", 65, 74),
    ("75+", "75 anni e oltre", 75, 92),
]
# Approximate shares of Milan's residents (about 1.4 million), rounded: not ISTAT's figures.
POPULATION = {
    "gender": {"F": 0.516, "M": 0.484},
    "age": {
        "fino18": 0.165,
        "19-24": 0.050,
        "25-34": 0.130,
        "35-44": 0.140,
        "45-54": 0.160,
        "55-64": 0.140,
        "65-74": 0.105,
        "75+": 0.110,
    },
    "district": {
        "1": 0.071,
        "2": 0.116,
        "3": 0.104,
        "4": 0.116,
        "5": 0.091,
        "6": 0.109,
        "7": 0.128,
        "8": 0.135,
        "9": 0.130,
    },
}
# Who answered: more women, fewer of the youngest and the oldest than the city has.
SAMPLE_GENDER = {"F": 0.60, "M": 0.38, "X": 0.02}
SAMPLE_AGE = [0.06, 0.05, 0.13, 0.18, 0.22, 0.17, 0.12, 0.07]
WORRIES = [
    ("salute", "Salute propria e dei familiari"),
    ("lavoro", "Lavoro e reddito"),
    ("scuola", "Scuola e figli"),
    ("solitudine", "Solitudine"),
    ("casa", "Costo della vita, casa"),
    ("sicurezza", "Sicurezza"),
    ("trasporti", "Trasporti pubblici e contagio"),
    ("ambiente", "Ambiente"),
]
SERVICES = [
    ("online", "Servizi online del Comune"),
    ("020202", "Contact center 020202"),
    ("domiciliare", "Assistenza domiciliare"),
    ("spesa", "Spesa a domicilio"),
    ("buoni", "Buoni spesa"),
    ("nessuno", "Nessuno"),
]
LIVED = ["Molto male", "Male", "Né bene né male", "Bene", "Molto bene"]
INFORMED = [
    ("tv", "Televisione"),
    ("comune", "Siti e social del Comune"),
    ("giornali", "Giornali"),
    ("passaparola", "Passaparola"),
]
SUGGESTIONS = [
    "Più verde nei quartieri",
    "Orari degli uffici più ampi",
    "Più aiuto agli anziani soli",
    "",
    "",
    "",
]


def _choices(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"value": v, "label": label, "label_en": ""} for v, label in pairs]


QUESTIONS: list[dict[str, Any]] = [
    {"code": "genere", "kind": "single", "text": "Genere", "text_en": "Gender",
     "dimension": "gender", "required": True,
     "choices": _choices([("F", "Donna"), ("M", "Uomo"), ("X", "Preferisco non rispondere")])},
    {"code": "eta", "kind": "single", "text": "Età", "text_en": "Age", "dimension": "age",
     "required": True, "choices": _choices([(v, label) for v, label, _l, _h in AGES])},
    {"code": "municipio", "kind": "single", "text": "Municipio di residenza",
     "text_en": "District", "dimension": "district", "required": True,
     "choices": _choices([(str(i), f"Municipio {i}") for i in range(1, 10)])},
    {"code": "vissuto", "kind": "scale", "scale_min": 1, "scale_max": 5, "required": True,
     "text": "Come ha vissuto il periodo del lockdown?",
     "text_en": "How did you live through the lockdown?",
     "choices": _choices([(str(i + 1), label) for i, label in enumerate(LIVED)])},
    {"code": "preoccupazioni", "kind": "multiple", "required": True,
     "text": "I motivi che preoccupano maggiormente",
     "text_en": "What worries you most", "choices": _choices(WORRIES)},
    {"code": "servizi", "kind": "multiple", "text": "Quali servizi del Comune ha usato?",
     "text_en": "Which of the city's services did you use?", "choices": _choices(SERVICES)},
    {"code": "informazione", "kind": "single", "text": "Come si è informato soprattutto?",
     "text_en": "How did you mostly keep informed?", "choices": _choices(INFORMED)},
    {"code": "soddisfazione", "kind": "rating", "required": True,
     "text": "Quanto è soddisfatto di come il Comune ha gestito l'emergenza?",
     "text_en": "How satisfied are you with how the city handled the emergency?"},
    {"code": "lavoro_casa", "kind": "single", "text": "Ha lavorato da casa?",
     "text_en": "Did you work from home?",
     "choices": _choices([("si", "Sì"), ("no", "No"), ("non_lavoro", "Non lavoro")])},
    {"code": "lavoro_futuro", "kind": "single", "show_if": "lavoro_casa",
     "show_if_values": ["si"], "text": "Vorrebbe continuare a lavorare da casa?",
     "text_en": "Would you like to keep working from home?",
     "choices": _choices([("si", "Sì"), ("in_parte", "In parte"), ("no", "No")])},
    {"code": "nps", "kind": "nps", "text": "Consiglierebbe a un amico i servizi online del Comune?",
     "text_en": "Would you recommend the city's online services to a friend?"},
    {"code": "suggerimenti", "kind": "text", "text": "Suggerimenti per la città",
     "text_en": "Suggestions for the city"},
]  # fmt: skip


def _survey() -> Survey:
    survey = Survey.objects.create(
        code=CODE,
        title="Milano Ti Ascolta",
        title_en="Milan Listens to You",
        intro="Come i cittadini hanno vissuto il lockdown e che cosa li preoccupa.",
        kind=Survey.Kind.QUESTIONNAIRE,
        status=Survey.Status.CLOSED,
    )
    version = SurveyVersion.objects.create(survey=survey, number=1, published_at=timezone.now())
    Question.objects.bulk_create(
        Question(version=version, position=i, **spec) for i, spec in enumerate(QUESTIONS, 1)
    )
    survey.current_version = version
    survey.save(update_fields=["current_version"])
    return survey


def _forget() -> None:
    """The questionnaire of a previous run, gone (the answers first: they protect the
    questions)."""
    survey = Survey.objects.filter(code=CODE).first()
    ExecutiveSummary.objects.filter(survey__code=CODE).delete()
    PopulationMargins.objects.filter(name=MARGINS_NAME).delete()
    if survey is None:
        return
    Answer.objects.filter(response__survey=survey).delete()
    Response.objects.filter(survey=survey).delete()
    Survey.objects.filter(pk=survey.pk).update(current_version=None)
    survey.delete()


def _rows(rng: np.random.Generator, n: int, start: datetime) -> list[list[str]]:
    genders = rng.choice(list(SAMPLE_GENDER), n, p=list(SAMPLE_GENDER.values()))
    band = rng.choice(len(AGES), n, p=SAMPLE_AGE)
    district = rng.choice(9, n, p=np.full(9, 1 / 9)) + 1
    rows = []
    for i in range(n):
        low, high = AGES[band[i]][2], AGES[band[i]][3]
        age = int(rng.integers(low, high + 1))
        old, young = age >= 65, age <= 34
        woman = genders[i] == "F"
        # The outer municipi (8 and 9) lived it worse and are less satisfied.
        outer = district[i] in (8, 9)
        lived = int(np.clip(np.rint(rng.normal(3.1 - 0.6 * old - 0.4 * outer, 1.0)), 1, 5))
        worry_p = {
            "salute": 0.45 + 0.3 * old,
            "lavoro": 0.25 + 0.3 * young - 0.2 * old,
            "scuola": 0.08 + 0.3 * (35 <= age <= 54) * woman,
            "solitudine": 0.1 + 0.25 * old,
            "casa": 0.2 + 0.1 * young,
            "sicurezza": 0.12 + 0.05 * outer,
            "trasporti": 0.15,
            "ambiente": 0.12 + 0.08 * young,
        }
        worries = [label for (value, label) in WORRIES if rng.random() < worry_p[value]]
        if not worries:
            worries = [WORRIES[0][1]]
        used = [
            label
            for (value, label), p in zip(
                SERVICES,
                (
                    0.45 - 0.25 * old,
                    0.2 + 0.1 * old,
                    0.04 + 0.1 * old,
                    0.1,
                    0.06 + 0.04 * outer,
                    0.2,
                ),
                strict=True,
            )
            if rng.random() < p
        ] or [SERVICES[-1][1]]
        satisfied = int(np.clip(np.rint(rng.normal(3.6 - 0.5 * outer + 0.2 * old, 0.9)), 1, 5))
        works = rng.choice(
            ["Sì", "No", "Non lavoro"], p=[0.1, 0.1, 0.8] if old or age <= 18 else [0.5, 0.35, 0.15]
        )
        future = rng.choice(["Sì", "In parte", "No"], p=[0.35, 0.45, 0.2]) if works == "Sì" else ""
        nps = int(np.clip(np.rint(rng.normal(7.2 - 0.8 * outer, 2.0)), 0, 10))
        when = start + timedelta(minutes=int(rng.integers(0, 30 * 24 * 60)))
        rows.append(
            [
                when.strftime("%Y/%m/%d %I:%M:%S %p") + " CEST",
                {"F": "Donna", "M": "Uomo", "X": "Preferisco non rispondere"}[genders[i]],
                str(age),
                f"Municipio {district[i]}",
                LIVED[lived - 1],
                ", ".join(worries),
                ", ".join(used),
                INFORMED[int(rng.integers(0, len(INFORMED)))][1],
                str(satisfied),
                str(works),
                str(future),
                str(nps),
                SUGGESTIONS[int(rng.integers(0, len(SUGGESTIONS)))],
            ]
        )
    # What a form lets through and the import refuses: an age typed as words, a satisfaction
    # left empty, a municipio that does not exist.
    for j, (column, value) in enumerate(((2, "quaranta"), (8, ""), (3, "Municipio 10")) * 12):
        rows[(j * 97 + 11) % n][column] = value
    return rows


HEADERS = [
    "Informazioni cronologiche",
    "Genere",
    "Età",
    "Municipio di residenza",
    "Come ha vissuto il periodo del lockdown?",
    "I motivi che preoccupano maggiormente",
    "Quali servizi del Comune ha usato?",
    "Come si è informato soprattutto?",
    "Quanto è soddisfatto di come il Comune ha gestito l'emergenza?",
    "Ha lavorato da casa?",
    "Vorrebbe continuare a lavorare da casa?",
    "Consiglierebbe a un amico i servizi online del Comune?",
    "Suggerimenti per la città",
]


def write_questionnaire(year: int, rng: np.random.Generator, answers: int = ANSWERS) -> str:
    """The questionnaire, its answers imported from a generated CSV, its weighted summary
    published. Replaces the one of an earlier run; returns a line for the demo's log."""
    with transaction.atomic():
        _forget()
        survey = _survey()
        margins = PopulationMargins.objects.create(
            name=MARGINS_NAME,
            source=(
                "Quote approssimate della popolazione residente di Milano (arrotondate, "
                "nell'ordine di quelle ISTAT): dati dimostrativi, non ufficiali."
            ),
            reference_date=date(year - 1, 1, 1),
            margins=POPULATION,
        )
    start = datetime(2020, 6, 1, 9, 0, tzinfo=timezone.get_current_timezone())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "milano-ti-ascolta.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(HEADERS)
            writer.writerows(_rows(rng, answers, start))
        report = actions.import_questionnaire(survey, path, "milano-ti-ascolta.csv")
    summary = actions.create_summary(
        survey, title="Milano Ti Ascolta: la città dopo il lockdown", slug=CODE
    )
    actions.edit_summary(
        summary,
        title=summary.title,
        intro=(
            "Tra giugno e luglio 2020 il Comune ha chiesto ai cittadini come hanno vissuto il "
            "periodo del lockdown, che cosa li preoccupa di più e quali servizi hanno usato. "
            "Hanno risposto circa 5.000 persone di tutti i municipi."
        ),
        conclusions=(
            "La salute resta la prima preoccupazione, soprattutto dopo i 65 anni; lavoro e "
            "reddito preoccupano più i giovani. I municipi periferici hanno vissuto peggio il "
            "periodo e sono meno soddisfatti: le differenze sono significative."
        ),
        notes={"preoccupazioni": "Più risposte possibili: le quote non sommano a 100."},
        weighted=True,
        margins=margins,
    )
    actions.publish_summary(summary)
    return f"{report.accepted:,} answers imported, {len(report.refusals)} rows refused"
