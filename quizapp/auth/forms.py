from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovPasswordInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    Field,
    Form,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from ..text_rules import NoHiddenCharacters
from .passwords import MAX_LENGTH, password_problem


class SignInForm(FlaskForm):
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter your email address"),
            Length(max=320, message="Email address must be 320 characters or fewer"),
            NoHiddenCharacters("Email address"),
        ],
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message="Enter your password"),
            Length(max=1000, message="Password must be 1000 characters or fewer"),
        ],
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


def _new_password(form: Form, field: Field) -> None:
    problem = password_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


PASSWORD_HINT = (
    "Must be at least 12 characters. A phrase of three or four random words is long and"
    " easy to remember. Do not use a password you use anywhere else."
)


def _email_format(form: Form, field: Field) -> None:
    """Like wtforms' Email, but allowing the reserved .test domain (the demo uses it)."""
    try:
        validate_email(field.data or "", check_deliverability=False, test_environment=True)
    except EmailNotValidError as error:
        raise ValidationError(
            "Enter an email address in the correct format, like name@example.org"
        ) from error


def _email_field(label: str, *, hint: str | None = None, who: str = "your") -> StringField:
    return StringField(
        label,
        description=hint,
        widget=GovTextInput(),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            InputRequired(message=f"Enter {who} email address"),
            Length(max=320, message="Email address must be 320 characters or fewer"),
            _email_format,
        ],
    )


def _name_field(label: str, *, who: str = "your") -> StringField:
    return StringField(
        label,
        widget=GovTextInput(),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            # After the filter: a name of spaces only is no name (the database refuses it).
            DataRequired(message=f"Enter {who} full name"),
            Length(max=200, message="Full name must be 200 characters or fewer"),
            NoHiddenCharacters("Full name"),
        ],
    )


def _password_field() -> PasswordField:
    return PasswordField(
        "Create a password",
        description=PASSWORD_HINT,
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter a password"), _new_password],
    )


def _confirm_password_field() -> PasswordField:
    return PasswordField(
        "Confirm your password",
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message="Confirm your password"),
            Length(max=MAX_LENGTH, message=f"Password must be {MAX_LENGTH} characters or fewer"),
            EqualTo("password", message="The passwords do not match"),
        ],
    )


class RegisterForm(FlaskForm):
    name = _name_field("Full name")
    email = _email_field(
        "Work email address",
        hint="Use the email address your agency gave you. We will send a link to it.",
    )
    password = _password_field()
    confirm_password = _confirm_password_field()
    submit = SubmitField("Create account", widget=GovSubmitInput())


class ConfirmEmailForm(FlaskForm):
    submit = SubmitField("Confirm email address", widget=GovSubmitInput())


class PasswordResetRequestForm(FlaskForm):
    email = _email_field(
        "Email address", hint="The email address you use to sign in to this service."
    )
    submit = SubmitField("Send link", widget=GovSubmitInput())


class NewPasswordForm(FlaskForm):
    password = _password_field()
    confirm_password = _confirm_password_field()
    submit = SubmitField("Save password", widget=GovSubmitInput())


class AcceptInvitationForm(FlaskForm):
    password = _password_field()
    confirm_password = _confirm_password_field()
    submit = SubmitField("Create account", widget=GovSubmitInput())


def _id_or_none(value: object) -> int | None:
    return None if value in (None, "") else int(value)  # type: ignore[call-overload]


class RoleCheckboxes(SelectMultipleField):
    widget = GovCheckboxesInput()


class InvitationForm(FlaskForm):
    name = _name_field("Full name", who="their")
    email = _email_field(
        "Work email address", hint="We will send the invitation to this address.", who="their"
    )
    # Choices are filled in by the route: only the agencies this person may invite into.
    agency = SelectField(
        "Agency",
        coerce=_id_or_none,
        validate_choice=False,
        widget=GovSelect(),
        validators=[InputRequired(message="Select their agency")],
    )
    team = SelectField(
        "Team (optional)",
        coerce=_id_or_none,
        validate_choice=False,
        widget=GovSelect(),
        validators=[Optional()],
    )
    job_role = StringField(
        "Job role",
        description="In their own words, for example, Health visitor.",
        widget=GovTextInput(),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            DataRequired(message="Enter their job role"),
            Length(max=200, message="Job role must be 200 characters or fewer"),
            NoHiddenCharacters("Job role"),
        ],
    )
    level = StringField(
        "Competency level (optional)",
        description="For example, Level 3 or DSL.",
        widget=GovTextInput(),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            Optional(),
            Length(max=50, message="Competency level must be 50 characters or fewer"),
            NoHiddenCharacters("Competency level"),
        ],
    )
    roles = RoleCheckboxes(
        "Other roles (optional)",
        description="Everyone can take checks. Choose any other roles they need.",
        choices=[
            SelectChoice("author", "Author: writes and updates question banks"),
            SelectChoice("lead", "Lead: sees results for people in their agency and invites them"),
            SelectChoice("admin", "Administrator: manages agencies, people and assignments"),
        ],
    )
    submit = SubmitField("Send invitation", widget=GovSubmitInput())
