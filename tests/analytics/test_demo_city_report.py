"""The report over a small generated city agrees with the generator: the figures the demo is
built from (DESIGN §1, constants of demo/plan.py) come back within the documented tolerance,
and each equals the same figure counted row by row in Python, independently of the report's
aggregate queries. (benchmarks/reports.py checks the city at scale 1.0.)"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from ascolto.analytics import contacts
from ascolto.analytics.period import Period
from ascolto.analytics.queries import exact_repeat_contacts
from ascolto.analytics.report import monthly_report
from ascolto.contactcenter.models import CallRecord
from ascolto.demo import plan
from ascolto.surveys.models import PageRating
from ascolto.tickets.models import Ticket
from tests import factories

END = date(2026, 3, 31)


@pytest.mark.django_db(transaction=True)
def test_the_report_reproduces_the_demo_city() -> None:
    factories.ensure_taxonomy()
    call_command("generate_city", "--scale", "0.005", "--end", f"{END}", stdout=StringIO())
    period = Period(END - timedelta(days=364), END)

    report = monthly_report(period)

    # Against the generator's targets (tolerances in docs/reports.md).
    assert report.calls.offered == round(plan.CALLS * 0.005)
    assert report.cases_by_channel["web"] == round(plan.WEB_TICKETS * 0.005)
    assert abs(report.calls.answer_rate - 100 * (1 - plan.ABANDONED)) < 1.0
    assert abs(report.calls.mean_talk - plan.MEAN_TALK) < 15
    assert abs(report.calls.mean_wait - plan.MEAN_WAIT) < 15
    targets = [share for _, share in plan.WEB_BUCKETS]
    for got, target in zip(report.bucket_shares("web").values(), targets, strict=True):
        assert abs(got - 100 * target / sum(targets)) < 0.6
    assert 78 < report.first_level_share < 87
    callers, repeat, same_area = exact_repeat_contacts(period)  # over the demo's whole year
    assert 8 < 100 * repeat / callers < 16
    assert 2 < 100 * same_area / callers < 8
    assert report.areas[0][0] == "anagrafe" and 29 < report.areas[0][3] < 37

    # Against the rows, counted in Python.
    calls = list(CallRecord.objects.values_list("caller_id", "abandoned", "wait_seconds"))
    answered = [c for c in calls if not c[1]]
    assert report.calls.answered == len(answered)
    assert report.calls.mean_wait == round(sum(c[2] for c in answered) / len(answered), 1)
    per_caller = Counter(c[0] for c in calls if c[0] is not None)
    assert callers == len(per_caller)
    assert repeat == sum(1 for n in per_caller.values() if n > 2)
    web = Ticket.objects.filter(channel__kind="web", resolved_at__isnull=False)
    days = [(t.resolved_at - t.created_at).total_seconds() / 86400 for t in web]
    counted = Counter(
        "day"
        if d < 1
        else "week"
        if d < 7
        else "month"
        if d < 30
        else "quarter"
        if d < 90
        else "over"
        for d in days
    )
    assert report.bucket_counts("web") == {
        k: counted[k] for k in ("day", "week", "month", "quarter", "over")
    }
    phone_cases = Counter(
        (identity, path.strip("/").split("/")[0])
        for identity, path in Ticket.objects.filter(
            channel__kind="phone", identity__isnull=False
        ).values_list("identity_id", "theme__path")
    )
    assert same_area == len({i for (i, _), n in phone_cases.items() if n > 2})
    assert PageRating.objects.count() == round(60_000 * 0.005)  # the demo's page ratings

    # "In the year": the per-year contact table gives what counting the rows gives.
    year_to_date = Period(date(2026, 1, 1), END)
    fast = contacts.repeat_to_date(year_to_date)
    assert fast == exact_repeat_contacts(year_to_date)
    assert fast[1] > 0 and fast[2] > 0
    assert (report.callers, report.repeat_callers, report.repeat_same_area) == fast
    march = monthly_report(Period.month(2026, 3))
    assert march.repeat_window == year_to_date
    assert (march.callers, march.repeat_callers, march.repeat_same_area) == fast
