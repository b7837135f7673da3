"""Settings the partnership's administrators set once for the whole service."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime

#: The one row of partnership_settings.
SETTINGS_ID = 1


class PartnershipSettings(db.Model):
    """One row (id 1): the partnership's own advice line, shown on every result page
    beside the review's signposting. Empty fields are not shown."""

    __tablename__ = "partnership_settings"
    __table_args__ = (sa.CheckConstraint(f"id = {SETTINGS_ID}", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: Who answers, e.g. "Children's Advice and Support Service".
    advice_name: Mapped[str] = mapped_column(sa.String(200), default="")
    advice_phone: Mapped[str] = mapped_column(sa.String(50), default="")
    advice_email: Mapped[str] = mapped_column(sa.String(320), default="")
    #: Opening hours, out-of-hours number, a web address: plain text, line by line.
    advice_details: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    @property
    def has_advice_line(self) -> bool:
        return any(
            (self.advice_name, self.advice_phone, self.advice_email, self.advice_details.strip())
        )
