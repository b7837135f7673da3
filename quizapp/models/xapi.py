"""xAPI statements waiting to be sent to the learning record store (LRS).

Rows are written in the transaction that submits an attempt, so a statement exists if and
only if the attempt does; `flask --app quizapp xapi send` sends them later and marks them
sent. An LRS that is down only delays them (see quizapp/interchange/xapi_cli.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import JSONType, UTCDateTime, utcnow


class XapiOutbox(db.Model):
    __tablename__ = "xapi_outbox"
    __table_args__ = (
        sa.CheckConstraint("attempts >= 0", name="attempts"),
        # The sender reads unsent rows that are due, oldest first.
        sa.Index("ix_xapi_outbox_sent_at_next_try_at", "sent_at", "next_try_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The statement's own id (a UUID derived from the attempt), so a resend is idempotent.
    statement_id: Mapped[str] = mapped_column(sa.String(36), unique=True)
    #: The statement as sent.
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the LRS accepted it; None while waiting.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Failed sends so far; the wait before the next one doubles with each.
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Not sent before this (after a failure); None: at the next run.
    next_try_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: What went wrong the last time, for the operator.
    last_error: Mapped[str | None] = mapped_column(sa.Text)
