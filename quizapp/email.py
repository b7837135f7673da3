"""Sending email: SMTP when MAIL_SERVER is set, otherwise the log (development and demo).

Bodies are plain text from templates/email/*.txt; links in them are absolute.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.charset import QP, Charset
from email.header import Header
from email.message import EmailMessage
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import format_datetime, make_msgid

from flask import current_app, render_template

from .models import utcnow

LOGGER_NAME = "quizapp.email"

#: UTF-8 bodies as quoted-printable: plain text stays readable in the raw message.
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP


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
    if not logger.hasHandlers():
        # A command such as `flask reminders send` configures no logging: Python's
        # last-resort handler shows warnings only, so the emails (recorded as sent) would
        # be lost silently. Flask's app logger adds its stderr handler when first used.
        current_app.logger  # noqa: B018
    return logger


class EmailError(Exception):
    """The mail server could not be reached or refused the message."""


def render_email(template: str, **context: object) -> str:
    return render_template(f"email/{template}.txt", **context).strip() + "\n"


def _log_unsent(sender: str, to: str, subject: str, text: str) -> None:
    """Without a mail server: log the email (not in production, where links are secrets)."""
    logger = _logger()
    if current_app.config.get("ENV_NAME") == "production":
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


def _message(sender: str, to: str, subject: str, text: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(text)
    return message


def _quick_message(sender: str, to: str, subject: str, text: str) -> str:
    """The same email as _message, built with the email package's older API: its header
    handling is several times quicker, which counts when a run sends thousands."""
    message = MIMENonMultipart("text", "plain")
    message.set_payload(text, _UTF8_QP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = Header(subject, "utf-8").encode() if not subject.isascii() else subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    return message.as_string()  # str: smtplib turns its line ends into CRLF


def _connect() -> smtplib.SMTP:
    """An open connection to MAIL_SERVER, TLS and login done as configured."""
    config = current_app.config
    smtp = smtplib.SMTP(
        config["MAIL_SERVER"],
        int(config.get("MAIL_PORT") or 25),
        timeout=config.get("MAIL_TIMEOUT", 10),
    )
    try:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def send_email(to: str, subject: str, text: str) -> None:
    """Send a plain-text email, or log it when no mail server is configured.

    Raises EmailError when the server fails, so that the caller can roll back whatever
    the email was about.
    """
    config = current_app.config
    sender = config.get("MAIL_FROM") or "quizapp@localhost"
    server = config.get("MAIL_SERVER")
    if not server:
        _log_unsent(sender, to, subject, text)
        return

    message = _message(sender, to, subject, text)
    try:
        with _connect() as smtp:
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        current_app.logger.exception("could not send email %r to %s", subject, to)
        raise EmailError(str(error)) from error
    _logger().info("Sent email %r to %s", subject, to)


class MailServerDown(EmailError):
    """The mail server could not be reached at all: sending more now is pointless."""


class Mailer:
    """Sends many emails over one SMTP connection, opened at the first email and closed
    at the end of the `with` block (`with Mailer() as mailer: mailer.send(...)`).

    A refused message raises EmailError and the connection stays open for the next; a
    broken connection is dropped, so the next message opens a fresh one; a server that
    cannot be reached raises MailServerDown.
    Without MAIL_SERVER, emails are logged as send_email does, except in production,
    where that raises MailServerDown (a caller that records what it sent must not record
    an email nobody received).
    """

    def __init__(self) -> None:
        self._smtp: smtplib.SMTP | None = None
        #: Connections opened: one for a whole run unless the server failed.
        self.connections = 0

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def send(self, to: str, subject: str, text: str) -> None:
        config = current_app.config
        sender = config.get("MAIL_FROM") or "quizapp@localhost"
        if not config.get("MAIL_SERVER"):
            if config.get("ENV_NAME") == "production":
                # Nothing would reach anyone: the caller must not count it as sent.
                _logger().warning("MAIL_SERVER is not set: email %r to %s not sent", subject, to)
                raise MailServerDown("MAIL_SERVER is not set")
            _log_unsent(sender, to, subject, text)
            return
        if self._smtp is None:
            try:
                self._smtp = _connect()
            except (smtplib.SMTPException, OSError) as error:
                current_app.logger.exception("could not connect to the mail server")
                raise MailServerDown(str(error)) from error
            self.connections += 1
        try:
            self._smtp.sendmail(sender, [to], _quick_message(sender, to, subject, text))
        except (smtplib.SMTPException, OSError) as error:
            current_app.logger.exception("could not send email %r to %s", subject, to)
            if not isinstance(
                error, (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException)
            ):
                # The connection itself failed; a refusal leaves it usable (smtplib resets).
                smtp, self._smtp = self._smtp, None
                smtp.close()
            raise EmailError(str(error)) from error
        _logger().info("Sent email %r to %s", subject, to)
