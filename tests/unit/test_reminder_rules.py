"""Which reminder a person gets, and its period: the pure rules (quizapp.reminders.rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from quizapp.reminders.rules import Kind, iso_week, reminder_for

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # a Tuesday


@pytest.mark.parametrize(
    ("due_in", "expires_in", "expected"),
    [
        (timedelta(days=15), None, None),  # due, not yet soon
        (timedelta(days=14), None, (Kind.DUE_SOON, "2026-12-15")),
        (timedelta(hours=1), None, (Kind.DUE_SOON, "2026-12-01")),
        (timedelta(0), None, (Kind.OVERDUE, "2026-W49")),
        (-timedelta(days=40), None, (Kind.OVERDUE, "2026-W49")),
        # A pass that counts: expiring within 30 days, else nothing.
        (-timedelta(days=400), timedelta(days=31), None),
        (-timedelta(days=400), timedelta(days=30), (Kind.EXPIRING, "2026-12-31")),
        # A pass that ran out: overdue from its expiry, however early the first deadline.
        (-timedelta(days=400), -timedelta(seconds=1), (Kind.OVERDUE, "2026-W49")),
        # A pass that ran out before a later first deadline: that deadline counts.
        (timedelta(days=10), -timedelta(days=1), (Kind.DUE_SOON, "2026-12-11")),
    ],
)
def test_reminder_for(due_in, expires_in, expected):
    found = reminder_for(
        NOW, due_at=NOW + due_in, expires_at=None if expires_in is None else NOW + expires_in
    )
    assert (None if found is None else (found.kind, found.period)) == expected


def test_periods_are_uk_dates_and_iso_weeks():
    # 11:30pm UTC on 31 May is 12:30am on 1 June in the UK.
    late = datetime(2026, 5, 31, 23, 30, tzinfo=UTC)
    found = reminder_for(late - timedelta(days=1), due_at=late, expires_at=None)
    assert found is not None and found.period == "2026-06-01"
    assert iso_week(datetime(2026, 12, 27, 12, tzinfo=UTC)) == "2026-W52"
    assert iso_week(datetime(2026, 12, 28, 12, tzinfo=UTC)) == "2026-W53"
    assert iso_week(datetime(2027, 1, 4, 12, tzinfo=UTC)) == "2027-W01"
