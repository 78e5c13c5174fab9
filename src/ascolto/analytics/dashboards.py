"""The dashboards around the monthly report: themes and trends, campaigns, social, chatbot and
page ratings. Each returns a `Dashboard` of aggregated tables (docs/reports.md) made of what
`analytics.queries` reads."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from ascolto.analytics import queries, summaries
from ascolto.analytics.areas import NO_AREA, area_name, areas
from ascolto.analytics.period import Period
from ascolto.analytics.queries import BUCKETS, SOCIAL, days
from ascolto.analytics.report import parent_name
from ascolto.assistant.models import Session
from ascolto.channels.models import Channel
from ascolto.core.tables import Dashboard, Figure, Table, share
from ascolto.surveys.models import PageRating
from ascolto.tickets.models import Campaign

TOP_MOVERS = 10
WORST_PAGES = 10
MIN_RATINGS = 5  # a page needs this many ratings to be ranked among the worst
TOP_UNANSWERED = 50
TOP_SUGGESTIONS = 100
CITIZEN_TEXT = 100  # the citizens' words (questions, suggestions) are cut at this length
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_NUMBER = re.compile(r"\+?\d[\d ./-]{3,}\d")  # five or more digits, maybe spaced
_TAX_CODE = re.compile(r"\b[a-z]{6}\d{2}[a-z]\d{2}[a-z]\d{3}[a-z]\b", re.IGNORECASE)
_KIND_LABELS = dict(Channel.Kind.choices)


def themes(period: Period) -> Dashboard:
    """Volumes per area per month, per channel per month, and the themes that moved most
    against the period of the same length just before (from the daily summaries)."""
    summaries.refresh()
    names = areas()
    board = Dashboard("themes", _("Temi e tendenze"), period.label())
    cells = queries.cases_per_month_and(period, "area")
    months = sorted({m for m, _a in cells})
    present = [c for c in [*names, NO_AREA] if any(a == c for _m, a in cells)]
    board.tables.append(
        Table(
            "areas_by_month",
            _("Casi per area e mese"),
            [_("Mese"), *[area_name(c, names) for c in present]],
            [[f"{m:%m/%Y}", *[cells.get((m, c), 0) for c in present]] for m in months],
            chart="line",
            plotted=tuple(range(1, len(present) + 1)),
        )
    )
    cells = queries.cases_per_month_and(period, "channel_kind")
    kinds = sorted({k for _m, k in cells})
    board.tables.append(
        Table(
            "channels_by_month",
            _("Casi per canale e mese"),
            [_("Mese"), *[str(_KIND_LABELS.get(k, k)) for k in kinds]],
            [[f"{m:%m/%Y}", *[cells.get((m, k), 0) for k in kinds]] for m in months],
            chart="bar",
            plotted=tuple(range(1, len(kinds) + 1)),
        )
    )
    before = period.previous()
    board.tables.append(
        Table(
            "movers",
            _("Temi in maggiore variazione rispetto a %(period)s") % {"period": before.label()},
            [
                _("Argomento"),
                _("Tema superiore"),
                _("Periodo"),
                _("Periodo precedente"),
                _("Variazione"),
                _("Variazione (%)"),
            ],
            [
                [theme.name, parent_name(theme), now, then, now - then, share(now - then, then)]
                for theme, now, then in queries.theme_changes(period, TOP_MOVERS)
            ],
        )
    )
    return board


def campaign(item: Campaign) -> Dashboard:
    """Daily intake during the surge, outcome per team, resolution times."""
    board = Dashboard(
        "campaign",
        _("Campagna: %(name)s") % {"name": item.name},
        f"{item.starts_on:%d/%m/%Y}–{item.ends_on:%d/%m/%Y}",
    )
    labels = {
        "cancelled": _("Annullati"),
        "first": _("Risolti al primo livello"),
        "task_force": _("Risolti dalla task force"),
        "office": _("Passati a un ufficio"),
        "active": _("In lavorazione"),
    }
    found = queries.campaign_figures(item)
    totals = found.totals
    board.figures = [
        Figure(_("Casi"), totals["n"]),
        Figure(
            _("Gestiti solo al primo livello"),
            share(totals["level1"], totals["n"] - totals["cancelled"]),
            "%",
            _("casi mai passati al secondo livello"),
        ),
        Figure(_("Tempo medio di risoluzione"), days(totals["mean"]), _("giorni")),
    ]
    board.tables.append(
        Table(
            "daily",
            _("Casi aperti per giorno"),
            [_("Giorno"), _("Casi")],
            [[f"{day:%d/%m/%Y}", n] for day, n in found.daily],
            chart="bar",
        )
    )
    board.tables.append(
        Table(
            "teams",
            _("Esito per team"),
            [_("Team"), _("Casi"), *labels.values()],
            [
                [r["team__name"] or _("Nessun team"), r["n"], *[r[k] for k in labels]]
                for r in found.per_team
            ],
            chart="bar",
            plotted=tuple(range(2, 2 + len(labels))),
        )
    )
    board.tables.append(
        Table(
            "outcome",
            _("Esito"),
            [_("Esito"), _("Casi"), _("Quota (%)")],
            [
                [_(label), totals[key], share(totals[key], totals["n"])]
                for key, label in labels.items()
            ],
            chart="pie",
        )
    )
    counts = found.buckets
    whole = sum(counts.values())
    board.tables.append(
        Table(
            "resolution",
            _("Tempi di risoluzione"),
            [_("Fascia"), _("Casi"), _("Quota (%)")],
            [
                [_(b.label), counts.get(b.key, 0), share(counts.get(b.key, 0), whole)]
                for b in BUCKETS
            ],
            chart="bar",
        )
    )
    return board


def social(period: Period) -> Dashboard:
    """Comments and private messages received, handled interactions (a thread with a case
    counts once), and the themes of the handled ones."""
    board = Dashboard("social", _("Social"), period.label())
    found = queries.social_figures(period)
    msg, th = found.messages, found.threads
    handled = sum(r["handled"] for r in th.values())
    board.figures = [
        Figure(_("Commenti e messaggi ricevuti"), sum(msg.values())),
        Figure(_("Conversazioni"), sum(r["n"] for r in th.values())),
        Figure(
            _("Interazioni gestite"),
            handled,
            note=_("una conversazione con un caso conta una volta"),
        ),
    ]
    board.tables.append(
        Table(
            "by_channel",
            _("Per canale"),
            [_("Canale"), _("Messaggi ricevuti"), _("Conversazioni"), _("Interazioni gestite")],
            [
                [
                    _KIND_LABELS[k],
                    msg.get(k, 0),
                    th.get(k, {}).get("n", 0),
                    th.get(k, {}).get("handled", 0),
                ]
                for k in SOCIAL
            ],
            chart="bar",
            plotted=(1, 3),
        )
    )
    board.tables.append(
        Table(
            "months",
            _("Per mese"),
            [_("Mese"), _("Messaggi ricevuti"), _("Interazioni gestite")],
            [
                [f"{month:%m/%Y}", n, found.handled_monthly.get(month, 0)]
                for month, n in found.monthly
            ],
            chart="line",
            plotted=(1, 2),
        )
    )
    names = areas()
    total = sum(n for _area, n in found.areas)
    board.tables.append(
        Table(
            "themes",
            _("Temi delle interazioni gestite"),
            [_("Area"), _("Casi"), _("Quota (%)")],
            [[area_name(area, names), n, share(n, total)] for area, n in found.areas],
            chart="pie",
        )
    )
    return board


def citizen_text(text: str) -> str:
    """A citizen's words as the overview shows them: e-mail addresses and long numbers (phone
    numbers, tax codes, case numbers) masked, and cut at `CITIZEN_TEXT` characters."""
    text = _EMAIL.sub("[email]", " ".join(text.split()))
    text = _NUMBER.sub("[numero]", _TAX_CODE.sub("[codice fiscale]", text))
    return text if len(text) <= CITIZEN_TEXT else text[: CITIZEN_TEXT - 1].rstrip() + "…"


def chatbot(period: Period) -> Dashboard:
    """The virtual assistant (WhatsApp and the web chat), from its own tables: messages and
    active users per month, menu use, hand-offs and forms by node, unanswered questions and the
    survey. No name or number is read; the citizens' words (questions, suggestions) are masked
    and cut (`citizen_text`), and the reports are for analysts and supervisors only."""
    board = Dashboard("chatbot", _("Assistente virtuale"), period.label())
    found = queries.chatbot_figures(period, unanswered=TOP_UNANSWERED)
    totals, survey = found.totals, found.survey
    board.figures = [
        Figure(_("Messaggi ricevuti"), totals["received"]),
        Figure(_("Messaggi inviati"), totals["sent"]),
        Figure(
            _("Utenti attivi"),
            totals["users"],
            note=_("sessioni distinte per chiave anonima: nessun numero è conservato"),
        ),
        Figure(_("Sessioni"), totals["sessions"]),
        Figure(_("Passaggi a un operatore"), sum(r["n"] for r in found.handoffs)),
        Figure(_("Moduli inviati"), sum(r["n"] for r in found.forms)),
        Figure(
            _("Risposte al questionario"),
            share(survey["answered"], survey["asked"]),
            "%",
            _("%(answered)d su %(asked)d questionari inviati")
            % {"answered": survey["answered"], "asked": survey["asked"]},
        ),
        Figure(
            _("Ti sono stato utile? Sì"),
            share(survey["useful"], survey["useful"] + survey["not_useful"]),
            "%",
            _("tra chi ha risposto sì o no"),
        ),
    ]
    board.tables.append(
        Table(
            "months",
            _("Per mese"),
            [
                _("Mese"),
                _("Messaggi ricevuti"),
                _("Messaggi inviati"),
                _("Utenti attivi"),
                _("Sessioni"),
            ],
            [
                [f"{r['month']:%m/%Y}", r["received"], r["sent"], r["users"], r["sessions"]]
                for r in found.months
            ],
            chart="line",
            plotted=(1, 2, 3),
        )
    )
    kinds = dict(Session.Kind.choices)
    board.tables.append(
        Table(
            "kinds",
            _("Sessioni per canale"),
            [_("Canale"), _("Sessioni"), _("Quota (%)")],
            [[kinds.get(k, k), n, share(n, totals["sessions"])] for k, n in found.kinds],
            chart="pie",
        )
    )
    chosen = sum(r["chosen"] for r in found.menu)
    board.tables.append(
        Table(
            "menu",
            _("Voci di menu più usate"),
            [_("Voce"), _("Percorso"), _("Scelte"), _("Sessioni"), _("Quota (%)")],
            [
                [r["label"], r["path"], r["chosen"], r["sessions"], share(r["chosen"], chosen)]
                for r in found.menu
            ],
            chart="bar",
            plotted=(2,),
        )
    )
    for key, title, rows in (
        ("handoffs", _("Passaggi a un operatore per voce"), found.handoffs),
        ("forms", _("Moduli inviati per voce"), found.forms),
    ):
        board.tables.append(
            Table(
                key,
                title,
                [_("Voce"), _("Percorso"), _("Volte")],
                [[r["label"], r["path"], r["n"]] for r in rows],
                chart="bar",
                plotted=(2,),
            )
        )
    board.tables.append(
        Table(
            "unanswered",
            _("Domande senza risposta (le %(count)d più frequenti)") % {"count": TOP_UNANSWERED},
            [_("Domanda"), _("Volte")],
            [[citizen_text(text), n] for text, n in found.unanswered],
            note=_(
                "Testo scritto dai cittadini: indirizzi email e numeri lunghi sono mascherati, "
                "le domande tagliate a %(chars)d caratteri."
            )
            % {"chars": CITIZEN_TEXT},
        )
    )
    board.tables.append(
        Table(
            "suggestions",
            _("Suggerimenti lasciati nel questionario"),
            [_("Suggerimento"), _("Percorso nel menu")],
            [[citizen_text(text), path] for text, path in found.suggestions[:TOP_SUGGESTIONS]],
        )
    )
    return board


def ratings(period: Period) -> Dashboard:
    """Average score per page, the answers to the follow-up question, the worst pages."""
    board = Dashboard("ratings", _("Valutazioni delle pagine"), period.label())
    found = queries.rating_figures(period, top=50, worst=WORST_PAGES, min_ratings=MIN_RATINGS)
    totals = found.totals
    board.figures = [
        Figure(_("Valutazioni"), totals["n"]),
        Figure(_("Pagine valutate"), totals["pages"]),
        Figure(
            _("Voto medio"),
            None if totals["mean"] is None else round(totals["mean"], 2),
            _("su 5"),
        ),
    ]
    board.tables.append(
        Table(
            "pages",
            _("Voto medio per pagina (le 50 più valutate)"),
            [_("Pagina"), _("Valutazioni"), _("Voto medio"), _("Voti da 1 a 3")],
            [[r["page"], r["n"], round(r["mean"], 2), r["low"]] for r in found.pages],
        )
    )
    board.tables.append(
        Table(
            "worst",
            _("Pagine peggiori (almeno %(count)d valutazioni)") % {"count": MIN_RATINGS},
            [_("Pagina"), _("Voto medio"), _("Valutazioni")],
            [[r["page"], round(r["mean"], 2), r["n"]] for r in found.worst],
            chart="bar",
        )
    )
    labels = dict(PageRating.Reason.choices)
    answered = sum(n for _reason, n in found.reasons)
    board.tables.append(
        Table(
            "reasons",
            _("Risposte alla domanda successiva"),
            [_("Risposta"), _("Tipo"), _("Volte"), _("Quota (%)")],
            [
                [
                    labels.get(reason, reason),
                    _("negativa") if reason in PageRating.NEGATIVE else _("positiva"),
                    n,
                    share(n, answered),
                ]
                for reason, n in found.reasons
            ],
            chart="bar",
            plotted=(2,),
        )
    )
    board.tables.append(
        Table(
            "scores",
            _("Distribuzione dei voti"),
            [_("Voto"), _("Valutazioni")],
            [[score, n] for score, n in found.scores],
            chart="bar",
        )
    )
    return board


__all__ = ["campaign", "chatbot", "ratings", "social", "themes"]
