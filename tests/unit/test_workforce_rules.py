"""Completion status and audience rules, without an app."""

from datetime import UTC, date, datetime, timedelta

import pytest

from quizapp.workforce.audience import Audience, Person, due_at, includes
from quizapp.workforce.status import Status, next_deadline, status_of

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("due", "expires", "expected"),
    [
        (None, None, Status.NOT_REQUIRED),
        (NOW + DAY, None, Status.DUE),
        (NOW - DAY, None, Status.OVERDUE),
        (NOW, None, Status.OVERDUE),
        (NOW - DAY, NOW + 31 * DAY, Status.COMPLETE),
        (NOW - DAY, NOW + 30 * DAY, Status.EXPIRING_SOON),
        (NOW - DAY, NOW + DAY, Status.EXPIRING_SOON),
        (NOW - 400 * DAY, NOW - DAY, Status.OVERDUE),  # the pass has expired
        (NOW + 10 * DAY, NOW - DAY, Status.DUE),  # expired, but a later deadline applies
        (None, NOW + 100 * DAY, Status.COMPLETE),  # passed an optional check
        (None, NOW - DAY, Status.NOT_REQUIRED),
    ],
)
def test_status_of(due, expires, expected):
    assert status_of(NOW, due_at=due, expires_at=expires) is expected


def test_next_deadline_is_the_expiry_once_a_pass_exists():
    assert next_deadline(due_at=NOW, expires_at=None) == NOW
    assert next_deadline(due_at=NOW, expires_at=NOW + DAY) == NOW + DAY
    assert next_deadline(due_at=NOW, expires_at=NOW - DAY) == NOW


def test_status_labels_are_plain_english():
    assert [s.label for s in Status] == [
        "Complete", "Expiring soon", "Due", "Overdue", "Not required",
    ]  # fmt: skip


POLICE, HEALTH, SCHOOL = 1, 2, 3
audience = Audience.of(
    all_agencies=False, agency_ids=[POLICE, HEALTH], levels=["Level 2", "Level 3"]
)


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        (Person(POLICE, None, "Constable", "Level 2"), True),
        (Person(HEALTH, 7, "Nurse", " level 3 "), True),
        (Person(HEALTH, None, "Nurse", "Level 1"), False),
        (Person(SCHOOL, None, "Teacher", "Level 3"), False),
        (Person(None, None, "Nurse", "Level 3"), False),
        (Person(POLICE, None, "Constable", None), False),
    ],
)
def test_audience_by_agency_and_level(person, expected):
    assert includes(audience, person) is expected


def test_audience_by_team_and_job_role():
    narrow = Audience.of(all_agencies=True, team_ids=[5], job_roles=["Health Visitor"])
    assert includes(narrow, Person(9, 5, "health visitor", None))
    assert not includes(narrow, Person(9, 6, "health visitor", None))
    assert not includes(narrow, Person(9, 5, "Midwife", None))
    assert includes(Audience.of(all_agencies=True), Person(9, None, "", None))


def test_due_dates():
    joined = datetime(2026, 1, 10, 9, 30, tzinfo=UTC)
    assert due_at(due_date=None, due_days=28, required_since=joined) == joined + 28 * DAY
    # A fixed date is due by the end of that day in the UK (GMT in winter, BST in summer).
    assert due_at(due_date=date(2027, 3, 1), due_days=None, required_since=joined) == datetime(
        2027, 3, 1, 23, 59, 59, tzinfo=UTC
    )
    assert due_at(due_date=date(2027, 6, 1), due_days=None, required_since=joined) == datetime(
        2027, 6, 1, 22, 59, 59, tzinfo=UTC
    )
    with pytest.raises(ValueError, match="due date"):
        due_at(due_date=None, due_days=None, required_since=joined)
