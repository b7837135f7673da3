"""Reporting periods: whole months in UK time, April-to-March years."""

from __future__ import annotations

from datetime import UTC, datetime

from quizapp.dashboards.periods import (
    period_choices,
    reporting_year,
    reporting_year_of,
    rolling,
    year_choices,
)


def test_a_reporting_year_runs_april_to_march_in_uk_time():
    year = reporting_year(2026)
    assert year.label == "2026 to 2027"
    assert year.start == datetime(2026, 3, 31, 23, 0, tzinfo=UTC)  # 1 April, BST
    assert year.end == datetime(2027, 3, 31, 23, 0, tzinfo=UTC)  # 1 April 2027, BST
    assert [m.label for m in year.months][:2] == ["April 2026", "May 2026"]
    assert year.months[-1].label == "March 2027"
    assert all(a.end == b.start for a, b in zip(year.months, year.months[1:], strict=False))


def test_which_reporting_year_a_moment_falls_in():
    assert reporting_year_of(datetime(2026, 3, 31, 22, 59, tzinfo=UTC)) == 2025
    assert reporting_year_of(datetime(2026, 3, 31, 23, 0, tzinfo=UTC)) == 2026  # BST midnight
    assert reporting_year_of(datetime(2026, 11, 26, tzinfo=UTC)) == 2026


def test_rolling_periods_end_with_this_month():
    now = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
    period = rolling(12, now)
    assert period.key == "12m"
    assert period.months[0].label == "December 2025"
    assert period.months[-1].label == "November 2026"
    assert period.start <= now < period.end
    assert period.label == "12 months from 1 December 2025"
    assert rolling(3, now).months[0].label == "September 2026"


def test_choices():
    now = datetime(2026, 11, 26, tzinfo=UTC)
    # Reporting years only: no period offered nests in or overlaps another.
    assert [p.key for p in period_choices(now)] == [
        "year-2026",
        "year-2025",
        "year-2024",
        "year-2023",
    ]
    assert year_choices(now) == [2026, 2025, 2024, 2023]
