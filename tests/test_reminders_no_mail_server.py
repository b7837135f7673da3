"""In production, a reminder that no mail server sent is not recorded as sent: without
MAIL_SERVER nothing reaches anyone, so the run must fail and leave the reminders for a
run that can send them (elsewhere, emails are logged instead, for development)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from quizapp.extensions import db
from quizapp.models import ReminderSend

from .test_reminders_send import T0, build_world, run


def _recorded() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ReminderSend))


def test_in_production_without_a_mail_server_nothing_is_marked_sent(app):
    build_world()
    app.config.update(ENV_NAME="production", MAIL_SERVER=None)
    result = run(app, T0 + timedelta(days=31))
    assert result.exit_code == 1, result.output
    assert _recorded() == 0


def test_in_development_without_a_mail_server_emails_are_logged_and_marked(app):
    build_world()
    app.config.update(ENV_NAME="development", MAIL_SERVER=None)
    result = run(app, T0 + timedelta(days=31))
    assert result.exit_code == 0, result.output
    assert _recorded() > 0
