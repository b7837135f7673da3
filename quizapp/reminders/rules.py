"""Which reminder a person gets about one check, and its period: pure rules, no Flask.

A reminder goes once per person, check, kind and period. The period of a "due soon" is
the due date and of an "expiring" the expiry date, so a new date brings a new reminder;
"overdue" and the leads' and managers' digests are weekly, keyed by the ISO week. A
follow-up's invitation goes once per passing attempt (its period is the attempt's id);
its rules are the follow-up's own (quizapp/impact/follow_up.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from ..workforce.status import EXPIRING_SOON, next_deadline

#: A check due this soon (and not passed) gets a "due soon" reminder.
DUE_SOON = timedelta(days=14)
#: A pass expiring this soon gets an "expiring" reminder (the dashboards' "expiring soon").
EXPIRING = EXPIRING_SOON
#: Dates are the dates people see, in UK time.
LONDON = ZoneInfo("Europe/London")


class Kind(StrEnum):
    DUE_SOON = "due-soon"
    EXPIRING = "expiring"
    OVERDUE = "overdue"
    DIGEST = "digest"
    #: The invitation to a pass's follow-up (quizapp/impact/follow_up.py): once per
    #: passing attempt, the period being its id.
    FOLLOW_UP = "follow-up"


@dataclass(frozen=True)
class Reminder:
    kind: Kind
    #: Once per period: see the module's docstring.
    period: str
    #: The date the email gives: when the check is (or was) due, or the pass expires.
    date: datetime


def iso_week(now: datetime) -> str:
    """The ISO week of `now` in UK time, e.g. "2026-W49"."""
    year, week, _ = now.astimezone(LONDON).isocalendar()
    return f"{year}-W{week:02d}"


def day(when: datetime) -> str:
    """The date in UK time, e.g. "2026-12-14"."""
    return when.astimezone(LONDON).date().isoformat()


def reminder_for(
    now: datetime, *, due_at: datetime, expires_at: datetime | None
) -> Reminder | None:
    """The reminder a person required to take a check gets now, if any.

    `expires_at` is when their latest pass expires (None if they never passed). The
    kinds follow the status rules (quizapp.workforce.status): a pass that counts may be
    expiring; without one, the check is due soon or overdue.
    """
    if expires_at is not None and expires_at > now:
        if expires_at - now <= EXPIRING:
            return Reminder(Kind.EXPIRING, day(expires_at), expires_at)
        return None
    deadline = next_deadline(due_at=due_at, expires_at=expires_at)
    if deadline <= now:
        return Reminder(Kind.OVERDUE, iso_week(now), deadline)
    if deadline - now <= DUE_SOON:
        return Reminder(Kind.DUE_SOON, day(deadline), deadline)
    return None
