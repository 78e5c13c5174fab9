"""Open data: the aggregated monthly figures of a year as CSV and JSON, with a data dictionary.

No personal data leaves here: only counts and averages per month, channel kind and area of the
taxonomy. Statistical disclosure control (docs/reports.md, "Open data"):

1. primary suppression: a count from 1 to 4 is not published (empty cell, `suppressed`
   flag); a count whose complement within its row is 1–4 (e.g. resolved = cases − 2) is not
   published either, since it would reveal the small complement;
2. secondary suppression: each (month, channel) group publishes a total over its areas; where
   exactly one cell of a column is suppressed in a group, the smallest other published non-zero
   cell of that column in the group is suppressed too, so the total cannot give it back.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ascolto.analytics.areas import area_of
from ascolto.analytics.period import Period
from ascolto.analytics.queries import calls_in, cases_in, resolved, resolved_within
from ascolto.channels.models import Channel
from ascolto.core.tables import safe_dict

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

SMALL = 5  # counts below this (and above zero) are suppressed
TOTAL = "totale"
CASE_COUNTS = ("cases", "resolved", "resolved_within_30_days")

DICTIONARY: list[dict[str, StrOrPromise]] = [
    {
        "file": "casi_mensili",
        "field": "month",
        "type": "string (YYYY-MM)",
        "description": gettext_lazy("Mese di apertura del caso (ora di Roma)."),
    },
    {
        "file": "casi_mensili",
        "field": "channel",
        "type": "string",
        "description": gettext_lazy(
            "Canale di origine: web (Scrivi), phone (020202), email, whatsapp, facebook, "
            "instagram, messenger, api."
        ),
    },
    {
        "file": "casi_mensili",
        "field": "area",
        "type": "string",
        "description": gettext_lazy(
            "Area della tassonomia dei temi (codice); «totale» è la somma di tutte le aree "
            "del mese e del canale; «senza-tema» i casi non classificati."
        ),
    },
    {
        "file": "casi_mensili",
        "field": "cases",
        "type": "integer",
        "description": gettext_lazy("Casi aperti nel mese (esclusi i duplicati uniti)."),
    },
    {
        "file": "casi_mensili",
        "field": "resolved",
        "type": "integer",
        "description": gettext_lazy("Di questi, casi risolti alla data di produzione del file."),
    },
    {
        "file": "casi_mensili",
        "field": "resolved_within_30_days",
        "type": "integer",
        "description": gettext_lazy("Di questi, casi risolti entro 30 giorni dall'apertura."),
    },
    {
        "file": "casi_mensili",
        "field": "suppressed",
        "type": "string",
        "description": gettext_lazy(
            "Campi non pubblicati per tutela statistica (conteggi da 1 a 4, o che li "
            "renderebbero ricavabili), separati da «;»."
        ),
    },
    {
        "file": "chiamate_mensili",
        "field": "month",
        "type": "string (YYYY-MM)",
        "description": gettext_lazy("Mese di arrivo della chiamata al 020202."),
    },
    {
        "file": "chiamate_mensili",
        "field": "offered",
        "type": "integer",
        "description": gettext_lazy("Chiamate arrivate in coda (offerte)."),
    },
    {
        "file": "chiamate_mensili",
        "field": "answered",
        "type": "integer",
        "description": gettext_lazy("Chiamate con risposta di un operatore."),
    },
    {
        "file": "chiamate_mensili",
        "field": "answer_rate",
        "type": "number (%)",
        "description": gettext_lazy("answered / offered × 100, una cifra decimale."),
    },
    {
        "file": "chiamate_mensili",
        "field": "mean_wait_seconds",
        "type": "number",
        "description": gettext_lazy(
            "Attesa media in coda delle chiamate con risposta, in secondi."
        ),
    },
    {
        "file": "chiamate_mensili",
        "field": "mean_talk_seconds",
        "type": "number",
        "description": gettext_lazy(
            "Durata media della conversazione delle chiamate con risposta, in secondi."
        ),
    },
    {
        "file": "chiamate_mensili",
        "field": "suppressed",
        "type": "string",
        "description": gettext_lazy("Campi non pubblicati per tutela statistica."),
    },
]


def dictionary() -> list[dict[str, str]]:
    """The data dictionary with its descriptions in the active language; the file and field
    names never change with the language."""
    return [{key: str(value) for key, value in entry.items()} for entry in DICTIONARY]


def _fields(name: str) -> list[str]:
    return [str(d["field"]) for d in DICTIONARY if d["file"] == name]


def suppress(n: int) -> int | str:
    """A count as shown in public pages: '< 5' for 1–4."""
    return f"< {SMALL}" if 0 < n < SMALL else n


def is_small(n: int) -> bool:
    """A count that is not published: from 1 to 4 (zero is)."""
    return 0 < n < SMALL


@dataclass
class OpenData:
    cases: list[dict[str, Any]]
    calls: list[dict[str, Any]]


def build(year: int) -> OpenData:
    """The year's open data, suppression applied."""
    period = Period.year(year)
    tz = timezone.get_current_timezone()

    rows = (
        cases_in(period)
        .filter(parent__isnull=True)
        .annotate(month=TruncMonth("created_at", tzinfo=tz), area=area_of())
        .values("month", "channel__kind", "area")
        .annotate(
            cases=Count("id"),
            resolved=Count("id", filter=resolved()),
            resolved_within_30_days=Count("id", filter=resolved_within(30)),
        )
        .order_by("month", "channel__kind", "area")
    )
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        key = (f"{r['month']:%Y-%m}", r["channel__kind"])
        groups.setdefault(key, []).append(
            {
                "month": key[0],
                "channel": key[1],
                "area": r["area"],
                **{c: r[c] for c in CASE_COUNTS},
                "suppressed": set(),
            }
        )
    cases: list[dict[str, Any]] = []
    for (month, channel), cells in groups.items():
        total = {"month": month, "channel": channel, "area": TOTAL, "suppressed": set()}
        for c in CASE_COUNTS:
            total[c] = sum(cell[c] for cell in cells)
        for row in [*cells, total]:
            _primary(row)
        for c in CASE_COUNTS:
            secondary(cells, total, c)
        cases.extend([*cells, total])
    calls = []
    monthly = (
        calls_in(period)
        .annotate(month=TruncMonth("arrived_at", tzinfo=tz))
        .values("month")
        .annotate(
            offered=Count("id"),
            answered=Count("id", filter=Q(abandoned=False)),
            wait=Avg("wait_seconds", filter=Q(abandoned=False)),
            talk=Avg("talk_seconds", filter=Q(abandoned=False)),
        )
        .order_by("month")
    )
    for r in monthly:
        call: dict[str, Any] = {
            "month": f"{r['month']:%Y-%m}",
            "offered": r["offered"],
            "answered": r["answered"],
            "answer_rate": round(100 * r["answered"] / r["offered"], 1) if r["offered"] else None,
            "mean_wait_seconds": None if r["wait"] is None else round(r["wait"], 1),
            "mean_talk_seconds": None if r["talk"] is None else round(r["talk"], 1),
            "suppressed": set(),
        }
        if (
            is_small(call["offered"])
            or is_small(call["answered"])
            or is_small(call["offered"] - call["answered"])
        ):
            call["suppressed"] |= {
                "answered",
                "answer_rate",
                "mean_wait_seconds",
                "mean_talk_seconds",
            }
            if is_small(call["offered"]):
                call["suppressed"].add("offered")
        calls.append(call)
    return OpenData(cases=[_publish(r) for r in cases], calls=[_publish(r) for r in calls])


def _primary(row: dict[str, Any]) -> None:
    for c in CASE_COUNTS:
        if is_small(row[c]) or (c != "cases" and is_small(row["cases"] - row[c])):
            row["suppressed"].add(c)


def secondary(
    cells: list[dict[str, Any]], total: dict[str, Any], column: str, *, name: str = "area"
) -> None:
    """Where one cell of `column` is hidden, hide the smallest other non-zero one too; with no
    other to hide, hide the total (it would equal the hidden cell).

    Each cell (and the total) is a dict with the count under `column` and a `suppressed` set of
    the columns hidden; ties between equal counts go to the first by `name`. Used by the open
    data and by the public complaints report."""
    hidden = [cell for cell in cells if column in cell["suppressed"]]
    if len(hidden) != 1 or column in total["suppressed"]:
        return
    candidates = [cell for cell in cells if column not in cell["suppressed"] and cell[column] > 0]
    if candidates:
        min(candidates, key=lambda cell: (cell[column], str(cell[name])))["suppressed"].add(column)
    else:
        total["suppressed"].add(column)


def _publish(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: (None if k in row["suppressed"] else v) for k, v in row.items() if k != "suppressed"}
    out["suppressed"] = ";".join(sorted(row["suppressed"]))
    return out


def write(year: int, out: Path) -> list[Path]:
    """Write the year's files into `out`; returns their paths."""
    data = build(year)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in (("casi_mensili", data.cases), ("chiamate_mensili", data.calls)):
        path = out / f"{name}_{year}.csv"
        fields = _fields(name)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            writer.writerows(safe_dict(row) for row in rows)
        written.append(path)
        path = out / f"{name}_{year}.json"
        path.write_text(
            json.dumps(  # lazy labels (model choices) become text
                {"year": year, "fields": fields, "rows": rows},
                ensure_ascii=False,
                indent=1,
                cls=DjangoJSONEncoder,
            ),
            encoding="utf-8",
        )
        written.append(path)
    path = out / "dizionario_dati.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["file", "field", "type", "description"])
        writer.writeheader()
        writer.writerows(safe_dict(row) for row in dictionary())
    written.append(path)
    path = out / "dizionario_dati.json"
    meta = {
        "title": _("Contatti e casi del Comune, dati mensili %(year)s") % {"year": year},
        "suppression": _(
            "conteggi da 1 a %(largest)d non pubblicati; soppressione secondaria "
            "quando un totale li renderebbe ricavabili"
        )
        % {"largest": SMALL - 1},
        "channels": dict(Channel.Kind.choices),
        "fields": dictionary(),
    }
    path.write_text(
        json.dumps(meta, ensure_ascii=False, indent=1, cls=DjangoJSONEncoder), encoding="utf-8"
    )
    written.append(path)
    return written


def rows_csv(name: str, rows: list[dict[str, Any]]) -> str:
    """One open-data file as CSV text (the fields of the data dictionary, in order)."""
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=_fields(name))
    writer.writeheader()
    writer.writerows(safe_dict(row) for row in rows)
    return out.getvalue()
