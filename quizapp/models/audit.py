"""The audit log: who did what to banks, people and settings, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import JSONType, UTCDateTime, utcnow
from .user import User


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: Who did it; None for the command line.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: What happened, e.g. "bank.publish", "bank.import", "draft.edit".
    action: Mapped[str] = mapped_column(sa.String(50))
    #: What it happened to, e.g. "bank:hs-baby-2016".
    target: Mapped[str] = mapped_column(sa.String(200), index=True)
    #: Specifics: version numbers, the change note, the fields edited.
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    user: Mapped[User | None] = relationship()
