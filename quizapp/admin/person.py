"""A person's page, from the people list: their details, roles, account and checks, and
the changes made there (details and team, roles, agency, leaving, invitations,
anonymising). Administrators see anyone; an agency's lead sees their own agency's
people (the query is filtered, so anyone else is "not found"). Who may change what:
quizapp.admin.person_operations.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from .. import privacy
from ..access import roles_required
from ..auth import accounts
from ..auth.invitations import send_invitation_email, valid_for
from ..email import EmailError
from ..extensions import db
from ..models import Agency, Role, Team, User, utcnow
from ..take.queries import checks_for
from . import bp, person_operations, queries
from .forms import (
    ConfirmForm,
    InvitePersonForm,
    ManagedTeamsForm,
    MoveAgencyForm,
    PersonDetailsForm,
    PersonRolesForm,
)
from .operations import AdminError
from .people import admins_and_leads, agency_scope

admin_only = roles_required(Role.ADMIN)

Page = str | Response | tuple[str, int]

#: The team select's value for no team.
NO_TEAM = ""


def _person_or_404(user_id: int) -> User:
    person = queries.person_in_scope(user_id, agency_scope())
    if person is None:
        abort(404)
    return person


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined,no-any-return]


def _changeable(user_id: int) -> User:
    """The person, if the signed-in lead or administrator may change them (else 403);
    nobody changes an anonymised person."""
    person = _person_or_404(user_id)
    if not person_operations.may_change(_me(), person) or privacy.is_anonymised(person):
        abort(403)
    return person


def _to_person(person: User, anchor: str = "") -> Response:
    return redirect(url_for("admin.person", user_id=person.id) + anchor)


def _with_status(page: str, form: Any) -> Page:
    return (page, 422) if form.errors else page


@bp.route("/people/<int:user_id>")
@admins_and_leads
def person(user_id: int) -> str:
    person = _person_or_404(user_id)
    me = _me()
    now = utcnow()
    invitations = queries.open_invitations_to(person.email)
    invited = any(invitation.is_pending(now) for invitation in invitations)
    rows = [
        row
        for row in checks_for(person, now=now)
        if row.requirement or row.completion or row.attempts or row.in_progress
    ]
    anonymised = privacy.is_anonymised(person)
    can_change = person_operations.may_change(me, person) and not anonymised
    return render_template(
        "admin/people/person.html",
        person=person,
        state=queries.account_state(person, invited=invited),
        invitations=invitations,
        has_account=accounts.has_account(person),
        rows=rows,
        now=now,
        anonymised=anonymised,
        can_change=can_change,
        can_invite=can_change and accounts.invitation_can_open(person) and person.agency_id,
        is_admin=me.has_role(Role.ADMIN),
        is_self=person.id == me.id,
        managed_teams=[t for t in person.managed_teams if t.agency_id == person.agency_id],
    )


# Details and team ---------------------------------------------------------------------


def _team_choices(agency_id: int | None) -> list[SelectChoice]:
    teams = db.session.scalars(
        sa.select(Team).where(Team.agency_id == agency_id).order_by(Team.name)
    ).all()
    return [SelectChoice(NO_TEAM, "No team"), *(SelectChoice(str(t.id), t.name) for t in teams)]


@bp.route("/people/<int:user_id>/details", methods=["GET", "POST"])
@admins_and_leads
def person_details(user_id: int) -> Page:
    person = _changeable(user_id)
    form = PersonDetailsForm()
    form.team.choices = _team_choices(person.agency_id)
    if form.validate_on_submit():
        team = None
        if form.team.data:
            team = db.session.scalar(
                sa.select(Team).where(
                    Team.id == _int(form.team.data), Team.agency_id == person.agency_id
                )
            )
            if team is None:
                form.team.errors = [f"Select a team of {_agency_name(person)}, or No team"]
        if not form.errors:
            try:
                changed = person_operations.update_details(
                    person,
                    name=form.name.data or "",
                    job_role=form.job_role.data or "",
                    level=form.level.data or None,
                    team=team,
                    by=_me(),
                    now=utcnow(),
                )
            except AdminError as error:
                db.session.rollback()
                getattr(form, error.field or "name").errors = [error.message]
                person = _changeable(user_id)
            else:
                db.session.commit()
                flash(
                    f"{person.name}'s details are saved." if changed else "Nothing changed.",
                    "success" if changed else "info",
                )
                return _to_person(person)
    elif not form.is_submitted():
        form.name.data = person.name
        form.job_role.data = person.job_role
        form.level.data = person.level or ""
        form.team.data = str(person.team_id) if person.team_id else NO_TEAM
    page = render_template("admin/people/details.html", person=person, form=form)
    return _with_status(page, form)


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _agency_name(person: User) -> str:
    return person.agency.name if person.agency else "their agency"


# Teams they manage --------------------------------------------------------------------


@bp.route("/people/<int:user_id>/teams", methods=["GET", "POST"])
@admins_and_leads
def person_teams(user_id: int) -> Page:
    """Which of their agency's teams the person manages: whoever may change the person
    (an administrator, or their agency's lead) chooses."""
    person = _changeable(user_id)
    if person.agency_id is None:
        abort(404)
    teams = db.session.scalars(
        sa.select(Team).where(Team.agency_id == person.agency_id).order_by(Team.name, Team.id)
    ).all()
    form = ManagedTeamsForm()
    form.teams.choices = [SelectChoice(str(team.id), team.name) for team in teams]
    if form.validate_on_submit():
        by_id = {str(team.id): team for team in teams}
        chosen = form.teams.data or []
        if any(value not in by_id for value in chosen):
            form.teams.errors = [f"Choose teams of {_agency_name(person)}"]
        else:
            added, removed = person_operations.set_managed_teams(
                person, [by_id[value] for value in chosen], by=_me()
            )
            db.session.commit()
            if added or removed:
                flash(_teams_message(person), "success")
            else:
                flash("Nothing changed.", "info")
            return _to_person(person)
    elif not form.is_submitted():
        form.teams.data = [
            str(team.id) for team in person.managed_teams if team.agency_id == person.agency_id
        ]
    page = render_template("admin/people/teams.html", person=person, form=form, teams=teams)
    return _with_status(page, form)


def _teams_message(person: User) -> str:
    names = [team.name for team in person.managed_teams if team.agency_id == person.agency_id]
    if not names:
        return f"{person.name} manages no team."
    return f"{person.name} manages {_and(names)}."


# Roles and agency: administrators only ------------------------------------------------


@bp.route("/people/<int:user_id>/roles", methods=["GET", "POST"])
@admin_only
def person_roles(user_id: int) -> Page:
    person = _changeable(user_id)
    form = PersonRolesForm()
    if form.validate_on_submit():
        roles = [Role(value) for value in form.roles.data or [] if value in set(Role)]
        try:
            added, removed = person_operations.set_roles(person, roles, by=_me())
        except AdminError as error:
            db.session.rollback()
            form.roles.errors = [error.message]
            person = _changeable(user_id)
        else:
            db.session.commit()
            flash(_roles_message(person, added, removed), "success" if added or removed else "info")
            return _to_person(person)
    elif not form.is_submitted():
        form.roles.data = [role.value for role in person.roles]
    page = render_template("admin/people/roles.html", person=person, form=form)
    return _with_status(page, form)


ROLE_NAMES = {Role.AUTHOR: "author", Role.LEAD: "lead", Role.ADMIN: "administrator"}


def _roles_message(person: User, added: set[Role], removed: set[Role]) -> str:
    if not added and not removed:
        return "Nothing changed."
    parts = []
    if added:
        parts.append("now " + _and(ROLE_NAMES[role] for role in sorted(added)))
    if removed:
        parts.append("no longer " + _and(ROLE_NAMES[role] for role in sorted(removed)))
    return f"{person.name} is {' and '.join(parts)}."


def _and(items: Any) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@bp.route("/people/<int:user_id>/agency", methods=["GET", "POST"])
@admin_only
def person_agency(user_id: int) -> Page:
    person = _changeable(user_id)
    form = MoveAgencyForm()
    agencies = db.session.scalars(sa.select(Agency).order_by(Agency.name)).all()
    teams = db.session.scalars(sa.select(Team).order_by(Team.name)).all()
    choices = [SelectChoice("", "Select an agency and team")]
    for agency in agencies:
        choices.append(SelectChoice(str(agency.id), f"{agency.name} (no team)"))
        choices += [
            SelectChoice(f"{agency.id}:{team.id}", f"{agency.name}: {team.name}")
            for team in teams
            if team.agency_id == agency.id
        ]
    form.destination.choices = choices
    if form.validate_on_submit():
        agency_id, _, team_id = (form.destination.data or "").partition(":")
        agency = db.session.get(Agency, _int(agency_id) or 0)
        team = db.session.get(Team, _int(team_id) or 0) if team_id else None
        if agency is None or (team_id and team is None):
            form.destination.errors = ["Select the agency and team to move them to"]
        else:
            try:
                person_operations.move_to_agency(
                    person, agency=agency, team=team, by=_me(), now=utcnow()
                )
            except AdminError as error:
                db.session.rollback()
                form.destination.errors = [error.message]
                person = _changeable(user_id)
            else:
                db.session.commit()
                where = f"{agency.name}" + (f", {team.name}" if team else "")
                flash(f"{person.name} moved to {where}.", "success")
                return _to_person(person)
    elif not form.is_submitted():
        form.destination.data = (
            f"{person.agency_id}:{person.team_id}" if person.team_id else str(person.agency_id)
        )
    page = render_template("admin/people/move.html", person=person, form=form)
    return _with_status(page, form)


# Leaving and coming back --------------------------------------------------------------


@bp.route("/people/<int:user_id>/leave", methods=["GET", "POST"])
@admins_and_leads
def person_leave(user_id: int) -> Page:
    person = _changeable(user_id)
    form = ConfirmForm()
    problem = None
    if person.left_at is not None:
        problem = f"{person.name} is already marked as left."
    elif person.id == current_user.id:
        problem = "You can't mark yourself as left. Ask an administrator."
    if problem is None and form.validate_on_submit():
        person_operations.mark_left(person, by=_me(), now=utcnow())
        db.session.commit()
        flash(f"{person.name} is marked as left. Their history is kept.", "success")
        return _to_person(person)
    page = render_template("admin/people/leave.html", person=person, form=form, problem=problem)
    return (page, 409) if problem and form.is_submitted() else page


@bp.route("/people/<int:user_id>/return", methods=["POST"])
@admins_and_leads
def person_return(user_id: int) -> Page:
    person = _changeable(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        person_operations.mark_returned(person, by=_me(), now=utcnow())
    except AdminError as error:
        db.session.rollback()
        flash(error.message + ".", "info")
        return _to_person(person)
    db.session.commit()
    flash(f"{person.name} is back in {_agency_name(person)}.", "success")
    return _to_person(person)


# Inviting a listed person -------------------------------------------------------------


@bp.route("/people/<int:user_id>/invite", methods=["GET", "POST"])
@admins_and_leads
def person_invite(user_id: int) -> Page:
    person = _changeable(user_id)
    me = _me()
    form = InvitePersonForm()
    if not me.has_role(Role.ADMIN):
        del form.roles
    problem = None
    if accounts.has_account(person):
        problem = f"{person.name} already has an account: they can sign in."
    elif person.left_at is not None:
        problem = f"{person.name} is marked as left. Mark them as returned first."
    elif person.agency is None:
        problem = f"{person.name} has no agency, so they can't be invited from here."
    if problem is None and form.validate_on_submit():
        chosen = form.roles.data if "roles" in form else []
        try:
            invitation = accounts.create_invitation(
                me,
                name=person.name,
                email=person.email,
                agency=person.agency,  # type: ignore[arg-type]
                team=person.team,
                job_role=person.job_role,
                level=person.level,
                roles=[Role(value) for value in chosen or [] if value in set(Role)],
                now=utcnow(),
                valid_for=valid_for(),
            )
        except accounts.NotAllowed:
            abort(403)
        except (accounts.AccountExists, accounts.ListedElsewhere, accounts.PersonLeft):
            # Changed since the checks above (another request): nothing is sent.
            db.session.rollback()
            return _to_person(person)
        try:
            send_invitation_email(invitation)
        except EmailError:
            return _email_failed()
        db.session.commit()
        flash(
            f"Invitation sent to {invitation.email}. The link works until"
            f" {_date(invitation.expires_at)}.",
            "success",
        )
        return _to_person(person)
    page = render_template(
        "admin/people/invite.html",
        person=person,
        form=form,
        problem=problem,
        days=valid_for().days,
    )
    return (page, 409) if problem and form.is_submitted() else page


def _date(value: Any) -> str:
    from ..web import format_date

    return format_date(value)


def _email_failed() -> tuple[str, int]:
    db.session.rollback()
    page = render_template(
        "errors/error.html",
        title="Sorry, we could not send the email",
        message="Nothing has been saved. Try again in a few minutes.",
    )
    return page, 503


# Anonymising: administrators only -----------------------------------------------------


@bp.route("/people/<int:user_id>/anonymise", methods=["GET", "POST"])
@admin_only
def person_anonymise(user_id: int) -> Page:
    person = _person_or_404(user_id)
    form = ConfirmForm()
    problem = None
    if privacy.is_anonymised(person):
        problem = "This person has already been anonymised."
    elif person.id == current_user.id:
        problem = "You can't anonymise your own account. Ask another administrator."
    if problem is None and form.validate_on_submit():
        privacy.anonymise(person, now=utcnow(), by=_me())
        db.session.commit()
        flash(
            "The person has been anonymised. Their name and email address are gone; their"
            " results still count in every report.",
            "success",
        )
        return _to_person(person)
    page = render_template("admin/people/anonymise.html", person=person, form=form, problem=problem)
    return (page, 409) if problem else page
