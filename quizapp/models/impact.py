"""Did the learning change practice? Confidence before and after a check, the reaction
to it, and the follow-up some weeks after a pass (issue: impact).

Ratings and reactions are aggregated only: no page shows one person's. A follow-up is
optional, changes no completion, and once submitted never changes (see guards.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .attempt import Attempt
from .bank import BankVersion, Question
from .check import Check
from .types import JSONType, UTCDateTime, one_of, utcnow
from .user import User

#: When a confidence rating was given: before the check's first question, after its
#: result, or in the follow-up.
CONFIDENCE_MOMENTS = ("before", "after", "follow-up")
#: "Have you used this learning in your practice since?"
PRACTICE_ANSWERS = ("yes", "not-yet", "not-applicable")


class ConfidenceRating(db.Model):
    """How confident a person was, at one moment, to do what one finding asks in
    practice: 1 (not at all) to 5 (very), or None when they chose to skip it.

    Every rating hangs off the check attempt it belongs to; follow-up ratings off the
    passing attempt the follow-up followed."""

    __tablename__ = "confidence_ratings"
    __table_args__ = (
        sa.UniqueConstraint("attempt_id", "finding_key", "moment"),
        sa.CheckConstraint(one_of("moment", CONFIDENCE_MOMENTS), name="moment"),
        sa.CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempts.id", ondelete="CASCADE"))
    #: The finding's key in the bank: stable across versions.
    finding_key: Mapped[str] = mapped_column(sa.String(100))
    #: One of CONFIDENCE_MOMENTS.
    moment: Mapped[str] = mapped_column(sa.String(20))
    #: 1..5; None: skipped.
    rating: Mapped[int | None]
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    attempt: Mapped[Attempt] = relationship()


class Reaction(db.Model):
    """The three optional reaction questions after a result, each 1 (strongly disagree)
    to 5 (strongly agree), or None when not answered."""

    __tablename__ = "reactions"
    __table_args__ = tuple(
        sa.CheckConstraint(f"{name} IS NULL OR ({name} >= 1 AND {name} <= 5)", name=name)
        for name in ("relevant", "clear", "will_change")
    )

    attempt_id: Mapped[int] = mapped_column(
        sa.ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True
    )
    #: "The check was relevant to my role."
    relevant: Mapped[int | None]
    #: "The questions were clear."
    clear: Mapped[int | None]
    #: "I will change something in my practice."
    will_change: Mapped[int | None]
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FollowUp(db.Model):
    """The "learning in practice" follow-up to one passing attempt, some weeks later.

    Created when the invitation is sent (the row records it), or when the person opens
    the follow-up from "Your checks" first. The questions are drawn on the findings the
    pass showed were weak; none when there were none (then only confidence and practice
    are asked)."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        sa.UniqueConstraint("attempt_id"),
        sa.CheckConstraint(
            "used_in_practice IS NULL OR " + one_of("used_in_practice", PRACTICE_ANSWERS),
            name="used_in_practice",
        ),
        sa.CheckConstraint(
            "submitted_at IS NULL OR (score IS NOT NULL AND max_score IS NOT NULL)",
            name="submitted_is_scored",
        ),
        sa.CheckConstraint("percent IS NULL OR (percent >= 0 AND percent <= 100)", name="percent"),
        sa.Index("ix_follow_ups_user_id", "user_id"),
        sa.Index("ix_follow_ups_check_id_submitted_at", "check_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The passing attempt this follows up.
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempts.id", ondelete="CASCADE"))
    #: The attempt's person and check, copied so pages need no join.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    check_id: Mapped[int] = mapped_column(sa.ForeignKey("checks.id", ondelete="RESTRICT"))
    #: The published version the questions were drawn from.
    bank_version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("bank_versions.id", ondelete="RESTRICT")
    )
    #: When it became due: the pass plus the check's follow-up weeks at the time the row
    #: was made; it keeps this date if the setting changes later.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When the invitation email was sent; None until it is (a person who opened the
    #: follow-up from "Your checks" first gets it set by the next reminders run), or if
    #: the run could not make the row, or follow-ups were switched off before it went.
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Shuffles options the same way on every page view.
    seed: Mapped[int]
    #: The findings the pass showed were weak (keys), in bank order.
    weak_findings: Mapped[list[str]] = mapped_column(JSONType)
    #: Ids of the questions drawn, in the order shown; empty when no finding was weak.
    question_ids: Mapped[list[int]] = mapped_column(JSONType)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Marks gained and available on the drawn questions (0 of 0 with none), and percent
    #: (None with none).
    score: Mapped[float | None]
    max_score: Mapped[float | None]
    percent: Mapped[float | None]
    #: One of PRACTICE_ANSWERS; None: not answered.
    used_in_practice: Mapped[str | None] = mapped_column(sa.String(20))
    #: The person's own example: private to them, never shown to leads.
    practice_example: Mapped[str | None] = mapped_column(sa.Text)

    attempt: Mapped[Attempt] = relationship()
    user: Mapped[User] = relationship()
    check: Mapped[Check] = relationship()
    bank_version: Mapped[BankVersion] = relationship()
    responses: Mapped[list[FollowUpResponse]] = relationship(
        back_populates="follow_up", cascade="all, delete-orphan"
    )

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class FollowUpResponse(db.Model):
    """An answer to one of a follow-up's questions, marked as in a check."""

    __tablename__ = "follow_up_responses"
    __table_args__ = (
        sa.UniqueConstraint("follow_up_id", "question_id"),
        sa.CheckConstraint("certainty IS NULL OR certainty IN (1, 2, 3)", name="certainty"),
        sa.CheckConstraint(
            "fraction IS NULL OR (fraction >= 0 AND fraction <= 1)", name="fraction_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(sa.ForeignKey("follow_ups.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questions.id", ondelete="RESTRICT"), index=True
    )
    answer: Mapped[Any] = mapped_column(JSONType)
    #: 1 not sure, 2 fairly sure, 3 very sure; None when the check doesn't ask.
    certainty: Mapped[int | None]
    fraction: Mapped[float | None]
    mark: Mapped[float | None]
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    follow_up: Mapped[FollowUp] = relationship(back_populates="responses")
    question: Mapped[Question] = relationship()
