"""Checks: what practitioners take, made from a bank."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .bank import Bank, BankVersion
from .types import UTCDateTime, one_of, utcnow

#: Choices for Check.after_fail.
AFTER_FAIL = ("feedback", "answers")


class Check(db.Model):
    __tablename__ = "checks"
    __table_args__ = (
        sa.CheckConstraint("pass_mark >= 0 AND pass_mark <= 100", name="pass_mark_range"),
        sa.CheckConstraint(
            "attempts_allowed IS NULL OR attempts_allowed > 0", name="attempts_positive"
        ),
        sa.CheckConstraint("refresh_months >= 1 AND refresh_months <= 120", name="refresh_range"),
        sa.CheckConstraint(one_of("after_fail", AFTER_FAIL), name="after_fail"),
        sa.CheckConstraint("cpd_minutes >= 0 AND cpd_minutes <= 6000", name="cpd_minutes"),
        sa.CheckConstraint(
            "follow_up_weeks IS NULL OR (follow_up_weeks >= 1 AND follow_up_weeks <= 52)",
            name="follow_up_weeks",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("banks.id", ondelete="RESTRICT"))
    #: A fixed version; None means "the latest published version of the bank".
    pinned_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("bank_versions.id", ondelete="RESTRICT")
    )
    #: Percent of marks (accuracy) needed to pass.
    pass_mark: Mapped[int] = mapped_column(default=80)
    #: Ask "How sure are you?" and report certainty-based marks beside accuracy.
    certainty: Mapped[bool] = mapped_column(default=True)
    #: None: unlimited.
    attempts_allowed: Mapped[int | None]
    #: What a failed attempt's result shows while attempts remain: "feedback" (which
    #: answers were wrong, and the feedback that explains why) or "answers" (the right
    #: answers too). After a pass, or with no attempts left, the result shows everything.
    after_fail: Mapped[str] = mapped_column(
        sa.String(20), default="feedback", server_default="feedback"
    )
    #: Branching scenarios: may a practitioner go back and change a decision? Off by
    #: default (a decision made is made, as in practice); the choice withdrawn is kept.
    scenario_back: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: How long a pass counts before the check must be taken again.
    refresh_months: Mapped[int] = mapped_column(default=36)
    #: Competency framework the check serves, e.g. "Intercollegiate", "KCSIE", "Police".
    framework: Mapped[str | None] = mapped_column(sa.String(100))
    #: Level within the framework, e.g. "Level 3", "Designated safeguarding lead".
    level: Mapped[str | None] = mapped_column(sa.String(100))
    #: Continuing professional development minutes a pass counts for (certificates and
    #: the learning record copy it when issued).
    cpd_minutes: Mapped[int] = mapped_column(default=20, server_default="20")
    #: Counts as participatory learning (learning with other professionals) in a
    #: learning record. Off by default: a check taken alone is not participatory.
    participatory: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: Ask, before the first question and after the result, how confident the person is to
    #: put each finding into practice (for findings whose bank gives the phrasing).
    ask_confidence: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    #: Ask the three optional reaction questions after the result.
    ask_reaction: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    #: Weeks after a pass that the "learning in practice" follow-up is due; None: no
    #: follow-up.
    follow_up_weeks: Mapped[int | None] = mapped_column(default=8, server_default="8")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Retired: nobody can start it or be assigned it; attempts and passes are kept.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    bank: Mapped[Bank] = relationship()
    pinned_version: Mapped[BankVersion | None] = relationship()

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    def __repr__(self) -> str:
        return f"<Check {self.title!r}>"
