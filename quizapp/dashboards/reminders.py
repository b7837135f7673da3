"""An agency's lead emails everyone in the agency who is overdue: at most once a week.

Each overdue person gets one email listing their overdue checks. The sending is recorded
(OverdueReminder) and audited; the agency's row is locked while the week's limit is
checked and the record written, so two leads pressing the button at once send once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import url_for

from .. import audit
from ..email import EmailError, render_email, send_email
from ..extensions import db
from ..models import Agency, OverdueReminder, User
from .periods import reporting_year, reporting_year_of
from .queries import Filters, OverdueRow, overdue_people
from .scope import Scope

#: How long an agency waits between two emails to everyone overdue.
WAIT = timedelta(days=7)
SUBJECT = "Overdue: safeguarding learning checks"


@dataclass(frozen=True)
class Recipient:
    user_id: int
    name: str
    email: str
    rows: list[OverdueRow]


def recipients(scope: Scope, *, now: datetime) -> list[Recipient]:
    """Everyone in the agency who is overdue now, once each, with their overdue checks."""
    by_person: dict[int, list[OverdueRow]] = defaultdict(list)
    filters = Filters(period=reporting_year(reporting_year_of(now)))
    for row in overdue_people(scope, filters, now=now):
        by_person[row.user_id].append(row)
    return [
        Recipient(user_id, rows[0].name, rows[0].email, rows) for user_id, rows in by_person.items()
    ]


def last_sent(agency_id: int) -> OverdueReminder | None:
    return db.session.scalars(
        sa.select(OverdueReminder)
        .where(OverdueReminder.agency_id == agency_id)
        .order_by(OverdueReminder.sent_at.desc())
        .limit(1)
    ).first()


def next_allowed(agency_id: int, *, now: datetime) -> datetime | None:
    """When the agency may next email everyone overdue; None if it may now."""
    last = last_sent(agency_id)
    if last is None or last.sent_at + WAIT <= now:
        return None
    return last.sent_at + WAIT


class TooSoon(Exception):
    def __init__(self, allowed: datetime):
        super().__init__(f"next allowed at {allowed:%Y-%m-%d %H:%M}")
        self.allowed = allowed


@dataclass(frozen=True)
class Sent:
    sent: int
    failed: int


def send(scope: Scope, lead: User, *, now: datetime) -> Sent:
    """Email everyone overdue in the lead's agency, if the week's limit allows (TooSoon
    otherwise), and record it. Commits."""
    assert scope.agency_id is not None
    db.session.execute(
        sa.select(Agency.id).where(Agency.id == scope.agency_id).with_for_update()
    ).scalar_one()
    allowed = next_allowed(scope.agency_id, now=now)
    if allowed is not None:
        db.session.rollback()
        raise TooSoon(allowed)
    sent = failed = 0
    link = url_for("take.your_checks", _external=True)
    for person in recipients(scope, now=now):
        text = render_email("overdue_reminder", person=person, lead=lead, link=link)
        try:
            send_email(person.email, SUBJECT, text)
        except EmailError:
            failed += 1
        else:
            sent += 1
    if sent:
        db.session.add(
            OverdueReminder(agency_id=scope.agency_id, sent_at=now, sent_by_id=lead.id, people=sent)
        )
        audit.record(
            "overdue_reminder.send",
            f"agency:{scope.agency_id}",
            user=lead,
            details={"people": sent, "failed": failed},
        )
    db.session.commit()
    return Sent(sent, failed)
