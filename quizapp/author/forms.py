"""Forms for the bank pages: uploading a bank file, restoring an old version, the bank's
settings."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovFileInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Length

from ..text_rules import NoHiddenCharacters


class BankUploadForm(FlaskForm):
    file = FileField(
        "Upload a bank file",
        description="A question bank file in format 1, ending .yaml or .yml.",
        widget=GovFileInput(),
        validators=[
            FileRequired(message="Select a bank file"),
            FileAllowed(
                ["yaml", "yml"],
                message="The selected file must be a bank file ending .yaml or .yml",
            ),
        ],
    )
    change_note = TextAreaField(
        "What has changed? (optional)",
        description="Suggested as the change note when you publish the draft, for example"
        " \u201cReworded the question on escalation\u201d. Leave it blank for a new bank.",
        widget=GovTextArea(),
        validators=[
            Length(max=2000, message="What has changed must be 2,000 characters or fewer"),
            NoHiddenCharacters("What has changed", multiline=True),
        ],
    )
    #: Shown when the bank already has a draft: the file replaces it only if ticked.
    replace_draft = BooleanField(
        "Replace the current draft with this file", widget=GovCheckboxInput()
    )
    submit = SubmitField("Upload as a draft", widget=GovSubmitInput())


class RestoreForm(FlaskForm):
    """Restore an old version as the bank's draft; replacing a draft needs the box ticked."""

    replace_draft = BooleanField(widget=GovCheckboxInput())
    submit = SubmitField("Restore as a new draft", widget=GovSubmitInput())


class BankSettingsForm(FlaskForm):
    _choose = "Select whether publishing needs a second author"
    two_person = RadioField(
        "Publishing needs a second author",
        description="When on, an author who did not edit a draft must approve it before it"
        " is published.",
        choices=[SelectChoice("on", "On"), SelectChoice("off", "Off")],
        widget=GovRadioInput(),
        validate_choice=False,
        validators=[InputRequired(message=_choose), AnyOf(["on", "off"], message=_choose)],
    )
    submit = SubmitField("Save settings", widget=GovSubmitInput())


class QuestionImportForm(FlaskForm):
    """Another system's questions (Moodle XML or GIFT, QTI) as a new bank's draft."""

    file = FileField(
        "Upload a file of questions",
        description="Moodle XML (.xml), GIFT (.txt or .gift), or QTI: a content package"
        " (.zip) or one item (.xml).",
        widget=GovFileInput(),
        validators=[
            FileRequired(message="Select a file of questions"),
            FileAllowed(
                ["xml", "txt", "gift", "zip"],
                message="The selected file must end .xml, .txt, .gift or .zip",
            ),
        ],
    )
    title = StringField(
        "Title for the new bank (optional)",
        description="If you leave it blank, the title comes from the file.",
        widget=GovTextInput(),
        validators=[
            Length(max=300, message="The title must be 300 characters or fewer"),
            NoHiddenCharacters("The title"),
        ],
    )
    submit = SubmitField("Make a draft", widget=GovSubmitInput())
