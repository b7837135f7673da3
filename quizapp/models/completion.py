"""Completion: a person's standing on a check, kept with the attempt that changes it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .attempt import Attempt
from .check import Check
from .types import UTCDateTime
from .user import User


class Completion(db.Model):
    __tablename__ = "completions"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "check_id"),
        sa.CheckConstraint("expires_at > passed_at", name="expires_after_pass"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    check_id: Mapped[int] = mapped_column(
        sa.ForeignKey("checks.id", ondelete="CASCADE"), index=True
    )
    #: The latest passing attempt.
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempts.id", ondelete="RESTRICT"))
    #: When that attempt was submitted.
    passed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: passed_at plus the check's refresh period.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    user: Mapped[User] = relationship()
    check: Mapped[Check] = relationship()
    attempt: Mapped[Attempt] = relationship()
