"""Emails sent by an agency's lead to everyone in the agency who is overdue."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, one_of


class OverdueReminder(db.Model):
    """One "email everyone overdue" by an agency's lead: when, by whom, to how many.
    An agency may be sent one a week (quizapp.dashboards.reminders)."""

    __tablename__ = "overdue_reminders"
    __table_args__ = (sa.Index("ix_overdue_reminders_agency_id_sent_at", "agency_id", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id", ondelete="CASCADE"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: People emailed (each once, whatever their number of overdue checks).
    people: Mapped[int]


#: What a reminder is about: a check due soon, a pass expiring, a check overdue (weekly),
#: a lead's or team manager's weekly digest of their people's overdue checks, or the
#: invitation to a pass's follow-up (period: the passing attempt's id).
REMINDER_KINDS = ("due-soon", "expiring", "overdue", "digest", "follow-up")


class ReminderSend(db.Model):
    """One reminder email sent by `flask reminders send`: never the same one twice.

    Written in the transaction that sends it, before the email goes: a second run (or a
    second server at once) cannot insert the same row, so it sends nothing twice; a mail
    server's refusal deletes the row before the batch commits, so the next run tries again.
    """

    __tablename__ = "reminder_sends"
    __table_args__ = (
        sa.CheckConstraint(one_of("kind", REMINDER_KINDS), name="kind"),
        sa.CheckConstraint("(kind = 'digest') = (check_id IS NULL)", name="digest_has_no_check"),
        sa.UniqueConstraint("user_id", "check_id", "kind", "period"),
        # NULLs are distinct in a unique constraint (on both databases): digests need their own.
        sa.Index(
            "uq_reminder_sends_digest",
            "user_id",
            "period",
            unique=True,
            sqlite_where=sa.text("check_id IS NULL"),
            postgresql_where=sa.text("check_id IS NULL"),
        ),
        sa.Index("ix_reminder_sends_kind_period", "kind", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Who the email went to.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    #: The check it was about; None for a digest.
    check_id: Mapped[int | None] = mapped_column(sa.ForeignKey("checks.id", ondelete="CASCADE"))
    #: One of REMINDER_KINDS.
    kind: Mapped[str] = mapped_column(sa.String(20))
    #: Once per period: the due date (due-soon), the expiry date (expiring), or the ISO
    #: week of the run, e.g. "2026-W49" (overdue, digest).
    period: Mapped[str] = mapped_column(sa.String(10))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
