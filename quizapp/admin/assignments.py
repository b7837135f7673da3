"""Assignments and check settings: admins and partnership leads."""

from __future__ import annotations

from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..access import roles_required
from ..extensions import db
from ..models import Agency, Assignment, BankVersion, Check, Role, Team, User, utcnow
from ..workforce import operations
from ..workforce.requirements import sync_check_expiry
from . import bp
from .assignment_forms import AssignmentForm, CheckSettingsForm, ConfirmForm


def partnership_staff(view: Any) -> Any:
    """Admins and partnership-wide leads; an agency's lead can't assign across agencies."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.has_role(Role.ADMIN) and not current_user.is_partnership_lead:
            abort(403)
        return view(*args, **kwargs)

    return roles_required(Role.ADMIN, Role.LEAD)(wrapped)


def _choices(form: AssignmentForm) -> None:
    form.check.choices = [
        (c.id, c.title) for c in db.session.scalars(sa.select(Check).order_by(Check.title))
    ]
    form.agencies.choices = [
        (a.id, a.name) for a in db.session.scalars(sa.select(Agency).order_by(Agency.name))
    ]
    form.teams.choices = [
        (team.id, f"{agency_name}: {team.name}")
        for team, agency_name in db.session.execute(
            sa.select(Team, Agency.name).join(Agency).order_by(Agency.name, Team.name)
        )
    ]
    levels = db.session.scalars(
        sa.select(User.level).where(User.level.is_not(None)).distinct().order_by(User.level)
    )
    form.levels.choices = [(level, level) for level in levels]


@bp.route("/assignments/")
@partnership_staff
def assignments() -> str:
    rows = db.session.scalars(
        sa.select(Assignment).order_by(Assignment.created_at.desc(), Assignment.id.desc())
    ).all()
    return render_template(
        "admin/assignments/list.html",
        assignments=rows,
        counts=operations.audience_counts(rows),
        form=ConfirmForm(),
    )


@bp.route("/assignments/new", methods=["GET", "POST"])
@partnership_staff
def new_assignment() -> str | Response | tuple[str, int]:
    form = AssignmentForm()
    _choices(form)
    if request.method == "GET" and request.args.get("check", type=int):
        form.check.data = request.args.get("check", type=int)
    if form.validate_on_submit():
        check = db.get_or_404(Check, form.check.data)
        agencies = db.session.scalars(
            sa.select(Agency).where(Agency.id.in_(form.agencies.data or []))
        ).all()
        teams = db.session.scalars(sa.select(Team).where(Team.id.in_(form.teams.data or []))).all()
        by_date = form.due_rule.data == "date"
        assignment = operations.create_assignment(
            check=check,
            all_agencies=bool(form.all_agencies.data),
            agencies=agencies,
            teams=teams,
            job_roles=form.job_role_list(),
            levels=form.levels.data or [],
            due_date=form.due_date.data if by_date else None,
            due_days=None if by_date else form.due_days.data,
            refresh_months=form.refresh_months.data,
            created_by=current_user,
            now=utcnow(),
        )
        required = operations.audience_counts([assignment]).get(assignment.id, 0)
        db.session.commit()
        flash(f"{check.title} assigned. {required} people are now required to take it.", "success")
        return redirect(url_for("admin.assignments"))
    if form.errors:
        return render_template("admin/assignments/new.html", form=form), 422
    return render_template("admin/assignments/new.html", form=form)


@bp.route("/assignments/<int:assignment_id>/delete", methods=["POST"])
@partnership_staff
def delete_assignment(assignment_id: int) -> Response:
    assignment = db.get_or_404(Assignment, assignment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    title = assignment.check.title
    operations.delete_assignment(assignment, now=utcnow())
    db.session.commit()
    flash(f"Assignment of {title} removed.", "success")
    return redirect(url_for("admin.assignments"))


@bp.route("/checks/")
@partnership_staff
def checks() -> str:
    rows = db.session.scalars(sa.select(Check).order_by(Check.title)).all()
    return render_template("admin/checks/list.html", checks=rows)


@bp.route("/checks/<int:check_id>", methods=["GET", "POST"])
@partnership_staff
def check_settings(check_id: int) -> str | Response | tuple[str, int]:
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
        check.refresh_months = form.refresh_months.data
        db.session.flush()
        sync_check_expiry(check)
        db.session.commit()
        flash("Check settings saved.", "success")
        return redirect(url_for("admin.checks"))
    page = render_template("admin/checks/edit.html", check=check, form=form, versions=versions)
    return (page, 422) if form.errors else page
