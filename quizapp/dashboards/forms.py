"""Filter forms, read from the query string (GET), so no CSRF token is needed; and the
confirmation of an action (POST, CSRF only)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput
from wtforms import SelectField, SubmitField
from wtforms.fields.choices import SelectChoice


class _GetForm(FlaskForm):
    class Meta:
        csrf = False


class FiltersForm(_GetForm):
    """Every filter a dashboard may offer; a page deletes the ones it doesn't use. The
    routes check each value against what is in scope (404 otherwise)."""

    check = SelectField("Check", widget=GovSelect(), validate_choice=False)
    agency = SelectField("Agency", widget=GovSelect(), validate_choice=False)
    team = SelectField("Team", widget=GovSelect(), validate_choice=False)
    level = SelectField("Competency level", widget=GovSelect(), validate_choice=False)
    period = SelectField("Period", widget=GovSelect(), validate_choice=False)
    submit = SubmitField("Apply filters", widget=GovSubmitInput())


class YearForm(_GetForm):
    year = SelectField("Reporting year", widget=GovSelect(), validate_choice=False)
    rows = SelectField(
        "Rows",
        widget=GovSelect(),
        choices=[
            SelectChoice("agency", "Each agency"),
            SelectChoice("sector", "Agencies grouped by sector"),
        ],
        validate_choice=False,
    )
    submit = SubmitField("Show year", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """CSRF only: the page's button confirms."""
