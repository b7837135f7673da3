"""Signing in through an agency's identity provider.

/sign-in/sso/<slug> sends the person to the provider (a link on the sign-in page: a
form's redirect to another site would break the page's form-action policy); the provider
sends them back to /sign-in/sso/<slug>/callback with a code, which we exchange (server to
server) for an ID token. The state, nonce and PKCE code verifier wait in this browser's
session meanwhile; the callback takes them out first, so a state works once. Every
refusal is one page with a 400 (the protocol failed) or 403 (this person can't sign in
this way), and nothing is written.
"""

from __future__ import annotations

import secrets
import time

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..access import public
from ..extensions import db
from ..models import utcnow
from ..web import home_url, safe_next, start_session
from . import accounts, bp, oidc, providers
from .oidc import SignInRefused

#: Where the session keeps a sign-in in progress.
PENDING = "sso_pending"
#: Seconds a person has to sign in at the provider and come back.
PENDING_MAX_AGE = 600

Page = Response | tuple[str, int]


def _refusal(error: SignInRefused) -> tuple[str, int]:
    db.session.rollback()
    page = render_template(
        "errors/error.html",
        title=error.title,
        message=error.message,
        link=url_for("auth.sign_in"),
        link_text="Go to the sign-in page",
    )
    return page, error.status


def _provider(slug: str) -> providers.Provider:
    return providers.provider_by_slug(current_app.config, slug) or abort(404)


def _callback_url(slug: str) -> str:
    return url_for("sso.callback", slug=slug, _external=True)


def _timeout() -> float:
    return float(current_app.config.get("SSO_HTTP_TIMEOUT", 10))


@bp.route("/sign-in/sso/<slug>", methods=["GET", "POST"])
@public
def start(slug: str) -> Page:
    provider = _provider(slug)
    if current_user.is_authenticated:
        return redirect(home_url())
    try:
        metadata = oidc.discover(provider, timeout=_timeout())
    except SignInRefused as error:
        return _refusal(error)
    url, pending = oidc.authorization_request(provider, metadata, _callback_url(slug))
    session[PENDING] = {
        "slug": slug,
        "state": pending.state,
        "nonce": pending.nonce,
        "code_verifier": pending.code_verifier,
        "started": time.time(),
        "next": safe_next(request.values.get("next")),
    }
    return redirect(url)


def _pending_for(slug: str) -> dict | None:
    """The sign-in this browser started with this provider, taken out of the session (a
    state works once), if the callback's state is its state and it is recent."""
    pending = session.pop(PENDING, None)
    state = request.args.get("state", "")
    if not isinstance(pending, dict) or pending.get("slug") != slug:
        return None
    if not secrets.compare_digest(str(pending.get("state", "")), state):
        return None
    if time.time() - float(pending.get("started", 0)) > PENDING_MAX_AGE:
        return None
    return pending


@bp.route("/sign-in/sso/<slug>/callback")
@public
def callback(slug: str) -> Page:
    provider = _provider(slug)
    pending = _pending_for(slug)
    if pending is None:
        return _refusal(
            SignInRefused(
                400,
                "Sorry, we could not sign you in",
                "This sign-in has already been used, has expired, or was started in another"
                " browser. Start again from the sign-in page.",
            )
        )
    code = request.args.get("code", "")
    if request.args.get("error") or not code:
        return _refusal(
            SignInRefused(
                400,
                "Sorry, we could not sign you in",
                f"{provider.name} did not sign you in. Start again from the sign-in page.",
            )
        )
    redirect_uri = _callback_url(slug)
    try:
        metadata = oidc.discover(provider, timeout=_timeout())
        id_token = oidc.exchange_code(
            provider,
            metadata,
            code=code,
            pending=oidc.Pending(
                state=pending["state"],
                nonce=pending["nonce"],
                code_verifier=pending["code_verifier"],
            ),
            redirect_uri=redirect_uri,
            timeout=_timeout(),
        )
        claims = oidc.check_id_token(
            id_token, provider, metadata, nonce=pending["nonce"], timeout=_timeout()
        )
        outcome = accounts.sign_in(
            provider,
            claims,
            providers=providers.all_providers(current_app.config),
            now=utcnow(),
        )
    except SignInRefused as error:
        return _refusal(error)
    db.session.commit()
    start_session(outcome.user)
    return redirect(pending.get("next") or home_url())
