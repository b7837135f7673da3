"""Assignments: who must take which check, and by when."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .agency import Agency, Team
from .check import Check
from .types import JSONType, UTCDateTime, utcnow

if TYPE_CHECKING:
    from .user import User

#: Days people joining after a fixed due date get, unless the assignment says otherwise.
DEFAULT_GRACE_DAYS = 30

assignment_agencies = sa.Table(
    "assignment_agencies",
    db.metadata,
    sa.Column(
        "assignment_id", sa.ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("agency_id", sa.ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True),
)

assignment_teams = sa.Table(
    "assignment_teams",
    db.metadata,
    sa.Column(
        "assignment_id", sa.ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("team_id", sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
)


class Assignment(db.Model):
    """A check required of an audience: agencies (or all), narrowed by teams, job roles
    and competency levels. Empty narrowing lists mean "any"."""

    __tablename__ = "assignments"
    __table_args__ = (
        sa.CheckConstraint("(due_date IS NULL) <> (due_days IS NULL)", name="one_due_rule"),
        sa.CheckConstraint("due_days IS NULL OR due_days >= 0", name="due_days_positive"),
        sa.CheckConstraint("refresh_months >= 1 AND refresh_months <= 120", name="refresh_range"),
        sa.CheckConstraint("grace_days >= 0 AND grace_days <= 3650", name="grace_days_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(
        sa.ForeignKey("checks.id", ondelete="RESTRICT"), index=True
    )
    #: Everyone in every agency (then `agencies` is ignored).
    all_agencies: Mapped[bool] = mapped_column(default=False)
    #: Exact job roles (compared case-insensitively); empty means any role.
    job_roles: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: Competency levels; empty means any level.
    levels: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: Due rule, one of: a fixed date...
    due_date: Mapped[date | None]
    #: ...or this many days after the person joins the audience.
    due_days: Mapped[int | None]
    #: With a fixed date: people who join the audience after that date (and after the
    #: assignment was made) are due this many days after joining, not overdue at once.
    grace_days: Mapped[int] = mapped_column(default=DEFAULT_GRACE_DAYS, server_default="30")
    #: How long a pass counts for this audience.
    refresh_months: Mapped[int]
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When it was ended: it no longer requires anyone; attempts and passes are kept.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    check: Mapped[Check] = relationship()
    agencies: Mapped[list[Agency]] = relationship(
        secondary=assignment_agencies, order_by="Agency.name"
    )
    teams: Mapped[list[Team]] = relationship(secondary=assignment_teams, order_by="Team.name")
    created_by: Mapped[User | None] = relationship()

    @property
    def is_ended(self) -> bool:
        return self.ended_at is not None


class AssignmentEmail(db.Model):
    """The one email telling a person an assignment requires a check of them: recorded
    in the transaction that requires it, sent after it commits (`sent_at`)."""

    __tablename__ = "assignment_emails"
    __table_args__ = (sa.UniqueConstraint("assignment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignments.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: None until sent (or while being sent).
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    assignment: Mapped[Assignment] = relationship()
    user: Mapped[User] = relationship()
