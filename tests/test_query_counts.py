"""Query-count guards on the pages that read many rows: each builds a small city with N items and
then with 3N, and the number of SQL queries a request makes must not grow with N (a loop that
queries per row, an N+1, makes it grow), and must stay under a bound a little above today's
count (a new query per request is a choice, not an accident: raise the bound on purpose).

- the console inbox (`/console/inbox/`, default view and a few filters): N cases per channel,
  escalated, assigned, tagged, linked to a campaign; and its live look (`/console/inbox/live/`)
  with every row of the page changed;
- the case page (`/console/cases/<code>/`): a case whose thread has N notes, N replies and
  N citizen answers, whose citizen has N other cases; and a short case grown long (51 messages
  with HTML mails, attachments and a failed reply, over 80 events, 10 other cases);
- the Scrivi submission (POST `/scrivi/`, the accepted path, intake included): the citizen has
  N earlier cases and the city N other open ones;
- the monthly report (`/console/reports/`): N units of web, phone and call activity in the month;
- logging a call (POST `/console/calls/new/`, resolved at first contact and escalated): the
  caller has N earlier calls and the city N other open cases;
- a survey's results (`/console/questionari/<code>/risultati/`): N responses and invitations
  in each of two offices, with choices and comments.

A request is measured after a first one of the same kind, so caches warmed once (the taxonomy,
content types, the session) count in neither measure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ascolto.channels.actions import receive
from ascolto.channels.inbound import STORED, Attachment
from ascolto.channels.models import Message
from ascolto.citizens.sender import Sender
from ascolto.contactcenter.actions import ESCALATE, RESOLVE, log_call, record_call
from ascolto.tickets import actions
from ascolto.tickets.models import Campaign, Tag, Theme, Ticket
from ascolto.web.forms.scrivi import forget_taxonomy
from ascolto.web.views.scrivi.request import submission_token
from tests import factories, personas
from tests.personas import MARIA_EMAIL, MARIA_FISCAL_CODE

pytestmark = pytest.mark.django_db

N = 2  # 3N cases of each of four kinds still fit on the inbox's first page (25 rows)

# Today's counts (N and 3N alike: inbox 7-8, case page below, Scrivi 53, report 42 refreshing and
# 37 steady, a logged call 47 resolved and 60 escalated) plus a margin of two or three.
# The inbox reads its rows' channel, theme, office, team, assignee and citizen after the page,
# one query by primary key each (+6; joined into the page, they cost more planning than the
# page's execution over a million cases: benchmarks/inbox.py).
# A page that shows personal data writes one access-log record (+1: one INSERT, audit.actions).
# Each outbox event is also offered to the outgoing webhooks (+1 per event: the active
# subscriptions, api.webhooks.calls_for); a status change publishes `ticket.status_changed`
# (+1 INSERT, and its handling, +3): Scrivi 57, a logged call 59 resolved and 69 escalated.
MAX_INBOX = 17
MAX_INBOX_LIVE = 10  # the inbox's look for new and changed cases every few seconds: 7 today
# The case page: 23 (issue 19, from 32: the case read in two small queries rather than one of
# eleven joins, one presence transaction, the citizen panel without scope counts for an operator
# who sees every office, the theme's branch read with the case, the six choice lists of its
# forms kept in the process for a minute: web.forms.case.choice_rows).
MAX_CASE_PAGE = 25
MAX_SCRIVI = 58
MAX_REPORT = 45
MAX_CALL_RESOLVED = 61
MAX_CALL_ESCALATED = 70
# The survey results page reads each table once on PostgreSQL (responses, invitations,
# answers, the latest comments), each grouping query with its `SET LOCAL work_mem` in a
# savepoint of the test's transaction: 24; SQLite has no grouping sets and reads a grouping a
# query: 21.
MAX_SURVEY_RESULTS = 26

Measure = Callable[[int, Callable[[], Any]], int]


@pytest.fixture(autouse=True)
def _pinned_clock() -> Iterator[None]:
    """A Wednesday of June at 10:00: the month's report and the SLA clocks are far from an edge."""
    with time_machine.travel(datetime(2026, 6, 17, 10, 0, tzinfo=ZoneInfo("Europe/Rome"))):
        yield


@pytest.fixture
def measure(django_assert_max_num_queries: Any) -> Measure:
    """The number of queries `request` makes, failing above `bound`."""

    def run(bound: int, request: Callable[[], Any]) -> int:
        with django_assert_max_num_queries(bound) as captured:
            request()
        return len(captured)

    return run


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content[:500]
    return response


# The inbox.


def _inbox_cases(cast: personas.Cast, count: int, campaign: Campaign, tag: Tag) -> None:
    """`count` cases of each kind: from Scrivi with a theme, by phone, by email escalated to the
    TARI office (assigned, tagged, in the campaign), and closed."""
    for _ in range(count):
        factories.submit_scrivi(
            "Non riesco a presentare la dichiarazione TARI.",
            email=f"{factories.new_id('web')}@example.it",
            theme="tari-dichiarazione",
            kind="information",
        )
        receive(factories.phone_message("Orari dell'anagrafe?", number=_phone_number()))
        mail = factories.open_case(
            "Avviso TARI sbagliato.", email=f"{factories.new_id('mail')}@example.it"
        )
        actions.assign_ticket(mail, actor=cast.operator, assignee=cast.operator)
        actions.tag_ticket(mail, actor=cast.operator, add=[tag])
        actions.link_campaign(mail, campaign, actor=cast.operator)
        actions.escalate_ticket(mail, cast.tari, actor=cast.operator)
        factories.ticket_in(
            "closed",
            actor=cast.operator,
            office=None,
            email=f"{factories.new_id('closed')}@example.it",
        )


_numbers = iter(range(3331000000, 3332000000))


def _phone_number() -> str:
    return f"+39{next(_numbers)}"


def test_the_inbox_queries_do_not_grow_with_the_cases(
    cast: personas.Cast, measure: Measure
) -> None:
    campaign = Campaign.objects.create(
        code="tari-2026", name="TARI 2026", starts_on="2026-01-01", ends_on="2026-12-31"
    )
    tag = Tag.objects.create(name="Buoni spesa", slug="buoni-spesa")
    views: list[dict[str, Any]] = [
        {},
        {"status": "all"},
        {"channel": cast.phone.pk},
        {"theme": Theme.objects.get(code="tributi").pk},
        {"office": cast.tari.pk, "tag": tag.pk, "campaign": campaign.pk},
        {"assignee": "me", "sort": "due"},
        {"q": "TARI"},
    ]
    client = _client(cast.operator)
    _inbox_cases(cast, N, campaign, tag)
    _ok(client.get("/console/inbox/"))

    def counts(rows: int) -> list[int]:
        result = [
            measure(MAX_INBOX, lambda params=params: _ok(client.get("/console/inbox/", params)))
            for params in views
        ]
        page = _ok(client.get("/console/inbox/", {"status": "all"}))
        assert len(page.context["rows"]) == rows
        # Every case is new and every row of the page changed since the epoch.
        ids = ",".join(str(r["ticket"].pk) for r in page.context["rows"])
        live = {"status": "all", "loaded": "0", "since": "0", "ids": ids}
        result.append(
            measure(MAX_INBOX_LIVE, lambda: _ok(client.get("/console/inbox/live/", live)))
        )
        swapped = _ok(client.get("/console/inbox/live/", live)).content.decode()
        assert swapped.count('hx-swap-oob="outerHTML"') == rows
        return result

    small = counts(4 * N)
    _inbox_cases(cast, 2 * N, campaign, tag)
    large = counts(4 * 3 * N)
    assert large == small, f"inbox queries grow with N: per view, N={N}: {small}; 3N: {large}"


# The case page.


def _grow_case(cast: personas.Cast, ticket: Ticket, first: int, count: int) -> None:
    """`count` more notes, replies and citizen answers on the case (numbered from `first`), and
    `count` more cases of its citizen."""
    for i in range(first, first + count):
        actions.add_ticket_note(ticket, f"Nota {i}.", actor=cast.operator)
        actions.reply_to_ticket(ticket, f"Risposta {i}.", actor=cast.operator)
        factories.citizen_answers(ticket, f"Risposta della cittadina {i}.")
        factories.submit_scrivi(
            f"Un'altra richiesta {i}.", email=MARIA_EMAIL, fiscal_code=MARIA_FISCAL_CODE
        )


def test_the_case_page_queries_do_not_grow_with_the_thread(
    cast: personas.Cast, measure: Measure
) -> None:
    ticket = factories.open_case("Non ho ricevuto l'avviso TARI.", email=MARIA_EMAIL)
    url = reverse("console:case", args=[ticket.code])
    client = _client(cast.operator)
    _grow_case(cast, ticket, 0, N)
    _ok(client.get(url))

    small = measure(MAX_CASE_PAGE, lambda: _ok(client.get(url)))
    _grow_case(cast, ticket, N, 2 * N)
    page = _ok(client.get(url)).content.decode()
    assert f"Nota {3 * N - 1}." in page and f"Risposta della cittadina {3 * N - 1}." in page
    large = measure(MAX_CASE_PAGE, lambda: _ok(client.get(url)))
    assert large == small, f"case page queries grow with N: N={N}: {small}; 3N: {large}"


def _long_case(cast: personas.Cast, ticket: Ticket, first: int, rounds: int) -> None:
    """`rounds` rounds of a long case's life, as in `benchmarks/case_page.py`: the citizen's mails
    (HTML ones, files attached), replies (one of them never delivered) and notes, the case
    assigned, tagged, classified, escalated and sent back (about 8 events a round), and another
    case of the citizen on a thread of its own."""
    conversation = ticket.conversations.get()
    themes = list(Theme.objects.filter(level=Theme.Level.TOPIC).order_by("code")[:4])
    tags = actions.ensure_tags(["Rimborso", "Catasto", "Sollecito"])
    for i in range(first, first + rounds):
        ticket = Ticket.objects.get(pk=ticket.pk)
        actions.assign_ticket(ticket, actor=cast.operator, assignee=cast.operator)
        actions.tag_ticket(ticket, actor=cast.operator, add=[tags[i % 3]])
        actions.classify_ticket(ticket, actor=cast.operator, theme=themes[i % 4])
        actions.add_ticket_note(ticket, f"Nota lunga {i}.", actor=cast.operator)
        reply = actions.reply_to_ticket(ticket, f"Risposta lunga {i}.", actor=cast.operator)
        if i == 0:
            # Its tries all failed (tests/web/test_failed_reply.py drives a real refusal): the
            # page lists it at the top and offers «Reinvia» next to it.
            Message.objects.filter(pk=reply.pk).update(
                status=Message.Status.FAILED, last_error="550 mailbox unavailable"
            )
        ticket = actions.escalate_ticket(ticket, cast.tari, actor=cast.operator, note="Verifica")
        actions.send_back_ticket(ticket, actor=cast.operator, reason="Manca la planimetria.")
        factories.write_again(
            conversation,
            f"Mail lunga {i}.",
            attachments=(
                Attachment(f"pianta-{i}.pdf", "application/pdf", 84_000, f"{STORED}x{i}"),
            ),
            raw={"email": {"html": f"<p>Mail <b>lunga</b> {i}.</p>", "quoted": ""}},
        )
        factories.open_case(f"Un altro caso {i}.", email=MARIA_EMAIL)


def test_a_long_case_costs_the_page_no_more_queries_than_a_short_one(
    cast: personas.Cast, measure: Measure
) -> None:
    """The case page of a short case (6 messages, about 10 events, one other case of its
    citizen), then of the same case grown long (51 messages: HTML mails, attachments, notes,
    replies; over 80 events; 10 other cases of its citizen), in the same status with the same
    actions offered: the same number of queries, under `MAX_CASE_PAGE`."""
    ticket = factories.open_case("Avviso TARI sbagliato.", email=MARIA_EMAIL)
    url = reverse("console:case", args=[ticket.code])
    client = _client(cast.operator)
    _long_case(cast, ticket, 0, 1)
    _ok(client.get(url))
    short = measure(MAX_CASE_PAGE, lambda: _ok(client.get(url)))

    _long_case(cast, ticket, 1, 9)
    page = _ok(client.get(url)).content.decode()
    assert ticket.thread().count() == 51 and ticket.events.count() > 80
    assert page.count('class="card card-bg mb-3 border-start') == 51
    assert page.count("pianta-") == 10 and page.count("<b>lunga</b>") == 10
    assert 'id="failed-replies"' in page and "Un altro caso" not in page
    assert page.count('href="/console/cases/') >= 10  # the citizen's other cases, linked
    long = measure(MAX_CASE_PAGE, lambda: _ok(client.get(url)))
    assert long == short, f"case page queries grow with the case: short {short}; long {long}"


# The Scrivi submission.


def _form() -> dict[str, Any]:
    return {
        "kind": "information",
        "area": "tributi",
        "service": "tari",
        "description": "Vorrei sapere come pagare la TARI di quest'anno.",
        "first_name": "Maria",
        "last_name": "Rossi",
        "email": MARIA_EMAIL,
        "phone": "",
        "place": "",
        "privacy": "on",
        "website": "",
        "submission": submission_token(),
    }


def _earlier_cases(count: int) -> None:
    for i in range(count):
        factories.submit_scrivi(f"Richiesta precedente {i}.", email=MARIA_EMAIL)
        factories.open_case(f"Altro caso {i}.", email=f"{factories.new_id('other')}@example.it")


def test_the_scrivi_submission_queries_do_not_grow_with_the_citizen_history(
    cast: personas.Cast, measure: Measure, django_capture_on_commit_callbacks: Any
) -> None:
    forget_taxonomy()

    def submit() -> None:
        cache.clear()  # the rate limit forgets the earlier submissions
        data = _form()
        with django_capture_on_commit_callbacks(execute=True):
            _ok(Client().post(reverse("scrivi:home"), data), status=303)

    _earlier_cases(N)
    submit()
    small = measure(MAX_SCRIVI, submit)
    _earlier_cases(2 * N)
    large = measure(MAX_SCRIVI, submit)
    assert Ticket.objects.filter(citizen__email=MARIA_EMAIL).count() == 3 * N + 3
    assert large == small, f"Scrivi queries grow with N: N={N}: {small}; 3N: {large}"


# The monthly report.


def _month_activity(cast: personas.Cast, count: int) -> None:
    """`count` units of the month's activity: a Scrivi case resolved, a complaint left open, a
    phone case escalated and resolved, a case cancelled, two calls (one abandoned)."""
    now = timezone.now()
    for i in range(count):
        web = factories.submit_scrivi(
            f"Richiesta {i}.",
            email=f"{factories.new_id('web')}@example.org",
            sent_at=now - timedelta(days=3),
            theme="cie-rinnovo",
        )
        assert web.ticket_id is not None
        actions.resolve_ticket(
            Ticket.objects.get(pk=web.ticket_id), "Risposta data.", actor=cast.operator
        )
        factories.submit_scrivi(
            f"Reclamo {i}.",
            email=f"{factories.new_id('web')}@example.org",
            theme="tari-dichiarazione",
            kind="complaint",
        )
        number = _phone_number()
        phone = receive(factories.phone_message("Chiamata registrata.", number=number))
        assert phone.ticket_id is not None
        ticket = actions.escalate_ticket(
            Ticket.objects.get(pk=phone.ticket_id), cast.tari, actor=cast.operator
        )
        actions.resolve_ticket(ticket, "Risolto al telefono.", actor=cast.operator)
        cancelled = factories.open_case("Doppione.", email=f"{factories.new_id('mail')}@example.it")
        actions.cancel_ticket(cancelled, actor=cast.operator, reason="Doppione.")
        for abandoned in (False, True):
            record_call(
                external_id=factories.new_id("call"),
                queue="tributi",
                arrived_at=now - timedelta(hours=1, minutes=i),
                wait_seconds=30,
                talk_seconds=0 if abandoned else 200,
                abandoned=abandoned,
                caller_phone=number,
            )


def test_the_monthly_report_queries_do_not_grow_with_the_activity(
    cast: personas.Cast, measure: Measure
) -> None:
    """The first request after new calls also brings the report's daily rollups up to date (a
    few batched queries more); the next ones only read. Both are measured."""
    client = _client(cast.analyst)
    url = "/console/reports/?periodo=mese&mese=2026-06"
    _ok(client.get(url))

    def requests() -> tuple[int, int]:
        refreshing = measure(MAX_REPORT, lambda: _ok(client.get(url)))
        steady = measure(MAX_REPORT, lambda: _ok(client.get(url)))
        return refreshing, steady

    _month_activity(cast, N)
    small = requests()
    _month_activity(cast, 2 * N)
    large = requests()
    assert large == small, (
        f"monthly report queries grow with N: (refreshing, steady), N={N}: {small}; 3N: {large}"
    )


# Logging a call.


def _call_form(outcome: str, office: str = "") -> dict[str, Any]:
    return {
        "phone": "333 123 4567",
        "fiscal_code": personas.LUCA_FISCAL_CODE,
        "first_name": "Luca",
        "last_name": "Bianchi",
        "email": "",
        "citizen": "",
        "started_at": "",
        "call_id": "",
        "kind": "information",
        "theme": "tari-pagamento",
        "question": "Come pago la seconda rata della TARI?",
        "answer": "Con il modello F24 allegato all'avviso.",
        "outcome": outcome,
        "office": office,
        "note": "Verificare il pagamento della prima rata." if outcome == ESCALATE else "",
        "action": "save",
    }


def _earlier_calls(cast: personas.Cast, count: int) -> None:
    """`count` earlier calls of Luca, resolved and escalated in turn, and `count` other cases."""
    for i in range(count):
        log_call(
            operator=cast.operator,
            question=f"Domanda {i}.",
            outcome=ESCALATE if i % 2 else RESOLVE,
            answer=f"Risposta {i}.",
            sender=Sender(
                phone=personas.LUCA_PHONE,
                first_name="Luca",
                last_name="Bianchi",
                fiscal_code=personas.LUCA_FISCAL_CODE,
            ),
            office=cast.tari,
            note=f"Nota {i}.",
        )
        factories.open_case(f"Altro caso {i}.", email=f"{factories.new_id('other')}@example.it")


def test_logging_a_call_queries_do_not_grow_with_the_callers_history(
    cast: personas.Cast, measure: Measure, django_capture_on_commit_callbacks: Any
) -> None:
    client = _client(cast.operator)
    forms = [
        (MAX_CALL_RESOLVED, _call_form(RESOLVE)),
        (MAX_CALL_ESCALATED, _call_form(ESCALATE, office=str(cast.tari.pk))),
    ]

    def post(data: dict[str, Any]) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            _ok(client.post("/console/calls/new/", data), status=302)

    def counts() -> list[int]:
        return [measure(bound, lambda data=data: post(data)) for bound, data in forms]

    for _bound, data in forms:
        post(data)
    _earlier_calls(cast, N)
    small = counts()
    _earlier_calls(cast, 2 * N)
    large = counts()
    assert Ticket.objects.filter(channel=cast.phone).count() == 3 * N + 6
    assert large == small, f"logged call queries grow with N: N={N}: {small}; 3N: {large}"


# A survey's results.


def _survey_activity(cast: personas.Cast, survey: Any, count: int) -> None:
    from tests.surveys.helpers import invite, respond

    theme = Theme.objects.filter(level=Theme.Level.THEME).first()
    at = timezone.now() - timedelta(days=3)
    for i in range(count):
        for office in (cast.anagrafe, cast.tari):
            respond(
                survey,
                at,
                csat=1 + i % 5,
                nps=i % 11,
                improve=["tempi", "sito"][: 1 + i % 2],
                ease=3,
                text=f"Commento {i}",
                channel_kind="web",
                office=office,
                theme=theme,
            )
            invite(survey, at, answered=True, channel_kind="web", office=office, theme=theme)


def test_the_survey_results_queries_do_not_grow_with_the_answers(
    cast: personas.Cast, measure: Measure
) -> None:
    from tests.surveys.helpers import make_survey

    survey = make_survey("dopo-pratica-conteggi")
    client = _client(cast.analyst)
    url = f"/console/questionari/{survey.code}/risultati/"
    _ok(client.get(url))
    _survey_activity(cast, survey, N)
    small = measure(MAX_SURVEY_RESULTS, lambda: _ok(client.get(url)))
    _survey_activity(cast, survey, 2 * N)
    large = measure(MAX_SURVEY_RESULTS, lambda: _ok(client.get(url)))
    assert large == small, f"survey results queries grow with N: N={N}: {small}; 3N: {large}"
