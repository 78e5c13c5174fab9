"""The contact-center page: supervisors only; the latest forecast against the calls that
arrived, staffing per interval, callbacks due, every table as CSV; a forecast started from it."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from ascolto.contactcenter import actions, arrivals
from ascolto.contactcenter.actions import planning, request_forecast, run_forecast_job
from ascolto.contactcenter.forecasting import OperatingCalendar, SeasonalNaive
from ascolto.contactcenter.models import CallRecord, ForecastJob, ForecastRun
from tests import personas

URL = "/console/contactcenter/"
MILAN = OperatingCalendar()


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


@pytest.fixture(autouse=True)
def pinned_clock() -> Any:
    """Every test here builds history "ending yesterday": the clock is a Wednesday morning."""
    with time_machine.travel(_at(date(2026, 3, 11)), tick=False) as traveller:
        yield traveller


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def calls_history(weeks: int, per_hour: float = 6.0) -> None:
    """Calls from 9:00 to 17:00 on weekdays but Milan's holidays, for `weeks` weeks ending
    yesterday."""
    rng = np.random.default_rng(3)
    zone = timezone.get_current_timezone()
    today = timezone.localdate()
    holidays = MILAN.holidays_between(today - timedelta(weeks=weeks), today)
    rows = []
    for offset in range(1, weeks * 7 + 1):
        day = today - timedelta(days=offset)
        if day.weekday() >= 5 or day in holidays:
            continue
        for hour in range(9, 17):
            for n in range(int(rng.poisson(per_hour))):
                at = datetime.combine(day, time(hour, int(rng.integers(60))), tzinfo=zone)
                rows.append(
                    CallRecord(
                        external_id=f"h-{day:%Y%m%d}-{hour}-{n}",
                        queue="generale",
                        arrived_at=at,
                        wait_seconds=20,
                        talk_seconds=240,
                        ended_at=at + timedelta(seconds=260),
                    )
                )
    CallRecord.objects.bulk_create(rows)


def quick_run(horizon_days: int = 7) -> ForecastRun:
    """A forecast from the call records with one cheap model, and its staffing."""
    today = timezone.localdate()
    data = arrivals.call_arrivals(
        today - timedelta(days=60), today - timedelta(days=1), interval_minutes=60
    )
    calendar = OperatingCalendar(weekdays=(0, 1, 2, 3, 4))
    run = actions.run_forecast(
        data,
        horizon_days=horizon_days,
        interval_minutes=60,
        source=ForecastRun.Source.CALL_RECORDS,
        calendar=calendar,
        candidates={"SeasonalNaive": SeasonalNaive(calendar)},
        origins=1,
    )
    actions.compute_staffing(run, actions.StaffingTargets(aht_seconds=240))
    return run


def next_weekday(after: date) -> date:
    day = after
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def test_only_supervisors_and_administrators_see_it(cast: personas.Cast) -> None:
    assert Client().get(URL).status_code == 302
    for user in (cast.operator, cast.office_operator, cast.analyst):
        assert signed_in(user).get(URL).status_code == 403
        assert signed_in(user).post(URL + "forecast/").status_code == 403
    assert signed_in(cast.administrator).get(URL).status_code == 200
    assert signed_in(cast.supervisor).get(URL + "?csv=callbacks").status_code == 200


def test_without_a_forecast_the_page_says_how_to_make_one(cast: personas.Cast) -> None:
    html = signed_in(cast.supervisor).get(URL).content.decode()
    assert "Nessuna previsione ancora" in html
    assert "python -m ascolto forecast" in html
    assert 'action="/console/contactcenter/forecast/"' in html
    assert "chart.umd.min.js" not in html


def test_starting_a_forecast_with_no_calls_says_why_nothing_was_made(
    cast: personas.Cast, django_capture_on_commit_callbacks: Any
) -> None:
    client = signed_in(cast.supervisor)
    with django_capture_on_commit_callbacks(execute=True):  # the worker's turn
        client.post(URL + "forecast/", {"horizon": "28", "interval": "15"})
    html = client.get(URL).content.decode()
    assert "La previsione non è stata fatta" in html
    assert "Non ci sono chiamate registrate" in html
    assert ForecastRun.objects.count() == 0
    bad = client.post(URL + "forecast/", {"horizon": "0", "interval": "7"}, follow=True)
    assert "Scegli un orizzonte" in bad.content.decode()


# A Wednesday and a Thursday (a 3-day forecast used to be refused on both), Sant'Ambrogio
# (a Monday holiday, after a weekend), and the Tuesday before Epiphany.
@pytest.mark.parametrize(
    "today",
    [date(2026, 3, 11), date(2026, 12, 3), date(2026, 12, 7), date(2027, 1, 5)],
    ids=str,
)
def test_a_supervisor_starts_a_forecast_from_the_page(
    cast: personas.Cast, pinned_clock: Any, today: date, django_capture_on_commit_callbacks: Any
) -> None:
    pinned_clock.move_to(_at(today))
    calls_history(weeks=5)
    client = signed_in(cast.supervisor)
    with django_capture_on_commit_callbacks(execute=True):  # the worker's turn
        client.post(URL + "forecast/", {"horizon": "3", "interval": "60"})
    response = client.get(URL)
    run = ForecastRun.objects.get()
    assert run.points.filter(agents__isnull=True).count() == 0  # staffed with the forecast
    assert run.created_by == cast.supervisor
    assert run.interval_minutes == 60
    assert f"Previsione {run.pk} fatta" in response.content.decode()
    # Exactly the three days from today; the open ones forecast, the closed ones zero.
    horizon = [today + timedelta(days=k) for k in range(3)]
    holidays = MILAN.holidays_between(horizon[0], horizon[-1])
    days = {date.fromisoformat(d["start"]): d["yhat"] for d in run.totals["D"]}
    assert sorted(days) == horizon
    for day in horizon:
        is_open = day.weekday() < 5 and day not in holidays
        assert (days[day] > 0) == is_open, day
    assert all(c["error"] == "" for c in run.candidates)


def test_forecast_against_actual_calls_staffing_and_callbacks(cast: personas.Cast) -> None:
    calls_history(weeks=6)
    run = quick_run()
    day = next_weekday(timezone.localtime(run.horizon_start).date())
    # Calls that arrived in the horizon (today's, if today is in it) count as actual.
    client = signed_in(cast.supervisor)

    page = client.get(URL, {"periodo": "D", "giorno": day.isoformat()})
    html = page.content.decode()
    assert page.status_code == 200
    assert "SeasonalNaive" in html
    assert 'id="chart-totals"' in html and 'id="chart-intervals"' in html
    assert 'id="contactcenter-charts"' in html and "chart.umd.min.js" in html
    assert day.strftime("%d/%m/%Y") in html
    assert '<th scope="col"' in html

    totals = list(csv.reader(io.StringIO(client.get(URL, {"csv": "totals"}).content.decode())))
    assert totals[0][0].lstrip("\ufeff") == "Periodo"
    assert totals[0][1:3] == ["Previste", "Minimo 80 %"]
    by_day = {row[0]: row for row in totals[1:]}
    forecast_day = next(d for d in run.totals["D"] if date.fromisoformat(d["start"]) == day)
    row = by_day[day.strftime("%d/%m/%Y")]
    assert float(row[1]) == pytest.approx(forecast_day["yhat"], abs=0.05)
    assert float(row[2]) <= float(row[1]) <= float(row[3])

    weekly = client.get(URL, {"csv": "totals", "periodo": "W"})
    assert weekly["Content-Type"].startswith("text/csv")
    assert "settimana dal" in weekly.content.decode()

    response = client.get(URL, {"csv": "intervals", "giorno": day.isoformat()})
    assert 'filename="contactcenter-intervals.csv"' in response["Content-Disposition"]
    intervals = list(csv.reader(io.StringIO(response.content.decode())))
    assert intervals[0][0].lstrip("\ufeff") == "Ora"
    hours = {r[0]: r for r in intervals[1:]}
    assert "10:00" in hours
    busy = hours["10:00"]
    assert int(busy[3]) >= 1 and int(busy[4]) >= int(busy[3])  # required, then rostered
    assert busy[5] == "" and busy[6] == ""  # no shift plan yet: nothing in turn, no gap


def test_the_supervisor_sets_the_calendar_and_the_next_forecast_follows_it(
    cast: personas.Cast,
) -> None:
    client = signed_in(cast.supervisor)
    page = client.get(URL).content.decode()
    assert 'id="calendar-form"' in page and 'value="MI"' in page
    response = client.post(
        URL + "calendar/",
        {
            "weekdays": ["0", "1", "2", "3", "4"],
            "country": "it",
            "subdivision": "rm",
            "patron_day": "",
            "closed_on_holidays": "on",
            "closed_dates": "12/03/2026",  # a strike, tomorrow
            "open_dates": "14/03/2026",  # an extraordinary Saturday
        },
        follow=True,
    )
    assert "Calendario salvato" in response.content.decode()
    calendar = actions.operating_calendar()
    assert calendar.weekdays == (0, 1, 2, 3, 4) and calendar.subdiv == "RM"
    assert calendar.closed_dates == (date(2026, 3, 12),)
    assert calendar.open_dates == (date(2026, 3, 14),)

    calls_history(weeks=5)
    run_forecast_job(request_forecast(horizon_days=4, interval_minutes=60, actor=None)[0].pk)
    days = {
        date.fromisoformat(d["start"]): d["yhat"] for d in ForecastRun.objects.get().totals["D"]
    }
    assert days[date(2026, 3, 11)] > 0
    assert days[date(2026, 3, 12)] == 0  # closed
    assert days[date(2026, 3, 13)] > 0
    assert days[date(2026, 3, 14)] > 0  # open, though a Saturday


def test_a_calendar_that_cannot_be_is_refused_with_what_is_wrong(cast: personas.Cast) -> None:
    client = signed_in(cast.supervisor)
    before = actions.operating_calendar()
    for data, expected in [
        ({"country": "IT", "subdivision": "ZZ"}, "La provincia «ZZ» non è tra quelle note"),
        ({"country": "XX"}, "Il paese «XX» non è tra quelli noti"),
        ({"country": "IT", "patron_day": "31/02"}, "Il giorno del patrono non esiste"),
        ({"country": "IT", "closed_dates": "2026-02-30"}, "«2026-02-30» non è una data"),
        (
            {"country": "IT", "closed_dates": "24/12/2026", "open_dates": "24/12/2026"},
            "non può essere sia chiuso sia aperto",
        ),
    ]:
        html = client.post(URL + "calendar/", data, follow=True).content.decode()
        assert "Il calendario non è stato salvato" in html, data
        assert expected in html, data
    assert actions.operating_calendar() == before
    for user in (cast.operator, cast.office_operator, cast.analyst):
        assert signed_in(user).post(URL + "calendar/", {"country": ""}).status_code == 403


def test_a_forecast_runs_in_the_background_and_the_page_follows_its_progress(
    cast: personas.Cast,
) -> None:
    calls_history(weeks=5)
    client = signed_in(cast.supervisor)
    client.post(URL + "forecast/", {"horizon": "3", "interval": "60"})
    job = ForecastJob.objects.get()
    assert job.status == ForecastJob.Status.QUEUED and ForecastRun.objects.count() == 0
    page = client.get(URL).content.decode()
    assert "Previsione in coda" in page
    assert f'hx-get="/console/contactcenter/forecast/{job.pk}/?polling=1"' in page
    # A second start while one is queued does not queue another.
    again = client.post(URL + "forecast/", {"horizon": "3", "interval": "60"}, follow=True)
    assert "già in corso" in again.content.decode() and ForecastJob.objects.count() == 1
    assert signed_in(cast.operator).get(URL + f"forecast/{job.pk}/").status_code == 403

    seen: list[tuple[int, str]] = []
    original = planning.forecast_calls

    def watching(**kwargs: Any) -> ForecastRun:
        def progress(name: str) -> None:
            kwargs_progress(name)
            job.refresh_from_db()
            seen.append((job.step, job.doing))
            fragment = client.get(URL + f"forecast/{job.pk}/", HTTP_HX_REQUEST="true")
            assert "Previsione in corso" in fragment.content.decode()
            assert "HX-Refresh" not in fragment

        kwargs_progress = kwargs.pop("progress")
        return original(progress=progress, **kwargs)

    planning.forecast_calls = watching  # type: ignore[assignment]
    try:
        run_forecast_job(job.pk)
    finally:
        planning.forecast_calls = original  # type: ignore[assignment]

    assert [step for step, _ in seen] == list(range(1, job.steps))
    assert seen[0][1] == "SeasonalNaive(day)"
    job.refresh_from_db()
    assert job.status == ForecastJob.Status.DONE and job.run is not None and job.percent == 100
    done = client.get(URL + f"forecast/{job.pk}/", {"polling": "1"}, HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"  # the page reloads to show the new forecast
    page = client.get(URL).content.decode()
    assert f"Previsione {job.run.pk} fatta" in page and "hx-get" not in page.split("<main")[-1]
    assert job.run.points.filter(agents__isnull=True).count() == 0


def test_actual_calls_today_are_counted_against_the_forecast(cast: personas.Cast) -> None:
    calls_history(weeks=6)
    run = quick_run()
    first = date.fromisoformat(run.totals["D"][0]["start"])  # the day after the history
    assert first <= timezone.localdate()
    at = datetime.combine(first, time(0, 30), tzinfo=timezone.get_current_timezone())
    for n in range(3):
        actions.record_call(external_id=f"new-{n}", queue="generale", arrived_at=at, wait_seconds=5)
    rows = list(
        csv.reader(io.StringIO(signed_in(cast.supervisor).get(URL, {"csv": "totals"}).text))
    )
    assert {r[0]: r for r in rows[1:]}[first.strftime("%d/%m/%Y")][6] == "3"
