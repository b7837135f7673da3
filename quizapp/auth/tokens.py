"""Signed links sent by email: confirming an address, resetting a password, an invitation.

Each purpose has its own salt, so a token for one can't be used for another, and each
binds something that changes once the link has been used, so every link works once:

- confirmation: the user id, email and session token, refused once the email is confirmed
  (or once a password is set through a reset link, which rotates the session token);
- password reset: the user id and a digest of the session token, which set_password
  rotates;
- invitation: the invitation id and email, refused once accepted or cancelled, or after
  expires_at.

The session token travels only as a digest: the token's payload is signed, not secret.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..extensions import db
from ..models import Invitation, User

CONFIRM_EMAIL = "quizapp.auth.confirm-email"
PASSWORD_RESET = "quizapp.auth.password-reset"
INVITATION = "quizapp.auth.invitation"


class BadLink(Exception):
    """The link has expired, has already been used, or was never ours."""


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _seconds(setting: str, default: timedelta) -> int:
    value = current_app.config.get(setting, default)
    return int(value.total_seconds() if isinstance(value, timedelta) else value)


def _load(salt: str, token: str, max_age: int | None) -> dict[str, Any]:
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise BadLink("expired") from error
    except BadSignature as error:
        raise BadLink("bad signature") from error
    if not isinstance(data, dict):
        raise BadLink("unexpected payload")
    return data


def _digest(session_token: str) -> str:
    return hashlib.sha256(session_token.encode()).hexdigest()[:32]


def _user(data: dict[str, Any]) -> User:
    user_id = data.get("user")
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_active:
        raise BadLink("no such active user")
    return user


def confirmation_token(user: User) -> str:
    return _serializer(CONFIRM_EMAIL).dumps(
        {"user": user.id, "email": user.email, "session": _digest(user.session_token)}
    )


def user_to_confirm(token: str) -> User:
    data = _load(CONFIRM_EMAIL, token, _seconds("EMAIL_CONFIRMATION_MAX_AGE", timedelta(days=7)))
    user = _user(data)
    if (
        data.get("email") != user.email
        or data.get("session") != _digest(user.session_token)
        or user.email_confirmed_at is not None
    ):
        raise BadLink("used or superseded")
    return user


def password_reset_token(user: User) -> str:
    return _serializer(PASSWORD_RESET).dumps(
        {"user": user.id, "session": _digest(user.session_token)}
    )


def user_to_reset(token: str) -> User:
    data = _load(PASSWORD_RESET, token, _seconds("PASSWORD_RESET_MAX_AGE", timedelta(hours=1)))
    user = _user(data)
    if data.get("session") != _digest(user.session_token):
        raise BadLink("used")
    return user


def invitation_token(invitation: Invitation) -> str:
    return _serializer(INVITATION).dumps({"invitation": invitation.id, "email": invitation.email})


def invitation_to_accept(token: str, *, now: datetime) -> Invitation:
    # expires_at decides; the signature's own age is only a backstop.
    data = _load(INVITATION, token, _seconds("INVITATION_MAX_AGE", timedelta(days=14)) + 86400)
    invitation_id = data.get("invitation")
    invitation = (
        db.session.get(Invitation, invitation_id) if isinstance(invitation_id, int) else None
    )
    if (
        invitation is None
        or data.get("email") != invitation.email
        or invitation.accepted_at is not None
        or invitation.cancelled_at is not None
        or invitation.expires_at <= now
    ):
        raise BadLink("used, expired or withdrawn")
    return invitation
