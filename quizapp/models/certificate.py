"""Certificates: one per passed attempt, with a code anyone can check at /verify.

Submitted attempts never change (guards.py), so what a certificate states is kept here,
copied when it is issued: later edits to the check (its title, CPD minutes, refresh
period) don't change a certificate already issued.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .attempt import Attempt
from .check import Check
from .types import UTCDateTime, utcnow
from .user import User


class Certificate(db.Model):
    __tablename__ = "certificates"
    __table_args__ = (
        sa.CheckConstraint("cpd_minutes >= 0 AND cpd_minutes <= 6000", name="cpd_minutes"),
        sa.CheckConstraint("expires_at > passed_at", name="expires_after_pass"),
        sa.Index("ix_certificates_user_id_passed_at", "user_id", "passed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The passed attempt it certifies: one certificate each.
    attempt_id: Mapped[int] = mapped_column(
        sa.ForeignKey("attempts.id", ondelete="RESTRICT"), unique=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    check_id: Mapped[int] = mapped_column(sa.ForeignKey("checks.id", ondelete="RESTRICT"))
    #: 12 characters of an unambiguous alphabet (60 bits), shown as XXXX-XXXX-XXXX.
    code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the attempt was submitted.
    passed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: passed_at plus the refresh period that applied when it was issued.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The check's title when issued.
    check_title: Mapped[str] = mapped_column(sa.String(300))
    #: The bank version number the attempt was taken on.
    version_number: Mapped[int]
    #: CPD minutes the check counted for when issued.
    cpd_minutes: Mapped[int]
    #: Whether the check counted as participatory learning when issued.
    participatory: Mapped[bool]

    attempt: Mapped[Attempt] = relationship()
    user: Mapped[User] = relationship()
    check: Mapped[Check] = relationship()
