"""The three reaction questions after a result: optional, on a five-point agreement
scale, asked once per attempt, and only ever counted together with other people's."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice

from ..extensions import db
from ..models import Reaction
from .confidence import radio_field

#: The agreement scale, lowest first, as the radios show it.
AGREEMENT: dict[int, str] = {
    1: "Strongly disagree",
    2: "Disagree",
    3: "Neither agree nor disagree",
    4: "Agree",
    5: "Strongly agree",
}
#: Reaction column -> the statement asked about, in the order asked.
STATEMENTS: dict[str, str] = {
    "relevant": "The check was relevant to my role",
    "clear": "The questions were clear",
    "will_change": "I will change something in my practice",
}


def _statement_field(statement: str) -> RadioField:
    # None of the three is required: an unanswered one is stored as None. The statement
    # keeps its own case inside the quotes ("I will...", not "i will...").
    return radio_field(
        statement,
        [SelectChoice(str(value), label) for value, label in AGREEMENT.items()],
        message=f"Select how far you agree with “{statement}”, or leave it blank",
        required=False,
    )


class ReactionForm(FlaskForm):
    relevant = _statement_field(STATEMENTS["relevant"])
    clear = _statement_field(STATEMENTS["clear"])
    will_change = _statement_field(STATEMENTS["will_change"])


def answers_from(form: ReactionForm) -> dict[str, int | None]:
    """Column -> agreement (None: not answered), from a validated form."""
    return {name: int(form[name].data) if form[name].data else None for name in STATEMENTS}


def nothing_answered(answers: Mapping[str, int | None]) -> bool:
    """An empty send: it is saved as nothing, the same as leaving without answering, so
    the questions stay open for later."""
    return all(value is None for value in answers.values())


def reaction_given(attempt_id: int) -> bool:
    return (
        db.session.scalar(sa.select(Reaction.attempt_id).where(Reaction.attempt_id == attempt_id))
        is not None
    )


def save_reaction(attempt_id: int, answers: Mapping[str, int | None], *, now: datetime) -> None:
    """Record the attempt's one reaction. The caller commits; a second one for the same
    attempt fails on the primary key (the route tells the person it is already given)."""
    db.session.add(Reaction(attempt_id=attempt_id, given_at=now, **answers))
    db.session.flush()
