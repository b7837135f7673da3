"""Emails sent by an agency's lead to everyone in the agency who is overdue."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime


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
