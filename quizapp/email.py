"""Sending email: SMTP when MAIL_SERVER is set, otherwise the log (development and demo).

Bodies are plain text from templates/email/*.txt; links in them are absolute.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import current_app, render_template

from .models import utcnow

LOGGER_NAME = "quizapp.email"


def _logger() -> logging.Logger:
    """A child of the app's logger ("quizapp"), at INFO so that, without a mail server,
    links reach the console of a demo although the root logger shows warnings only.

    Alembic's migrations/env.py calls logging.config.fileConfig, which disables every
    logger that exists at that moment (this one included) whenever migrations run in the
    same process, as `quizapp demo` does; this logger carries the demo's links, so it is
    switched back on.
    """
    logger = logging.getLogger(LOGGER_NAME)
    logger.disabled = False
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    return logger


class EmailError(Exception):
    """The mail server could not be reached or refused the message."""


def render_email(template: str, **context: object) -> str:
    return render_template(f"email/{template}.txt", **context).strip() + "\n"


def send_email(to: str, subject: str, text: str) -> None:
    """Send a plain-text email, or log it when no mail server is configured.

    Raises EmailError when the server fails, so that the caller can roll back whatever
    the email was about.
    """
    config = current_app.config
    sender = config.get("MAIL_FROM") or "quizapp@localhost"
    server = config.get("MAIL_SERVER")
    logger = _logger()
    if not server:
        if config.get("ENV_NAME") == "production":
            # Links in account emails work like passwords: keep them out of production logs.
            logger.warning("MAIL_SERVER is not set: email %r to %s was not sent", subject, to)
            return
        logger.info(
            "Email (MAIL_SERVER is not set, so not sent)\nFrom: %s\nTo: %s\nSubject: %s\n\n%s",
            sender,
            to,
            subject,
            text,
        )
        return

    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(text)
    try:
        with smtplib.SMTP(
            server, int(config.get("MAIL_PORT") or 25), timeout=config.get("MAIL_TIMEOUT", 10)
        ) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        current_app.logger.exception("could not send email %r to %s", subject, to)
        raise EmailError(str(error)) from error
    logger.info("Sent email %r to %s", subject, to)
