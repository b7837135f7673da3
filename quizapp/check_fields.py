"""Form fields for a check's settings, shared by the check settings page and the bank
details page of a draft (whose `check:` block holds the same settings)."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovTextInput
from wtforms import BooleanField, IntegerField
from wtforms.validators import InputRequired, NumberRange, Optional


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
