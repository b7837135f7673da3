"""Admin home, agencies and their teams: administrators only."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from ..access import roles_required
from ..extensions import db
from ..models import Agency, Role
from . import bp, operations, queries
from .forms import AgencyForm, ConfirmForm, TeamForm
from .settings_forms import REMINDER_SWITCHES

admin_only = roles_required(Role.ADMIN)

Page = str | Response | tuple[str, int]


@bp.route("/")
@admin_only
def home() -> str:
    return render_template("admin/home.html")


@bp.route("/agencies/")
@admin_only
def agencies() -> str:
    return render_template("admin/agencies/list.html", rows=queries.agencies_overview())


def _save_agency(form: AgencyForm, agency: Agency | None) -> Agency | None:
    """Apply a valid form; on a refusal, put the message on its field and return None."""
    try:
        domains = operations.parse_email_domains(
            form.email_domains.data or "",
            allow_test_domains=bool(current_app.config.get("DEMO_MODE")),
        )
        values = {
            "name": form.name.data or "",
            "sector": form.sector.data or "",
            "statutory_partner": form.statutory_partner.data == "yes",
            "email_domains": domains,
        }
        if agency is None:
            return operations.create_agency(**values)
        operations.update_agency(agency, **values)
        return agency
    except operations.AdminError as error:
        db.session.rollback()
        getattr(form, error.field or "name").errors.append(error.message)
        return None


@bp.route("/agencies/new", methods=["GET", "POST"])
@admin_only
def add_agency() -> Page:
    form = AgencyForm()
    if form.validate_on_submit():
        agency = _save_agency(form, None)
        if agency is not None:
            db.session.commit()
            flash(f"{agency.name} added.", "success")
            return redirect(url_for("admin.agency", agency_id=agency.id))
    return _form_page("admin/agencies/form.html", form=form, agency=None)


@bp.route("/agencies/<int:agency_id>")
@admin_only
def agency(agency_id: int) -> str:
    agency = db.get_or_404(Agency, agency_id)
    return _agency_page(agency, TeamForm())


def _agency_page(agency: Agency, team_form: TeamForm) -> str:
    return render_template(
        "admin/agencies/agency.html",
        agency=agency,
        counts=queries.agency_people_counts(agency.id),
        team_form=team_form,
        reminder_kinds=[label for name, label, _hint in REMINDER_SWITCHES if getattr(agency, name)],
    )


@bp.route("/agencies/<int:agency_id>/edit", methods=["GET", "POST"])
@admin_only
def edit_agency(agency_id: int) -> Page:
    agency = db.get_or_404(Agency, agency_id)
    form = AgencyForm()
    if form.validate_on_submit():
        if _save_agency(form, agency) is not None:
            db.session.commit()
            flash(f"{agency.name} updated.", "success")
            return redirect(url_for("admin.agency", agency_id=agency.id))
        agency = db.get_or_404(Agency, agency_id)
    elif not form.is_submitted():
        form.name.data = agency.name
        form.sector.data = agency.sector
        form.statutory_partner.data = "yes" if agency.statutory_partner else "no"
        form.email_domains.data = "\n".join(d.domain for d in agency.email_domains)
    return _form_page("admin/agencies/form.html", form=form, agency=agency)


def _form_page(template: str, **context: object) -> str | tuple[str, int]:
    form = context["form"]
    page = render_template(template, **context)
    return (page, 422) if form.errors else page  # type: ignore[attr-defined]


@bp.route("/agencies/<int:agency_id>/teams", methods=["POST"])
@admin_only
def add_team(agency_id: int) -> Page:
    agency = db.get_or_404(Agency, agency_id)
    form = TeamForm()
    if form.validate_on_submit():
        try:
            team = operations.add_team(agency, name=form.name.data or "")
        except operations.AdminError as error:
            db.session.rollback()
            agency = db.get_or_404(Agency, agency_id)
            form.name.errors.append(error.message)
        else:
            db.session.commit()
            flash(f"Team {team.name} added to {agency.name}.", "success")
            return redirect(url_for("admin.agency", agency_id=agency.id) + "#teams")
    return _agency_page(agency, form), 422


@bp.route("/agencies/<int:agency_id>/teams/<int:team_id>/rename", methods=["GET", "POST"])
@admin_only
def rename_team(agency_id: int, team_id: int) -> Page:
    agency = db.get_or_404(Agency, agency_id)
    team = queries.team_of(agency, team_id) or abort(404)
    form = TeamForm()
    if form.validate_on_submit():
        old_name = team.name
        try:
            operations.rename_team(team, name=form.name.data or "")
        except operations.AdminError as error:
            db.session.rollback()
            form.name.errors.append(error.message)
        else:
            db.session.commit()
            flash(f"Team {old_name} renamed {team.name}.", "success")
            return redirect(url_for("admin.agency", agency_id=agency.id) + "#teams")
        agency = db.get_or_404(Agency, agency_id)
        team = queries.team_of(agency, team_id) or abort(404)
    elif not form.is_submitted():
        form.name.data = team.name
    return _form_page("admin/agencies/team_form.html", form=form, agency=agency, team=team)


@bp.route("/agencies/<int:agency_id>/teams/<int:team_id>/remove", methods=["GET", "POST"])
@admin_only
def remove_team(agency_id: int, team_id: int) -> Page:
    agency = db.get_or_404(Agency, agency_id)
    team = queries.team_of(agency, team_id) or abort(404)
    form = ConfirmForm()
    use = operations.team_use(team)
    if form.validate_on_submit():
        name = team.name
        try:
            operations.remove_team(team)
        except operations.AdminError:
            db.session.rollback()
            agency = db.get_or_404(Agency, agency_id)
            team = queries.team_of(agency, team_id) or abort(404)
        else:
            db.session.commit()
            flash(f"Team {name} removed from {agency.name}.", "success")
            return redirect(url_for("admin.agency", agency_id=agency.id) + "#teams")
    page = render_template(
        "admin/agencies/remove_team.html",
        agency=agency,
        team=team,
        use=use,
        refusal=operations.removal_refusal(team, use) if use.blocks_removal else None,
        form=form,
    )
    return (page, 409) if form.is_submitted() else page
