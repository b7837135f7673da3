from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SubmitField


class AnonymiseForm(FlaskForm):
    """CSRF and the button: the page says what will happen."""

    submit = SubmitField("Anonymise this person", widget=GovSubmitInput())
