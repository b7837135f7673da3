"""Assignments and check settings: admins and partnership leads."""

from __future__ import annotations

from datetime import date
from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..access import roles_required
from ..audit import record
from ..extensions import db
from ..models import (
    Agency,
    Assignment,
    AssignmentEmail,
    BankVersion,
    Check,
    Question,
    Role,
    Team,
    User,
    utcnow,
)
from ..web import format_date
from ..workforce import emails, operations
from ..workforce.audience import LONDON
from ..workforce.requirements import people_required, sync_check_expiry
from . import bp
from .assignment_forms import AssignmentForm, CheckSettingsForm, ConfirmForm

Page = str | Response | tuple[str, int]


def partnership_staff(view: Any) -> Any:
    """Admins and partnership-wide leads; an agency's lead can't assign across agencies."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.has_role(Role.ADMIN) and not current_user.is_partnership_lead:
            abort(403)
        return view(*args, **kwargs)

    return roles_required(Role.ADMIN, Role.LEAD)(wrapped)


def _choices(form: AssignmentForm, assignment: Assignment | None = None) -> None:
    if assignment is None:
        form.check.choices = [
            (c.id, c.title)
            for c in db.session.scalars(
                sa.select(Check).where(Check.retired_at.is_(None)).order_by(Check.title)
            )
        ]
    else:
        del form.check  # an assignment's check never changes
    form.agencies.choices = [
        (a.id, a.name) for a in db.session.scalars(sa.select(Agency).order_by(Agency.name))
    ]
    form.teams.choices = [
        (team.id, f"{agency_name}: {team.name}")
        for team, agency_name in db.session.execute(
            sa.select(Team, Agency.name).join(Agency).order_by(Agency.name, Team.name)
        )
    ]
    levels = set(
        db.session.scalars(sa.select(User.level).where(User.level.is_not(None)).distinct())
    )
    levels.update(assignment.levels if assignment is not None else ())
    form.levels.choices = [(level, level) for level in sorted(levels)]  # type: ignore[misc]


def _change(form: AssignmentForm, *, default_refresh: int) -> operations.AssignmentChange:
    by_date = form.due_rule.data == "date"
    return operations.AssignmentChange(
        all_agencies=bool(form.all_agencies.data),
        agencies=db.session.scalars(
            sa.select(Agency).where(Agency.id.in_(form.agencies.data or []))
        ).all(),
        teams=db.session.scalars(sa.select(Team).where(Team.id.in_(form.teams.data or []))).all(),
        job_roles=form.job_role_list(),
        levels=form.levels.data or [],
        due_date=form.due_date.data if by_date else None,
        due_days=None if by_date else form.due_days.data,
        refresh_months=form.refresh_months.data or default_refresh,
        grace_days=form.grace(),
    )


def _today() -> date:
    return utcnow().astimezone(LONDON).date()


def _past_date_warning(form: AssignmentForm) -> tuple[str, str] | None:
    due = form.due_date.data
    if form.due_rule.data != "date" or due is None or due >= _today():
        return None
    return (
        f"past:{due.isoformat()}",
        f"The due date, {due:%-d %B %Y}, has already passed. Everyone the assignment"
        f" reaches now will be overdue as soon as it is saved. People who join its audience"
        f" later are due {form.grace()} days after they join.",
    )


def _confirmed(form: AssignmentForm, warnings: list[tuple[str, str]]) -> bool:
    """The person saw exactly these warnings and went on (the form carries their keys)."""
    seen = set((form.confirmed.data or "").split(";"))
    return all(key in seen for key, _ in warnings)


def _form_page(form: AssignmentForm, warnings: list[tuple[str, str]], **context: Any) -> Page:
    if warnings:
        form.confirmed.data = ";".join(key for key, _ in warnings)
    page = render_template(
        "admin/assignments/form.html",
        form=form,
        warnings=[text for _, text in warnings],
        **context,
    )
    return (page, 422) if form.errors else page


def _emails_line(assignment: Assignment, since: Any) -> str:
    count = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AssignmentEmail)
        .where(AssignmentEmail.assignment_id == assignment.id, AssignmentEmail.created_at >= since)
    )
    if not count:
        return ""
    return f" {_people(count)} will get an email saying so."


def _people(count: int) -> str:
    return f"{count:,} {'person' if count == 1 else 'people'}"


@bp.route("/assignments/")
@partnership_staff
def assignments() -> str:
    rows = db.session.scalars(
        sa.select(Assignment).order_by(Assignment.created_at.desc(), Assignment.id.desc())
    ).all()
    return render_template(
        "admin/assignments/list.html",
        assignments=[a for a in rows if not a.is_ended],
        ended=sorted(
            (a for a in rows if a.is_ended), key=lambda a: a.ended_at or a.created_at, reverse=True
        ),
        counts=operations.audience_counts(rows),
    )


@bp.route("/assignments/new", methods=["GET", "POST"])
@partnership_staff
def new_assignment() -> Page:
    form = AssignmentForm()
    _choices(form)
    if request.method == "GET" and request.args.get("check", type=int):
        form.check.data = request.args.get("check", type=int)
    warnings: list[tuple[str, str]] = []
    if form.validate_on_submit():
        check = db.session.get(Check, form.check.data)
        if check is None:
            form.check.errors = ["Select the check to assign"]
        elif check.is_retired:
            form.check.errors = [
                f"{check.title} is retired. Bring it back on its settings page before assigning it"
            ]
        else:
            warning = _past_date_warning(form)
            warnings = [warning] if warning else []
            if _confirmed(form, warnings):
                return _create(form, check)
    return _form_page(form, warnings, assignment=None)


def _create(form: AssignmentForm, check: Check) -> Response:
    change = _change(form, default_refresh=check.refresh_months)
    now = utcnow()
    assignment = operations.create_assignment(
        check=check,
        all_agencies=change.all_agencies,
        agencies=change.agencies,
        teams=change.teams,
        job_roles=change.job_roles,
        levels=change.levels,
        due_date=change.due_date,
        due_days=change.due_days,
        refresh_months=change.refresh_months,
        grace_days=change.grace_days,
        created_by=current_user,
        now=now,
    )
    required = operations.audience_counts([assignment]).get(assignment.id, 0)
    emailed = _emails_line(assignment, now)
    db.session.commit()
    emails.deliver_after_request()
    flash(
        f"{check.title} assigned. {required:,} people are now required to take it.{emailed}",
        "success",
    )
    return redirect(url_for("admin.assignments"))


def _assignment_or_404(assignment_id: int) -> Assignment:
    return db.get_or_404(Assignment, assignment_id)


def _ended_page(assignment: Assignment) -> tuple[str, int]:
    return (
        render_template(
            "errors/error.html",
            title="This assignment has ended",
            message=f"The assignment of {assignment.check.title} ended on"
            f" {format_date(assignment.ended_at)}. An ended assignment can't be changed:"
            " assign the check again instead.",
        ),
        409,
    )


@bp.route("/assignments/<int:assignment_id>/edit", methods=["GET", "POST"])
@partnership_staff
def edit_assignment(assignment_id: int) -> Page:
    assignment = _assignment_or_404(assignment_id)
    if assignment.is_ended:
        return _ended_page(assignment)
    form = AssignmentForm()
    _choices(form, assignment)
    if not form.is_submitted():
        _fill(form, assignment)
    warnings: list[tuple[str, str]] = []
    if form.validate_on_submit():
        change = _change(form, default_refresh=assignment.check.refresh_months)
        warning = _past_date_warning(form)
        if warning and (change.due_date, change.due_days) != (
            assignment.due_date,
            assignment.due_days,
        ):
            warnings.append(warning)
        dropped = (
            0
            if assignment.check.is_retired
            else operations.people_dropped_by_change(assignment, change)
        )
        if dropped:
            warnings.append(
                (
                    f"drops:{dropped}",
                    f"This change removes the check from {_people(dropped)}'s required checks."
                    " Their past attempts and passes are kept.",
                )
            )
        if _confirmed(form, warnings):
            before = people_required(assignment.check_id)
            now = utcnow()
            operations.update_assignment(assignment, change, now=now)
            after = people_required(assignment.check_id)
            record(
                "assignment.change",
                f"assignment:{assignment.id}",
                user=current_user,
                details={"check": assignment.check_id, "required_before": before,
                         "required_after": after},
            )  # fmt: skip
            emailed = _emails_line(assignment, now)
            db.session.commit()
            emails.deliver_after_request()
            flash(
                f"Assignment of {assignment.check.title} changed. {after:,} people are now"
                f" required to take the check.{emailed}",
                "success",
            )
            return redirect(url_for("admin.assignments"))
    return _form_page(form, warnings, assignment=assignment)


def _fill(form: AssignmentForm, assignment: Assignment) -> None:
    form.all_agencies.data = assignment.all_agencies
    form.agencies.data = [a.id for a in assignment.agencies]
    form.teams.data = [t.id for t in assignment.teams]
    form.levels.data = list(assignment.levels)
    form.job_roles.data = "\n".join(assignment.job_roles)
    form.due_rule.data = "date" if assignment.due_date is not None else "days"
    form.due_date.data = assignment.due_date
    form.due_days.data = assignment.due_days
    form.grace_days.data = assignment.grace_days
    form.refresh_months.data = assignment.refresh_months


@bp.route("/assignments/<int:assignment_id>/end", methods=["GET", "POST"])
@partnership_staff
def end_assignment(assignment_id: int) -> Page:
    assignment = _assignment_or_404(assignment_id)
    if assignment.is_ended:
        return _ended_page(assignment)
    form = ConfirmForm()
    if form.is_submitted():
        if not form.validate():
            abort(400)
        title = assignment.check.title
        before = people_required(assignment.check_id)
        operations.end_assignment(assignment, now=utcnow())
        removed = before - people_required(assignment.check_id)
        record(
            "assignment.end",
            f"assignment:{assignment.id}",
            user=current_user,
            details={"check": assignment.check_id, "people_removed": removed},
        )
        db.session.commit()
        flash(
            f"Assignment of {title} ended. {_people(removed)} no longer"
            f" {'has' if removed == 1 else 'have'} it in their required checks.",
            "success",
        )
        return redirect(url_for("admin.assignments"))
    return render_template(
        "admin/assignments/end.html",
        assignment=assignment,
        dropped=operations.people_dropped_by_ending(assignment),
        reaches=operations.audience_counts([assignment]).get(assignment.id, 0),
        form=form,
    )


# Checks ---------------------------------------------------------------------------------


@bp.route("/checks/")
@partnership_staff
def checks() -> str:
    rows = db.session.scalars(
        sa.select(Check).order_by(Check.retired_at.is_not(None), Check.title)
    ).all()
    return render_template("admin/checks/list.html", checks=rows)


@bp.route("/checks/<int:check_id>", methods=["GET", "POST"])
@partnership_staff
def check_settings(check_id: int) -> Page:
    check = db.get_or_404(Check, check_id)
    form = CheckSettingsForm(obj=check)
    versions = db.session.scalars(
        sa.select(BankVersion)
        .where(BankVersion.bank_id == check.bank_id, BankVersion.status == "published")
        .order_by(BankVersion.number.desc())
    ).all()
    form.version.choices = [("", "The latest published version (recommended)")] + [
        (str(v.id), f"Only version {v.number}") for v in versions
    ]
    if request.method == "GET":
        form.version.data = str(check.pinned_version_id or "")
    if form.validate_on_submit():
        check.pinned_version_id = int(form.version.data) if form.version.data else None
        check.title = form.title.data or check.title
        check.framework = (form.framework.data or "").strip() or None
        check.level = (form.level.data or "").strip() or None
        check.pass_mark = form.pass_mark.data
        check.certainty = bool(form.certainty.data)
        check.attempts_allowed = form.attempts_allowed.data
        check.after_fail = form.after_fail.data or check.after_fail
        check.scenario_back = bool(form.scenario_back.data)
        check.refresh_months = form.refresh_months.data
        check.cpd_minutes = form.cpd_minutes.data
        check.participatory = bool(form.participatory.data)
        check.ask_confidence = bool(form.ask_confidence.data)
        check.ask_reaction = bool(form.ask_reaction.data)
        check.follow_up_weeks = form.follow_up_weeks.data
        db.session.flush()
        sync_check_expiry(check)
        db.session.commit()
        flash("Check settings saved.", "success")
        return redirect(url_for("admin.checks"))
    page = render_template(
        "admin/checks/edit.html",
        check=check,
        form=form,
        versions=versions,
        assignments=operations.assignments_of(check),
        restore_form=ConfirmForm(),
        # The going-back setting is offered only where it means something.
        has_scenarios=bool(
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Question)
                .join(BankVersion, BankVersion.id == Question.version_id)
                .where(BankVersion.bank_id == check.bank_id, Question.type == "scenario")
            )
        ),
    )
    return (page, 422) if form.errors else page


@bp.route("/checks/<int:check_id>/retire", methods=["GET", "POST"])
@partnership_staff
def retire_check(check_id: int) -> Page:
    check = db.get_or_404(Check, check_id)
    if check.is_retired:
        return (
            render_template(
                "errors/error.html",
                title="This check is already retired",
                message=f"{check.title} was retired on {format_date(check.retired_at)}."
                " You can bring it back on its settings page.",
            ),
            409,
        )
    form = ConfirmForm()
    if form.is_submitted():
        if not form.validate():
            abort(400)
        before = people_required(check.id)
        operations.retire_check(check, now=utcnow())
        record("check.retire", f"check:{check.id}", user=current_user, details={"required": before})
        db.session.commit()
        flash(
            f"{check.title} retired. Nobody can start it now. {_people(before)} no longer"
            f" {'has' if before == 1 else 'have'} it in their required checks.",
            "success",
        )
        return redirect(url_for("admin.checks"))
    return render_template(
        "admin/checks/retire.html",
        check=check,
        assignments=operations.assignments_of(check),
        required=people_required(check.id),
        form=form,
    )


@bp.route("/checks/<int:check_id>/restore", methods=["POST"])
@partnership_staff
def restore_check(check_id: int) -> Page:
    check = db.get_or_404(Check, check_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not check.is_retired:
        flash(f"{check.title} is not retired.", "info")
        return redirect(url_for("admin.check_settings", check_id=check.id))
    operations.restore_check(check, now=utcnow())
    required = people_required(check.id)
    record("check.restore", f"check:{check.id}", user=current_user, details={"required": required})
    db.session.commit()
    emails.deliver_after_request()
    flash(
        f"{check.title} brought back. People can start it again, and {_people(required)}"
        f" {'is' if required == 1 else 'are'} required to take it.",
        "success",
    )
    return redirect(url_for("admin.check_settings", check_id=check.id))
