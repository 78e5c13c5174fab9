"""What the forecasts learn from: call arrivals per interval and the campaigns that drove them.

Reads the database with aggregate queries and returns the long-format frames the numerics take
(`series_id, ds, y`, naive local timestamps on a regular grid; events `name, start, end`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pandas as pd
from django.db.models import Count, F
from django.db.models.functions import ExtractMinute, TruncHour
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.contactcenter.models import CallRecord
from ascolto.core.errors import InvalidInput
from ascolto.tickets.models import Campaign

INTERVALS = (5, 15, 30, 60)
TOTAL = "020202"


def call_arrivals(
    start: date, end: date, *, interval_minutes: int = 15, by_queue: bool = False
) -> pd.DataFrame:
    """Calls arriving per interval from `start` to `end` inclusive, one series for the whole
    line (`020202`) or one per queue, in long format (`series_id, ds, y`)."""
    if interval_minutes not in INTERVALS:
        raise InvalidInput(
            _("L'intervallo è di %(choices)s minuti.")
            % {"choices": ", ".join(str(m) for m in INTERVALS)},
            field="interval",
        )
    if end < start:
        raise InvalidInput(
            _("Lo storico finisce (%(end)s) prima di cominciare (%(start)s).")
            % {"end": f"{end:%d/%m/%Y}", "start": f"{start:%d/%m/%Y}"},
            field="start",
        )
    zone = timezone.get_current_timezone()
    since = datetime.combine(start, time.min, tzinfo=zone)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    rows = (
        CallRecord.objects.filter(arrived_at__gte=since, arrived_at__lt=until)
        .annotate(
            hour=TruncHour("arrived_at", tzinfo=zone),
            bucket=ExtractMinute("arrived_at", tzinfo=zone) / interval_minutes,
            series=F("queue"),
        )
        .values("series", "hour", "bucket")
        .annotate(y=Count("id"))
        .order_by()
    )
    frame = pd.DataFrame.from_records(list(rows), columns=["series", "hour", "bucket", "y"])
    if frame.empty:
        return pd.DataFrame({"series_id": [], "ds": pd.to_datetime([]), "y": []})
    hours = pd.to_datetime(frame["hour"], utc=True).dt.tz_convert(zone).dt.tz_localize(None)
    frame["ds"] = hours + pd.to_timedelta(
        frame["bucket"].astype(int) * interval_minutes, unit="min"
    )
    frame["series_id"] = frame["series"] if by_queue else TOTAL
    # Sparse, as telephony exports are: an interval with no call has no row, and the forecasters
    # read it as zero inside an open day; a day with no row at all is a closed day.
    frame = frame.groupby(["series_id", "ds"], as_index=False)["y"].sum()
    frame["y"] = frame["y"].astype(float)
    return frame.sort_values(["series_id", "ds"]).reset_index(drop=True)


def read_csv(path: Path) -> pd.DataFrame:
    """A long-format CSV (`series_id, ds, y`), checked, with a clear error for what is wrong."""
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise InvalidInput(
            _("Impossibile leggere %(path)s: %(error)s") % {"path": path, "error": exc},
            field="csv",
        ) from exc
    missing = {"series_id", "ds", "y"} - set(frame.columns)
    if missing:
        raise InvalidInput(
            _("In %(path)s mancano le colonne %(columns)s: il formato lungo è series_id, ds, y.")
            % {"path": path, "columns": ", ".join(sorted(missing))},
            field="csv",
        )
    try:
        frame["ds"] = pd.to_datetime(frame["ds"])
    except (ValueError, TypeError) as exc:
        raise InvalidInput(
            _("%(path)s: la colonna ds contiene valori che non sono date e ore.") % {"path": path},
            field="csv",
        ) from exc
    if frame["ds"].dt.tz is not None:
        frame["ds"] = (
            frame["ds"].dt.tz_convert(timezone.get_current_timezone()).dt.tz_localize(None)
        )
    frame["y"] = pd.to_numeric(frame["y"], errors="coerce")
    if frame["y"].isna().any():
        row = int(frame.index[frame["y"].isna()][0]) + 2
        raise InvalidInput(
            _("%(path)s, riga %(row)d: y non è un numero.") % {"path": path, "row": row},
            field="csv",
        )
    if (frame["y"] < 0).any():
        raise InvalidInput(
            _("%(path)s: y contiene conteggi negativi.") % {"path": path}, field="csv"
        )
    frame["series_id"] = frame["series_id"].astype(str)
    return frame[["series_id", "ds", "y"]].sort_values(["series_id", "ds"]).reset_index(drop=True)


def campaign_events(start: date, end: date) -> pd.DataFrame:
    """Known events between `start` and `end`: each campaign's period, and each of its key dates
    (a tax due date, an enrolment deadline) as a day of its own.

    Events are named after the campaign's theme (every year's TARI campaign is 'tari'), so the
    effect learnt from past years' campaigns applies to the next one."""
    rows: list[dict[str, object]] = []
    campaigns = Campaign.objects.filter(starts_on__lte=end, ends_on__gte=start).select_related(
        "theme"
    )
    for campaign in campaigns:
        name = campaign.theme.code if campaign.theme else campaign.code
        rows.append({"name": name, "start": campaign.starts_on, "end": campaign.ends_on})
        for key in campaign.key_dates or []:
            try:
                day = date.fromisoformat(str(key.get("date")))
            except (TypeError, ValueError, AttributeError):
                continue
            rows.append({"name": f"{name}-scadenza", "start": day, "end": day})
    return pd.DataFrame(rows, columns=["name", "start", "end"])
