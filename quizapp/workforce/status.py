"""Completion status: pure rules, no Flask and no database.

A person's status on a check follows from three dates: when it is due, and when their
latest pass expires (if any). The dates are kept up to date as things change; the status
is read from them at the moment of asking, so the clock moving on needs no recomputation.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

#: A pass this close to expiry shows as "expiring soon".
EXPIRING_SOON = timedelta(days=30)


class Status(StrEnum):
    COMPLETE = "complete"
    EXPIRING_SOON = "expiring-soon"
    DUE = "due"
    OVERDUE = "overdue"
    NOT_REQUIRED = "not-required"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Status.COMPLETE: "Complete",
    Status.EXPIRING_SOON: "Expiring soon",
    Status.DUE: "Due",
    Status.OVERDUE: "Overdue",
    Status.NOT_REQUIRED: "Not required",
}


def status_of(now: datetime, *, due_at: datetime | None, expires_at: datetime | None) -> Status:
    """Status of one person on one check.

    `due_at` is None when the check is not required of them; `expires_at` is None when
    they have never passed it. A pass counts while it has not expired; once it has, the
    check is due again, and overdue from the day the pass expired.
    """
    if expires_at is not None and expires_at > now:
        return Status.EXPIRING_SOON if expires_at - now <= EXPIRING_SOON else Status.COMPLETE
    if due_at is None:
        return Status.NOT_REQUIRED
    deadline = max(due_at, expires_at) if expires_at is not None else due_at
    return Status.OVERDUE if deadline <= now else Status.DUE


def next_deadline(*, due_at: datetime, expires_at: datetime | None) -> datetime:
    """The date a person must (re)pass by: the first deadline, or the expiry of their pass."""
    return max(due_at, expires_at) if expires_at is not None else due_at
