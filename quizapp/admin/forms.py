"""Forms for agencies, teams, people and their uploads."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from ..models import SECTOR_LABELS, SECTORS
from ..text_rules import NoHiddenCharacters
from .queries import AccountState


class AgencyForm(FlaskForm):
    name = StringField(
        "Name",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the agency's name"),
            Length(max=200, message="Name must be 200 characters or fewer"),
            NoHiddenCharacters("Name"),
        ],
    )
    sector = RadioField(
        "Sector",
        choices=[SelectChoice(sector, SECTOR_LABELS[sector]) for sector in SECTORS],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select the agency's sector")],
    )
    statutory_partner = RadioField(
        "Is it a statutory safeguarding partner?",
        description="The local authority, the Integrated Care Board and the police.",
        choices=[SelectChoice("yes", "Yes"), SelectChoice("no", "No")],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select yes if the agency is a statutory partner")],
    )
    email_domains = TextAreaField(
        "Email domains (optional)",
        description="People who register with an email address at one of these domains join"
        " this agency. One on each line, for example swbh.nhs.uk.",
        widget=GovTextArea(),
        validators=[
            Length(max=20_000, message="Email domains must be 20,000 characters or fewer"),
            NoHiddenCharacters("Email domains", multiline=True),
        ],
    )
    submit = SubmitField("Save agency", widget=GovSubmitInput())


class TeamForm(FlaskForm):
    name = StringField(
        "Team name",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the team's name"),
            Length(max=200, message="Team name must be 200 characters or fewer"),
            NoHiddenCharacters("Team name"),
        ],
    )
    submit = SubmitField("Save team", widget=GovSubmitInput())

    def validate_name(self, field: StringField) -> None:
        if not (field.data or "").strip():
            raise ValidationError("Enter the team's name")


class ConfirmForm(FlaskForm):
    """CSRF only: the page's button confirms."""


class PeopleUploadForm(FlaskForm):
    file = FileField(
        "Upload a CSV file",
        widget=GovFileInput(),
        validators=[FileRequired(message="Select a CSV file")],
    )
    full_agency = BooleanField(
        "This file lists everyone in the agency",
        description="People of that agency who are not in the file will be marked as left."
        " Only for a file with one agency. Their history is kept.",
        widget=GovCheckboxInput(),
    )
    submit = SubmitField("Check the file", widget=GovSubmitInput())

    def validate_file(self, field: FileField) -> None:
        name = (getattr(field.data, "filename", None) or "").lower()
        if name and not name.endswith((".csv", ".txt")):
            raise ValidationError("The selected file must be a CSV file")


class PeopleFilterForm(FlaskForm):
    """Read from the query string: no CSRF needed for a page that changes nothing. The
    route fills in the agency and team choices."""

    class Meta:
        csrf = False

    agency = SelectField("Agency", coerce=int, widget=GovSelect(), validate_choice=False)
    search = StringField(
        "Name or email address",
        widget=GovTextInput(),
        filters=[lambda value: value.strip()[:200] if isinstance(value, str) else value],
    )
    team = SelectField("Team", widget=GovSelect(), validate_choice=False)
    state = SelectField(
        "Account",
        choices=[
            SelectChoice("", "Any"),
            *(SelectChoice(state.value, state.label) for state in AccountState),
        ],
        widget=GovSelect(),
        validate_choice=False,
    )
    submit = SubmitField("Show people", widget=GovSubmitInput())

    @property
    def chosen_state(self) -> AccountState | None:
        try:
            return AccountState(self.state.data or "")
        except ValueError:
            return None


def _stripped(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class PersonDetailsForm(FlaskForm):
    name = StringField(
        "Full name",
        widget=GovTextInput(),
        filters=[_stripped],
        validators=[
            InputRequired(message="Enter their full name"),
            Length(max=200, message="Full name must be 200 characters or fewer"),
        ],
    )
    job_role = StringField(
        "Job role (optional)",
        description="In their own words, for example, Health visitor.",
        widget=GovTextInput(),
        filters=[_stripped],
        validators=[Length(max=200, message="Job role must be 200 characters or fewer")],
    )
    level = StringField(
        "Competency level (optional)",
        description="For example, Level 3 or DSL.",
        widget=GovTextInput(),
        filters=[_stripped],
        validators=[Length(max=50, message="Competency level must be 50 characters or fewer")],
    )
    # Choices (the person's agency's teams) are filled in by the route.
    team = SelectField("Team", widget=GovSelect(), validate_choice=False)
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class RoleCheckboxes(SelectMultipleField):
    widget = GovCheckboxesInput()


ROLE_CHOICES = [
    SelectChoice("author", "Author: writes and updates question banks"),
    SelectChoice(
        "lead",
        "Lead: sees results for the people of their agency (or of the whole partnership"
        " if they have no agency), and invites people",
    ),
    SelectChoice("admin", "Administrator: manages agencies, people, roles and assignments"),
]


class PersonRolesForm(FlaskForm):
    roles = RoleCheckboxes(
        "Roles",
        description="Everyone can take checks. Choose any other roles they need.",
        choices=ROLE_CHOICES,
    )
    submit = SubmitField("Save roles", widget=GovSubmitInput())


class ManagedTeamsForm(FlaskForm):
    # Choices (the person's agency's teams) are filled in by the route.
    teams = RoleCheckboxes(
        "Teams they manage",
        description="Select all that apply. Select none to stop them managing a team.",
        validate_choice=False,
    )
    submit = SubmitField("Save teams", widget=GovSubmitInput())


class MoveAgencyForm(FlaskForm):
    # Choices ("agency id" or "agency id:team id") are filled in by the route.
    destination = SelectField(
        "Move them to",
        widget=GovSelect(),
        validate_choice=False,
        validators=[InputRequired(message="Select the agency and team to move them to")],
    )
    submit = SubmitField("Move person", widget=GovSubmitInput())


class InvitePersonForm(FlaskForm):
    roles = RoleCheckboxes(
        "Other roles (optional)",
        description="Everyone can take checks. Choose any other roles they get when they accept.",
        choices=ROLE_CHOICES,
    )
    submit = SubmitField("Send invitation", widget=GovSubmitInput())
