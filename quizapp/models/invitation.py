"""Invitations sent by leads and admins; accepting one creates the person's account, or
opens the account of a person already listed (uploaded) who has never signed in."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .agency import Agency, Team
from .types import JSONType, UTCDateTime, utcnow
from .user import User


class Invitation(db.Model):
    __tablename__ = "invitations"
    __table_args__ = (sa.CheckConstraint("email = lower(email)", name="email_lower_case"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    job_role: Mapped[str] = mapped_column(sa.String(200), default="")
    level: Mapped[str | None] = mapped_column(sa.String(50))
    #: Role names (quizapp.models.Role) the account gets on acceptance.
    roles: Mapped[list[str]] = mapped_column(JSONType, default=list)
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the email was last sent (resending sends it again and moves expires_at on).
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Set once: an invitation works once only.
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Set when a lead or an administrator cancels it (or a newer invitation replaces
    #: it): the link stops working.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    agency: Mapped[Agency] = relationship()
    team: Mapped[Team | None] = relationship()
    invited_by: Mapped[User | None] = relationship()

    def is_pending(self, now: datetime) -> bool:
        """Not accepted, not cancelled, and the link still works."""
        return self.accepted_at is None and self.cancelled_at is None and self.expires_at > now

    @classmethod
    def open_condition(cls) -> sa.ColumnElement[bool]:
        """Neither accepted nor cancelled (it may have expired: it can be resent)."""
        return sa.and_(cls.accepted_at.is_(None), cls.cancelled_at.is_(None))
