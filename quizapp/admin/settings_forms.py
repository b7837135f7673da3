"""Forms for the partnership's settings and an agency's assignment and reminder emails."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import RadioField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, Optional, Regexp

from .assignment_forms import MultiCheckboxField


class AdviceLineForm(FlaskForm):
    advice_name = StringField(
        "Name of the service people should contact (optional)",
        description="For example, Children's Advice and Support Service",
        widget=GovTextInput(),
        validators=[Length(max=200, message="Name must be 200 characters or fewer")],
    )
    advice_phone = StringField(
        "Telephone (optional)",
        description="For example, 0121 569 3100",
        widget=GovTextInput(),
        validators=[
            Length(max=50, message="Telephone must be 50 characters or fewer"),
            Regexp(
                r"^[0-9 +()-]*$",
                message="Enter a telephone number, like 0121 569 3100 or +44 121 569 3100",
            ),
        ],
    )
    advice_email = StringField(
        "Email address (optional)",
        widget=GovTextInput(),
        validators=[
            Optional(),
            Length(max=320, message="Email address must be 320 characters or fewer"),
            Email(
                message="Enter an email address in the correct format, like"
                " advice@partnership.org.uk",
                check_deliverability=False,
            ),
        ],
    )
    advice_details = TextAreaField(
        "Opening hours and other details (optional)",
        description="For example, Monday to Friday, 9am to 5pm. Out of hours, call the"
        " Emergency Duty Team on 0121 569 2355. If a child is in immediate danger, call 999.",
        widget=GovTextArea(),
        validators=[Length(max=2000, message="Details must be 2,000 characters or fewer")],
    )
    submit = SubmitField("Save advice line", widget=GovSubmitInput())


class AssignmentEmailsForm(FlaskForm):
    assignment_emails = RadioField(
        "Should people get an email when they are assigned a check?",
        choices=[SelectChoice("yes", "Yes"), SelectChoice("no", "No")],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select yes if people should get an email")],
    )
    submit = SubmitField("Save", widget=GovSubmitInput())


#: Each kind of reminder an agency may turn on or off: (Agency column, label, hint).
REMINDER_SWITCHES = (
    (
        "reminder_due_soon",
        "Check due soon",
        "To each person, once, 14 days before a check is due.",
    ),
    (
        "reminder_expiring",
        "Pass running out",
        "To each person, once, 30 days before their pass runs out.",
    ),
    ("reminder_overdue", "Check overdue", "To each person, once a week while a check is overdue."),
    (
        "reminder_digest",
        "Weekly list for leads and team managers",
        "The agency's leads and team managers get a list of their people's overdue checks"
        " once a week: names, checks and due dates only.",
    ),
)


class ReminderEmailsForm(FlaskForm):
    reminders = MultiCheckboxField(
        "Which reminder emails should this agency send?",
        choices=[SelectChoice(name, label) for name, label, _hint in REMINDER_SWITCHES],
    )
    submit = SubmitField("Save", widget=GovSubmitInput())
