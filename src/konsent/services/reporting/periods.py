"""Periods for charts: days, weeks (from Monday) or months, in the organisation's own time zone."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import case

from konsent.errors import InputError

BUCKETS = ("day", "week", "month")
MAX_PERIODS = 400  # a chart with more bars than this says nothing
_EARLIEST, _LATEST = 1900, 9000


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime
    end: datetime  # exclusive


def periods(since: datetime | date, until: datetime | date, bucket: str, timezone: str) -> list[Period]:
    """The periods from the one holding `since` up to the one holding the moment before `until`. A day,
    or a time without a zone, is read in the organisation's time zone."""
    if bucket not in BUCKETS:
        raise InputError("bucket", f"must be one of {', '.join(BUCKETS)}")
    zone = zone_of(timezone)
    for name, moment in (("since", since), ("until", until)):
        if not _EARLIEST <= moment.year <= _LATEST:  # far from datetime's ends, where a month more overflows
            raise InputError(name, f"must lie between the years {_EARLIEST} and {_LATEST}")
    since, until = aware(since, zone), aware(until, zone)
    if until <= since:
        raise InputError("until", "must lie after since")
    day = _first_day(since.astimezone(zone).date(), bucket)
    found: list[Period] = []
    while True:
        following = _next_day(day, bucket)
        start, end = _midnight(day, zone), _midnight(following, zone)
        if start >= until:
            return found
        found.append(Period(start, end))
        if len(found) > MAX_PERIODS:
            raise InputError("since", f"covers more than {MAX_PERIODS} {bucket}s; choose a shorter time or a "
                                      "longer bucket")
        day = following


def aware(moment: datetime | date, zone: ZoneInfo) -> datetime:
    if not isinstance(moment, datetime):
        return _midnight(moment, zone)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def bucket_of(column: Any, found: Sequence[Period]) -> Any:
    """A SQL expression: the index of the period holding `column`, -1 before the first, NULL after the last."""
    return case((column < found[0].start, -1), *((column < p.end, i) for i, p in enumerate(found)), else_=None)


def zone_of(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _first_day(day: date, bucket: str) -> date:
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def _next_day(day: date, bucket: str) -> date:
    if bucket == "week":
        return day + timedelta(days=7)
    if bucket == "month":
        return date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return day + timedelta(days=1)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone)
