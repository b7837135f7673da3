"""Email in tests: a real SMTP server (aiosmtpd on 127.0.0.1) keeping what the app sends.
The `mailbox` fixture (tests/conftest.py) points the app at one."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from flask import Flask

LINK = re.compile(r"http://quizapp\.test(/\S+)")


class Mailbox:
    """An aiosmtpd handler keeping every message it is sent."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def only(self) -> EmailMessage:
        assert len(self.messages) == 1, [m["Subject"] for m in self.messages]
        return self.messages[0]

    def link(self, message: EmailMessage | None = None) -> str:
        """The path of the single link in a message that leads back into the service
        other than the sign-in page."""
        body = (message or self.only()).get_content()
        paths = [path for path in LINK.findall(body) if path != "/sign-in"]
        assert len(paths) == 1, body
        return paths[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(app: Flask) -> Iterator[Mailbox]:
    handler = Mailbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_FROM="checks@partnership.test"
    )
    try:
        yield handler
    finally:
        controller.stop()
