"""Invitations sent by leads and admins; accepting one creates the person's account."""

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
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Set once: an invitation works once only.
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    agency: Mapped[Agency] = relationship()
    team: Mapped[Team | None] = relationship()
    invited_by: Mapped[User | None] = relationship()
