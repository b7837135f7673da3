"""Sending an invitation's email: used by the invitation form and the people pages."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, url_for

from ..email import render_email, send_email
from ..models import Invitation
from . import tokens


def valid_for() -> timedelta:
    """How long an invitation's link works (INVITATION_MAX_AGE, 14 days by default)."""
    value = current_app.config.get("INVITATION_MAX_AGE", timedelta(days=14))
    days = value.days if isinstance(value, timedelta) else int(value) // 86400
    return timedelta(days=max(1, days))


def send_invitation_email(invitation: Invitation) -> None:
    """Email the invitation's link. Raises EmailError if the mail server fails: the caller
    rolls back what the email was about."""
    link = url_for(
        "auth.accept_invitation", token=tokens.invitation_token(invitation), _external=True
    )
    text = render_email("invitation", invitation=invitation, link=link)
    send_email(invitation.email, f"You are invited to {current_app.config['SERVICE_NAME']}", text)
