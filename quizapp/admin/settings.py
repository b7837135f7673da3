"""The partnership's advice line and each agency's assignment and reminder emails:
administrators only."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..access import roles_required
from ..audit import record
from ..extensions import db
from ..models import Agency, Role, utcnow
from ..settings import current_settings, save_advice_line
from . import bp
from .settings_forms import (
    REMINDER_SWITCHES,
    AdviceLineForm,
    AssignmentEmailsForm,
    ReminderEmailsForm,
)

admin_only = roles_required(Role.ADMIN)

Page = str | Response | tuple[str, int]


@bp.route("/settings/advice-line", methods=["GET", "POST"])
@admin_only
def advice_line() -> Page:
    form = AdviceLineForm()
    settings = current_settings()
    if not form.is_submitted() and settings is not None:
        form.advice_name.data = settings.advice_name
        form.advice_phone.data = settings.advice_phone
        form.advice_email.data = settings.advice_email
        form.advice_details.data = settings.advice_details
    if form.validate_on_submit():
        save_advice_line(
            name=form.advice_name.data or "",
            phone=form.advice_phone.data or "",
            email=form.advice_email.data or "",
            details=form.advice_details.data or "",
            by=current_user,
            now=utcnow(),
        )
        db.session.commit()
        flash("Advice line saved. Every result page now shows it.", "success")
        return redirect(url_for("admin.advice_line"))
    page = render_template("admin/settings/advice_line.html", form=form, settings=settings)
    return (page, 422) if form.errors else page


@bp.route("/agencies/<int:agency_id>/assignment-emails", methods=["GET", "POST"])
@admin_only
def agency_assignment_emails(agency_id: int) -> Page:
    agency = db.get_or_404(Agency, agency_id)
    form = AssignmentEmailsForm()
    if not form.is_submitted():
        form.assignment_emails.data = "yes" if agency.assignment_emails else "no"
    if form.validate_on_submit():
        agency.assignment_emails = form.assignment_emails.data == "yes"
        record(
            "agency.assignment_emails",
            f"agency:{agency.id}",
            user=current_user,
            details={"on": agency.assignment_emails},
        )
        db.session.commit()
        flash(
            f"People in {agency.name} will {'now' if agency.assignment_emails else 'no longer'}"
            " get an email when they are assigned a check.",
            "success",
        )
        return redirect(url_for("admin.agency", agency_id=agency.id))
    page = render_template("admin/agencies/assignment_emails.html", agency=agency, form=form)
    return (page, 422) if form.errors else page


@bp.route("/agencies/<int:agency_id>/reminder-emails", methods=["GET", "POST"])
@admin_only
def agency_reminder_emails(agency_id: int) -> Page:
    """Turn each kind of reminder (`flask reminders send`) on or off for an agency."""
    agency = db.get_or_404(Agency, agency_id)
    form = ReminderEmailsForm()
    if not form.is_submitted():
        form.reminders.data = [name for name, *_ in REMINDER_SWITCHES if getattr(agency, name)]
    if form.validate_on_submit():
        chosen = set(form.reminders.data or [])
        for name, *_ in REMINDER_SWITCHES:
            setattr(agency, name, name in chosen)
        record(
            "agency.reminder_emails",
            f"agency:{agency.id}",
            user=current_user,
            details={name: name in chosen for name, *_ in REMINDER_SWITCHES},
        )
        db.session.commit()
        flash(f"Reminder emails for {agency.name} saved.", "success")
        return redirect(url_for("admin.agency", agency_id=agency.id))
    page = render_template(
        "admin/agencies/reminder_emails.html",
        agency=agency,
        form=form,
        hints=[{"hint": {"text": hint}} for *_, hint in REMINDER_SWITCHES],
    )
    return (page, 422) if form.errors else page
