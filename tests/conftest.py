"""Fixtures shared by the app tests.

The database is built by the real migrations once per session: SQLite in a temporary
folder by default, or the PostgreSQL database named by TEST_DATABASE_URL. Each test then
starts from empty tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings as hypothesis_settings

from quizapp import create_app
from quizapp.config import database_url
from quizapp.extensions import db

from .factories import DEFAULT_PASSWORD
from .mail import Mailbox, serve

# Property tests check behaviour, not speed: a busy CI machine must not fail them on time.
hypothesis_settings.register_profile("quizapp", deadline=None)
hypothesis_settings.load_profile("quizapp")


def test_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return database_url(url) or url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


def _server(url: str) -> sa.Engine:
    return sa.create_engine(url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to head, shared by the session's tests. Run in parallel
    (pytest-xdist), each worker on PostgreSQL gets a database of its own, named after
    TEST_DATABASE_URL's and dropped at the end."""
    url = test_database_url(tmp_path_factory)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    own = None
    if worker and url.startswith("postgresql"):
        base = sa.make_url(url)
        own = f"{base.database}_{worker}"
        with _server(url).connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{own}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{own}"'))
        url = base.set(database=own).render_as_string(hide_password=False)
    app = create_app(_config(url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        from flask_migrate import downgrade, upgrade

        downgrade(revision="base")
        upgrade()
        db.engine.dispose()
    yield url
    if own is not None:
        with _server(test_database_url(tmp_path_factory)).connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{own}" WITH (FORCE)'))


def _config(url: str, instance: Path) -> dict[str, object]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "quizapp.test",
    }


@pytest.fixture
def app(database: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(_config(database, tmp_path))
    with app.app_context():
        yield app
        _finish()


def _finish() -> None:
    """After each test: the dashboards' summaries must equal a recount (whatever the
    test changed, through whichever path), then every table is emptied."""
    from quizapp.workforce import tally

    db.session.remove()
    try:
        wrong = tally.mismatches(db.session)
    finally:
        db.session.remove()
        _empty_tables()
        db.engine.dispose()
    assert not wrong, f"summaries differ from a recount (stored, recounted): {wrong}"


def _empty_tables() -> None:
    """Empty every table. The guard triggers (migration 0005) refuse deleting submitted
    attempts and published versions: PostgreSQL's TRUNCATE fires no row triggers; on
    SQLite the triggers are dropped and created again around the deletes, in the same
    transaction (the maintenance path docs/operations.md describes)."""
    from quizapp.take.outline import clear_cache

    clear_cache()  # ids are reused once tables are emptied
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            triggers = connection.execute(
                sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            ).all()
            for name, _sql in triggers:
                connection.execute(sa.text(f'DROP TRIGGER "{name}"'))
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
            for _name, sql in triggers:
                connection.execute(sa.text(sql))


class IsolatedClient(FlaskClient):
    """Each request gets its own app context, hence its own `g` and database session,
    as in production; the test's own session stays apart from the request's."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def csrf_app(database: str, tmp_path: Path) -> Iterator[Flask]:
    """The app with CSRF protection on, as in production."""
    config = _config(database, tmp_path)
    config["WTF_CSRF_ENABLED"] = True
    app = create_app(config)
    with app.app_context():
        yield app
        _finish()


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def sign_in(self, email: str, password: str = DEFAULT_PASSWORD):
        return self._client.post("/sign-in", data={"email": email, "password": password})

    def sign_out(self):
        return self._client.post("/sign-out")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def mailbox(app: Flask) -> Iterator[Mailbox]:
    """Email the app sends, kept by a real SMTP server on 127.0.0.1 (tests/mail.py)."""
    yield from serve(app)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test is a failure: it means something CI should have was missing."""
    if not os.environ.get("CI"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        if reporter:
            reporter.write_line(f"CI: {skipped} test(s) skipped; skipped tests fail CI.", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
