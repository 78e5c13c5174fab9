"""p50/p95 of the operator inbox page and of a text search over the demo city (~1 M cases).

    python benchmarks/inbox.py [--database-url postgres://postgres@127.0.0.1:5432/ascolto_city]
                               [--runs 40] [--warmup 5] [--rounds 3] [--only TEXT] [--explain]

Each request is the whole console page (`/console/inbox/?…`) through Django's test client:
middleware, session, access checks, the counts per filter value, the page of cases and the
template, signed in as a real operator of the demo city. What a page writes is what the console
writes: its one access-log record (the cases and citizens it showed, `audit.record_access`);
sessions are signed cookies and sign-in does not touch `last_login`.

The database must hold the demo city at scale 1.0 (about 1 M cases), migrated and analysed;
one command builds it into `ascolto_city`: `make city` (`CITY_URL=… make city` for another
database; `--database-url` reads it, e.g. a small city of `generate_city --scale 0.01` to try
the script). Budgets (DESIGN §6): p95 ≤ 50 ms for a filtered inbox page, ≤ 100 ms for a search.

Each scenario runs `--warmup` requests, then `--rounds` rounds (3) of `--runs` requests each
(`figures.py`); it prints the p50 and the p95 as the medians of the rounds', the p95 of each
round, and the range of the p95 over the rounds, judged on the median p95. The conditions come
first (database, cases, runs, CPUs, load average at the start), the load average at the end
last. `--explain` prints EXPLAIN ANALYZE of the main queries of each scenario.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import figures

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/ascolto_city"
INBOX_BUDGET_MS = 50.0
SEARCH_BUDGET_MS = 100.0


def _django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ascolto.config.settings")
    os.environ["ASCOLTO_LOG_LEVEL"] = "WARNING"
    import django
    from django.conf import settings

    django.setup()
    # Read-only: a session lives in its signed cookie, and signing in does not save last_login.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    from django.contrib.auth import user_logged_in
    from django.contrib.auth.models import update_last_login

    user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")


def _scenarios() -> list[tuple[str, str, Any, dict[str, str], float]]:
    """(kind, name, user, GET parameters, budget in ms)."""
    from django.db.models import Count

    from ascolto.organisation.models import User
    from ascolto.tickets.models import Theme, Ticket

    operator = User.objects.filter(role=User.Role.FIRST_LEVEL, is_active=True).order_by("pk")[0]
    busiest_office = (
        Ticket.objects.filter(status__in=Ticket.ACTIVE, office__isnull=False)
        .values("office_id")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    office_ids = [row["office_id"] for row in busiest_office]
    office_user = (
        User.objects.filter(role=User.Role.OFFICE, is_active=True, office_id__in=office_ids[1:])
        .order_by("pk")
        .first()
    ) or User.objects.filter(role=User.Role.OFFICE, is_active=True).order_by("pk")[0]
    assignee = (
        Ticket.objects.filter(status__in=Ticket.ACTIVE, assignee__isnull=False)
        .values("assignee_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    assigned_user = User.objects.get(pk=assignee["assignee_id"]) if assignee else operator
    tari = Theme.objects.get(code="tari")
    anagrafe = Theme.objects.get(code="anagrafe")
    code = Ticket.objects.filter(status="closed").order_by("-pk").values_list("code", flat=True)[0]
    inbox, search = INBOX_BUDGET_MS, SEARCH_BUDGET_MS
    return [
        ("inbox", "default view (active cases)", operator, {}, inbox),
        ("inbox", "office operator's view", office_user, {}, inbox),
        (
            "inbox",
            "status + theme (waiting, Anagrafe)",
            operator,
            {"status": "waiting", "theme": str(anagrafe.pk)},
            inbox,
        ),
        (
            "inbox",
            "status + theme (resolved, TARI)",
            operator,
            {"status": "resolved", "theme": str(tari.pk)},
            inbox,
        ),
        ("inbox", "SLA breached", operator, {"sla": "breached"}, inbox),
        (
            "inbox",
            "SLA due within 48 h, by due date",
            operator,
            {"sla": "due_soon", "sort": "due"},
            inbox,
        ),
        ("inbox", "assignee (me)", assigned_user, {"assignee": "me"}, inbox),
        # A rare kind (1.9 % of the cases): over every status it has its own index
        # (`ticket_kind_recent_idx`, decision 0029); among the active cases, the active one.
        (
            "inbox",
            "kind suggestion (all statuses)",
            operator,
            {"kind": "suggestion", "status": "all"},
            inbox,
        ),
        ("inbox", "kind suggestion (active)", operator, {"kind": "suggestion"}, inbox),
        (
            "inbox",
            "kind complaint, page 5 (all)",
            operator,
            {"kind": "complaint", "status": "all", "page": "5"},
            inbox,
        ),
        ("inbox", "all statuses, page 20", operator, {"status": "all", "page": "20"}, inbox),
        ("search", "search 'residenza' (active)", operator, {"q": "residenza"}, search),
        ("search", "search 'avviso TARI' (active)", operator, {"q": "avviso TARI"}, search),
        (
            "search",
            "search 'platano' (all statuses)",
            operator,
            {"q": "platano", "status": "all"},
            search,
        ),
        (
            "search",
            "search 'buoni spesa' (all statuses)",
            operator,
            {"q": "buoni spesa", "status": "all"},
            search,
        ),
        (
            "search",
            "search 'certificato di residenza' (all)",
            operator,
            {"q": "certificato di residenza", "status": "all"},
            search,
        ),
        (
            "search",
            "search tracking code (all statuses)",
            operator,
            {"q": code, "status": "all"},
            search,
        ),
    ]


def _timed(call: Callable[[], Any], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def _base(user: Any, params: dict[str, str]) -> Any:
    """The filtered queryset the page is built on, as the view builds it."""
    from django.http import QueryDict
    from django.utils import timezone

    from ascolto.core import access
    from ascolto.tickets import inbox
    from ascolto.tickets.models import Ticket
    from ascolto.web.forms.inbox import InboxFilterForm, References

    data = QueryDict(mutable=True)
    data.update(params)
    query = InboxFilterForm(data, user=user, refs=References.load()).query()
    now = timezone.now()
    return inbox.filtered(access.visible(Ticket.objects.all(), user), query, user=user, now=now)


def _explain(user: Any, params: dict[str, str]) -> None:
    from datetime import timedelta

    from django.core.exceptions import EmptyResultSet
    from django.db import connection
    from django.utils import timezone

    from ascolto.core import access
    from ascolto.tickets import inbox
    from ascolto.tickets.models import Ticket

    base = _base(user, params)
    counts = base.order_by().values("status", "channel_id", "kind").annotate(n=inbox.Count("id"))
    # The page as the view reads it (the citizen, channel, theme, office, team and assignee of
    # its rows come after it, by primary key).
    page = base.order_by("-created_at", "-id")[:25]
    # The live look the page makes every few seconds: new cases since the page was shown, and
    # the rows on the page changed since the last look.
    since = timezone.now() - timedelta(minutes=5)
    arrived = base.filter(created_at__gt=since).order_by().values("pk")[:100]
    ids = list(page.values_list("pk", flat=True))
    changed = (
        access.visible(Ticket.objects.all(), user)
        .filter(pk__in=ids, updated_at__gt=since)
        .select_related(*inbox.PAGE_RELATED)
    )
    for label, qs in (
        ("counts", counts),
        ("page", page),
        ("live: new", arrived),
        ("live: changed", changed),
    ):
        try:
            sql, sql_params = qs.query.sql_with_params()
        except EmptyResultSet:  # nothing on the page: nothing to look at
            print(f"  {label}: no query (nothing can match)")
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", sql_params)
            plan = "\n    ".join(row[0] for row in cursor.fetchall())
        print(f"  {label}:\n    {plan}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_INBOX_URL", DEFAULT_URL))
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    figures.rounds_option(parser)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--only", default="", help="run the scenarios whose name contains this")
    args = parser.parse_args()
    _django(args.database_url)

    from django.test import Client

    from ascolto.tickets.models import Ticket

    print(
        f"cases: {Ticket.objects.count():,} on {args.database_url.rsplit('/', 1)[-1]}; "
        f"Django's test client in one process; per scenario {args.rounds} rounds × {args.runs} "
        f"requests after {args.warmup} warm-up; {figures.machine()}",
        flush=True,
    )
    print(
        f"{'scenario':46} {'cases':>8} {'p50 ms':>8} {'p95 ms':>8} {'budget':>7}  "
        "p95 of each round; over the rounds"
    )
    failures = 0
    for _kind, name, user, params, budget in _scenarios():
        if args.only and args.only not in name:
            continue
        client = Client()
        client.force_login(user)
        first = client.get("/console/inbox/", params)
        assert first.status_code == 200, (name, first.status_code)
        total = _base(user, params).count()

        def page(c: Any = client, p: dict[str, str] = params) -> Any:
            return c.get("/console/inbox/", p)

        _timed(page, args.warmup)
        per_round = [_timed(page, args.runs) for _ in range(args.rounds)]
        p50 = figures.median(figures.median(times) for times in per_round)
        p95s = [figures.percentile(times, 0.95) for times in per_round]
        p95 = figures.median(p95s)
        verdict = "ok" if p95 <= budget else "OVER"
        failures += verdict != "ok"
        print(
            f"{name:46} {total:>8,} {p50:>8.1f} {p95:>8.1f} {budget:>5.0f} {verdict:>4}  "
            + " / ".join(f"{x:.1f}" for x in p95s)
            + f"; {figures.spread(p95s, 'ms', 1)}",
            flush=True,
        )
        if args.explain:
            _explain(user, params)
    print(figures.at_end())
    print("all within budget" if not failures else f"{failures} scenario(s) over budget")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
