"""Signing in, kept apart from the routes so the CLI and tests can use it."""

from __future__ import annotations

import secrets
from functools import lru_cache

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import User, normalise_email


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Checked when the email is unknown, so both kinds of failure take as long."""
    return generate_password_hash(secrets.token_hex(16), method="scrypt")


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (the same for either mistake)."""
    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user
