"""The one email telling a person they have been assigned a check.

`record_emails` runs inside the transaction that first requires a check of someone (an
assignment made or changed, a check brought back, an upload): it records one row per
person and assignment, never a second, for people whose agency sends these emails and
who have not left. `deliver` sends the recorded emails after that transaction commits:
the request that made them sends the first few, and `flask assignments send-emails`
(run by cron) sends the rest, and any a mail server refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, url_for

from ..email import EmailError, render_email, send_email
from ..extensions import db
from ..models import Agency, Assignment, AssignmentEmail, Check, Completion, Requirement, User
from ..models.types import utcnow
from .status import next_deadline

#: Emails a web request sends itself after it commits; the command sends the rest.
PER_REQUEST = 50
#: Pairs looked up per query.
CHUNK = 500


def record_emails(pairs: Sequence[tuple[int, int]], *, now: datetime) -> int:
    """Record an email for each (assignment id, user id) not recorded before, if the
    person's agency sends them and the person has not left. Returns how many."""
    recorded = 0
    wanted = sorted(set(pairs))
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        user_ids = sorted({user_id for _, user_id in chunk})
        eligible = set(
            db.session.scalars(
                sa.select(User.id)
                .join(Agency, Agency.id == User.agency_id)
                .where(
                    User.id.in_(user_ids),
                    User.left_at.is_(None),
                    User.active.is_(True),
                    Agency.assignment_emails.is_(True),
                )
            )
        )
        done = {
            (row.assignment_id, row.user_id)
            for row in db.session.execute(
                sa.select(AssignmentEmail.assignment_id, AssignmentEmail.user_id).where(
                    AssignmentEmail.user_id.in_(user_ids)
                )
            )
        }
        rows = [
            {"assignment_id": assignment_id, "user_id": user_id, "created_at": now}
            for assignment_id, user_id in chunk
            if user_id in eligible and (assignment_id, user_id) not in done
        ]
        if rows:
            db.session.execute(sa.insert(AssignmentEmail), rows)
            recorded += len(rows)
    return recorded


@dataclass(frozen=True)
class Delivery:
    sent: int
    #: True when the mail server failed: the rest wait for the next run.
    failed: bool = False


def _waiting() -> sa.Select:
    """Recorded emails not yet sent, still true: the person has not left and is still
    required to take the check, by an assignment not ended, of a check not retired."""
    return (
        sa.select(AssignmentEmail.id)
        .join(User, User.id == AssignmentEmail.user_id)
        .join(Assignment, Assignment.id == AssignmentEmail.assignment_id)
        .join(Check, Check.id == Assignment.check_id)
        .join(
            Requirement,
            sa.and_(Requirement.user_id == User.id, Requirement.check_id == Check.id),
        )
        .where(
            AssignmentEmail.sent_at.is_(None),
            User.left_at.is_(None),
            User.active.is_(True),
            Assignment.ended_at.is_(None),
            Check.retired_at.is_(None),
        )
        .order_by(AssignmentEmail.id)
    )


def deliver(*, limit: int | None = None) -> Delivery:
    """Send waiting emails, oldest first, committing after each one.

    Each is claimed before it is sent (an UPDATE that only one sender can win), so two
    senders at once never send the same email twice. If the mail server fails, the
    claim is released and sending stops; the next run tries again.
    """
    query = _waiting()
    if limit is not None:
        query = query.limit(limit)
    ids = list(db.session.scalars(query))
    db.session.commit()
    sent = 0
    for email_id in ids:
        claimed = db.session.execute(
            sa.update(AssignmentEmail)
            .where(AssignmentEmail.id == email_id, AssignmentEmail.sent_at.is_(None))
            .values(sent_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if claimed.rowcount != 1:
            continue  # sent meanwhile by another sender
        try:
            done = _send(email_id)
        except EmailError:
            done = None
        if not done:
            db.session.rollback()
            db.session.execute(
                sa.update(AssignmentEmail)
                .where(AssignmentEmail.id == email_id)
                .values(sent_at=None)
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
            if done is None:
                return Delivery(sent=sent, failed=True)
            continue
        sent += 1
    return Delivery(sent=sent)


def deliver_after_request() -> None:
    """What a request that recorded emails does once it has committed: send a few now."""
    try:
        deliver(limit=PER_REQUEST)
    except Exception:  # the change is saved; the command sends what is left
        db.session.rollback()
        current_app.logger.exception("sending assignment emails failed")


def _send(email_id: int) -> bool:
    """Send one email; False if it is no longer true (nothing sent)."""
    email = db.session.get(AssignmentEmail, email_id)
    assert email is not None
    user, check = email.user, email.assignment.check
    requirement = db.session.scalar(
        sa.select(Requirement).where(
            Requirement.user_id == user.id, Requirement.check_id == check.id
        )
    )
    completion = db.session.scalar(
        sa.select(Completion).where(Completion.user_id == user.id, Completion.check_id == check.id)
    )
    if requirement is None or user.left_at is not None or check.retired_at is not None:
        return False
    now = utcnow()
    passed = completion if completion is not None and completion.expires_at > now else None
    deadline = next_deadline(
        due_at=requirement.due_at, expires_at=completion.expires_at if completion else None
    )
    text = render_email(
        "assigned",
        user=user,
        check=check,
        deadline=deadline,
        overdue=deadline <= now,
        passed=passed,
        link=url_for("take.check_overview", check_id=check.id, _external=True),
        register=url_for("auth.register", _external=True) if user.password_hash is None else None,
    )
    send_email(user.email, f"Check to take: {check.title}", text)
    return True
