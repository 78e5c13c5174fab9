"""The dashboards around the monthly report: themes and trends, campaigns, social, chatbot and
page ratings. Each returns a `Dashboard` of aggregated tables (docs/reports.md)."""

from __future__ import annotations

from django.db.models import Avg, Count, Max, Min, Q, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.analytics import summaries
from ascolto.analytics.models import CaseDay
from ascolto.analytics.period import Period
from ascolto.analytics.queries import (
    BUCKETS,
    bucket_counts,
    case_days,
    cases_in,
    days,
    resolution_time,
    resolved,
)
from ascolto.analytics.report import parent_name
from ascolto.analytics.taxonomy import NO_AREA, area_name, area_of, areas
from ascolto.channels.models import Channel, Conversation, Message
from ascolto.core.tables import Dashboard, Figure, Table, share
from ascolto.organisation.models import Office
from ascolto.surveys.models import PageRating
from ascolto.tickets.models import Campaign, Theme, Ticket

SOCIAL = (Channel.Kind.FACEBOOK, Channel.Kind.INSTAGRAM, Channel.Kind.MESSENGER)
# The chatbot app does not exist yet: its overview reads the WhatsApp conversations.
CHATBOT = (Channel.Kind.WHATSAPP,)
MENU_LETTERS = tuple("ABCDEFGHIJKLM")
TOP_MOVERS = 10
WORST_PAGES = 10
MIN_RATINGS = 5  # a page needs this many ratings to be ranked among the worst
_KIND_LABELS = dict(Channel.Kind.choices)


def _month(field: str) -> TruncMonth:
    return TruncMonth(field, tzinfo=timezone.get_current_timezone())


def themes(period: Period) -> Dashboard:
    """Volumes per area per month, per channel per month, and the themes that moved most
    against the period of the same length just before (from the daily summaries)."""
    summaries.refresh()
    names = areas()
    board = Dashboard("themes", _("Temi e tendenze"), period.label())
    grid = (
        case_days(period)
        .annotate(month=TruncMonth("day"), area=area_of())
        .values("month", "area")
        .annotate(t_n=Sum("cases"))
    )
    cells = {(r["month"], r["area"]): r["t_n"] for r in grid}
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
    by_channel = (
        case_days(period)
        .annotate(month=TruncMonth("day"))
        .values("month", "channel_kind")
        .annotate(t_n=Sum("cases"))
    )
    cells = {(r["month"], r["channel_kind"]): r["t_n"] for r in by_channel}
    kinds = sorted({k for _m, k in cells})
    board.tables.append(
        Table(
            "channels_by_month",
            _("Casi per canale e mese"),
            [_("Mese"), *[_KIND_LABELS.get(k, k) for k in kinds]],
            [[f"{m:%m/%Y}", *[cells.get((m, k), 0) for k in kinds]] for m in months],
            chart="bar",
            plotted=tuple(range(1, len(kinds) + 1)),
        )
    )
    before = period.previous()
    movers = list(
        CaseDay.objects.filter(day__gte=before.start, day__lte=period.end, theme_id__isnull=False)
        .values("theme_id")
        .annotate(
            now=Sum("cases", filter=Q(day__gte=period.start), default=0),
            then=Sum("cases", filter=Q(day__lt=period.start), default=0),
        )
    )
    ranked = sorted(movers, key=lambda r: (-abs(r["now"] - r["then"]), r["theme_id"]))[:TOP_MOVERS]
    found = Theme.objects.filter(pk__in=[r["theme_id"] for r in ranked]).select_related("parent")
    named = {t.pk: t for t in found}
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
                [
                    named[r["theme_id"]].name,
                    parent_name(named[r["theme_id"]]),
                    r["now"],
                    r["then"],
                    r["now"] - r["then"],
                    share(r["now"] - r["then"], r["then"]),
                ]
                for r in ranked
            ],
        )
    )
    return board


def campaigns() -> list[dict[str, object]]:
    """Every campaign with its number of cases (one query)."""
    return list(
        Campaign.objects.annotate(n=Count("tickets")).values(
            "code", "name", "starts_on", "ends_on", "n"
        )
    )


def campaign(item: Campaign) -> Dashboard:
    """Daily intake during the surge, outcome per team, resolution times."""
    board = Dashboard(
        "campaign",
        _("Campagna: %(name)s") % {"name": item.name},
        f"{item.starts_on:%d/%m/%Y}–{item.ends_on:%d/%m/%Y}",
    )
    cases = Ticket.objects.filter(campaign=item)
    task_force = item.task_force
    in_task_force = (
        Q(
            office_id__in=list(
                Office.objects.filter(path__startswith=task_force.path).values_list("pk", flat=True)
            )
        )
        if task_force is not None
        else Q(pk__in=[])
    )
    outcome = {
        "cancelled": Q(status=Ticket.Status.CANCELLED),
        "first": resolved() & Q(level=Ticket.Level.FIRST),
        "task_force": resolved() & Q(level=Ticket.Level.SECOND) & in_task_force,
        "office": ~Q(status=Ticket.Status.CANCELLED)
        & Q(level=Ticket.Level.SECOND)
        & ~in_task_force,
        "active": Q(status__in=Ticket.ACTIVE) & (Q(level=Ticket.Level.FIRST) | in_task_force),
    }
    labels = {
        "cancelled": _("Annullati"),
        "first": _("Risolti al primo livello"),
        "task_force": _("Risolti dalla task force"),
        "office": _("Passati a un ufficio"),
        "active": _("In lavorazione"),
    }
    totals = cases.aggregate(
        n=Count("id"),
        mean=Avg(resolution_time(), filter=resolved()),
        first_day=Min("created_at"),
        last_day=Max("created_at"),
        level1=Count("id", filter=~Q(status=Ticket.Status.CANCELLED) & Q(level=Ticket.Level.FIRST)),
        **{key: Count("id", filter=q) for key, q in outcome.items()},
    )
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
    daily = (
        cases.annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(n=Count("id"))
        .order_by("day")
    )
    board.tables.append(
        Table(
            "daily",
            _("Casi aperti per giorno"),
            [_("Giorno"), _("Casi")],
            [[f"{r['day']:%d/%m/%Y}", r["n"]] for r in daily],
            chart="bar",
        )
    )
    per_team = (
        cases.values("team__name")
        .annotate(n=Count("id"), **{key: Count("id", filter=q) for key, q in outcome.items()})
        .order_by("-n", "team__name")
    )
    board.tables.append(
        Table(
            "teams",
            _("Esito per team"),
            [_("Team"), _("Casi"), *labels.values()],
            [
                [r["team__name"] or _("Nessun team"), r["n"], *[r[k] for k in labels]]
                for r in per_team
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
    counts = bucket_counts(cases)
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
    inbound = Message.objects.filter(
        channel__kind__in=SOCIAL,
        direction=Message.Direction.INBOUND,
        sent_at__gte=period.since,
        sent_at__lt=period.until,
    )
    threads = Conversation.objects.filter(
        channel__kind__in=SOCIAL, started_at__gte=period.since, started_at__lt=period.until
    )
    per_kind = inbound.values("channel__kind").annotate(n=Count("id"))
    msg = {r["channel__kind"]: r["n"] for r in per_kind}
    thread_rows = threads.values("channel__kind").annotate(
        n=Count("id", distinct=True),
        handled=Count("id", distinct=True, filter=Q(tickets__isnull=False)),
    )
    th = {r["channel__kind"]: r for r in thread_rows}
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
    monthly = (
        inbound.annotate(month=_month("sent_at"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("month")
    )
    handled_monthly = {
        r["month"]: r["n"]
        for r in threads.filter(tickets__isnull=False)
        .annotate(month=_month("started_at"))
        .values("month")
        .annotate(n=Count("id", distinct=True))
    }
    board.tables.append(
        Table(
            "months",
            _("Per mese"),
            [_("Mese"), _("Messaggi ricevuti"), _("Interazioni gestite")],
            [[f"{r['month']:%m/%Y}", r["n"], handled_monthly.get(r["month"], 0)] for r in monthly],
            chart="line",
            plotted=(1, 2),
        )
    )
    names = areas()
    themes_rows = (
        cases_in(period)
        .filter(channel__kind__in=SOCIAL)
        .annotate(area=area_of())
        .values("area")
        .annotate(n=Count("id"))
        .order_by("-n", "area")
    )
    total = sum(r["n"] for r in themes_rows)
    board.tables.append(
        Table(
            "themes",
            _("Temi delle interazioni gestite"),
            [_("Area"), _("Casi"), _("Quota (%)")],
            [[area_name(r["area"], names), r["n"], share(r["n"], total)] for r in themes_rows],
            chart="pie",
        )
    )
    return board


def chatbot(period: Period) -> Dashboard:
    """Messages sent and received per month, active users (identities that wrote), sessions,
    the menu entries chosen (inbound messages that are one menu letter)."""
    board = Dashboard("chatbot", _("Chatbot WhatsApp"), period.label())
    board.notes.append(
        _(
            "Il chatbot non ha ancora un'app propria: i dati sono le conversazioni del canale "
            "WhatsApp (sessioni con l'assistente a menu)."
        )
    )
    messages = Message.objects.filter(
        channel__kind__in=CHATBOT, sent_at__gte=period.since, sent_at__lt=period.until
    ).exclude(direction=Message.Direction.NOTE)
    inbound = Q(direction=Message.Direction.INBOUND)
    monthly = (
        messages.annotate(month=_month("sent_at"))
        .values("month")
        .annotate(
            received=Count("id", filter=inbound),
            sent=Count("id", filter=~inbound),
            users=Count("conversation__identity_id", distinct=True, filter=inbound),
            sessions=Count("conversation_id", distinct=True),
        )
        .order_by("month")
    )
    rows = [
        [f"{r['month']:%m/%Y}", r["received"], r["sent"], r["users"], r["sessions"]]
        for r in monthly
    ]
    totals = messages.aggregate(
        received=Count("id", filter=inbound),
        sent=Count("id", filter=~inbound),
        users=Count("conversation__identity_id", distinct=True, filter=inbound),
        sessions=Count("conversation_id", distinct=True),
    )
    handoffs = (
        Conversation.objects.filter(
            channel__kind__in=CHATBOT,
            started_at__gte=period.since,
            started_at__lt=period.until,
            tickets__isnull=False,
        )
        .distinct()
        .count()
    )
    board.figures = [
        Figure(_("Messaggi ricevuti"), totals["received"]),
        Figure(_("Messaggi inviati"), totals["sent"]),
        Figure(
            _("Utenti attivi"), totals["users"], note=_("recapiti che hanno scritto nel periodo")
        ),
        Figure(_("Sessioni"), totals["sessions"]),
        Figure(_("Passaggi a un operatore"), handoffs),
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
            rows,
            chart="line",
            plotted=(1, 2, 3),
        )
    )
    menu = (
        messages.filter(inbound, text__in=MENU_LETTERS)
        .values("text")
        .annotate(n=Count("id"))
        .order_by("-n", "text")
    )
    chosen = sum(r["n"] for r in menu)
    board.tables.append(
        Table(
            "menu",
            _("Voci di menu più usate"),
            [_("Voce"), _("Scelte"), _("Quota (%)")],
            [[r["text"], r["n"], share(r["n"], chosen)] for r in menu],
            chart="bar",
        )
    )
    return board


def ratings(period: Period) -> Dashboard:
    """Average score per page, the answers to the follow-up question, the worst pages."""
    board = Dashboard("ratings", _("Valutazioni delle pagine"), period.label())
    rated = PageRating.objects.filter(created_at__gte=period.since, created_at__lt=period.until)
    totals = rated.aggregate(n=Count("id"), mean=Avg("score"), pages=Count("page", distinct=True))
    board.figures = [
        Figure(_("Valutazioni"), totals["n"]),
        Figure(_("Pagine valutate"), totals["pages"]),
        Figure(
            _("Voto medio"),
            None if totals["mean"] is None else round(totals["mean"], 2),
            _("su 5"),
        ),
    ]
    pages = rated.values("page").annotate(
        n=Count("id"), mean=Avg("score"), low=Count("id", filter=Q(score__lte=3))
    )
    by_page = pages.order_by("-n", "page")[:50]
    board.tables.append(
        Table(
            "pages",
            _("Voto medio per pagina (le 50 più valutate)"),
            [_("Pagina"), _("Valutazioni"), _("Voto medio"), _("Voti da 1 a 3")],
            [[r["page"], r["n"], round(r["mean"], 2), r["low"]] for r in by_page],
        )
    )
    worst = pages.filter(n__gte=MIN_RATINGS).order_by("mean", "-n", "page")[:WORST_PAGES]
    board.tables.append(
        Table(
            "worst",
            _("Pagine peggiori (almeno %(count)d valutazioni)") % {"count": MIN_RATINGS},
            [_("Pagina"), _("Voto medio"), _("Valutazioni")],
            [[r["page"], round(r["mean"], 2), r["n"]] for r in worst],
            chart="bar",
        )
    )
    labels = dict(PageRating.Reason.choices)
    reasons = (
        rated.exclude(reason="").values("reason").annotate(n=Count("id")).order_by("-n", "reason")
    )
    answered = sum(r["n"] for r in reasons)
    board.tables.append(
        Table(
            "reasons",
            _("Risposte alla domanda successiva"),
            [_("Risposta"), _("Tipo"), _("Volte"), _("Quota (%)")],
            [
                [
                    labels.get(r["reason"], r["reason"]),
                    _("negativa") if r["reason"] in PageRating.NEGATIVE else _("positiva"),
                    r["n"],
                    share(r["n"], answered),
                ]
                for r in reasons
            ],
            chart="bar",
            plotted=(2,),
        )
    )
    scores = rated.values("score").annotate(n=Count("id")).order_by("score")
    board.tables.append(
        Table(
            "scores",
            _("Distribuzione dei voti"),
            [_("Voto"), _("Valutazioni")],
            [[r["score"], r["n"]] for r in scores],
            chart="bar",
        )
    )
    return board


__all__ = ["campaign", "campaigns", "chatbot", "ratings", "social", "themes"]
