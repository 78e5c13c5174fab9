"""Call forecasts: shape, calendar, events, intervals, aggregation and accuracy.

On a real extract of the bank calls (fpp2::calls) and on synthetic Milan series where the
effect of a holiday or a campaign is known. Deterministic (seeded) and database-free.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ascolto.contactcenter.forecasting import (
    AutoETSModel,
    Forecaster,
    HarmonicRegression,
    MSTLModel,
    OperatingCalendar,
    SeasonalNaive,
    VolumeProfile,
    day_flags,
    score,
    select_model,
    split,
)
from tests.contactcenter.series import BANK_CALENDAR, synthetic_calls

CUTOFF = pd.Timestamp("2003-10-03")  # the extract's first three weeks train, the fourth tests


def train_test(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    return split(df, CUTOFF, 7)


MODELS = [SeasonalNaive, MSTLModel, AutoETSModel, HarmonicRegression, VolumeProfile]


@pytest.mark.parametrize("model_class", MODELS, ids=lambda m: m.name)
def test_every_model_forecasts_every_interval_with_ordered_intervals(
    bank_extract: pd.DataFrame, model_class: type[Forecaster]
) -> None:
    train, _ = train_test(bank_extract)
    # Eleven weekdays: just over the two weeks MSTL needs for its weekly season, and quick.
    train = train[train["ds"] >= "2003-09-19"]
    forecast = model_class(BANK_CALENDAR, paths=300).fit(train).predict(7)
    frame = forecast.frame
    # Saturday 4 October to Friday 10 October, 169 five-minute intervals from 07:00 each.
    assert len(frame) == 7 * 169
    assert frame["ds"].min() == pd.Timestamp("2003-10-04 07:00")
    assert frame["ds"].max() == pd.Timestamp("2003-10-10 21:00")
    assert set(frame["ds"].diff().dropna().unique()) <= {
        pd.Timedelta(minutes=5),
        pd.Timedelta(hours=10),  # 21:00 to 07:00 the next day
    }
    weekend = frame["ds"].dt.day_of_week >= 5
    assert not frame.loc[weekend, "open"].any() and frame.loc[~weekend, "open"].all()
    assert (frame.loc[weekend, ["yhat", "lo95", "hi95"]] == 0).all().all()
    assert (frame.loc[~weekend, "yhat"] > 0).all()
    ordered = frame[["lo95", "lo80", "yhat", "hi80", "hi95"]].to_numpy()
    assert (np.diff(ordered, axis=1) >= 0).all()


def test_ours_beats_seasonal_naive_on_the_extract(bank_extract: pd.DataFrame) -> None:
    train, test = train_test(bank_extract)
    ours = score(VolumeProfile(BANK_CALENDAR).fit(train).predict(7), test)
    naive = score(SeasonalNaive(BANK_CALENDAR).fit(train).predict(7), test)
    assert ours.mase < 0.9 * naive.mase
    assert ours.rmse < naive.rmse
    # The 95 % intervals are not decorative: most actuals fall inside.
    assert ours.coverage95 > 0.85


def test_aggregates_sum_the_interval_points(bank_extract: pd.DataFrame) -> None:
    train, _ = train_test(bank_extract)
    forecast = VolumeProfile(BANK_CALENDAR, paths=400).fit(train).predict(45)
    frame = forecast.frame
    for freq, key in (
        ("D", frame["ds"].dt.normalize()),
        ("W", frame["ds"].dt.to_period("W-SUN").dt.start_time),
        ("M", frame["ds"].dt.to_period("M").dt.start_time),
    ):
        agg = forecast.aggregate(freq)
        expected = frame.groupby(key)["yhat"].sum()
        assert np.allclose(agg.set_index("ds")["yhat"].to_numpy(), expected.to_numpy())
        assert (
            np.diff(agg[["lo95", "lo80", "yhat", "hi80", "hi95"]].to_numpy(), axis=1) >= 0
        ).all()
        assert agg["days"].sum() == 45
    months = forecast.aggregate("M")
    assert months["ds"].tolist() == [pd.Timestamp("2003-10-01"), pd.Timestamp("2003-11-01")]
    assert months["days"].tolist() == [28, 17]
    daily = forecast.aggregate("D").set_index("ds")
    # A week's total is far less uncertain than the sum of its days' own interval widths.
    week = forecast.aggregate("W").iloc[1]
    days = daily.loc[week["ds"] : week["ds"] + pd.Timedelta(days=6)]
    assert week["hi95"] - week["lo95"] < (days["hi95"] - days["lo95"]).sum()


def test_intervals_widen_with_the_horizon(bank_extract: pd.DataFrame) -> None:
    daily = VolumeProfile(BANK_CALENDAR, paths=300).fit(bank_extract).predict(120).aggregate("D")
    daily = daily[daily["yhat"] > 0]
    width = (daily["hi80"] - daily["lo80"]) / daily["yhat"]
    assert width.iloc[-5:].mean() > 1.3 * width.iloc[:5].mean()


def test_forecasts_are_deterministic(bank_extract: pd.DataFrame) -> None:
    train, _ = train_test(bank_extract)
    a = VolumeProfile(BANK_CALENDAR, paths=200).fit(train).predict(7).frame
    b = VolumeProfile(BANK_CALENDAR, paths=200).fit(train).predict(7).frame
    pd.testing.assert_frame_equal(a, b)


def test_daily_series_and_several_series_at_once(bank_extract: pd.DataFrame) -> None:
    daily = (
        bank_extract.assign(ds=bank_extract["ds"].dt.normalize())
        .groupby(["series_id", "ds"], as_index=False)["y"]
        .sum()
    )
    double = daily.assign(series_id="double", y=2 * daily["y"])
    both = pd.concat([daily, double], ignore_index=True)
    frame = VolumeProfile(BANK_CALENDAR, paths=200).fit(both).predict(14).frame
    assert len(frame) == 2 * 14
    bank = frame[frame["series_id"] == "bank"].set_index("ds")["yhat"]
    twice = frame[frame["series_id"] == "double"].set_index("ds")["yhat"]
    assert np.allclose(twice, 2 * bank)
    assert (bank[bank.index.day_of_week < 5] > 20_000).all()


def test_select_model_returns_the_winner_and_its_errors(bank_extract: pd.DataFrame) -> None:
    candidates: dict[str, Forecaster] = {
        "naive": SeasonalNaive(BANK_CALENDAR, paths=100),
        "dhr": HarmonicRegression(BANK_CALENDAR, paths=100),
        "ours": VolumeProfile(BANK_CALENDAR, paths=100),
    }
    choice = select_model(bank_extract, candidates, horizon=7, n_origins=2, step=7)
    assert len(choice.folds) == 6
    assert choice.best == choice.summary["mase"].idxmin()
    assert choice.best == "ours"
    errors = choice.errors()
    assert set(errors) == {"mase", "rmse", "coverage80", "coverage95"}
    assert errors["mase"] == pytest.approx(
        choice.folds.loc[choice.folds["model"] == "ours", "mase"].mean()
    )


class Fragile(SeasonalNaive):
    name = "fragile"

    def _fit_series(self, data, events):  # type: ignore[no-untyped-def]
        raise ValueError("needs more history")


def test_a_failing_candidate_is_excluded_with_its_reason(bank_extract: pd.DataFrame) -> None:
    candidates: dict[str, Forecaster] = {
        "fragile": Fragile(BANK_CALENDAR),
        "naive": SeasonalNaive(BANK_CALENDAR, paths=100),
    }
    choice = select_model(bank_extract, candidates, horizon=7, n_origins=1)
    assert choice.best == "naive"
    assert list(choice.summary.index) == ["naive", "fragile"]  # the excluded one last
    assert np.isnan(choice.summary.loc["fragile", "mase"])
    assert "needs more history" in choice.summary.loc["fragile", "error"]
    assert choice.summary.loc["naive", "error"] == ""


def test_when_every_candidate_fails_the_choice_is_refused_with_the_reasons(
    bank_extract: pd.DataFrame,
) -> None:
    with pytest.raises(ValueError, match="fragile: ValueError: needs more history"):
        select_model(bank_extract, {"fragile": Fragile(BANK_CALENDAR)}, horizon=7)


# -------------------------------------------------------------------------------------------
# The Italian calendar
# -------------------------------------------------------------------------------------------


def test_milan_calendar_knows_sant_ambrogio_and_bridges() -> None:
    cal = OperatingCalendar(weekdays=(0, 1, 2, 3, 4))
    hol = cal.holidays_between(dt.date(2025, 12, 1), dt.date(2025, 12, 31))
    assert {dt.date(2025, 12, 7), dt.date(2025, 12, 8), dt.date(2025, 12, 25)} <= hol
    flags = day_flags(pd.date_range("2025-04-28", "2025-05-09"), cal, cal.weekdays or ())
    by_date = dict(zip(flags.dates.date, range(len(flags.dates)), strict=True))
    may1, may2, may5 = (by_date[dt.date(2025, 5, d)] for d in (1, 2, 5))
    assert not flags.open[may1] and flags.holiday[may1]  # Labour Day, a Thursday
    assert flags.bridge[may2]  # Friday between the holiday and the weekend: a "ponte"
    assert flags.after_closure[may2] and flags.before_closure[by_date[dt.date(2025, 4, 30)]]
    assert not flags.after_closure[may5]  # a Monday after an ordinary weekend


def test_closed_days_are_zero_and_stray_calls_on_them_left_out() -> None:
    cal = OperatingCalendar(weekdays=(0, 1, 2, 3, 4))  # Milan holidays closed
    holidays = cal.holidays_between(dt.date(2025, 5, 1), dt.date(2025, 12, 31))
    df = synthetic_calls("2025-05-05", "2025-11-28", closed={pd.Timestamp(d) for d in holidays})
    # A few calls logged on Republic Day (Monday 2 June, closed), far less than a day's worth:
    # stray records, not an opening, so not learnt from.
    stray = (
        df[df["ds"].dt.date == dt.date(2025, 6, 9)]
        .head(3)
        .assign(ds=lambda f: f["ds"] - pd.Timedelta(days=7), y=5.0)
    )
    model = VolumeProfile(cal, paths=200).fit(pd.concat([df, stray], ignore_index=True))
    data = model.series_["milano"].data
    assert pd.Timestamp("2025-06-02") not in data.dates
    assert not data.flags.open[data.flags.dates.get_loc(pd.Timestamp("2025-06-02"))]
    assert data.ignored == (dt.date(2025, 6, 2),) and data.opened == ()
    frame = model.predict(14).frame
    day = frame["ds"].dt.normalize()
    immacolata = frame[day == pd.Timestamp("2025-12-08")]  # Monday, Immacolata
    assert len(immacolata) == 40 and (immacolata[["yhat", "hi95"]] == 0).all().all()
    assert not immacolata["open"].any()
    monday = frame.loc[day == pd.Timestamp("2025-12-01"), "yhat"].sum()
    assert monday == pytest.approx(1200 * 1.2, rel=0.1)  # the stray calls left no trace


def test_open_holidays_lower_the_forecast() -> None:
    # A service open Monday to Saturday, holidays included, where holidays bring 40 % of the
    # usual calls: learnt from the holidays of a year and a half, applied to 8 December.
    cal = OperatingCalendar(weekdays=(0, 1, 2, 3, 4, 5), closed_on_holidays=False)
    hol = cal.holidays_between(dt.date(2024, 1, 1), dt.date(2025, 12, 31))
    factors = {pd.Timestamp(d): 0.4 for d in hol}
    df = synthetic_calls("2024-06-03", "2025-11-28", weekdays=cal.weekdays or (), factors=factors)
    daily = VolumeProfile(cal, paths=200).fit(df).predict(14).aggregate("D").set_index("ds")
    holiday, monday = daily.loc["2025-12-08", "yhat"], daily.loc["2025-12-01", "yhat"]
    assert holiday < 0.6 * monday
    assert holiday > 0.25 * monday


def test_an_event_learnt_from_past_occurrences_raises_a_future_one() -> None:
    # A tax deadline campaign: three past windows at 1.6 times the usual calls, a fourth ahead.
    windows = [
        ("2025-03-10", "2025-03-14"),
        ("2025-06-09", "2025-06-13"),
        ("2025-09-08", "2025-09-12"),
        ("2025-12-01", "2025-12-05"),
    ]
    events = pd.DataFrame(
        {"name": "tari", "start": [w[0] for w in windows], "end": [w[1] for w in windows]}
    )
    factors = {d: 1.6 for s, e in windows[:3] for d in pd.date_range(s, e)}
    cal = OperatingCalendar(weekdays=(0, 1, 2, 3, 4))
    df = synthetic_calls("2025-01-07", "2025-11-28", factors=factors, seed=5)
    with_events = VolumeProfile(cal, paths=200).fit(df, events).predict(14).aggregate("D")
    without = VolumeProfile(cal, paths=200).fit(df).predict(14).aggregate("D")
    ratio = (with_events.set_index("ds")["yhat"] / without.set_index("ds")["yhat"]).dropna()
    days = ratio.index
    in_window = ratio[(days >= "2025-12-01") & (days <= "2025-12-05")]
    after = ratio[(days >= "2025-12-10") & (days <= "2025-12-12")]
    assert len(in_window) == 5 and len(after) == 3
    assert in_window.between(1.4, 1.8).all()
    assert after.between(0.9, 1.1).all()
