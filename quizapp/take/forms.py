from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from ..impact.confidence import radio_field
from ..scoring import CERTAINTY_LABELS


class QuestionPageForm(FlaskForm):
    """CSRF and "How sure are you?"; the answer fields come from the question's type."""

    certainty = radio_field(
        "How sure are you?",
        [SelectChoice(str(level), label) for level, label in CERTAINTY_LABELS.items()],
        message="Select how sure you are of your answer",
    )


class SubmitForm(FlaskForm):
    """CSRF only: the page's button submits the attempt."""
