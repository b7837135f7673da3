"""Forms for agencies, teams and people uploads."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from ..models import SECTOR_LABELS, SECTORS
from ..text_rules import NoHiddenCharacters


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


class ChooseAgencyForm(FlaskForm):
    """Read from the query string: no CSRF needed for a page that changes nothing."""

    class Meta:
        csrf = False

    agency = SelectField("Agency", coerce=int, widget=GovSelect(), validate_choice=False)
    submit = SubmitField("Show people", widget=GovSubmitInput())
