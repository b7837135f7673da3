"""Forms for assignments and check settings."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from ..check_fields import (
    after_fail_field,
    ask_confidence_field,
    ask_reaction_field,
    attempts_field,
    certainty_field,
    cpd_minutes_field,
    follow_up_weeks_field,
    participatory_field,
    pass_mark_field,
    refresh_months_field,
    scenario_back_field,
)
from ..models import DEFAULT_GRACE_DAYS
from ..text_rules import NoHiddenCharacters


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes; an empty selection is valid (it means "any")."""

    widget = GovCheckboxesInput()

    def pre_validate(self, form: FlaskForm) -> None:
        valid = {str(choice.value) for choice in self.iter_choices()}
        for value in self.data or []:
            if str(value) not in valid:
                raise ValidationError("Choose from the list")


class GovDateField(DateField):
    """A date from GOV.UK's three boxes (day, month, year), with a message people understand."""

    def __init__(self, *args, message: str = "Enter a real date", **kwargs) -> None:
        kwargs.setdefault("format", "%d %m %Y")
        super().__init__(*args, **kwargs)
        self.message = message

    def process_formdata(self, valuelist: list[str]) -> None:
        # The widget shows three boxes and needs three values back, even if none came.
        self.raw_data = [*valuelist, "", "", ""][:3]
        if not valuelist or not "".join(valuelist).strip():
            self.data = None
            return
        try:
            super().process_formdata([" ".join(value.strip() for value in valuelist)])
        except ValueError:
            self.data = None
            raise ValueError(self.message) from None


class AssignmentForm(FlaskForm):
    check = SelectField(
        "Check",
        coerce=int,
        widget=GovSelect(),
        validators=[InputRequired(message="Select the check to assign")],
        validate_choice=False,  # the route explains a retired or missing check
    )
    all_agencies = BooleanField(
        "Every agency in the partnership, including agencies added later",
        widget=GovCheckboxInput(),
    )
    agencies = MultiCheckboxField("Agencies", coerce=int)
    teams = MultiCheckboxField("Only these teams (optional)", coerce=int)
    levels = MultiCheckboxField("Only these competency levels (optional)")
    job_roles = TextAreaField(
        "Only these job roles (optional)",
        widget=GovTextArea(),
        validators=[
            Length(max=5000, message="Job roles must be 5000 characters or fewer"),
            NoHiddenCharacters("Job roles", multiline=True),
        ],
    )
    due_rule = RadioField(
        "When is it due?",
        choices=[
            SelectChoice("date", "By a fixed date"),
            SelectChoice("days", "A number of days after the person joins the audience"),
        ],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select when the check is due")],
    )
    due_date = GovDateField(
        "Due date",
        widget=GovDateInput(),
        validators=[Optional()],
        message="Enter a real due date, for example 31 3 2027",
    )
    due_days = IntegerField(
        "Number of days",
        widget=GovTextInput(),
        validators=[
            Optional(),
            NumberRange(min=0, max=3650, message="Number of days must be between 0 and 3650"),
        ],
    )
    grace_days = IntegerField(
        "Days given to people who join after the due date",
        widget=GovTextInput(),
        default=DEFAULT_GRACE_DAYS,
        validators=[
            Optional(),
            NumberRange(min=0, max=3650, message="Number of days must be between 0 and 3650"),
        ],
    )
    refresh_months = IntegerField(
        "Refresh period in months (optional)",
        widget=GovTextInput(),
        validators=[
            Optional(),
            NumberRange(min=1, max=120, message="Refresh period must be between 1 and 120 months"),
        ],
    )
    #: The warnings the person saw and went on with (see quizapp.admin.assignments).
    confirmed = HiddenField()
    submit = SubmitField("Assign check", widget=GovSubmitInput())

    def validate(self, extra_validators=None) -> bool:
        """Field rules first, then the rules that join fields together."""
        valid = super().validate(extra_validators)
        if not self.all_agencies.data and not self.agencies.data:
            self.agencies.errors = [
                *self.agencies.errors,
                "Select at least one agency, or every agency",
            ]
            valid = False
        if self.due_rule.data == "date" and self.due_date.data is None and not self.due_date.errors:
            self.due_date.errors = [
                *self.due_date.errors,
                "Enter a real due date, for example 31 3 2027",
            ]
            valid = False
        if self.due_rule.data == "days" and self.due_days.data is None and not self.due_days.errors:
            self.due_days.errors = [
                *self.due_days.errors,
                "Enter the number of days, for example 28",
            ]
            valid = False
        return valid

    def grace(self) -> int:
        return DEFAULT_GRACE_DAYS if self.grace_days.data is None else self.grace_days.data

    def job_role_list(self) -> list[str]:
        lines = (self.job_roles.data or "").splitlines()
        return sorted({line.strip() for line in lines if line.strip()}, key=str.casefold)


class CheckSettingsForm(FlaskForm):
    title = StringField(
        "Title",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter a title"),
            Length(max=300, message="Title must be 300 characters or fewer"),
            NoHiddenCharacters("Title"),
        ],
    )
    framework = StringField(
        "Competency framework (optional)",
        widget=GovTextInput(),
        description="For example Intercollegiate, Keeping Children Safe in Education, Police",
        validators=[
            Length(max=100, message="Framework must be 100 characters or fewer"),
            NoHiddenCharacters("Framework"),
        ],
    )
    level = StringField(
        "Level (optional)",
        widget=GovTextInput(),
        description="For example Level 3, or Designated safeguarding lead",
        validators=[
            Length(max=100, message="Level must be 100 characters or fewer"),
            NoHiddenCharacters("Level"),
        ],
    )
    version = SelectField(
        "Which version of the bank's questions",
        widget=GovSelect(),
        default="",
        description="New attempts use this version; attempts already started keep theirs.",
    )
    pass_mark = pass_mark_field()
    certainty = certainty_field()
    attempts_allowed = attempts_field()
    after_fail = after_fail_field()
    scenario_back = scenario_back_field()
    refresh_months = refresh_months_field()
    cpd_minutes = cpd_minutes_field()
    participatory = participatory_field()
    ask_confidence = ask_confidence_field()
    ask_reaction = ask_reaction_field()
    follow_up_weeks = follow_up_weeks_field()
    submit = SubmitField("Save settings", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """CSRF only, for buttons that change something."""
