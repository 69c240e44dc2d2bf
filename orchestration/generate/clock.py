"""Time in the generator: integer microseconds since the Unix epoch, UTC, everywhere.

Integers keep every emitted timestamp exact, so truth.json sees the very instants that the
exports carry (microseconds for GA4, whole seconds for Salesforce and Qualtrics).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

MILLISECOND_US = 1_000
SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

UTC = dt.UTC
_EPOCH = dt.datetime(1970, 1, 1)
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def date_to_us(day: dt.date) -> int:
    """Midnight UTC of a date."""
    return (day.toordinal() - _EPOCH_ORDINAL) * DAY


def floor_second(us: int) -> int:
    return us - us % SECOND


def utc_date(us: int) -> dt.date:
    return dt.date.fromordinal(_EPOCH_ORDINAL + us // DAY)


def ga4_date(us: int) -> str:
    """GA4 `event_date`: YYYYMMDD of the UTC day."""
    return utc_date(us).strftime("%Y%m%d")


def _naive_utc(us: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=us)


def salesforce_datetime(us: int) -> str:
    """`2026-09-03T14:05:07.000Z` (whole seconds: the caller floors)."""
    return _naive_utc(floor_second(us)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def salesforce_date(us: int) -> str:
    return utc_date(us).isoformat()


def wall_time(us: int, zone: ZoneInfo | None) -> str:
    """Local wall-clock time `YYYY-MM-DD HH:MM:SS` in a zone (None = UTC)."""
    seconds = floor_second(us)
    if zone is None:
        return _naive_utc(seconds).strftime("%Y-%m-%d %H:%M:%S")
    moment = dt.datetime.fromtimestamp(seconds // SECOND, tz=zone)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def is_ambiguous_wall_time(us: int, zone: ZoneInfo | None) -> bool:
    """True if the local wall time of this instant occurs twice (end of daylight saving time).

    Such a time cannot be converted back to UTC without the offset, which Qualtrics does not
    export, so the generator avoids it.
    """
    if zone is None:
        return False
    local = dt.datetime.fromtimestamp(floor_second(us) // SECOND, tz=zone).replace(tzinfo=None)
    first = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = local.replace(tzinfo=zone, fold=1).astimezone(UTC)
    return first != second


def parse_salesforce_datetime(text: str) -> int:
    moment = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    return (moment - _EPOCH) // dt.timedelta(microseconds=1)
