"""Invitations waiting to be accepted: the list, sending one again, cancelling one, and
inviting everyone of an agency who has never signed in. Administrators see every
agency's; an agency's lead sees their own agency's (filtered in the query)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from ..auth import accounts
from ..auth.invitations import send_invitation_email, valid_for
from ..email import EmailError
from ..extensions import db
from ..models import Agency, Invitation, User, utcnow
from . import bp, queries
from .forms import ConfirmForm, PeopleFilterForm
from .people import admins_and_leads, agency_scope

Page = str | Response | tuple[str, int]

#: Invitations sent by one press of "invite everyone who has never signed in": enough
#: for most agencies, few enough to send within one request. Press again for more.
BULK_BATCH = 200


def _chosen_agency() -> tuple[Agency | None, bool]:
    """The agency whose invitations to show, and whether the viewer may choose one."""
    scope = agency_scope()
    if scope is not None:
        return scope, False
    chosen = request.args.get("agency", type=int)
    return (db.session.get(Agency, chosen) if chosen else None), True


@bp.route("/people/invitations/")
@admins_and_leads
def invitations() -> str:
    agency, can_choose = _chosen_agency()
    form = PeopleFilterForm(request.args)
    form.agency.choices = [
        SelectChoice(0, "All agencies"),
        *(SelectChoice(i, name) for i, name in queries.agency_choices()),
    ]
    page = queries.open_invitations(
        agency.id if agency else None, page=request.args.get("page", 1, type=int)
    )
    emails = [invitation.email for invitation in page.items]
    people = db.session.scalars(sa.select(User).where(User.email.in_(emails))) if emails else []
    return render_template(
        "admin/people/invitations.html",
        page=page,
        agency=agency,
        can_choose=can_choose,
        form=form,
        people={person.email: person for person in people},
        now=utcnow(),
    )


def _invitation_or_404(invitation_id: int) -> Invitation:
    invitation = queries.invitation_in_scope(invitation_id, agency_scope())
    if invitation is None:
        abort(404)
    return invitation


def _back(invitation: Invitation) -> Response:
    """To the person's page when the form came from there, else to the list."""
    if request.form.get("back") == "person":
        person = accounts.user_by_email(invitation.email)
        if person is not None:
            return redirect(url_for("admin.person", user_id=person.id) + "#account")
    scope = agency_scope()
    return redirect(
        url_for("admin.invitations")
        if scope is not None
        else url_for("admin.invitations", agency=invitation.agency_id)
    )


@bp.route("/people/invitations/<int:invitation_id>/resend", methods=["POST"])
@admins_and_leads
def invitation_resend(invitation_id: int) -> Page:
    invitation = _invitation_or_404(invitation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        accounts.resend_invitation(invitation, now=utcnow(), valid_for=valid_for())
    except accounts.InvitationClosed:
        db.session.rollback()
        flash("That invitation has already been accepted or cancelled.", "info")
        return _back(invitation)
    try:
        send_invitation_email(invitation)
    except EmailError:
        db.session.rollback()
        return _email_failed()
    db.session.commit()
    flash(f"Invitation sent again to {invitation.email}.", "success")
    return _back(invitation)


@bp.route("/people/invitations/<int:invitation_id>/cancel", methods=["POST"])
@admins_and_leads
def invitation_cancel(invitation_id: int) -> Page:
    invitation = _invitation_or_404(invitation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        accounts.cancel_invitation(invitation, now=utcnow())
    except accounts.InvitationClosed:
        db.session.rollback()
        flash("That invitation has already been accepted or cancelled.", "info")
        return _back(invitation)
    db.session.commit()
    flash(
        f"Invitation to {invitation.email} cancelled. The link in their email no longer works.",
        "success",
    )
    return _back(invitation)


def _email_failed() -> tuple[str, int]:
    page = render_template(
        "errors/error.html",
        title="Sorry, we could not send the email",
        message="Nothing has been saved. Try again in a few minutes.",
    )
    return page, 503


# Everyone who has never signed in -----------------------------------------------------


@bp.route("/people/invite-everyone", methods=["GET", "POST"])
@admins_and_leads
def invite_everyone() -> Page:
    scope = agency_scope()
    agency = scope or db.session.get(Agency, request.args.get("agency", 0, type=int))
    if agency is None:
        flash("Choose an agency first, then invite its people.", "info")
        return redirect(url_for("admin.people"))
    now = utcnow()
    waiting = queries.never_signed_in(agency.id, now=now)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(waiting.subquery())) or 0
    form = ConfirmForm()
    if total and form.validate_on_submit():
        return _invite_batch(agency, now=now)
    people = db.session.scalars(waiting.limit(BULK_BATCH)).all()
    return render_template(
        "admin/people/invite_everyone.html",
        agency=agency,
        total=total,
        people=people,
        batch=BULK_BATCH,
        days=valid_for().days,
        form=form,
    )


def _invite_batch(agency: Agency, *, now) -> Page:
    """Invite up to BULK_BATCH people, each committed once their email is sent: a mail
    server failing part-way keeps the invitations already sent, and stops."""
    inviter: User = current_user._get_current_object()  # type: ignore[attr-defined]
    agency_id, agency_name = agency.id, agency.name
    ids = list(
        db.session.scalars(
            queries.never_signed_in(agency_id, now=now).with_only_columns(User.id)
        ).all()[:BULK_BATCH]
    )
    sent = 0
    failed = False
    for user_id in ids:
        person = db.session.get(User, user_id)
        agency = db.session.get(Agency, agency_id)
        if person is None or agency is None or not accounts.invitation_can_open(person):
            continue
        try:
            invitation = accounts.create_invitation(
                inviter,
                name=person.name,
                email=person.email,
                agency=agency,
                team=person.team,
                job_role=person.job_role,
                level=person.level,
                now=now,
                valid_for=valid_for(),
            )
        except (accounts.AccountExists, accounts.ListedElsewhere, accounts.PersonLeft):
            db.session.rollback()
            continue
        except accounts.NotAllowed:
            db.session.rollback()
            abort(403)
        try:
            send_invitation_email(invitation)
        except EmailError:
            db.session.rollback()
            failed = True
            break
        db.session.commit()
        sent += 1
    left = (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(
                queries.never_signed_in(agency_id, now=now).subquery()
            )
        )
        or 0
    )
    message = (
        f"{sent:,} {'invitation' if sent == 1 else 'invitations'} sent to people in {agency_name}."
    )
    if failed:
        page = render_template(
            "errors/error.html",
            title="Sorry, we could not send every email",
            message=f"{message} The mail server stopped working, so {left:,} more were not"
            " invited. Try again in a few minutes: only the people not yet invited will be.",
        )
        return page, 503
    if left:
        message += f" {left:,} more have never signed in: send the next invitations below."
        flash(message, "success")
        return redirect(url_for("admin.invite_everyone", agency=agency_id))
    flash(message, "success")
    return redirect(url_for("admin.invitations", agency=agency_id))
