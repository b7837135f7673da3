"""A team manager's pages: their teams' people by name, with each required check's
status and dates, on a page and as a CSV.

Only team managers come in; anyone else (administrators and leads included: leads have
their own overdue page) is refused. A team or status in the query string that is not one
of the manager's own is answered 404, exactly like a missing page.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from flask import abort, render_template, request
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from ..access import roles_required
from ..dashboards.exports import safe_text
from ..dashboards.periods import LONDON
from ..models import utcnow
from ..workforce.status import Status
from . import bp, queries
from .forms import TeamFiltersForm

ALL = ""

#: GOV.UK tag colour of each status, as on a person's page.
TAG_CLASSES = {
    Status.COMPLETE: "govuk-tag--green",
    Status.EXPIRING_SOON: "govuk-tag--yellow",
    Status.DUE: "govuk-tag--blue",
    Status.OVERDUE: "govuk-tag--red",
}


def _teams() -> list[queries.ManagedTeam]:
    """The signed-in person's teams; someone who manages none is refused."""
    teams = queries.managed_teams(current_user.id)
    if not teams:
        abort(403)
    return teams


def _filters(teams: list[queries.ManagedTeam]) -> tuple[int | None, Status | None]:
    raw_team = request.args.get("team", ALL)
    team_id = None
    if raw_team != ALL:
        team_id = next((team.id for team in teams if str(team.id) == raw_team), None)
        if team_id is None:
            abort(404)
    raw_status = request.args.get("status", ALL)
    status = None
    if raw_status != ALL:
        status = next((s for s in queries.STATUSES if s.value == raw_status), None)
        if status is None:
            abort(404)
    return team_id, status


def _link_args(team_id: int | None, status: Status | None) -> dict[str, str]:
    args = {}
    if team_id is not None:
        args["team"] = str(team_id)
    if status is not None:
        args["status"] = status.value
    return args


@bp.route("/")
@roles_required()
def teams() -> str:
    teams = _teams()
    team_id, status = _filters(teams)
    now = utcnow()
    form = TeamFiltersForm(request.args)
    form.team.choices = [
        SelectChoice(ALL, "All your teams"),
        *(SelectChoice(str(team.id), team.name) for team in teams),
    ]
    form.status.choices = [
        SelectChoice(ALL, "Any status"),
        *(SelectChoice(s.value, s.label) for s in queries.STATUSES),
    ]
    rows = queries.team_people(current_user.id, now=now, team_id=team_id, status=status)
    shown = [team for team in teams if team_id is None or team.id == team_id]
    return render_template(
        "managers/teams.html",
        form=form,
        teams=shown,
        rows=rows,
        filtered=status is not None,
        tags=TAG_CLASSES,
        status_order=queries.STATUSES,
        link_args=_link_args(team_id, status),
    )


@bp.route("/teams.csv")
@roles_required()
def teams_csv() -> Response:
    teams = _teams()
    team_id, status = _filters(teams)
    now = utcnow()
    rows = queries.team_people(current_user.id, now=now, team_id=team_id, status=status)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Team", "Name", "Email", "Check", "Status", "Due date", "Passed", "Expires"])
    for row in rows:
        writer.writerow(
            [
                safe_text(value)
                for value in (
                    row.team,
                    row.name,
                    row.email,
                    row.check or "No check required",
                    row.status.label if row.status else "",
                    _date(row.due),
                    _date(row.passed),
                    _date(row.expires),
                )
            ]
        )
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="your-teams-{now:%Y-%m-%d}.csv"'},
    )


def _date(when: datetime | None) -> str:
    """UK date, as a spreadsheet reads it; empty when there is none."""
    return "" if when is None else f"{when.astimezone(LONDON):%Y-%m-%d}"
