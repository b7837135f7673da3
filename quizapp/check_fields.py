"""Form fields for a check's settings, shared by the check settings page and the bank
details page of a draft (whose `check:` block holds the same settings)."""

from __future__ import annotations

from typing import Any

from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovRadioInput, GovTextInput
from wtforms import BooleanField, IntegerField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    InputRequired,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)


def pass_mark_field() -> IntegerField:
    return IntegerField(
        "Pass mark (percent)",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the pass mark"),
            NumberRange(min=0, max=100, message="Pass mark must be between 0 and 100"),
        ],
    )


def certainty_field() -> BooleanField:
    return BooleanField('Ask "How sure are you?" after each question', widget=GovCheckboxInput())


def scenario_back_field() -> BooleanField:
    return BooleanField(
        "Let people go back and change a decision in branching scenarios",
        widget=GovCheckboxInput(),
        description="Off by default: in practice a decision made is made. A choice someone"
        " goes back on is kept on record.",
    )


def attempts_field() -> IntegerField:
    return IntegerField(
        "Attempts allowed (optional: leave blank for unlimited)",
        widget=GovTextInput(),
        validators=[
            Optional(),
            NumberRange(min=1, max=100, message="Attempts allowed must be between 1 and 100"),
        ],
    )


def refresh_months_field() -> IntegerField:
    return IntegerField(
        "Refresh period in months",
        widget=GovTextInput(),
        description="Health staff usually 36, designated safeguarding leads 24, school staff 12",
        validators=[
            InputRequired(message="Enter the refresh period"),
            NumberRange(min=1, max=120, message="Refresh period must be between 1 and 120 months"),
        ],
    )


def _kept_when_not_sent(form: Any, field: Any) -> None:
    """A form without the field at all (an old form, a script) keeps the current value;
    a box sent empty is still an error."""
    if not field.raw_data:
        raise StopValidation()


def cpd_minutes_field() -> IntegerField:
    """Not sent: the current setting is kept (the field's data is the object's)."""
    return IntegerField(
        "CPD minutes",
        widget=GovTextInput(),
        description="How much continuing professional development a pass counts for."
        " Certificates already issued keep the minutes they were issued with.",
        validators=[
            _kept_when_not_sent,
            InputRequired(message="Enter the CPD minutes"),
            NumberRange(min=0, max=6000, message="CPD minutes must be between 0 and 6,000"),
        ],
    )


def participatory_field() -> BooleanField:
    return BooleanField(
        "Counts as participatory learning",
        widget=GovCheckboxInput(),
        description="Only when people take the check together with other professionals,"
        " for example in a facilitated session. A check taken alone is not participatory.",
    )


#: What a failed attempt's result shows while attempts remain (Check.after_fail).
AFTER_FAIL_CHOICES = (
    ("feedback", "Which answers were wrong, with the feedback (recommended)"),
    ("answers", "The right answers as well"),
)


class _Radios(RadioField):
    """Radios whose refusal of an unknown value reads as the field's own message."""

    def __init__(self, *args: Any, invalid: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invalid = invalid

    def pre_validate(self, form: Any) -> None:
        if self.data not in {value for value, _label in AFTER_FAIL_CHOICES}:
            raise ValidationError(self.invalid)


def after_fail_field() -> RadioField:
    """Not sent (an old form, a script): the current setting is kept."""
    message = "Select what the result shows after a fail"
    return _Radios(
        "After a fail, while attempts remain, show",
        choices=[SelectChoice(value, label) for value, label in AFTER_FAIL_CHOICES],
        default="feedback",
        widget=GovRadioInput(),
        description="After a pass, or when no attempts are left, the result shows everything.",
        validators=[Optional()],
        invalid=message,
    )


def ask_confidence_field() -> BooleanField:
    return BooleanField(
        "Ask how confident people are, before and after",
        widget=GovCheckboxInput(),
        description="For each finding the bank phrases as practice, before the first question"
        " and after the result. Nobody has to answer.",
    )


def ask_reaction_field() -> BooleanField:
    return BooleanField(
        "Ask three quick questions about the check after the result",
        widget=GovCheckboxInput(),
        description="Whether it was relevant to their role, clear, and will change their"
        " practice. Optional for them, and only shown added up.",
    )


def follow_up_weeks_field() -> IntegerField:
    """Blank: no follow-up. Not sent at all (an old form, a script): the current setting is
    kept (the field's data is the object's)."""
    return IntegerField(
        "Follow-up after a pass (weeks)",
        widget=GovTextInput(),
        description="Blank: no follow-up. Partnerships often use 6 to 8 weeks.",
        validators=[
            Optional(),
            NumberRange(min=1, max=52, message="Follow-up must be between 1 and 52 weeks"),
        ],
    )
