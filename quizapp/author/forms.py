"""Forms for the bank pages: uploading a bank file, restoring an old version."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovFileInput,
    GovSubmitInput,
    GovTextArea,
)
from wtforms import BooleanField, SubmitField, TextAreaField
from wtforms.validators import Length

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
