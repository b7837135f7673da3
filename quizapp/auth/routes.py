from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from ..access import public, roles_required
from ..extensions import login_manager
from . import bp
from .forms import SignInForm
from .operations import authenticate


@login_manager.user_loader
def load_user(session_token: str):
    import sqlalchemy as sa

    from ..extensions import db
    from ..models import User

    return db.session.scalar(sa.select(User).where(User.session_token == session_token))


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths, so a link can't send someone elsewhere after signing in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/")
@public
def index() -> Response:
    if current_user.is_authenticated:
        return redirect(url_for("take.your_checks"))
    return redirect(url_for("auth.sign_in"))


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in() -> Response | str | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("take.your_checks"))
    form = SignInForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            session.clear()  # a new session at sign-in
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("take.your_checks"))
        form.email.errors = ["Enter a correct email address and password"]
    if form.errors:
        return render_template("auth/sign_in.html", form=form), 422
    return render_template("auth/sign_in.html", form=form)


@bp.route("/sign-out", methods=["POST"])
@roles_required()
def sign_out() -> Response:
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))
