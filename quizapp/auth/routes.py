import math
import time
from contextlib import suppress
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user, logout_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from ..access import public, roles_required
from ..email import EmailError, render_email, send_email
from ..extensions import db, limiter, login_manager
from ..models import Agency, Role, Team, User, normalise_email, utcnow
from ..models.user import new_session_token
from ..sso import accounts as sso_accounts
from ..sso import providers as sso_providers
from ..web import home_url, start_session
from ..web import safe_next as _safe_next
from . import accounts, bp, devices, tokens
from .forms import (
    AcceptInvitationForm,
    ConfirmEmailForm,
    InvitationForm,
    NewPasswordForm,
    PasswordResetRequestForm,
    RegisterForm,
    SignInForm,
)
from .invitations import send_invitation_email
from .operations import authenticate

Page = Response | str | tuple[str, int]


#: Built once: on every signed-in request, building the statement cost about as much as
#: running it.
_USER_BY_SESSION_TOKEN = (
    sa.select(User)
    .where(User.session_token == sa.bindparam("session_token"))
    .options(joinedload(User.role_rows))
)


@login_manager.user_loader
def load_user(session_token: str):
    """Once per request: the person and their roles in one query (every view checks roles).
    Read afresh each time, so a changed session token (signing out everywhere, a new
    password) or a removed role takes effect on the next request."""
    return db.session.scalar(_USER_BY_SESSION_TOKEN, {"session_token": session_token})


def _form_page(template: str, form, **context) -> Page:
    """The form again, with a 422 when it has errors (the error summary shows them)."""
    page = render_template(template, form=form, **context)
    return (page, 422) if form.errors else page


def _email_failed() -> tuple[str, int]:
    db.session.rollback()
    page = render_template(
        "errors/error.html",
        title="Sorry, we could not send the email",
        message="Nothing has been saved. Try again in a few minutes.",
    )
    return page, 503


def _link_problem(kind: str, error: tokens.BadLink) -> tuple[str, int]:
    """Expired, used or tampered links: one page, and a way forward for each kind."""
    status = 400 if str(error) == "bad signature" else 410
    page = render_template(
        "auth/link_problem.html",
        kind=kind,
        confirm_days=_confirm_days(),
        invitation_days=_invitation_days(),
    )
    return page, status


def _max_age(setting: str, default: timedelta) -> timedelta:
    value = current_app.config.get(setting, default)
    return value if isinstance(value, timedelta) else timedelta(seconds=int(value))


def _reset_hours() -> int:
    return max(1, int(_max_age("PASSWORD_RESET_MAX_AGE", timedelta(hours=1)) / timedelta(hours=1)))


def _invitation_days() -> int:
    return max(1, _max_age("INVITATION_MAX_AGE", timedelta(days=14)).days)


def _confirm_days() -> int:
    return max(1, _max_age("EMAIL_CONFIRMATION_MAX_AGE", timedelta(days=7)).days)


# Rate limits ---------------------------------------------------------------------------
# Counted per client address and per email address typed, in the window the setting
# names. Sign-in counts failures only (a 422 answer); registering and password resets
# count the emails they send (a redirect to "check your email"). A browser with a device
# cookie for the account typed (devices.py) has its own sign-in limit instead of the
# account's, so that other people's guesses can't lock the owner out.


def _setting(name: str):
    return lambda: current_app.config[name]


def _email_typed() -> str:
    email = request.form.get("email", "")
    return "email:" + normalise_email(email if isinstance(email, str) else "")[:320]


def _failed(response: Response) -> bool:
    return response.status_code == 422


def _sent(response: Response) -> bool:
    return response.status_code == 302


def _device() -> str:
    return "device:" + (devices.trusted_device() or "")


def _untrusted() -> bool:
    return not devices.is_trusted()


def _limits(per_address: str, per_email: str, deduct_when, *, devices_apart: bool = False):
    def decorate(view):
        if devices_apart:
            view = limiter.limit(
                _setting("SIGN_IN_LIMIT_PER_DEVICE"),
                key_func=_device,
                methods=["POST"],
                deduct_when=deduct_when,
                exempt_when=_untrusted,
            )(view)
        view = limiter.limit(
            _setting(per_email),
            key_func=_email_typed,
            methods=["POST"],
            deduct_when=deduct_when,
            exempt_when=devices.is_trusted if devices_apart else None,
        )(view)
        return limiter.limit(
            _setting(per_address),
            key_func=get_remote_address,
            methods=["POST"],
            deduct_when=deduct_when,
        )(view)

    return decorate


sign_in_limits = _limits(
    "SIGN_IN_LIMIT_PER_ADDRESS", "SIGN_IN_LIMIT_PER_ACCOUNT", _failed, devices_apart=True
)
email_limits = _limits("EMAIL_LIMIT_PER_ADDRESS", "EMAIL_LIMIT_PER_EMAIL", _sent)


@bp.app_errorhandler(RateLimitExceeded)
def too_many_tries(error: RateLimitExceeded) -> Response:
    """429 saying when to try again (the same words whether the email has an account)."""
    window = error.limit.limit.get_expiry()
    reset_at = time.time() + window
    current = limiter.current_limit
    if current is not None and current.breached:
        reset_at = current.reset_at
    seconds = min(window, max(1, math.ceil(reset_at - time.time())))
    minutes = math.ceil(seconds / 60)
    when = datetime.fromtimestamp(reset_at, UTC)
    page = render_template(
        "errors/error.html",
        title="Too many tries",
        message=(
            f"You have tried this too many times. Try again in {minutes}"
            f" minute{'s' if minutes != 1 else ''}, after {_clock_time(when)}."
        ),
    )
    response = current_app.make_response((page, 429))
    response.headers["Retry-After"] = str(seconds)
    return response


def _clock_time(moment: datetime) -> str:
    """3:05pm, UK time."""
    from ..web import LONDON

    local = moment.astimezone(LONDON)
    return f"{local:%-I:%M}{local:%p}".lower()


# Signing in and out -------------------------------------------------------------------


@bp.route("/")
@public
def index() -> Response:
    """Each person's home (quizapp.web.HOMES), or signing in."""
    return redirect(home_url())


@bp.route("/sign-in", methods=["GET", "POST"])
@sign_in_limits
@public
def sign_in() -> Page:
    if current_user.is_authenticated:
        return redirect(home_url())
    form = SignInForm()
    if form.validate_on_submit():
        email = form.email.data or ""
        # The address's agency first (it says nothing about whether the account exists),
        # then, for someone who knows the password, their own agency.
        refusal = sso_accounts.password_refusal(
            current_app.config, accounts.agency_for_email(email)
        )
        user = None if refusal else authenticate(email, form.password.data or "")
        if user is not None:
            refusal = sso_accounts.password_refusal(current_app.config, user.agency)
        if refusal:
            form.email.errors = [refusal]
        elif user is not None and accounts.awaiting_confirmation(user):
            # Said only to someone who knows the password, so it reveals nothing more.
            form.email.errors = [
                f"Confirm your email address first: we sent a link to {user.email}"
            ]
        elif user is not None:
            start_session(user)
            response = redirect(_safe_next(request.args.get("next")) or home_url())
            devices.remember(response, user)
            return response
        else:
            form.email.errors = ["Enter a correct email address and password"]
    return _form_page(
        "auth/sign_in.html",
        form,
        sso_providers=sso_providers.all_providers(current_app.config),
        next_path=_safe_next(request.args.get("next")),
    )


@bp.route("/sign-out", methods=["POST"])
@roles_required()
def sign_out() -> Response:
    # A new session token: the cookie just used (or a copy of it) no longer signs anyone
    # in. Cookies are signed, not stored, so this is what ends them (on every device).
    current_user.session_token = new_session_token()
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))


# Registering --------------------------------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
@email_limits
@public
def register() -> Page:
    if current_user.is_authenticated:
        return redirect(home_url())
    form = RegisterForm()
    if form.validate_on_submit():
        email = form.email.data or ""
        agency = accounts.agency_for_email(email)
        refusal = sso_accounts.password_refusal(current_app.config, agency)
        if refusal:
            form.email.errors = [refusal]
        elif agency is None:
            form.email.errors = [
                "This email address is not from a partnership agency. Use your work email"
                " address, or ask your safeguarding lead to invite you"
            ]
        else:
            outcome = accounts.register(
                name=form.name.data or "",
                email=email,
                password=form.password.data or "",
                agency=agency,
            )
            try:
                _send_registration_email(outcome)
            except EmailError:
                return _email_failed()
            db.session.commit()
            session["email_sent_to"] = outcome.user.email
            return redirect(url_for("auth.registration_sent"))
    return _form_page("auth/register.html", form)


def _send_registration_email(outcome: accounts.Registration) -> None:
    """A confirmation link for a new account. For an address that already has one (left
    unchanged), a note saying so with a single-use link to choose a password, as a
    password reset sends; nothing for an account that can't be used. The page shown is
    the same in every case, so the form does not reveal who has an account."""
    user = outcome.user
    if outcome.created:
        link = url_for("auth.confirm_email", token=tokens.confirmation_token(user), _external=True)
        text = render_email("confirm_email", user=user, link=link, days=_confirm_days())
        send_email(user.email, "Confirm your email address", text)
        return
    if not user.is_active:
        return
    link = url_for(
        "auth.choose_new_password", token=tokens.password_reset_token(user), _external=True
    )
    # Someone a people upload added, registering for the first time: a welcome.
    uploaded = user.password_hash is None
    text = render_email(
        "account_exists",
        user=user,
        link=link,
        hours=_reset_hours(),
        uploaded=uploaded,
        ready=not uploaded and not accounts.awaiting_confirmation(user),
        sign_in=url_for("auth.sign_in", _external=True),
    )
    subject = "Choose your password" if uploaded else "You already have an account"
    send_email(user.email, subject, text)


@bp.route("/register/check-your-email")
@public
def registration_sent() -> str:
    return render_template("auth/registration_sent.html", email=session.get("email_sent_to"))


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
@public
def confirm_email(token: str) -> Page:
    """A button rather than confirming on GET: mail scanners open links in emails, and a
    one-time link must not be used up (or sign a scanner in) that way."""
    try:
        user = tokens.user_to_confirm(token)
    except tokens.BadLink as error:
        return _link_problem("confirm", error)
    form = ConfirmEmailForm()
    if form.validate_on_submit():
        accounts.confirm_email(user, now=utcnow())
        db.session.commit()
        start_session(user)
        flash("Your email address is confirmed and your account is ready.", "success")
        return redirect(home_url())
    return _form_page("auth/confirm_email.html", form, user=user)


# Password reset -----------------------------------------------------------------------


@bp.route("/password-reset", methods=["GET", "POST"])
@email_limits
@public
def password_reset() -> Page:
    form = PasswordResetRequestForm()
    refusal = None
    if form.validate_on_submit():
        refusal = sso_accounts.password_refusal(
            current_app.config, accounts.agency_for_email(form.email.data or ""), reset=True
        )
    if refusal:
        form.email.errors = [refusal]
    elif form.is_submitted() and not form.errors:
        user = accounts.user_by_email(form.email.data or "")
        # Someone whose agency requires single sign-on has no password to reset: the page
        # is the same as for any address, but no email goes.
        if (
            user is not None
            and user.is_active
            and not sso_accounts.password_refusal(current_app.config, user.agency)
        ):
            link = url_for(
                "auth.choose_new_password",
                token=tokens.password_reset_token(user),
                _external=True,
            )
            text = render_email(
                "password_reset",
                user=user,
                link=link,
                hours=_reset_hours(),
            )
            # Someone a people upload added has no password yet: a welcome, not a reset.
            subject = "Choose a password" if user.password_hash is None else "Reset your password"
            # Logged by send_email; the page must not differ for addresses with an account.
            with suppress(EmailError):
                send_email(user.email, subject, text)
        session["email_sent_to"] = (form.email.data or "").strip()
        return redirect(url_for("auth.password_reset_sent"))
    return _form_page("auth/password_reset.html", form)


@bp.route("/password-reset/check-your-email")
@public
def password_reset_sent() -> str:
    return render_template(
        "auth/password_reset_sent.html", email=session.get("email_sent_to"), hours=_reset_hours()
    )


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
@public
def choose_new_password(token: str) -> Page:
    try:
        user = tokens.user_to_reset(token)
    except tokens.BadLink as error:
        return _link_problem("reset", error)
    form = NewPasswordForm()
    if form.validate_on_submit():
        accounts.reset_password(user, form.password.data or "", now=utcnow())
        db.session.commit()
        logout_user()
        session.clear()
        flash("Your password has been changed. Sign in with your new password.", "success")
        return redirect(url_for("auth.sign_in"))
    return _form_page("auth/choose_new_password.html", form, user=user)


# Invitations --------------------------------------------------------------------------


@bp.route("/invitations/new", methods=["GET", "POST"])
@roles_required(Role.LEAD, Role.ADMIN)
def new_invitation() -> Page:
    inviter: User = current_user._get_current_object()  # type: ignore[attr-defined]
    is_admin = inviter.has_role(Role.ADMIN)
    agencies = accounts.agencies_open_to(inviter)
    form = InvitationForm()
    own_agency_only = not (is_admin or inviter.is_partnership_lead)
    form.agency.choices = [] if own_agency_only else [SelectChoice("", "Select an agency")]
    form.agency.choices += [SelectChoice(agency.id, agency.name) for agency in agencies]
    teams = db.session.scalars(
        sa.select(Team)
        .join(Agency)
        .where(Team.agency_id.in_([agency.id for agency in agencies]))
        .order_by(Agency.name, Team.name)
    ).all()
    form.team.choices = [SelectChoice("", "No team")] + [
        SelectChoice(team.id, f"{team.agency.name}: {team.name}") for team in teams
    ]
    if not is_admin:
        del form.roles
    if form.validate_on_submit():
        agency = db.session.get(Agency, form.agency.data) if form.agency.data else None
        team = db.session.get(Team, form.team.data) if form.team.data else None
        if agency is None:
            form.agency.errors = ["Select their agency"]
        elif not accounts.may_invite_into(inviter, agency):
            abort(403)
        elif form.team.data and (team is None or team.agency_id != agency.id):
            form.team.errors = ["Select a team in the agency you chose, or No team"]
        else:
            try:
                invitation = accounts.create_invitation(
                    inviter,
                    name=form.name.data or "",
                    email=form.email.data or "",
                    agency=agency,
                    team=team,
                    job_role=form.job_role.data or "",
                    level=form.level.data or None,
                    roles=[Role(r) for r in form.roles.data or []] if is_admin else (),
                    now=utcnow(),
                    valid_for=timedelta(days=_invitation_days()),
                )
            except accounts.AccountExists:
                form.email.errors = [
                    "There is already an account for this email address. They can sign in,"
                    " or reset their password if they have forgotten it"
                ]
            except accounts.ListedElsewhere as listed:
                form.email.errors = [_listed_elsewhere(inviter, listed.person)]
            except accounts.PersonLeft:
                form.email.errors = [
                    "This person is marked as having left. Mark them as returned on their"
                    " page first, then invite them"
                ]
            except accounts.NotAllowed:
                abort(403)
            else:
                try:
                    send_invitation_email(invitation)
                except EmailError:
                    return _email_failed()
                listed = accounts.user_by_email(invitation.email) is not None
                db.session.commit()
                days = (invitation.expires_at - invitation.created_at).days
                flash(
                    f"Invitation sent to {invitation.email}. The link works for {days} days."
                    + (
                        f" They were already listed in {agency.name}: the invitation opens"
                        " their record, and its details stay as they are."
                        if listed
                        else ""
                    ),
                    "success",
                )
                return redirect(url_for("auth.new_invitation"))
    return _form_page(
        "auth/new_invitation.html",
        form,
        own_agency_only=own_agency_only,
        invitation_days=_invitation_days(),
    )


def _listed_elsewhere(inviter: User, person: User) -> str:
    """Only administrators are told where the person is listed (leads see their own
    agency's people only)."""
    if inviter.has_role(Role.ADMIN) and person.agency is not None:
        return (
            f"{person.name} is already listed in {person.agency.name}. Choose"
            f" {person.agency.name}, or move them to this agency on their page first"
        )
    return "This email address can't be invited into this agency; ask an administrator"


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str) -> Page:
    now = utcnow()
    try:
        invitation = tokens.invitation_to_accept(token, now=now)
    except tokens.BadLink as error:
        return _link_problem("invitation", error)
    if not accounts.may_accept(invitation):
        return _account_exists(invitation.email)
    refusal = sso_accounts.password_refusal(current_app.config, invitation.agency)
    if refusal:
        # No password to choose: single sign-on makes or opens the account on first use.
        page = render_template(
            "errors/error.html",
            title="Sign in with single sign-on",
            message=refusal + ".",
            link=url_for("auth.sign_in"),
            link_text="Go to the sign-in page",
        )
        return page, 409
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            user = accounts.accept_invitation(
                invitation, password=form.password.data or "", now=now
            )
            db.session.commit()
        except (accounts.AccountExists, IntegrityError):
            db.session.rollback()
            return _account_exists(invitation.email)
        start_session(user)
        flash("Your account is ready.", "success")
        return redirect(home_url())
    return _form_page("auth/accept_invitation.html", form, invitation=invitation)


def _account_exists(email: str) -> tuple[str, int]:
    return render_template("auth/link_problem.html", kind="account-exists", email=email), 409
