"""Requirement: that a person must hold a check, and by when.

One row per person and required check, written in the same transaction as the
assignment, upload or change that makes it so. Status (complete, expiring soon, due,
overdue) follows from these dates and the person's Completion at the moment of asking;
see quizapp.workforce.status.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .assignment import Assignment
from .check import Check
from .types import UTCDateTime
from .user import User


def _due_at(context: Any) -> Any:
    """A new requirement's deadline before any pass is looked at: its first deadline."""
    return context.get_current_parameters()["due_at"]


class Requirement(db.Model):
    __tablename__ = "requirements"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "check_id"),
        # An agency's overdue list in its order (deadline, name, check, person): a page
        # is the next 100 entries, however many requirements are overdue.
        sa.Index(
            "ix_requirements_overdue_order",
            "agency_id",
            "deadline_at",
            "person_name",
            "check_title",
            "user_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    check_id: Mapped[int] = mapped_column(
        sa.ForeignKey("checks.id", ondelete="CASCADE"), index=True
    )
    #: The assignment giving the earliest due date (ties: the oldest assignment).
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignments.id", ondelete="CASCADE"))
    #: When the person first fell within an assignment for this check.
    required_since: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The first deadline; after a pass expires, the expiry date is the deadline.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: The date to (re)pass by: the later of due_at and the expiry of the person's pass,
    #: stored so that "overdue" (deadline_at <= now) is a condition on this row alone.
    #: A new row starts at due_at; quizapp.workforce.deadlines keeps it in step with
    #: every change of due_at or of the pass, in the same transaction.
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_due_at)
    #: Copies of the person's agency and name and of the check's title, kept in step
    #: by quizapp.workforce.deadlines like deadline_at: with it, the overdue list's
    #: order, which an index can then hold. Empty on a new row until its flush ends.
    agency_id: Mapped[int | None]
    person_name: Mapped[str | None] = mapped_column(sa.String(200))
    check_title: Mapped[str | None] = mapped_column(sa.String(300))
    #: Shortest refresh period among the assignments that apply.
    refresh_months: Mapped[int]

    user: Mapped[User] = relationship()
    check: Mapped[Check] = relationship()
    assignment: Mapped[Assignment] = relationship()
