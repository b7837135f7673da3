"""Attempts at a check and the responses given in them.

An attempt keeps the exact bank version it was started on. Once submitted, neither the
attempt nor its responses change again (see guards.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .bank import BankVersion, Question
from .check import Check
from .types import JSONType, UTCDateTime, utcnow
from .user import User

#: The layout new attempts get; see Attempt.layout.
LATEST_LAYOUT = 2
FIRST_LAYOUT = 1


class Attempt(db.Model):
    __tablename__ = "attempts"
    __table_args__ = (
        sa.CheckConstraint("layout IN (1, 2)", name="layout"),
        sa.UniqueConstraint("user_id", "check_id", "number"),
        sa.CheckConstraint(
            "submitted_at IS NULL OR (score IS NOT NULL AND max_score IS NOT NULL"
            " AND percent IS NOT NULL AND passed IS NOT NULL)",
            name="submitted_is_scored",
        ),
        sa.CheckConstraint("percent IS NULL OR (percent >= 0 AND percent <= 100)", name="percent"),
        # Statistics read first attempts of a version.
        sa.Index("ix_attempts_version_number", "bank_version_id", "number"),
        # Dashboards read the attempts submitted in a period, of every check or of one.
        sa.Index("ix_attempts_submitted_at", "submitted_at"),
        sa.Index("ix_attempts_check_id_submitted_at", "check_id", "submitted_at"),
        # At most one attempt in progress per person and check.
        sa.Index(
            "uq_attempts_in_progress",
            "user_id",
            "check_id",
            unique=True,
            sqlite_where=sa.text("submitted_at IS NULL"),
            postgresql_where=sa.text("submitted_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    check_id: Mapped[int] = mapped_column(sa.ForeignKey("checks.id", ondelete="RESTRICT"))
    #: The version this attempt was started on, whatever is published later.
    bank_version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("bank_versions.id", ondelete="RESTRICT")
    )
    #: 1 for the person's first attempt at this check, then 2, 3...
    number: Mapped[int]
    #: Draws pooled questions when the attempt starts, and shuffles options and ordering
    #: items the same way on every page view.
    seed: Mapped[int]
    #: How the questions were put on the page (quizapp/take/layout.py): 1, attempts made
    #: before options were shuffled (options in file order, values their indexes); 2,
    #: options shuffled per attempt, values and field names opaque.
    #: (The server default is for rows that were there before the column.)
    layout: Mapped[int] = mapped_column(default=LATEST_LAYOUT, server_default="1")
    #: Ids of the questions this attempt drew, in the order shown; None for attempts made
    #: before pools, which have every question of their version.
    question_ids: Mapped[list[int] | None] = mapped_column(JSONType)
    #: Copied from the check when started, so later edits to the check don't regrade.
    pass_mark: Mapped[int]
    certainty: Mapped[bool]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Marks gained (accuracy), out of max_score.
    score: Mapped[float | None]
    max_score: Mapped[float | None]
    #: score / max_score as a percentage.
    percent: Mapped[float | None]
    passed: Mapped[bool | None]
    #: Certainty-based marks as a percentage of max_score (-600..300); None when off.
    cbm_percent: Mapped[float | None]

    user: Mapped[User] = relationship()
    check: Mapped[Check] = relationship()
    bank_version: Mapped[BankVersion] = relationship()
    responses: Mapped[list[Response]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan"
    )

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class Response(db.Model):
    __tablename__ = "responses"
    __table_args__ = (
        sa.UniqueConstraint("attempt_id", "question_id"),
        sa.CheckConstraint("certainty IS NULL OR certainty IN (1, 2, 3)", name="certainty"),
        sa.CheckConstraint(
            "fraction IS NULL OR (fraction >= 0 AND fraction <= 1)", name="fraction_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempts.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questions.id", ondelete="RESTRICT"), index=True
    )
    #: The answer as the question type represents it (see quizapp.questions).
    answer: Mapped[Any] = mapped_column(JSONType)
    #: 1 not sure, 2 fairly sure, 3 very sure; None when the check doesn't ask.
    certainty: Mapped[int | None]
    #: Share of the question's marks gained, 0..1; None for unscored types.
    fraction: Mapped[float | None]
    #: fraction x points.
    mark: Mapped[float | None]
    #: Certainty-based mark x points; None when unscored or certainty is off.
    cbm_mark: Mapped[float | None]
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    attempt: Mapped[Attempt] = relationship(back_populates="responses")
    question: Mapped[Question] = relationship()


class KeptAnswer(db.Model):
    """An answer sent after the person's session had ended for being idle, kept until they
    sign in again and save it (quizapp/take/kept.py). It is not a response: it counts for
    nothing and changes nothing until its owner sends it again from the question page."""

    __tablename__ = "kept_answers"

    attempt_id: Mapped[int] = mapped_column(
        sa.ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True
    )
    #: The question page's own fields as sent: name -> the values given (answer, position-N,
    #: certainty), as lists of strings.
    form: Mapped[dict[str, list[str]]] = mapped_column(JSONType)
    kept_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
