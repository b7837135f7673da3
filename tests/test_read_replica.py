"""Dashboards read from a read replica when DATABASE_REPLICA_URL is set; nothing else does.

The replica here is a second database, migrated and filled like the primary, with one
difference only it holds (agency A is called "Northmoor Trust" there). Every statement
is counted per engine, so the tests show which database each page really read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from quizapp import create_app
from quizapp import replica as replica_module
from quizapp.extensions import db
from quizapp.models import Agency, Attempt, OverdueReminder, UserRole
from quizapp.questions import get_type
from quizapp.replica import REPLICA, read_from_replica, stop_reading_from_replica
from quizapp.take.outline import clear_cache

from .conftest import IsolatedClient, _config, _empty_tables, _finish, _server
from .factories import answer_form, arrangement_of
from .test_dashboards import World, build_world, sign_in

REPLICA_ONLY_NAME = "Northmoor Trust"


@pytest.fixture(scope="module")
def replica_database(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second database beside the test database, migrated to head: on PostgreSQL one
    more database on the same server (dropped at the end), on SQLite another file."""
    own = None
    if database.startswith("postgresql"):
        base = sa.make_url(database)
        own = f"{base.database}_replica"
        _on_server(
            database,
            f'DROP DATABASE IF EXISTS "{own}" WITH (FORCE)',
            f'CREATE DATABASE "{own}"',
        )
        url = base.set(database=own).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('replica') / 'replica.sqlite'}"
    app = create_app(_config(url, tmp_path_factory.mktemp("replica-instance")))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    yield url
    if own is not None:
        _on_server(database, f'DROP DATABASE IF EXISTS "{own}" WITH (FORCE)')


def _on_server(database: str, *statements: str) -> None:
    """Run statements outside a transaction, and close the connection: an engine left to
    the garbage collector warns (ResourceWarning) in whichever test happens to run next."""
    engine = _server(database)
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(sa.text(statement))
    finally:
        engine.dispose()


@dataclass
class Setup:
    app: Flask
    client: FlaskClient
    world: World
    #: The replica database on its own, as the primary of an app without a replica.
    replica: Flask


def _world() -> World:
    return build_world(people_a1=7, people_a2=2, people_b=6)


@pytest.fixture
def setup(database: str, replica_database: str, tmp_path: Path) -> Iterator[Setup]:
    replica = create_app(_config(replica_database, tmp_path / "replica"))
    with replica.app_context():
        agency_a = _world().agency_a
        agency_a.name = REPLICA_ONLY_NAME
        db.session.commit()
        db.session.remove()
    clear_cache()
    config = {**_config(database, tmp_path), "DATABASE_REPLICA_URL": replica_database}
    app = create_app(config)
    app.test_client_class = IsolatedClient
    try:
        with app.app_context():
            yield Setup(app, app.test_client(), _world(), replica)
            db.engines[REPLICA].dispose()
            _finish()
    finally:
        with replica.app_context():
            _empty_tables()
            db.engine.dispose()


@contextmanager
def statements(app: Flask) -> Iterator[dict[str, list[str]]]:
    """The SQL each database was sent inside the block: {"primary": [...], "replica": [...]}."""
    sent: dict[str, list[str]] = {"primary": [], "replica": []}
    engines = {"primary": db.engines[None], "replica": db.engines[REPLICA]}
    listeners = {}
    for name, engine in engines.items():

        def record(conn, cursor, statement, parameters, context, executemany, name=name):
            sent[name].append(statement)

        listeners[name] = record
        sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        for name, engine in engines.items():
            sa.event.remove(engine, "before_cursor_execute", listeners[name])


def _selects_only(sent: list[str]) -> bool:
    return all(s.lstrip().upper().startswith(("SELECT", "WITH")) for s in sent)


def _signed_in_person_only(sent: list[str]) -> bool:
    """What a dashboard page may ask the primary: who is signed in, with their roles."""
    return _selects_only(sent) and all(
        re.search(r"\bFROM\s+(\w+)", s).group(1) in ("users", "user_roles") for s in sent
    )


def test_the_replica_url_is_read_like_the_database_url(tmp_path):
    app = create_app(
        {**_config("sqlite://", tmp_path), "DATABASE_REPLICA_URL": "postgres://q@replica/quizapp"}
    )
    assert app.config["SQLALCHEMY_BINDS"] == {
        REPLICA: "postgresql+psycopg://q@replica/quizapp?connect_timeout=3"
    }
    assert create_app(_config("sqlite://", tmp_path)).config["SQLALCHEMY_BINDS"] == {}


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("partnership_lead", "/dashboards/"),
        ("partnership_lead", "/dashboards/learning"),
        ("partnership_lead", "/dashboards/report"),
        ("partnership_lead", "/dashboards/report.csv"),
        ("partnership_lead", "/dashboards/checks/{check}/impact"),
        ("lead_a", "/dashboards/"),
        ("lead_a", "/dashboards/overdue"),
        ("lead_a", "/dashboards/overdue/email"),
    ],
)
def test_dashboard_pages_read_only_from_the_replica(setup, who, path):
    sign_in(setup.client, getattr(setup.world, who))
    with statements(setup.app) as sent:
        response = setup.client.get(path.format(check=setup.world.check.id))
    assert response.status_code == 200
    assert sent["replica"] and _selects_only(sent["replica"]), sent["replica"]
    assert sent["primary"] and _signed_in_person_only(sent["primary"]), sent["primary"]
    page = response.get_data(as_text=True)
    if path in ("/dashboards/", "/dashboards/report.csv") or who == "lead_a":
        assert REPLICA_ONLY_NAME in page
        assert "Agency A" not in page


def test_a_role_taken_away_on_the_primary_counts_at_once(setup):
    """The replica still says Lead A is a lead; the primary, which decides, no longer."""
    lead = setup.world.lead_a
    sign_in(setup.client, lead)
    assert setup.client.get("/dashboards/").status_code == 200
    db.session.execute(sa.delete(UserRole).where(UserRole.user_id == lead.id))
    db.session.commit()
    with statements(setup.app) as sent:
        assert setup.client.get("/dashboards/").status_code == 403
    assert _signed_in_person_only(sent["primary"])
    assert _selects_only(sent["replica"])  # the refusal page's navigation, at most


def test_pages_outside_the_dashboards_never_read_the_replica(setup):
    world = setup.world
    client = setup.client
    sign_in(client, world.practitioner)
    with statements(setup.app) as sent:
        assert client.get("/").location.endswith("/checks/")
        for path in ("/checks/", f"/checks/{world.check.id}"):
            assert client.get(path).status_code == 200, path
        started = client.post(f"/checks/{world.check.id}/start")
        assert started.status_code == 302
        attempt_id = int(started.headers["Location"].split("/attempts/")[1].split("/")[0])
        attempt = db.session.get(Attempt, attempt_id)
        question = next(q for q in attempt.bank_version.questions if get_type(q.type).scored)
        data = answer_form(question.spec, arrangement=arrangement_of(attempt_id, question))
        data["certainty"] = "3"
        answered = client.post(f"/checks/attempts/{attempt_id}/questions/{question.key}", data=data)
        assert answered.status_code == 302
        client.post("/sign-out")
        sign_in(client, world.author)
        assert client.get("/author/").status_code == 200
    assert sent["replica"] == []
    assert any(s.lstrip().upper().startswith("INSERT") for s in sent["primary"])


def test_a_dashboard_post_writes_to_the_primary_only(setup):
    sign_in(setup.client, setup.world.lead_a)
    with statements(setup.app) as sent:
        response = setup.client.post("/dashboards/overdue/email")
    assert response.status_code == 302
    assert sent["replica"] == []
    count = sa.select(sa.func.count()).select_from(OverdueReminder)
    assert db.session.scalar(count) == 1
    with setup.replica.app_context():
        assert db.session.scalar(count) == 0


def test_only_plain_selects_go_to_the_replica(setup):
    """Even where a request reads from the replica, a row lock, a write or text SQL is the
    primary's."""
    agency_id = setup.world.agency_a.id
    db.session.remove()
    read_from_replica()
    try:
        with statements(setup.app) as sent:
            name = db.session.scalar(sa.select(Agency.name).where(Agency.id == agency_id))
            db.session.scalar(sa.select(Agency.id).where(Agency.id == agency_id).with_for_update())
            db.session.add(Agency(name="New agency", sector="health"))
            db.session.flush()
            db.session.execute(sa.update(Agency).where(Agency.id == agency_id).values(name="B"))
            db.session.execute(sa.text("SELECT 1"))
            db.session.rollback()
    finally:
        stop_reading_from_replica()
        db.session.remove()
    assert name == REPLICA_ONLY_NAME
    assert len(sent["replica"]) == 1
    assert [s.split()[0] for s in sent["primary"]] == ["SELECT", "INSERT", "UPDATE", "SELECT"]
    assert db.session.get(Agency, agency_id).name == "Agency A"


#: Nothing listens on port 1: a connection is refused at once.
UNREACHABLE = "postgresql://quizapp@127.0.0.1:1/quizapp"


def test_a_replica_that_cannot_be_reached_leaves_the_dashboards_on_the_primary(
    database, tmp_path, caplog
):
    replica_module._unreachable_until.clear()
    app = create_app({**_config(database, tmp_path), "DATABASE_REPLICA_URL": UNREACHABLE})
    app.test_client_class = IsolatedClient
    with app.app_context():
        try:
            world = _world()
            client = app.test_client()
            sign_in(client, world.lead_a)
            with caplog.at_level("WARNING", logger="quizapp.replica"):
                first = client.get("/dashboards/")
                second = client.get("/dashboards/overdue")
            assert first.status_code == 200
            assert second.status_code == 200
            assert "Agency A" in first.get_data(as_text=True)
            warnings = [r.getMessage() for r in caplog.records if r.name == "quizapp.replica"]
            # Tried once, then passed over for RETRY_AFTER seconds.
            assert len(warnings) == 1, warnings
            assert "unreachable" in warnings[0] and "127.0.0.1:1" in warnings[0]
            # After the pause it is tried again (and still found down).
            replica_module._unreachable_until.update(
                dict.fromkeys(replica_module._unreachable_until, 0.0)
            )
            with caplog.at_level("WARNING", logger="quizapp.replica"):
                assert client.get("/dashboards/").status_code == 200
            warnings = [r for r in caplog.records if r.name == "quizapp.replica"]
            assert len(warnings) == 2
        finally:
            replica_module._unreachable_until.clear()
            db.engines[REPLICA].dispose()
            _finish()
