"""The follow-up's own forms; its questions use the question types' fields and its
confidence page the confidence form (confidence.py)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovTextArea
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from .confidence import radio_field

#: PRACTICE_ANSWERS (models/impact.py) as the radios say them.
PRACTICE_LABELS = {
    "yes": "Yes",
    "not-yet": "Not yet",
    "not-applicable": "Not applicable",
}
#: Longest example kept.
MAX_EXAMPLE = 2_000


class PracticeForm(FlaskForm):
    used = radio_field(
        "Have you used this learning in your practice since?",
        [SelectChoice(value, label) for value, label in PRACTICE_LABELS.items()],
        message="Select whether you have used this learning in your practice",
    )
    example = TextAreaField(
        "An example (only you can see this)",
        widget=GovTextArea(),
        validators=[
            Length(
                max=MAX_EXAMPLE, message=f"The example must be {MAX_EXAMPLE:,} characters or fewer"
            )
        ],
    )
