"""The three reaction questions after a result: optional, on a five-point agreement
scale, asked once per attempt, and only ever counted together with other people's."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from ..extensions import db
from ..models import Reaction

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
    return RadioField(
        statement,
        choices=[SelectChoice(str(value), label) for value, label in AGREEMENT.items()],
        widget=GovRadioInput(),
        # None of the three is required: an unanswered one is stored as None.
        validators=[Optional()],
        invalid_choice_message=f"Select how far you agree that “{statement.lower()}”,"
        " or leave it blank",
    )


class ReactionForm(FlaskForm):
    relevant = _statement_field(STATEMENTS["relevant"])
    clear = _statement_field(STATEMENTS["clear"])
    will_change = _statement_field(STATEMENTS["will_change"])


def answers_from(form: ReactionForm) -> dict[str, int | None]:
    """Column -> agreement (None: not answered), from a validated form."""
    return {name: int(form[name].data) if form[name].data else None for name in STATEMENTS}


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
