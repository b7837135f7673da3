"""Reporting periods: calendar months and April-to-March years in UK time. Pure.

A period is a half-open span of instants [start, end) in UTC, made of whole calendar
months as they fall in Europe/London, so a month's figures match what people in the
partnership call that month, and British Summer Time never moves a boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
#: The partnership's reporting year starts on 1 April.
YEAR_START_MONTH = 4
#: Reporting years offered: this one and this many before it. They are the only periods
#: the dashboards offer: no two of them nest or overlap, so no figure for one period can
#: be subtracted from another's (docs/dashboards.md, "Small numbers are hidden").
PAST_YEARS = 3


@dataclass(frozen=True)
class Month:
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        return f"{self.start.astimezone(LONDON):%B %Y}"

    @property
    def short_label(self) -> str:
        return f"{self.start.astimezone(LONDON):%b %Y}"


@dataclass(frozen=True)
class Period:
    #: As it appears in the URL: "year-2026" ("12m" for a rolling period, used by tests and
    #: benchmarks but never offered).
    key: str
    label: str
    months: tuple[Month, ...]

    @property
    def start(self) -> datetime:
        return self.months[0].start

    @property
    def end(self) -> datetime:
        return self.months[-1].end


def _month_start(year: int, month: int) -> datetime:
    while month > 12:
        year, month = year + 1, month - 12
    while month < 1:
        year, month = year - 1, month + 12
    return datetime(year, month, 1, tzinfo=LONDON).astimezone(UTC)


def _months(first_year: int, first_month: int, count: int) -> tuple[Month, ...]:
    return tuple(
        Month(
            _month_start(first_year, first_month + offset),
            _month_start(first_year, first_month + offset + 1),
        )
        for offset in range(count)
    )


def reporting_year_of(when: datetime) -> int:
    """The reporting year containing `when`, named by its first calendar year."""
    local = when.astimezone(LONDON)
    return local.year if local.month >= YEAR_START_MONTH else local.year - 1


def year_label(year: int) -> str:
    return f"{year} to {year + 1}"


def reporting_year(year: int) -> Period:
    return Period(f"year-{year}", year_label(year), _months(year, YEAR_START_MONTH, 12))


def rolling(months: int, now: datetime) -> Period:
    """The last `months` calendar months, this (unfinished) month included."""
    local = now.astimezone(LONDON)
    first = _months(local.year, local.month - months + 1, months)
    start = first[0].start.astimezone(LONDON)
    return Period(f"{months}m", f"{months} months from {_day(start.date())}", first)


def _day(value: date) -> str:
    return f"{value:%-d %B %Y}"


def period_choices(now: datetime) -> list[Period]:
    """The periods a lead can choose: this reporting year (the default) and the years
    before it."""
    return [reporting_year(year) for year in year_choices(now)]


def year_choices(now: datetime) -> list[int]:
    this_year = reporting_year_of(now)
    return list(range(this_year, this_year - PAST_YEARS - 1, -1))
