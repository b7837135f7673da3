"""A real quizapp server on a free port, with its own demo database.

Used by the browser tests (tests/browser/conftest.py) and by scripts/screenshots.py;
`another_server` serves the same database with some settings changed (a short idle limit).
The server runs in a subprocess exactly as a person would run it (`flask run`, demo
mode), so the browser sees real HTTP, real sessions and real CSRF protection.

The database is a temporary SQLite file, or, when TEST_DATABASE_URL names a PostgreSQL
database, a new database on the same server, created here and dropped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("QUIZAPP_CHROMIUM", "/usr/bin/chromium"))
#: Flags that work on a machine with no network but the package registries.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "demo-password-2026"


class Mailbox:
    """An SMTP server's handler (aiosmtpd) keeping every message the app sends."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@dataclass
class Server:
    url: str
    database_url: str
    log_path: Path
    mailbox: Mailbox
    #: The server's environment (for another_server).
    environment: dict[str, str]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def emailed_links(self, to: str) -> list[str]:
        """Links in the emails sent to `to`, oldest first."""
        links = []
        for message in list(self.mailbox.messages):
            if message["To"] == to:
                links += re.findall(r"https?://\S+", message.get_content())
        return links


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def _database(folder: Path) -> Iterator[str]:
    """A new empty database: SQLite in `folder`, or a new PostgreSQL database."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql")):
        yield f"sqlite:///{folder / 'browser.sqlite'}"
        return
    import sqlalchemy as sa

    from quizapp.config import database_url

    server = sa.make_url(database_url(base) or base)
    name = f"quizapp_browser_{os.getpid()}_{secrets.token_hex(3)}"
    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def _environment(database_url: str, mail_port: int) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("QUIZAPP_", "FLASK_", "MAIL_", "RATELIMIT_"))
        and key not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        QUIZAPP_ENV="demo",
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_hex(32),
        PYTHONUNBUFFERED="1",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(mail_port),
        MAIL_FROM="checks@partnership.test",
    )
    return env


def _wait_until_up(url: str, process: subprocess.Popen, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the server stopped (exit {process.returncode}):\n" + _tail(log_path)
            )
        try:
            with urllib.request.urlopen(url + "/sign-in", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"the server did not answer within {timeout}s:\n" + _tail(log_path))


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@contextlib.contextmanager
def demo_server(*, timeout: float = 60) -> Iterator[Server]:
    """Prepare a demo database and serve it with `flask run` until the block ends.

    Email goes to a local SMTP server (aiosmtpd) whose messages Server.emailed_links reads.
    """
    from aiosmtpd.controller import Controller

    folder = Path(tempfile.mkdtemp(prefix="quizapp-browser-"))
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        with _database(folder) as database_url:
            env = _environment(database_url, smtp.port)
            prepare = subprocess.run(
                [sys.executable, "-m", "flask", "--app", "quizapp", "demo"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            if prepare.returncode:
                raise RuntimeError(f"`flask demo` failed:\n{prepare.stdout}\n{prepare.stderr}")
            log_path = folder / "server.log"
            with _serving(env, log_path, timeout) as url:
                yield Server(url, database_url, log_path, mailbox, env)
    finally:
        smtp.stop()
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def another_server(server: Server, *, timeout: float = 60, **settings: str) -> Iterator[Server]:
    """A second server on `server`'s demo database, with some settings changed (for
    example a QUIZAPP_SESSION_IDLE_MINUTES of a few seconds), until the block ends. It
    signs its own sessions: a browser signed in on one is not signed in on the other."""
    env = {**server.environment, "SECRET_KEY": secrets.token_hex(32), **settings}
    log_path = server.log_path.with_name(f"server-{secrets.token_hex(3)}.log")
    with _serving(env, log_path, timeout) as url:
        yield Server(url, server.database_url, log_path, server.mailbox, env)


@contextlib.contextmanager
def _serving(env: dict[str, str], log_path: Path, timeout: float) -> Iterator[str]:
    """`flask run` on a free port until the block ends; yields its address."""
    port = free_port()
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "quizapp", "run", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log_path, timeout)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
