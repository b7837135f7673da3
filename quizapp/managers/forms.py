"""The filters of the team page, read from the query string (GET: no CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput
from wtforms import SelectField, SubmitField


class TeamFiltersForm(FlaskForm):
    class Meta:
        csrf = False

    # Choices are the manager's own teams, filled in by the route.
    team = SelectField("Team", widget=GovSelect(), validate_choice=False)
    status = SelectField("Status", widget=GovSelect(), validate_choice=False)
    submit = SubmitField("Apply filters", widget=GovSubmitInput())
