"""The numeric plan of the demo year, drawn with numpy before a row is written: when each call
and each web request arrives, who makes it, about what, what kind of request it is, whether it
goes to a second-level office and how long it takes to resolve.

Volumes at scale 1.0 are the reference city's 2021 figures (DESIGN §1). The targets the plan
is tuned to are listed in docs/demo-city.md with the figures a generated city achieves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ascolto.demo.city import KINDS, City
from ascolto.demo.texts import CHANNEL_KIND_FACTORS, KIND_PROFILES
from ascolto.demo.timeline import (
    DAYS,
    SLOT,
    BoolArray,
    FloatArray,
    IntArray,
    campaign_days,
    online_days,
    online_hours,
    phone_days,
    phone_slots,
)

# --- Reference volumes (scale 1.0) ------------------------------------------------------------
CALLS = 1_000_000
WEB_TICKETS = 114_141
SOCIAL_INBOUND = 50_000
SOCIAL_TICKETS = 5_300
WHATSAPP_USERS_PER_MONTH = 3_700
EMAIL_URP = 6_000
EMAIL_CAMPAIGN = 3_000
CAMPAIGN_TICKETS = {"tari": 94_000, "iscrizione-nidi": 5_566, "pass-sosta-residenti": 12_000}
CAMPAIGN_WEB_SHARE = {"tari": 0.22, "iscrizione-nidi": 0.45, "pass-sosta-residenti": 0.4}
TARI_ESCALATED = 0.17  # "83 % solved at first level"

# --- Contact center -------------------------------------------------------------------------
MEAN_WAIT = 60.0  # seconds, answered calls
ABANDONED = 0.065
MEAN_TALK = 277.0  # 4 min 37 s
TALK_SIGMA = 0.6
WITHHELD = 0.02  # calls from a hidden number: no caller identity on the call record
# Calls per caller in the year: P(1), P(2), and above that 2 + Zipf(a), capped. Tuned so that
# about 12 % of callers call more than twice.
CALLS_PER_CALLER = (0.705, 0.17)
CALLS_TAIL_ZIPF = 2.3
CALLS_CAP = 150
# Share of a repeat caller's calls about their own recurring area (the rest follow the city mix):
# tuned so that about 5 % of callers call more than twice on the same area.
SAME_AREA = 0.65
PHONE_ESCALATION = {
    "information": 0.06,
    "verification": 0.4,
    "complaint": 0.45,
    "suggestion": 0.2,
    "disservice": 0.6,
    "appointment": 0.0,
    "callback": 0.0,
}

# --- Scrivi ------------------------------------------------------------------------------------
# Published resolution-time buckets of web tickets: (upper bound in days, share). The shares
# add up to 100.1 % (rounding in the report); they are normalised.
WEB_BUCKETS = ((1.0, 0.201), (7.0, 0.269), (30.0, 0.273), (90.0, 0.079), (None, 0.179))
WEB_ESCALATION = {
    "information": 0.28,
    "verification": 0.62,
    "complaint": 0.55,
    "suggestion": 0.35,
    "disservice": 0.7,
    "appointment": 0.1,
    "callback": 0.05,
}
WEB_PER_WRITER = (0.86, 0.10)
WEB_FROM_CALLERS = 0.25  # share of Scrivi writers who also call 020202 (one citizen, two handles)
DAY = 86_400


@dataclass
class Contacts:
    """Contacts that become cases, as parallel arrays in order of arrival."""

    at: IntArray  # arrival, epoch seconds
    person: IntArray
    campaign: IntArray  # index into City.campaigns order, -1 for none
    leaf: IntArray
    on_parent: BoolArray  # filed under the leaf's theme instead of the topic
    kind: IntArray  # index into KINDS
    escalate: BoolArray
    persons: int


@dataclass
class Calls(Contacts):
    wait: IntArray
    talk: IntArray
    abandoned: BoolArray
    withheld: BoolArray
    operator: IntArray


@dataclass
class Web(Contacts):
    duration: IntArray  # seconds from opening to resolution; may end after the horizon


def campaign_codes(city: City) -> list[str]:
    return list(city.campaigns)


def scaled(value: float, scale: float) -> int:
    return int(round(value * scale))


def _area_mix(city: City, total: float, campaign_cases: dict[str, float]) -> FloatArray:
    """The area mix of ordinary contacts that, with the campaign contacts added, gives the
    city's published mix on the channel."""
    target = city.area_shares * total
    rest = target.copy()
    for code, count in campaign_cases.items():
        area = city.leaf_area[int(city.campaigns[code].leaves[0])]
        rest[area] -= count
    rest = np.maximum(rest, 0.2 * target)
    mix: FloatArray = rest / rest.sum()
    return mix


def _persons(
    n: int, rng: np.random.Generator, one_two: tuple[float, float], zipf: float, cap: int
) -> tuple[IntArray, int]:
    """Assign n time-ordered contacts to people with a heavy-tailed number of contacts each.

    Each person gets an anchor in the year and a spread (a burst of days or several months); a
    contact's key is its person's anchor plus noise, and the i-th contact in time goes to the
    i-th smallest key. Repeat contacts thus cluster in time, as they do when a problem drags on.
    """
    p1, p2 = one_two
    counts: IntArray = np.empty(0, dtype=np.int64)
    while counts.sum() < n:
        m = max(int(n / 1.5), 16)
        u = rng.random(m)
        tail = 2 + np.minimum(rng.zipf(zipf, m), cap - 2)
        counts = np.concatenate([counts, np.where(u < p1, 1, np.where(u < p1 + p2, 2, tail))])
    cut = int(np.searchsorted(np.cumsum(counts), n))
    counts = counts[: cut + 1]
    counts[-1] -= int(counts.sum()) - n
    counts = counts[counts > 0]
    people = len(counts)
    owner = np.repeat(np.arange(people), counts)
    anchor = rng.random(people)
    spread = np.where(rng.random(people) < 0.5, 0.004, 0.08)
    keys = anchor[owner] + spread[owner] * rng.standard_normal(n)
    person: IntArray = np.empty(n, dtype=np.int64)
    person[np.arange(n)] = owner[np.argsort(keys, kind="stable")]
    return person, people


def _pick_leaves(
    city: City, area: IntArray, rng: np.random.Generator
) -> tuple[IntArray, BoolArray]:
    leaf = np.empty(len(area), dtype=np.int64)
    for a in range(len(city.areas)):
        rows = np.flatnonzero(area == a)
        if len(rows):
            options = city.leaves_of(a)
            weights = city.leaf_weight[options]
            leaf[rows] = rng.choice(options, len(rows), p=weights / weights.sum())
    has_parent = np.array([p is not None for p in city.leaf_parent_id])[leaf]
    on_parent = has_parent & (rng.random(len(area)) < 0.12)
    return leaf, on_parent


def _pick_kinds(city: City, leaf: IntArray, channel: str, rng: np.random.Generator) -> IntArray:
    kind = np.empty(len(leaf), dtype=np.int64)
    factors = CHANNEL_KIND_FACTORS[channel]
    for code in np.unique(leaf).tolist():
        rows = np.flatnonzero(leaf == code)
        profile = KIND_PROFILES[city.leaf_topic[code].profile]
        p = np.array([profile[k] * factors.get(k, 1.0) for k in KINDS])
        kind[rows] = rng.choice(len(KINDS), len(rows), p=p / p.sum())
    return kind


def _escalations(
    city: City,
    leaf: IntArray,
    kind: IntArray,
    campaign: IntArray,
    table: dict[str, float],
    rng: np.random.Generator,
    eligible: BoolArray | None = None,
) -> BoolArray:
    """Which cases go to a second-level office; `eligible` excludes contacts with no case."""
    if eligible is None:
        eligible = np.ones(len(leaf), dtype=np.bool_)
    p = np.array([table[k] for k in KINDS])[kind]
    competent = np.array([d is not None for d in city.leaf_desk])[leaf]
    escalate: BoolArray = (rng.random(len(leaf)) < p) & competent & eligible
    codes = campaign_codes(city)
    if "tari" in codes:
        # The TARI campaign's published figure is exact: 17 % of its cases left the first level.
        rows = np.flatnonzero((campaign == codes.index("tari")) & eligible)
        escalate[rows] = False
        chosen = rng.choice(rows, int(round(len(rows) * TARI_ESCALATED)), replace=False)
        escalate[chosen] = True
    return escalate


def _times_in_days(day: IntArray, city: City, rng: np.random.Generator, phone: bool) -> IntArray:
    """Arrival times within the given days: quarter-hours of opening for calls, hours of the
    whole day for online contacts."""
    cal = city.calendar
    seconds = np.empty(len(day), dtype=np.int64)
    if phone:
        for saturday in (False, True):
            rows = np.flatnonzero(cal.saturday[day] == saturday)
            starts, weights = phone_slots(saturday)
            slot = rng.choice(len(starts), len(rows), p=weights)
            seconds[rows] = starts[slot] + rng.integers(0, SLOT, len(rows))
    else:
        hour = rng.choice(24, len(day), p=online_hours())
        seconds = hour * 3600 + rng.integers(0, 3600, len(day))
    at: IntArray = cal.midnight[day] + seconds
    return at


def _days(count: int, weights: FloatArray, rng: np.random.Generator) -> IntArray:
    if count <= 0 or weights.sum() <= 0:
        return np.empty(0, dtype=np.int64)
    per_day = rng.multinomial(count, weights / weights.sum())
    return np.repeat(np.arange(DAYS), per_day)


def _components(
    city: City, base: int, campaign_counts: dict[str, int], open_days: FloatArray,
    rng: np.random.Generator,
) -> tuple[IntArray, IntArray]:  # fmt: skip
    codes = campaign_codes(city)
    days = [_days(base, open_days, rng)]
    comps = [np.full(len(days[0]), -1, dtype=np.int64)]
    for code, count in campaign_counts.items():
        weights = campaign_days(city.campaigns[code].period, city.calendar, open_days)
        d = _days(count, weights, rng)
        days.append(d)
        comps.append(np.full(len(d), codes.index(code), dtype=np.int64))
    return np.concatenate(days), np.concatenate(comps)


def _subjects(
    city: City,
    n: int,
    campaign: IntArray,
    mix: FloatArray,
    person: IntArray,
    persons: int,
    same_area: float,
    rng: np.random.Generator,
) -> tuple[IntArray, BoolArray]:
    """Leaves of the contacts: campaign contacts on the campaign's topics, the others on an
    area (a person's recurring one with probability `same_area`) and a leaf within it."""
    main = rng.choice(len(mix), persons, p=mix)
    area = np.where(rng.random(n) < same_area, main[person], rng.choice(len(mix), n, p=mix))
    leaf, on_parent = _pick_leaves(city, area, rng)
    for index, info in enumerate(city.campaigns.values()):
        rows = np.flatnonzero(campaign == index)
        if len(rows):
            leaf[rows] = rng.choice(info.leaves, len(rows), p=info.leaf_weights)
            on_parent[rows] = False
    return leaf, on_parent


def _arrivals(
    city: City, n: int, campaign: dict[str, int], rng: np.random.Generator
) -> tuple[IntArray, IntArray, IntArray]:
    """Arrival times, days and campaign index of n calls, in order of arrival."""
    base = max(n - sum(campaign.values()), 0)
    day, comp = _components(city, base, campaign, phone_days(city.calendar), rng)
    at = _times_in_days(day, city, rng, phone=True)
    order = np.argsort(at, kind="stable")
    return at[order], day[order], comp[order]


def plan_calls(city: City, scale: float, rng: np.random.Generator) -> Calls:
    """A year of calls to 020202 with their queue waits, talk times and abandonment."""
    n = scaled(CALLS, scale)
    answered_share = 1 - ABANDONED
    wanted = {
        code: t * (1 - CAMPAIGN_WEB_SHARE[code]) * scale
        for code, t in CAMPAIGN_TICKETS.items()
        if code in city.campaigns
    }
    campaign = {code: int(round(w / answered_share)) for code, w in wanted.items()}
    # A campaign's calls crowd its key days, where more callers hang up: a trial year measures
    # how many of them get an answer, so the campaign's cases come out at the published count.
    trial = rng.spawn(1)[0]
    at, day, comp = _arrivals(city, n, campaign, trial)
    abandoned = _queue(at, day, city, trial)[2]
    codes = campaign_codes(city)
    for code, w in wanted.items():
        rows = comp == codes.index(code)
        answered = 1 - float(abandoned[rows].mean()) if rows.any() else answered_share
        campaign[code] = int(round(w / answered))
    at, day, comp = _arrivals(city, n, campaign, rng)
    n = len(at)
    wait, talk, abandoned = _queue(at, day, city, rng)
    person, persons = _persons(n, rng, CALLS_PER_CALLER, CALLS_TAIL_ZIPF, CALLS_CAP)
    mix = _area_mix(city, n * answered_share, wanted)
    leaf, on_parent = _subjects(city, n, comp, mix, person, persons, SAME_AREA, rng)
    kind = _pick_kinds(city, leaf, "phone", rng)
    escalate = _escalations(city, leaf, kind, comp, PHONE_ESCALATION, rng, ~abandoned)
    return Calls(
        at=at,
        person=person,
        campaign=comp,
        leaf=leaf,
        on_parent=on_parent,
        kind=kind,
        escalate=escalate,
        persons=persons,
        wait=wait,
        talk=talk,
        abandoned=abandoned,
        withheld=rng.random(n) < WITHHELD,
        operator=rng.integers(0, 1 << 30, n),
    )


def _queue(
    at: IntArray, day: IntArray, city: City, rng: np.random.Generator
) -> tuple[IntArray, IntArray, BoolArray]:
    """Queue waits grow with the load of the quarter-hour; a caller hangs up when their
    patience runs out first. Both scales are calibrated so that answered calls wait MEAN_WAIT
    on average and ABANDONED of the calls are abandoned."""
    slot = (at - city.calendar.midnight[day]) // SLOT
    key = day * 96 + slot
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    load = counts[inverse] / counts.mean()
    need = load**1.4
    e_wait, e_patience = rng.standard_exponential(len(at)), rng.standard_exponential(len(at))
    scale_wait, patience = MEAN_WAIT, MEAN_WAIT / ABANDONED
    for _ in range(60):
        wait = scale_wait * need * e_wait
        hang_up = patience * e_patience
        answered = hang_up >= wait
        scale_wait *= MEAN_WAIT / float(wait[answered].mean())
        patience *= float(1 - answered.mean()) / ABANDONED
    wait = scale_wait * need * e_wait
    hang_up = patience * e_patience
    abandoned: BoolArray = hang_up < wait
    waited = np.rint(np.where(abandoned, hang_up, wait)).astype(np.int64)
    mu = np.log(MEAN_TALK) - TALK_SIGMA**2 / 2
    talk = rng.lognormal(mu, TALK_SIGMA, len(at))
    talk *= MEAN_TALK / talk[~abandoned].mean()
    talked = np.where(abandoned, 0, np.maximum(np.rint(talk), 20)).astype(np.int64)
    return waited, talked, abandoned


def plan_web(city: City, scale: float, callers: int, rng: np.random.Generator) -> Web:
    """A year of Scrivi requests; resolution times follow the published buckets exactly."""
    n = scaled(WEB_TICKETS, scale)
    campaign = {
        code: scaled(t * CAMPAIGN_WEB_SHARE[code], scale)
        for code, t in CAMPAIGN_TICKETS.items()
        if code in city.campaigns
    }
    base = max(n - sum(campaign.values()), 0)
    day, comp = _components(city, base, campaign, online_days(city.calendar), rng)
    at = _times_in_days(day, city, rng, phone=False)
    order = np.argsort(at, kind="stable")
    at, comp = at[order], comp[order]
    n = len(at)
    person, persons = _persons(n, rng, WEB_PER_WRITER, 2.5, 40)
    mix = _area_mix(city, n, {c: float(k) for c, k in campaign.items()})
    leaf, on_parent = _subjects(city, n, comp, mix, person, persons, 0.5, rng)
    kind = _pick_kinds(city, leaf, "web", rng)
    escalate = _escalations(city, leaf, kind, comp, WEB_ESCALATION, rng)
    duration = _web_durations(at, escalate, city.window.horizon_epoch, rng)
    return Web(at, person, comp, leaf, on_parent, kind, escalate, persons, duration)


def _web_durations(
    at: IntArray, escalate: BoolArray, horizon: int, rng: np.random.Generator
) -> IntArray:
    """Resolution times whose buckets, over the requests resolved by the horizon, are exactly
    the published shares.

    Each request first gets a planned bucket and duration; those whose resolution would fall
    after the horizon stay open. The resolved ones are then dealt buckets by exact quota,
    longest bucket first, each to requests old enough to have taken that long, preferring
    escalated requests for the long buckets (second-level answers are the slow ones).
    """
    n = len(at)
    age = horizon - at
    bounds = [0.0] + [b if b is not None else 300.0 for b, _ in WEB_BUCKETS]
    shares = np.array([s for _, s in WEB_BUCKETS])
    shares = shares / shares.sum()
    planned_bucket = rng.choice(len(shares), n, p=shares)
    planned = _within(planned_bucket, bounds, np.full(n, 10**9), rng)
    resolved = planned < age
    rows = np.flatnonzero(resolved)
    quota = np.floor(shares * len(rows)).astype(np.int64)
    remainder = shares * len(rows) - quota
    quota[np.argsort(-remainder, kind="stable")[: len(rows) - int(quota.sum())]] += 1
    bucket = np.full(n, -1, dtype=np.int64)
    free = np.ones(n, dtype=np.bool_) & resolved
    for b in range(len(shares) - 1, -1, -1):
        feasible = np.flatnonzero(free & (age > bounds[b] * DAY + 60))
        if b > 0:
            weight = np.where(escalate[feasible], 4.0 if b >= 2 else 1.5, 1.0)
        else:
            weight = np.where(escalate[feasible], 0.25, 1.0)
        take = min(int(quota[b]), len(feasible))
        chosen = rng.choice(feasible, take, replace=False, p=weight / weight.sum())
        bucket[chosen] = b
        free[chosen] = False
    duration = planned.copy()
    done = bucket >= 0
    duration[done] = _within(bucket[done], bounds, age[done], rng)
    return duration


def _within(
    bucket: IntArray, bounds: list[float], limit: IntArray, rng: np.random.Generator
) -> IntArray:
    """A duration inside each bucket, below `limit` (the request's age for resolved ones)."""
    lo = np.array(bounds[:-1])[bucket] * DAY
    hi = np.array(bounds[1:])[bucket] * DAY
    lo = np.where(bucket == 0, 1200.0, lo)  # even the fastest answer takes twenty minutes
    hi = np.minimum(hi, limit - 1)
    u = rng.random(len(bucket))
    last = bucket == len(bounds) - 2
    # Over 90 days the tail thins out: an exponential from 90 days with a 45-day mean.
    tail = lo + rng.standard_exponential(len(bucket)) * 45 * DAY
    value = np.where(last, np.minimum(tail, np.maximum(hi, lo + 1)), lo + u * (hi - lo))
    value = np.minimum(value, limit - 1)  # a request minutes old can only be minutes old
    result: IntArray = np.maximum(np.rint(value), 1).astype(np.int64)
    return result


def plan_emails(city: City, scale: float, rng: np.random.Generator) -> Web:
    """Emails to the URP mailbox all year and to the voucher campaign's mailbox in its weeks.

    `campaign` holds the index of the buoni-spesa campaign for the latter. Resolution takes a
    couple of days at the first level, a couple of weeks at the second.
    """
    codes = campaign_codes(city)
    urp = scaled(EMAIL_URP, scale)
    vouchers = scaled(EMAIL_CAMPAIGN, scale) if "buoni-spesa" in codes else 0
    counts = {"buoni-spesa": vouchers} if vouchers else {}
    day, comp = _components(city, urp, counts, online_days(city.calendar), rng)
    at = _times_in_days(day, city, rng, phone=False)
    order = np.argsort(at, kind="stable")
    at, comp = at[order], comp[order]
    n = len(at)
    person, persons = _persons(n, rng, (0.9, 0.08), 2.5, 20)
    leaf, on_parent = _subjects(city, n, comp, city.area_shares, person, persons, 0.5, rng)
    kind = _pick_kinds(city, leaf, "email", rng)
    table = {k: v * 0.8 for k, v in WEB_ESCALATION.items()}
    escalate = _escalations(city, leaf, kind, comp, table, rng)
    if vouchers:
        rows = np.flatnonzero(comp == codes.index("buoni-spesa"))
        escalate[rows] = rng.random(len(rows)) < 0.3
    median = np.where(escalate, 12.0, 2.0) * DAY
    duration = np.maximum(rng.lognormal(np.log(median), 0.9), 1800).astype(np.int64)
    return Web(at, person, comp, leaf, on_parent, kind, escalate, persons, duration)
