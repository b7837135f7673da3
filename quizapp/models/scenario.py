"""Choices made in branching scenarios: one event per decision, as it was made.

A scenario's Response (its path, ending and mark) is written when the path reaches an
ending; these rows are the record underneath it: who chose what, where and when, in
order. They are what the dashboards and item statistics count, and what an xAPI
statement would be made from. Going back (a check setting) withdraws the latest choice
rather than deleting it, so the record of what was first chosen is never lost.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .attempt import Attempt
from .bank import Question
from .types import UTCDateTime, one_of, utcnow

#: "chose": a decision made; "went-back": the practitioner went back past the choice named
#: (checks that allow it), which is then withdrawn.
CHOICE_ACTIONS = ("chose", "went-back")


class ScenarioChoice(db.Model):
    __tablename__ = "scenario_choices"
    __table_args__ = (
        # The form posts the sequence number it was shown for: a refresh or double post of
        # the same decision meets this constraint and records nothing.
        sa.UniqueConstraint("attempt_id", "question_id", "sequence"),
        sa.CheckConstraint("sequence > 0", name="sequence_positive"),
        sa.CheckConstraint(one_of("action", CHOICE_ACTIONS), name="action"),
        sa.CheckConstraint("certainty IS NULL OR certainty IN (1, 2, 3)", name="certainty"),
        sa.CheckConstraint("points >= 0 AND points <= 10", name="points_range"),
        # Dashboards and statistics count choices per scenario and decision.
        sa.Index("ix_scenario_choices_question_node", "question_id", "node_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempts.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="RESTRICT"))
    #: 1, 2, 3... in the order made within the attempt's scenario, going back included.
    sequence: Mapped[int]
    action: Mapped[str] = mapped_column(sa.String(20), default="chose")
    #: The decision node's id and the alternative's id, as in the bank file.
    node_key: Mapped[str] = mapped_column(sa.String(100))
    alternative_key: Mapped[str] = mapped_column(sa.String(100))
    #: The alternative's points as published (0 when the decision was made before on the path).
    points: Mapped[int]
    #: 1 not sure, 2 fairly sure, 3 very sure; None when the check doesn't ask.
    certainty: Mapped[int | None]
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set when the practitioner went back past this choice (checks that allow it).
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    attempt: Mapped[Attempt] = relationship()
    question: Mapped[Question] = relationship()


def first_choices(*where: sa.ColumnElement[bool]) -> sa.Subquery:
    """Choices on the path (made, not withdrawn) among those `where` selects, each with
    `nth`: 1 for an attempt's first choice at a decision (a loop back to it makes a 2nd),
    which is what the dashboards and item statistics count."""
    return (
        sa.select(
            ScenarioChoice.attempt_id,
            ScenarioChoice.question_id,
            ScenarioChoice.node_key,
            ScenarioChoice.alternative_key,
            sa.func.row_number()
            .over(
                partition_by=(
                    ScenarioChoice.attempt_id,
                    ScenarioChoice.question_id,
                    ScenarioChoice.node_key,
                ),
                order_by=ScenarioChoice.sequence,
            )
            .label("nth"),
        )
        .where(ScenarioChoice.withdrawn_at.is_(None), ScenarioChoice.action == "chose", *where)
        .subquery("first_choices")
    )
