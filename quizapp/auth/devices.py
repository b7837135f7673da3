"""Device cookies: a browser that has signed in to an account before is not locked out
of it by other people's wrong guesses.

Failed sign-ins are limited per account, so ten wrong passwords from anywhere would lock
anyone out, the owner included. After OWASP's "Slow Down Online Guessing Attacks with
Device Cookies":

- a successful sign-in gives the browser a device cookie, signed with SECRET_KEY
  (itsdangerous, as Flask's session is). It names the account (the user id) and a digest
  of its password hash, which set_password changes (the hash has a new random salt each
  time): a new password, a reset or anonymising ends every device cookie of the account.
  It also carries a random id of its own;
- a sign-in carrying a valid device cookie for the account whose email is typed is
  neither held nor counted by that account's limit. Its failures count against the
  cookie's own limit instead, so a stolen laptop can't guess on regardless;
- every other sign-in (no cookie, a forged or expired one, one for another account)
  gets the account's limit as before. The per-address limit applies to everyone.

The cookie is HttpOnly, SameSite=Lax, Secure when the session cookie is (production),
sent only to the sign-in page, and lasts DEVICE_COOKIE_MAX_AGE (a year).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from flask import current_app, g, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from ..extensions import db
from ..models import User, normalise_email

COOKIE_NAME = "device"
SALT = "quizapp.auth.device-cookie"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _max_age() -> int:
    value = current_app.config.get("DEVICE_COOKIE_MAX_AGE", timedelta(days=365))
    return int(value.total_seconds() if isinstance(value, timedelta) else value)


def _password_digest(user: User) -> str | None:
    if user.password_hash is None:
        return None
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:32]


def remember(response: Response, user: User) -> None:
    """Give the browser a new device cookie for `user` (just signed in with a password)."""
    value = _serializer().dumps(
        {"user": user.id, "password": _password_digest(user), "device": secrets.token_urlsafe(16)}
    )
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=_max_age(),
        path=url_for("auth.sign_in"),
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )


def _device_for(email: str) -> str | None:
    value = request.cookies.get(COOKIE_NAME)
    if not value:
        return None
    try:
        data: Any = _serializer().loads(value, max_age=_max_age())
    except BadSignature:  # SignatureExpired included
        return None
    if not isinstance(data, dict):
        return None
    user_id, device = data.get("user"), data.get("device")
    if not isinstance(user_id, int) or not isinstance(device, str) or not device:
        return None
    user = db.session.get(User, user_id)
    if (
        user is None
        or not user.is_active
        or user.email != normalise_email(email)
        or _password_digest(user) is None
        or data.get("password") != _password_digest(user)
    ):
        return None
    return device


def trusted_device() -> str | None:
    """The id of this request's device cookie when it is valid for the account whose
    email was typed into the sign-in form, else None. Worked out once per request."""
    if "trusted_device" not in g:
        email = request.form.get("email", "") if request.method == "POST" else ""
        g.trusted_device = _device_for(email) if email and isinstance(email, str) else None
    return g.trusted_device


def is_trusted() -> bool:
    return trusted_device() is not None
