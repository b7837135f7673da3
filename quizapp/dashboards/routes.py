"""Dashboard pages and CSV downloads for safeguarding leads (and administrators).

Scope: an agency's lead sees their agency, by team, and its overdue people by name;
anyone else allowed in (a partnership-wide lead, an administrator) sees aggregates for
the whole partnership. A filter or drill-down value outside the scope, or unknown, is
answered 404 exactly like a missing page: no URL reaches another agency's figures.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response

from ..access import roles_required
from ..models import Role, utcnow
from . import bp, exports, impact, pages, queries, reminders
from . import scenarios as scenario_pages
from .forms import ConfirmForm, FiltersForm, YearForm
from .periods import LONDON, period_choices, reporting_year, reporting_year_of, year_choices
from .scope import Scope, scope_for

leads = roles_required(Role.LEAD, Role.ADMIN)

#: Filters each page offers. A partnership-wide view has no team filter (its rows are
#: agencies); an agency's has no agency filter. Every filter only chooses which cells of
#: the scope's suppressed figures to show (quizapp.dashboards.disclosure).
COMPLETION_FILTERS = ("check", "agency", "team", "level", "period")
LEARNING_FILTERS = ("check", "agency", "team", "level", "period")
OVERDUE_FILTERS = ("check", "team")
#: The check filter's value for every check. With no check given, the partnership view
#: shows its first check: 60 agencies by 20 checks is too much to take in (or send) at once.
ALL_CHECKS = "all"
#: Pages whose figures are for one check at a time: the learning page's cube is a
#: check's findings and questions.
ONE_CHECK = ("dashboards.learning", "dashboards.finding")


def _scope() -> Scope:
    """The signed-in lead's scope. An agency lead naming any other agency in the query
    string, on any page, is answered 404, as if the page did not exist."""
    scope = scope_for(current_user)
    if scope.named and request.args.get("agency", "") not in ("", str(scope.agency_id)):
        abort(404)
    return scope


def _threshold() -> int:
    return int(current_app.config["SMALL_NUMBER_THRESHOLD"])


def _int_choice(name: str, allowed: Iterable[int]) -> int | None:
    """An id from the query string: absent or empty means "all"; anything else must be
    one of `allowed` (what is in scope) or the page is not found."""
    raw = request.args.get(name, "")
    if raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        abort(404)
    if value not in set(allowed):
        abort(404)
    return value


def _check_choice(scope: Scope, options: queries.Choices) -> int | None:
    """The check filter: a check in scope, ALL_CHECKS, or by default the first check in the
    partnership view and every check in an agency's."""
    raw = request.args.get("check", "")
    one = request.endpoint in ONE_CHECK
    if raw == ALL_CHECKS and not one:
        return None
    if raw in ("", ALL_CHECKS):
        return options.checks[0][0] if (scope.partnership or one) and options.checks else None
    return _int_choice("check", (i for i, _ in options.checks))


def _filters(
    scope: Scope, options: queries.Choices, *, now: Any, offered: Sequence[str]
) -> queries.Filters:
    choices = period_choices(now)
    periods = {period.key: period for period in choices}
    period_key = request.args.get("period", "") if "period" in offered else ""
    if period_key and period_key not in periods:
        abort(404)
    agency_id = None
    if "agency" in offered and scope.partnership:
        agency_id = _int_choice("agency", (i for i, _ in options.agencies))
    level = request.args.get("level", "") if "level" in offered else ""
    if level and level not in options.levels:
        abort(404)
    team_id = None
    if "team" in offered and scope.named:
        team_id = _int_choice("team", (i for i, _ in options.teams))
    return queries.Filters(
        period=periods[period_key] if period_key else choices[0],
        check_id=_check_choice(scope, options),
        agency_id=agency_id,
        team_id=team_id,
        level=level or None,
    )


def _filters_form(
    scope: Scope,
    options: queries.Choices,
    filters: queries.Filters,
    *,
    now: Any,
    offered: Sequence[str],
) -> FiltersForm:
    form = FiltersForm(formdata=None)
    every = [] if request.endpoint in ONE_CHECK else [(ALL_CHECKS, "All checks")]
    form.check.choices = [*every, *((str(i), t) for i, t in options.checks)]
    form.check.data = str(filters.check_id or ALL_CHECKS)
    form.agency.choices = [("", "All agencies"), *((str(i), n) for i, n in options.agencies)]
    form.agency.data = str(filters.agency_id or "")
    form.team.choices = [("", "All teams"), *((str(i), n) for i, n in options.teams)]
    form.team.data = str(filters.team_id or "")
    form.level.choices = [("", "All levels"), *((level, level) for level in options.levels)]
    form.level.data = filters.level or ""
    form.period.choices = [(p.key, p.label) for p in period_choices(now)]
    form.period.data = filters.period.key
    for name in ("check", "agency", "team", "level", "period"):
        if (
            name not in offered
            or (name == "agency" and scope.named)
            or (name == "team" and scope.partnership)
        ):
            delattr(form, name)
    return form


def _link_args(filters: queries.Filters, scope: Scope) -> dict[str, Any]:
    """The filters as query arguments, to carry them into a drill-down link."""
    args: dict[str, Any] = {"period": filters.period.key}
    args["check"] = ALL_CHECKS if filters.check_id is None else filters.check_id
    if filters.agency_id is not None and scope.partnership:
        args["agency"] = filters.agency_id
    if filters.team_id is not None:
        args["team"] = filters.team_id
    if filters.level is not None:
        args["level"] = filters.level
    return args


@dataclass(frozen=True)
class _View:
    """What every filtered page starts from: the lead's scope, the moment, the choices in
    scope and the filters asked for (checked against them)."""

    scope: Scope
    now: datetime
    options: queries.Choices
    filters: queries.Filters
    offered: Sequence[str]

    def form(self) -> FiltersForm:
        return _filters_form(
            self.scope, self.options, self.filters, now=self.now, offered=self.offered
        )


def _view(scope: Scope, offered: Sequence[str]) -> _View:
    now = utcnow()
    options = queries.choices(scope)
    filters = _filters(scope, options, now=now, offered=offered)
    return _View(scope, now, options, filters, offered)


@bp.route("/")
@leads
def completion() -> str:
    view = _view(_scope(), COMPLETION_FILTERS)
    page = pages.completion_page(
        view.scope, view.filters, view.options, now=view.now, threshold=_threshold()
    )
    return render_template(
        "dashboards/completion.html",
        scope=view.scope,
        filters=view.filters,
        form=view.form(),
        page=page,
        threshold=_threshold(),
        now=view.now,
    )


@bp.route("/learning")
@leads
def learning() -> str:
    view = _view(_scope(), LEARNING_FILTERS)
    page = pages.learning_page(view.scope, view.filters, view.options, threshold=_threshold())
    return render_template(
        "dashboards/learning.html",
        scope=view.scope,
        filters=view.filters,
        form=view.form(),
        page=page,
        has_scenarios=bool(
            view.filters.check_id and scenario_pages.check_scenarios(view.filters.check_id)
        ),
        link_args=_link_args(view.filters, view.scope),
        threshold=_threshold(),
    )


@bp.route("/learning/<bank_key>/<finding_key>")
@leads
def finding(bank_key: str, finding_key: str) -> str:
    view = _view(_scope(), LEARNING_FILTERS)
    scope, options, filters = view.scope, view.options, view.filters
    allowed = (i for i, _ in (options.agencies if scope.partnership else options.teams))
    group = _int_choice("group", allowed)
    page = pages.finding_page(
        scope,
        filters,
        options,
        (bank_key, finding_key),
        group=pages.TOTAL if group is None else group,
        threshold=_threshold(),
    )
    if page is None:
        abort(404)
    return render_template(
        "dashboards/finding.html",
        scope=scope,
        filters=filters,
        page=page,
        link_args=_link_args(filters, scope),
        threshold=_threshold(),
    )


def _agency_lead_scope() -> Scope:
    """Named people are for an agency's own lead only; everyone else is refused."""
    scope = _scope()
    if not scope.named:
        abort(403)
    return scope


@bp.route("/overdue")
@leads
def overdue() -> str:
    view = _view(_agency_lead_scope(), OVERDUE_FILTERS)
    page = queries.overdue_page(
        view.scope, view.filters, now=view.now, page=request.args.get("page", 1, type=int)
    )
    return render_template(
        "dashboards/overdue.html",
        scope=view.scope,
        filters=view.filters,
        form=view.form(),
        page=page,
        now=view.now,
        last_email=reminders.last_sent(view.scope.agency_id),
        next_email=reminders.next_allowed(view.scope.agency_id, now=view.now),
        link_args={k: v for k, v in _link_args(view.filters, view.scope).items() if k != "period"},
    )


@bp.route("/overdue/email", methods=["GET", "POST"])
@leads
def overdue_email() -> Response | str:
    """Email everyone overdue in the lead's agency: a page saying who and what, then the
    button. Once a week at most."""
    scope = _agency_lead_scope()
    now = utcnow()
    form = ConfirmForm()
    allowed = reminders.next_allowed(scope.agency_id, now=now)
    if form.validate_on_submit() and allowed is None:
        try:
            result = reminders.send(scope, current_user, now=now)
        except reminders.TooSoon as too_soon:
            allowed = too_soon.allowed
        else:
            if result.failed:
                flash(
                    f"{result.sent} people emailed. {result.failed} emails could not be sent:"
                    " check the addresses, or try again next week.",
                    "error",
                )
            else:
                flash(f"{result.sent} overdue people emailed.", "success")
            return redirect(url_for("dashboards.overdue"))
    people = reminders.recipients(scope, now=now) if allowed is None else []
    status = 409 if request.method == "POST" and allowed is not None else 200
    return render_template(
        "dashboards/overdue_email.html",
        scope=scope,
        form=form,
        people=people,
        allowed=allowed,
        last=reminders.last_sent(scope.agency_id),
        subject=reminders.SUBJECT,
    ), status


@bp.route("/overdue.csv")
@leads
def overdue_csv() -> Response:
    """Every overdue row, written as it is read from the database (a thousand rows at a
    time), so the first bytes leave before the last rows are read."""
    view = _view(_agency_lead_scope(), OVERDUE_FILTERS)
    rows = queries.each_overdue(view.scope, view.filters, now=view.now)
    return _csv(
        f"overdue-{view.now:%Y-%m-%d}.csv",
        ["Name", "Email", "Team", "Check", "Due date", "Days overdue", "Last attempt"],
        (
            [
                row.name,
                row.email,
                row.team,
                row.check,
                _date(row.due),
                str(row.days_overdue(view.now)),
                _date(row.last_attempt) if row.last_attempt else "",
            ]
            for row in rows
        ),
        stream=True,
    )


def _date(when: datetime) -> str:
    """A date as people in the partnership call it (UK time), as a spreadsheet reads it."""
    return f"{when.astimezone(LONDON):%Y-%m-%d}"


def _year(now: Any) -> int:
    choices = year_choices(now)
    raw = request.args.get("year", "")
    if raw == "":
        return reporting_year_of(now)
    if not raw.isdigit() or int(raw) not in choices:
        abort(404)
    return int(raw)


@bp.route("/report")
@leads
def report() -> str:
    view = _report_view()
    form = YearForm(formdata=None)
    form.year.choices = [(str(y), reporting_year(y).label) for y in year_choices(view.now)]
    form.year.data = str(view.year)
    if view.scope.partnership:
        form.rows.data = view.rows
    else:
        del form.rows
    return render_template(
        "dashboards/report.html",
        scope=view.scope,
        page=view.page,
        form=form,
        year=view.year,
        rows=view.rows,
        threshold=_threshold(),
        now=view.now,
    )


@dataclass(frozen=True)
class _ReportView:
    scope: Scope
    now: datetime
    year: int
    #: "agency" (each agency or team) or "sector" (the partnership's agencies by sector).
    rows: str
    page: pages.ReportPage


def _report_view() -> _ReportView:
    """The yearly report asked for: a year offered, rows by agency (or team) or, for the
    partnership, by sector; anything else is not found."""
    scope = _scope()
    now = utcnow()
    year = _year(now)
    rows = request.args.get("rows", "") or "agency"
    if rows not in ("agency", "sector") or (rows == "sector" and not scope.partnership):
        abort(404)
    page = pages.report_page(
        scope,
        reporting_year(year),
        queries.choices(scope),
        now=now,
        threshold=_threshold(),
        by_sector=rows == "sector",
    )
    return _ReportView(scope, now, year, rows, page)


@bp.route("/report.csv")
@leads
def report_csv() -> Response:
    view = _report_view()
    year = view.year
    return _csv(
        f"report-{year}-{year + 1}.csv", exports.REPORT_COLUMNS, exports.report_rows(view.page)
    )


@bp.route("/report-impact.csv")
@leads
def report_impact_csv() -> Response:
    """The yearly report's impact section: a row per check and finding."""
    view = _report_view()
    year = view.year
    return _csv(
        f"report-impact-{year}-{year + 1}.csv",
        exports.IMPACT_COLUMNS,
        exports.impact_rows(view.page),
    )


@bp.route("/report.xlsx")
@leads
def report_xlsx() -> Response:
    """Every table of the yearly report, one sheet each."""
    view = _report_view()
    scope, year, page = view.scope, view.year, view.page
    title = f"{current_app.config['PARTNERSHIP_NAME']}: yearly report {page.period.label}"
    if scope.named:
        title += f", {scope.agency_name}"
    return Response(
        exports.workbook(
            page,
            title=title,
            group_word="sector" if view.rows == "sector" else scope.group_word,
            threshold=_threshold(),
        ),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="report-{year}-{year + 1}.xlsx"'},
    )


def _csv(
    filename: str, header: list[str], rows: Iterable[list[str]], *, stream: bool = False
) -> Response:
    """A CSV download. With `stream`, sent in pieces of CSV_CHUNK rows as `rows` yields
    them (the request's context, and so its database session, stays open until the
    last piece)."""
    pieces = _csv_pieces(header, rows)
    body: Any = stream_with_context(pieces) if stream else "".join(pieces)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


#: Rows per piece of a streamed CSV.
CSV_CHUNK = 500


def _csv_pieces(header: list[str], rows: Iterable[list[str]]) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for number, row in enumerate(rows, start=1):
        writer.writerow([exports.safe_text(value) for value in row])
        if number % CSV_CHUNK == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


@bp.route("/checks/<int:check_id>/impact")
@leads
def impact_page(check_id: int) -> str:
    """Did the learning change practice? A check's confidence before, after and at
    follow-up, marks at the check and at follow-up, and use in practice, by finding and
    group, for a reporting year."""
    view = _view(_scope(), ("period",))
    scope, options = view.scope, view.options
    titles = dict(options.checks)
    if check_id not in titles:
        abort(404)
    filters = dataclasses.replace(view.filters, check_id=check_id)
    page = impact.impact_page(
        scope, filters, options, check_id, title=titles[check_id], threshold=_threshold()
    )
    # Back to the page the lead came from: the check on Completion, or on Learning landed.
    back = "completion" if request.args.get("from") == "completion" else "learning"
    return render_template(
        "dashboards/impact.html",
        scope=scope,
        filters=filters,
        form=view.form(),
        page=page,
        back=back,
        link_args=_link_args(filters, scope),
        threshold=_threshold(),
    )


@bp.route("/checks/<int:check_id>/scenarios")
@leads
def scenarios(check_id: int) -> str:
    """A check's branching scenarios: the share of people in scope choosing each
    alternative at each decision, and the endings they reached; by group with `group`."""
    view = _view(_scope(), ("period",))
    scope, options = view.scope, view.options
    if check_id not in {i for i, _ in options.checks}:
        abort(404)
    allowed = (i for i, _ in (options.agencies if scope.partnership else options.teams))
    group = _int_choice("group", allowed)
    page = scenario_pages.scenario_page(
        scope,
        options,
        pages.layout_for(scope, options),
        check_id,
        view.filters.period,
        group=pages.TOTAL if group is None else group,
        threshold=_threshold(),
    )
    filters = dataclasses.replace(view.filters, check_id=check_id)
    return render_template(
        "dashboards/scenarios.html",
        scope=scope,
        filters=filters,
        form=view.form(),
        page=page,
        link_args=_link_args(filters, scope),
        threshold=_threshold(),
    )
