from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from ..scoring import CERTAINTY_LABELS


class QuestionPageForm(FlaskForm):
    """CSRF and "How sure are you?"; the answer fields come from the question's type."""

    certainty = RadioField(
        "How sure are you?",
        choices=[SelectChoice(str(level), label) for level, label in CERTAINTY_LABELS.items()],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select how sure you are of your answer")],
    )


class SubmitForm(FlaskForm):
    """CSRF only: the page's button submits the attempt."""
