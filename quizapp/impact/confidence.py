"""Confidence ratings: "How confident are you <finding as practice>?", on a five-point
scale with a skip option, asked before a check's first question, after its result and at
the follow-up. One page asks about every finding whose bank gives the phrasing.

A page's form is built for its findings: one radio group per finding, named by position
(`finding-1`, `finding-2`...) so no finding key appears in a field name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from ..extensions import db
from ..models import Attempt, Check, ConfidenceRating, Finding
from ..models.bank import BankVersion

#: The scale, lowest first, as the radios show it.
SCALE: dict[int, str] = {
    1: "Not at all confident",
    2: "Slightly confident",
    3: "Somewhat confident",
    4: "Quite confident",
    5: "Very confident",
}
#: The value of a radio group's "skip" option.
SKIP = "skip"
#: The label of that option: the hint and the error message name it.
SKIP_LABEL = "Skip this question"
#: The button that skips every question on the page (stored as skipped).
SKIP_ALL = "skip-all"


def radio_field(
    label: str, choices: Sequence[SelectChoice], *, message: str, required: bool = True
) -> RadioField:
    """A GOV.UK radio group whose every refusal says `message`: a value not among the
    choices (only a tampered or stale form sends one) gets the service's own words, the
    same as a missing answer, rather than WTForms' "Not a valid choice". Not required:
    a missing answer passes and is stored as None."""
    return RadioField(
        label,
        choices=list(choices),
        widget=GovRadioInput(),
        validators=[InputRequired(message=message) if required else Optional()],
        invalid_choice_message=message,
    )


def rateable_findings(version: BankVersion) -> list[Finding]:
    """The version's findings that carry confidence phrasing, in bank order."""
    return [finding for finding in version.findings if finding.confidence]


def question_text(finding: Finding) -> str:
    return f"How confident are you {finding.confidence}?"


def missing_message(finding: Finding) -> str:
    """The error for a finding left unanswered: it says how to skip, as the hint does."""
    return f"Select how confident you are {finding.confidence}, or choose “{SKIP_LABEL}”"


def field_name(index: int) -> str:
    return f"finding-{index + 1}"


def confidence_form(findings: Sequence[Finding], **kwargs: Any) -> FlaskForm:
    """A form with one required radio group per finding (a rating or "skip")."""

    class ConfidenceForm(FlaskForm):
        pass

    for index, finding in enumerate(findings):
        setattr(
            ConfidenceForm,
            field_name(index),
            radio_field(
                question_text(finding),
                [
                    *(SelectChoice(str(value), label) for value, label in SCALE.items()),
                    SelectChoice(SKIP, SKIP_LABEL),
                ],
                message=missing_message(finding),
            ),
        )
    return ConfidenceForm(**kwargs)


def ratings_from(form: FlaskForm, findings: Sequence[Finding]) -> dict[str, int | None]:
    """Finding key -> rating (None: skipped), from a validated form."""
    values: dict[str, int | None] = {}
    for index, finding in enumerate(findings):
        data = form[field_name(index)].data
        values[finding.key] = None if data == SKIP else int(data)
    return values


def skipped(findings: Sequence[Finding]) -> dict[str, int | None]:
    """Every finding skipped: what the "Skip these questions" button records."""
    return {finding.key: None for finding in findings}


def ratings_for(attempt_id: int, moment: str) -> dict[str, int | None]:
    """The ratings already given for an attempt at a moment: finding key -> rating."""
    rows = db.session.execute(
        sa.select(ConfidenceRating.finding_key, ConfidenceRating.rating).where(
            ConfidenceRating.attempt_id == attempt_id, ConfidenceRating.moment == moment
        )
    )
    return {key: rating for key, rating in rows}


def fill(form: FlaskForm, findings: Sequence[Finding], given: Mapping[str, int | None]) -> None:
    """Show ratings already given (on a GET), so going back loses nothing."""
    for index, finding in enumerate(findings):
        if finding.key in given:
            rating = given[finding.key]
            form[field_name(index)].data = SKIP if rating is None else str(rating)


def save_ratings(
    attempt_id: int, moment: str, values: Mapping[str, int | None], *, now: datetime
) -> None:
    """Record (or replace) the ratings for an attempt at a moment. The caller commits."""
    existing = {
        rating.finding_key: rating
        for rating in db.session.scalars(
            sa.select(ConfidenceRating).where(
                ConfidenceRating.attempt_id == attempt_id, ConfidenceRating.moment == moment
            )
        )
    }
    for key, value in values.items():
        row = existing.get(key)
        if row is None:
            db.session.add(
                ConfidenceRating(
                    attempt_id=attempt_id,
                    finding_key=key,
                    moment=moment,
                    rating=value,
                    rated_at=now,
                )
            )
        else:
            row.rating = value
            row.rated_at = now


def asked_findings(check: Check, version: BankVersion) -> list[Finding]:
    """The findings a check's pages ask about: none when the check doesn't ask."""
    return rateable_findings(version) if check.ask_confidence else []


def before_is_due(attempt: Attempt, *, answered: bool) -> bool:
    """Whether the attempt's next page is "Before you start": the check asks, there is
    something to ask about, nothing is rated yet and no question is answered (ratings
    before the check must come before any answer)."""
    return (
        not answered
        and attempt.submitted_at is None
        and bool(asked_findings(attempt.check, attempt.bank_version))
        and not ratings_for(attempt.id, "before")
    )
