"""Forms for single sign-on providers and an agency's sign-in setting."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from ..models.sso import SLUG_PATTERN
from ..text_rules import NoHiddenCharacters

#: Plain http only to this machine (a provider run for testing): anywhere else, someone
#: on the way could swap the provider's keys and forge its ID tokens.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def _web_address(form, field) -> None:
    value = (field.data or "").strip()
    if value.startswith("https://"):
        return
    host = urlsplit(value).netloc.rpartition("@")[2].rsplit(":", 1)[0] if value else ""
    if not (value.startswith("http://") and host in LOCAL_HOSTS):
        raise ValidationError("Enter the metadata address, starting with https://")


class SsoProviderForm(FlaskForm):
    name = StringField(
        "Name on the sign-in button",
        description="The button says Sign in with and then this, for example"
        " West Midlands Police account.",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the name on the sign-in button"),
            Length(max=200, message="Name must be 200 characters or fewer"),
            NoHiddenCharacters("Name"),
        ],
    )
    slug = StringField(
        "Short name for the web address",
        description="Lower case letters, numbers and hyphens, for example wmp. The sign-in"
        " address ends /sign-in/sso/ and this.",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter a short name for the web address"),
            Length(max=50, message="Short name must be 50 characters or fewer"),
            Regexp(
                SLUG_PATTERN,
                message="Short name must be lower case letters, numbers and hyphens, like wmp",
            ),
        ],
    )
    metadata_url = StringField(
        "Metadata address",
        description="The provider's OpenID configuration, ending"
        " /.well-known/openid-configuration.",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the metadata address"),
            Length(max=500, message="Metadata address must be 500 characters or fewer"),
            NoHiddenCharacters("Metadata address"),
            _web_address,
        ],
    )
    client_id = StringField(
        "Client ID",
        description="Also called application ID. The provider gives it when this service is"
        " registered with it.",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the client ID"),
            Length(max=255, message="Client ID must be 255 characters or fewer"),
            NoHiddenCharacters("Client ID"),
        ],
    )
    client_secret = PasswordField(
        "Client secret",
        widget=GovPasswordInput(),
        validators=[
            Optional(),
            Length(max=500, message="Client secret must be 500 characters or fewer"),
            NoHiddenCharacters("Client secret"),
        ],
    )
    agency = SelectField(
        "Agency",
        description='Whose people sign in with this provider. Choose "By email address" for a'
        " provider several agencies share, and list their email domains below: each person"
        " joins the agency listing their email domain.",
        widget=GovSelect(),
        choices=[],
        validate_choice=False,
    )
    email_domains = TextAreaField(
        "Email domains (if by email address)",
        description="The email domains this provider signs in, one on each line, for example"
        " oak.sch.uk. Each must be an agency's email domain.",
        widget=GovTextArea(),
        validators=[
            Length(max=20_000, message="Email domains must be 20,000 characters or fewer"),
            NoHiddenCharacters("Email domains", multiline=True),
        ],
    )
    submit = SubmitField("Save provider", widget=GovSubmitInput())


class AgencySignInForm(FlaskForm):
    sso_required = RadioField(
        "How do people in this agency sign in?",
        choices=[
            SelectChoice("no", "With a password, or single sign-on if the agency has it"),
            SelectChoice("yes", "With single sign-on only"),
        ],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select how people in this agency sign in")],
    )
    submit = SubmitField("Save", widget=GovSubmitInput())


__all__ = ["AgencySignInForm", "SelectChoice", "SsoProviderForm"]
