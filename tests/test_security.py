"""Security: database guards, rate limits, sessions, cookies, headers, secrets, passwords.

Runs on SQLite and on PostgreSQL (TEST_DATABASE_URL); the rate-limit test against Redis
uses the local server at 127.0.0.1:6379 with a key prefix of its own, removed afterwards.
"""

from __future__ import annotations

import ast
import base64
import json
import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import current_app, url_for
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from quizapp import create_app, web
from quizapp.auth import devices
from quizapp.config import WEAK_SECRET_KEYS, ProductionConfig
from quizapp.extensions import db
from quizapp.models import AgencyEmailDomain, User

from .conftest import _config, _empty_tables
from .factories import DEFAULT_PASSWORD, create_agency, create_user
from .policy import build_world

ROOT = Path(__file__).resolve().parent.parent

# The database refuses changes to submitted attempts and published versions -----------


@pytest.fixture
def world(app):
    return build_world()


def _refused(statement: str, **params) -> str:
    """Run one raw statement in its own transaction; the database must refuse it."""
    with pytest.raises(IntegrityError) as caught, db.engine.begin() as connection:
        connection.execute(sa.text(statement), params)
    return str(caught.value)


def _allowed(statement: str, **params) -> int:
    with db.engine.begin() as connection:
        return connection.execute(sa.text(statement), params).rowcount


def test_raw_update_of_a_submitted_attempts_score_is_refused(world):
    message = _refused(
        "UPDATE attempts SET score = 0, percent = 0 WHERE id = :id",
        id=world.submitted_attempt_id,
    )
    assert "quizapp guard" in message
    assert _refused("DELETE FROM attempts WHERE id = :id", id=world.submitted_attempt_id)


def test_raw_changes_to_a_submitted_attempts_responses_are_refused(world):
    assert _refused("DELETE FROM responses WHERE attempt_id = :id", id=world.submitted_attempt_id)
    assert _refused(
        "UPDATE responses SET mark = 99 WHERE attempt_id = :id", id=world.submitted_attempt_id
    )
    # Moving a response into a submitted attempt, or adding one, is refused too.
    assert _refused(
        "UPDATE responses SET attempt_id = :submitted WHERE attempt_id = :open",
        submitted=world.submitted_attempt_id,
        open=world.attempt_id,
    )
    assert _refused(
        "INSERT INTO responses (attempt_id, question_id, answer, saved_at)"
        " SELECT :submitted, question_id, answer, saved_at FROM responses"
        " WHERE attempt_id = :open",
        submitted=world.other_submitted_attempt_id,
        open=world.attempt_id,
    )


def test_raw_changes_to_a_published_versions_content_are_refused(world):
    version = db.session.scalar(
        sa.text("SELECT id FROM bank_versions WHERE status = 'published' LIMIT 1")
    )
    assert _refused("UPDATE questions SET points = 10 WHERE version_id = :v", v=version)
    assert _refused("DELETE FROM questions WHERE version_id = :v", v=version)
    assert _refused("UPDATE findings SET text = 'changed' WHERE version_id = :v", v=version)
    assert _refused("UPDATE stages SET narrative = 'changed' WHERE version_id = :v", v=version)
    assert _refused("DELETE FROM question_findings")
    assert _refused("UPDATE bank_versions SET title = 'changed' WHERE id = :v", v=version)
    assert _refused("DELETE FROM bank_versions WHERE id = :v", v=version)


def test_a_bank_with_attempts_cannot_be_deleted(world):
    assert _refused("DELETE FROM banks")


def test_what_is_still_open_may_change(world):
    """The guards stop at what is final: an attempt in progress, its responses and a
    draft still change; the app's own submit (UPDATE ... WHERE submitted_at IS NULL)
    works, and after it the attempt is final."""
    assert _allowed(
        "UPDATE responses SET mark = mark WHERE attempt_id = :id", id=world.attempt_id
    ) == _answered_count(world.attempt_id)
    assert _allowed("UPDATE bank_versions SET title = 'Draft' WHERE status = 'draft'") == 1
    assert (
        _allowed(
            "UPDATE attempts SET submitted_at = started_at, score = 0, max_score = 0, percent = 0,"
            " passed = false WHERE id = :id AND submitted_at IS NULL",
            id=world.attempt_id,
        )
        == 1
    )
    assert _refused("UPDATE attempts SET score = 1 WHERE id = :id", id=world.attempt_id)


def _answered_count(attempt_id: int) -> int:
    return db.session.scalar(
        sa.text("SELECT count(*) FROM responses WHERE attempt_id = :id"), {"id": attempt_id}
    )


def _trigger_names() -> set[str]:
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        else:
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        return set(connection.execute(sa.text(query)).scalars())


def test_every_guard_trigger_is_present_at_head(app):
    """SQLite drops triggers with their table: a migration rebuilding one of these tables
    must create its triggers again, or this fails."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "security_migration", ROOT / "migrations" / "versions" / "0005_security.py"
    )
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)  # type: ignore[union-attr]
    assert {name for _table, name in migration.TRIGGERS} <= _trigger_names()


def test_the_documented_maintenance_path_works(world):
    """PostgreSQL: SET LOCAL quizapp.maintenance = 'on' inside a transaction. SQLite:
    drop the guard triggers and create them again in the same transaction."""
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SET LOCAL quizapp.maintenance = 'on'"))
            connection.execute(
                sa.text("UPDATE attempts SET score = score WHERE id = :id"),
                {"id": world.submitted_attempt_id},
            )
        else:
            triggers = connection.execute(
                sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            ).all()
            for name, _sql in triggers:
                connection.execute(sa.text(f'DROP TRIGGER "{name}"'))
            connection.execute(
                sa.text("UPDATE attempts SET score = score WHERE id = :id"),
                {"id": world.submitted_attempt_id},
            )
            for _name, sql in triggers:
                connection.execute(sa.text(sql))
    # ...and only for that transaction.
    assert _refused("UPDATE attempts SET score = 0 WHERE id = :id", id=world.submitted_attempt_id)


# Sign-in: rate limits ----------------------------------------------------------------


def _sign_in(client, email: str, password: str, address: str = "127.0.0.1"):
    return client.post(
        "/sign-in",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def _assert_too_many(response, window_minutes: int = 15) -> None:
    """429, saying when to try again (within the limit's window)."""
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Too many tries" in page
    minutes = int(re.search(r"Try again in (\d+) minutes?, after \d{1,2}:\d\d[ap]m", page)[1])
    assert 1 <= minutes <= window_minutes
    assert 0 < int(response.headers["Retry-After"]) <= window_minutes * 60


def test_ten_wrong_passwords_for_one_account_then_429(app, client):
    user = create_user(email="target@example.org")
    for attempt in range(10):
        # From a different address each time: the account's own limit must hold.
        response = _sign_in(client, user.email, "wrong password!", address=f"10.0.0.{attempt}")
        assert response.status_code == 422
    _assert_too_many(_sign_in(client, user.email, "wrong password!", address="10.0.1.1"))
    # Even the right password waits: guessing must not be able to carry on.
    _assert_too_many(_sign_in(client, user.email, DEFAULT_PASSWORD, address="10.0.1.2"))
    # Other people are not locked out.
    other = create_user(email="other@example.org")
    assert _sign_in(client, other.email, DEFAULT_PASSWORD, address="10.0.1.3").status_code == 302


def test_ten_wrong_tries_from_one_address_then_429(app, client):
    for number in range(10):
        response = _sign_in(client, f"guess{number}@example.org", "wrong password!")
        assert response.status_code == 422
    user = create_user(email="real@example.org")
    _assert_too_many(_sign_in(client, user.email, DEFAULT_PASSWORD))
    assert _sign_in(client, user.email, DEFAULT_PASSWORD, address="10.9.9.9").status_code == 302


def test_the_limit_is_a_moving_fifteen_minute_window(app, client, monkeypatch):
    """Tries older than 15 minutes stop counting (the limiter's clock is moved)."""
    import time as time_module

    start = time_module.time()
    monkeypatch.setattr(time_module, "time", lambda: start)
    user = create_user(email="patient@example.org")
    for _ in range(10):
        assert _sign_in(client, user.email, "wrong password!").status_code == 422
    assert _sign_in(client, user.email, DEFAULT_PASSWORD).status_code == 429
    monkeypatch.setattr(time_module, "time", lambda: start + 14 * 60)
    assert _sign_in(client, user.email, DEFAULT_PASSWORD).status_code == 429
    monkeypatch.setattr(time_module, "time", lambda: start + 15 * 60 + 1)
    assert _sign_in(client, user.email, DEFAULT_PASSWORD).status_code == 302


def test_successful_sign_ins_do_not_count(app, client):
    user = create_user(email="busy@example.org")
    for _ in range(12):
        assert _sign_in(client, user.email, DEFAULT_PASSWORD).status_code == 302
        client.post("/sign-out")


# Sign-in: device cookies let the owner's browser past the account's lock ------------


def _device_cookie(response) -> str:
    """The Set-Cookie header that gives the browser its device cookie."""
    (header,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("device=")]
    return header


def _lock(email: str) -> None:
    """Ten wrong passwords from a browser that never signed in, each from another address,
    as a guesser spreading their tries would."""
    attacker = _new_browser()
    for number in range(10):
        assert _sign_in(attacker, email, "wrong password!", f"10.30.0.{number}").status_code == 422


def _new_browser():
    """Another browser. Each of its requests has an app context of its own, as in
    production (the `client` fixture sets that up)."""
    from .conftest import IsolatedClient

    assert current_app.test_client_class is IsolatedClient
    return current_app.test_client()


def test_the_owners_browser_signs_in_while_others_are_locked_out(app, client):
    owner = create_user(email="lead@example.org")
    browser = _new_browser()
    signed_in = _sign_in(browser, owner.email, DEFAULT_PASSWORD, "10.31.0.1")
    assert signed_in.status_code == 302
    cookie = _device_cookie(signed_in)
    for attribute in ("Path=/sign-in", "HttpOnly", "SameSite=Lax", "Max-Age=31536000"):
        assert attribute in cookie.split("; "), cookie
    assert "Secure" not in cookie  # only where the session cookie is (production)
    browser.post("/sign-out")  # the device cookie stays: signing out does not end it

    _lock(owner.email)
    # Untrusted browsers are locked out, the right password included.
    _assert_too_many(_sign_in(_new_browser(), owner.email, "wrong password!", "10.31.1.1"))
    _assert_too_many(_sign_in(_new_browser(), owner.email, DEFAULT_PASSWORD, "10.31.1.2"))
    # The owner's browser is not.
    response = _sign_in(browser, owner.email, DEFAULT_PASSWORD, "10.31.0.1")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/checks/")
    assert browser.get("/checks/").status_code == 200
    # ...and its sign-in does not lift the lock for anyone else.
    _assert_too_many(_sign_in(_new_browser(), owner.email, DEFAULT_PASSWORD, "10.31.1.3"))


def test_the_device_cookie_is_secure_where_the_session_cookie_is(app, client):
    user = create_user(email="secure@example.org")
    app.config["SESSION_COOKIE_SECURE"] = True
    response = client.post(
        "/sign-in",
        data={"email": user.email, "password": DEFAULT_PASSWORD},
        base_url="https://quizapp.test",
    )
    assert response.status_code == 302
    assert "Secure" in _device_cookie(response).split("; ")


def _forged(payload: dict, key: str) -> str:
    return URLSafeTimedSerializer(key, salt=devices.SALT).dumps(payload)


def test_forged_or_another_accounts_device_cookie_gives_no_way_past_the_lock(app, client):
    owner = create_user(email="owner@example.org")
    other = create_user(email="other@example.org")
    others_browser = _new_browser()
    assert _sign_in(others_browser, other.email, DEFAULT_PASSWORD, "10.32.0.1").status_code == 302
    _lock(owner.email)

    # Another account's genuine device cookie.
    _assert_too_many(_sign_in(others_browser, owner.email, DEFAULT_PASSWORD, "10.32.0.1"))
    # The other account's cookie with the owner's id written in: the signature fails.
    genuine = others_browser.get_cookie("device", domain="quizapp.test", path="/sign-in").value
    payload, rest = genuine.split(".", 1)
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert data["user"] == other.id
    data["user"] = owner.id
    edited = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    db.session.expire_all()
    owner_digest = devices._password_digest(db.session.get(User, owner.id))
    cookies = {
        "edited": f"{edited}.{rest}",
        "signed with another key": _forged(
            {"user": owner.id, "password": owner_digest, "device": "x"}, "another-key" * 4
        ),
        "garbage": "not a device cookie",
    }
    for name, value in cookies.items():
        browser = _new_browser()
        browser.set_cookie("device", value, domain="quizapp.test", path="/sign-in")
        response = _sign_in(browser, owner.email, DEFAULT_PASSWORD, "10.32.1.1")
        assert response.status_code == 429, name

    # A cookie the app itself signed, but for a password the account no longer has.
    stale = _forged(
        {"user": owner.id, "password": "0" * 32, "device": "stale"}, app.config["SECRET_KEY"]
    )
    browser = _new_browser()
    browser.set_cookie("device", stale, domain="quizapp.test", path="/sign-in")
    _assert_too_many(_sign_in(browser, owner.email, DEFAULT_PASSWORD, "10.32.1.2"))
    # The same cookie with the right digest does get through: the test above is fair.
    fresh = _forged(
        {"user": owner.id, "password": owner_digest, "device": "fresh"}, app.config["SECRET_KEY"]
    )
    browser.set_cookie("device", fresh, domain="quizapp.test", path="/sign-in")
    assert _sign_in(browser, owner.email, DEFAULT_PASSWORD, "10.32.1.2").status_code == 302


def test_a_new_password_ends_the_accounts_device_cookies(app, client):
    owner = create_user(email="moved@example.org")
    old_laptop = _new_browser()
    assert _sign_in(old_laptop, owner.email, DEFAULT_PASSWORD, "10.33.0.1").status_code == 302
    db.session.expire_all()
    user = db.session.get(User, owner.id)
    user.set_password("a brand new password 2026")
    db.session.commit()
    _lock(owner.email)
    _assert_too_many(_sign_in(old_laptop, owner.email, "a brand new password 2026", "10.33.0.1"))


def test_a_device_cookie_has_its_own_failure_limit(app, client, monkeypatch):
    """A stolen laptop gets ten guesses in fifteen minutes, like anyone; its failures do
    not lock the account for the owner's other browsers."""
    import time as time_module

    start = time_module.time()
    monkeypatch.setattr(time_module, "time", lambda: start)
    owner = create_user(email="laptop@example.org")
    laptop = _new_browser()
    assert _sign_in(laptop, owner.email, DEFAULT_PASSWORD, "10.34.0.1").status_code == 302
    laptop.post("/sign-out")
    for number in range(10):  # each from another address: only the cookie's count is hit
        response = _sign_in(laptop, owner.email, "wrong password!", f"10.34.1.{number}")
        assert response.status_code == 422
    _assert_too_many(_sign_in(laptop, owner.email, "wrong password!", "10.34.2.1"))
    _assert_too_many(_sign_in(laptop, owner.email, DEFAULT_PASSWORD, "10.34.2.2"))
    # The account itself is not locked: another browser signs in.
    assert _sign_in(_new_browser(), owner.email, DEFAULT_PASSWORD, "10.34.3.1").status_code == 302
    # The cookie's lock lasts the window, then the laptop may try again.
    monkeypatch.setattr(time_module, "time", lambda: start + 15 * 60 + 1)
    assert _sign_in(laptop, owner.email, DEFAULT_PASSWORD, "10.34.2.3").status_code == 302


def test_same_message_for_unknown_email_and_wrong_password(app, client):
    create_user(email="known@example.org")
    unknown = _sign_in(client, "unknown@example.org", "wrong password!", address="10.1.0.1")
    wrong = _sign_in(client, "known@example.org", "wrong password!", address="10.1.0.2")
    assert unknown.status_code == wrong.status_code == 422

    def error_of(response) -> str:
        return re.search(r"govuk-error-message.*?</p>", response.get_data(as_text=True), re.S)[0]

    assert error_of(unknown) == error_of(wrong)
    assert "Enter a correct email address and password" in error_of(wrong)


@pytest.fixture
def redis_prefix():
    import redis

    prefix = f"quizapp-test-{uuid.uuid4().hex}"
    connection = redis.Redis(host="127.0.0.1", port=6379)
    yield connection, prefix
    keys = list(connection.scan_iter(f"*{prefix}*"))
    if keys:
        connection.delete(*keys)
    connection.close()


def test_app_servers_share_limits_through_redis(app, database, tmp_path, redis_prefix):
    """Two app instances (as two gunicorn servers would be) share one count in Redis:
    failures on the first lock the account on the second."""
    connection, prefix = redis_prefix
    user = create_user(email="shared@example.org")
    config = {
        **_config(database, tmp_path),
        "RATELIMIT_STORAGE_URI": None,
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "RATELIMIT_KEY_PREFIX": prefix,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": False,
        "RATELIMIT_SWALLOW_ERRORS": False,
    }
    first = create_app(config)
    assert first.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    with first.app_context():
        client = first.test_client()
        for number in range(10):
            address = f"10.2.0.{number}"
            assert _sign_in(client, user.email, "wrong password!", address).status_code == 422
        db.session.remove()
        db.engine.dispose()
    assert list(connection.scan_iter(f"*{prefix}*")), "no counters were written to Redis"
    second = create_app(config)
    with second.app_context():
        _assert_too_many(_sign_in(second.test_client(), user.email, DEFAULT_PASSWORD, "10.3.0.1"))
        db.session.remove()
        db.engine.dispose()


# Registering and password resets: emails sent, per address and per email ------------


@pytest.fixture
def trust(app):
    agency = create_agency(name="City Hospital")
    db.session.add(AgencyEmailDomain(agency=agency, domain="trust.nhs.uk"))
    db.session.commit()
    return agency


def _register(client, email: str, address: str):
    return client.post(
        "/register",
        data={
            "name": "New Person",
            "email": email,
            "password": "violet kettle marmalade",
            "confirm_password": "violet kettle marmalade",
        },
        environ_base={"REMOTE_ADDR": address},
    )


def test_registering_is_limited_per_email(app, client, trust):
    for number in range(5):
        assert _register(client, "nurse@trust.nhs.uk", f"10.4.0.{number}").status_code == 302
    _assert_too_many(_register(client, "nurse@trust.nhs.uk", "10.4.1.1"), 60)
    assert _register(client, "other@trust.nhs.uk", "10.4.1.2").status_code == 302


def test_registering_is_limited_per_address(app, client, trust):
    for number in range(20):
        assert _register(client, f"n{number}@trust.nhs.uk", "10.5.0.1").status_code == 302
    _assert_too_many(_register(client, "late@trust.nhs.uk", "10.5.0.1"), 60)


def test_password_reset_emails_are_limited_per_email_and_per_address(app, client):
    def ask(email: str, address: str):
        return client.post(
            "/password-reset", data={"email": email}, environ_base={"REMOTE_ADDR": address}
        )

    create_user(email="forgetful@example.org")
    for number in range(5):
        assert ask("forgetful@example.org", f"10.6.0.{number}").status_code == 302
    _assert_too_many(ask("forgetful@example.org", "10.6.1.1"), 60)
    # An address with no account gets exactly the same answer: nothing is revealed.
    for number in range(5):
        assert ask("nobody@example.org", f"10.6.2.{number}").status_code == 302
    _assert_too_many(ask("nobody@example.org", "10.6.3.1"), 60)
    for number in range(20 - 10):
        assert ask(f"p{number}@example.org", "10.6.0.0").status_code == 302
    # 10.6.0.0 asked once above (forgetful) plus 10 now: still under 20; 9 more reach it.
    for number in range(9):
        assert ask(f"q{number}@example.org", "10.6.0.0").status_code == 302
    _assert_too_many(ask("last@example.org", "10.6.0.0"), 60)


# Sessions -----------------------------------------------------------------------------


def _session_cookie(client) -> str | None:
    cookie = client.get_cookie("session", domain="quizapp.test")
    return cookie.value if cookie else None


def test_signing_in_starts_a_new_session(app, client):
    user = create_user(email="fixated@example.org")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    before = _session_cookie(client)
    assert _sign_in(client, user.email, DEFAULT_PASSWORD).status_code == 302
    after = _session_cookie(client)
    assert after and after != before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == db.session.get(User, user.id).session_token
    # The cookie from before signing in is still anonymous.
    client.set_cookie("session", before, domain="quizapp.test")
    assert client.get("/checks/").headers["Location"].startswith("/sign-in")


def test_signing_out_ends_the_session_even_for_a_copied_cookie(app, client):
    user = create_user(email="careful@example.org")
    _sign_in(client, user.email, DEFAULT_PASSWORD)
    stolen = _session_cookie(client)
    assert client.get("/checks/").status_code == 200
    client.post("/sign-out")
    client.set_cookie("session", stolen, domain="quizapp.test")
    response = client.get("/checks/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_sessions_end_after_thirty_idle_minutes(app, client, monkeypatch):
    assert app.config["SESSION_IDLE_TIMEOUT"] == timedelta(minutes=30)
    now = [1_900_000_000.0]
    monkeypatch.setattr(web, "session_clock", lambda: now[0])
    user = create_user(email="idle@example.org")
    _sign_in(client, user.email, DEFAULT_PASSWORD)
    for _ in range(3):  # activity keeps the session going, well past 30 minutes in all
        now[0] += 29 * 60
        assert client.get("/checks/").status_code == 200
    now[0] += 30 * 60 + 1
    response = client.get("/checks/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You were signed out because you had not used the service for 30 minutes" in page
    # Signed out for good, not just for one request.
    assert client.get("/checks/").status_code == 302


def test_the_idle_period_is_a_setting(database, tmp_path, monkeypatch):
    config = {**_config(database, tmp_path), "SESSION_IDLE_TIMEOUT": timedelta(minutes=5)}
    app = create_app(config)
    now = [1_900_000_000.0]
    monkeypatch.setattr(web, "session_clock", lambda: now[0])
    with app.app_context():
        user = create_user(email="short@example.org")
        client = app.test_client()
        _sign_in(client, user.email, DEFAULT_PASSWORD)
        now[0] += 4 * 60
        assert client.get("/checks/").status_code == 200
        now[0] += 5 * 60 + 1
        assert client.get("/checks/").status_code == 302
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


def _production_app():
    config = type(
        "Config",
        (ProductionConfig,),
        {"SECRET_KEY": "k" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"},
    )
    return create_app(config)


def test_production_session_cookies_are_secure_httponly_and_samesite():
    app = _production_app()
    response = app.test_client().get("/sign-in", base_url="https://quizapp.example")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    for attribute in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert attribute in cookie
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_hsts_only_in_production_or_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/sign-in").headers


def test_production_refuses_default_or_missing_secret_keys():
    for key in (None, *sorted(WEAK_SECRET_KEYS), "x" * 31):
        config = type("Config", (ProductionConfig,), {"SECRET_KEY": key})
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app(config)


# Headers on every kind of page --------------------------------------------------------


def check_security_headers(response) -> None:
    """CSP with a nonce and no unsafe-inline, framing refused, sniffing off, referrer
    kept to this site; every script on an HTML page carries the nonce."""
    csp = response.headers.get("Content-Security-Policy", "")
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp and "object-src 'none'" in csp
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce, csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    if response.mimetype == "text/html":
        page = response.get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", page):
            # Inline scripts need the nonce; files from this site are allowed by 'self'.
            assert "src=" in tag or f'nonce="{nonce[1]}"' in tag, tag
        assert not re.search(r"\son[a-z]+\s*=", page), "inline event handler"


def test_error_pages_have_the_security_headers(app, client):
    check_security_headers(client.get("/no-such-page"))
    check_security_headers(client.post("/checks/"))  # 405
    user = create_user(email="headers@example.org")
    _sign_in(client, user.email, DEFAULT_PASSWORD)
    check_security_headers(client.get("/admin/"))  # 403
    anonymous = app.test_client()
    for _ in range(10):
        _sign_in(anonymous, "x@example.org", "wrong password!", address="10.7.0.1")
    too_many = _sign_in(anonymous, "x@example.org", "wrong password!", address="10.7.0.1")
    assert too_many.status_code == 429
    check_security_headers(too_many)


def test_every_page_kind_has_the_security_headers(app, client):
    """The policy walk (test_authorization) checks every response it gets; this checks a
    page of each area directly, as its owner sees it."""
    world = build_world()
    pages = {
        "practitioner": [
            url_for("take.your_checks"),
            url_for("take.check_overview", check_id=world.check_id),
            url_for("take.question", attempt_id=world.attempt_id, key="q-single"),
            url_for("take.result", attempt_id=world.submitted_attempt_id),
            url_for("account.your_data"),
            url_for("account.download"),
        ],
        "author": [url_for("author.banks"), url_for("author.draft", key=world.bank_key)],
        "admin": [url_for("admin.home"), url_for("admin.people")],
    }
    for kind, urls in pages.items():
        signed_in = app.test_client()
        _sign_in(signed_in, world.users[kind].email, DEFAULT_PASSWORD, address="10.8.0.1")
        for url in urls:
            response = signed_in.get(url)
            assert response.status_code == 200, url
            check_security_headers(response)
            assert response.headers["Cache-Control"] == "no-store"


# Passwords: every place that sets one uses the rules ----------------------------------


def _callers_of_set_password() -> set[str]:
    callers = set()
    for path in (ROOT / "quizapp").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "set_password"
                ):
                    callers.add(f"{path.relative_to(ROOT).as_posix()}:{function.name}")
    return callers


def test_every_place_that_sets_a_password_is_known():
    """Each caller takes its password from a form with the new-password rules (or is the
    demo's fixed password). A new caller fails here until it is checked and listed."""
    assert _callers_of_set_password() == {
        "quizapp/auth/accounts.py:register",  # RegisterForm
        "quizapp/auth/accounts.py:reset_password",  # NewPasswordForm
        "quizapp/auth/accounts.py:accept_invitation",  # AcceptInvitationForm
        "quizapp/demo.py:_demo_password_hash",  # DEMO_PASSWORD, checked below
    }


def test_every_new_password_field_applies_the_rules():
    from quizapp.auth import forms
    from quizapp.auth.forms import _new_password
    from quizapp.auth.passwords import password_problem
    from quizapp.demo import DEMO_PASSWORD

    with_new_password = {
        name
        for name, form in vars(forms).items()
        if isinstance(form, type)
        and hasattr(form, "password")
        and name != "SignInForm"
        and any(
            validator is _new_password
            for validator in form.password.kwargs.get("validators", [])  # type: ignore[attr-defined]
        )
    }
    assert with_new_password == {"RegisterForm", "NewPasswordForm", "AcceptInvitationForm"}
    assert password_problem(DEMO_PASSWORD) is None


@pytest.mark.parametrize("password", ["short pass", "password123456", "Password-2026!"])
def test_weak_passwords_are_refused_on_reset_and_invitation(app, client, password):
    from quizapp.auth import tokens

    user = create_user(email="resetting@example.org")
    url = f"/password-reset/{tokens.password_reset_token(user)}"
    response = client.post(url, data={"password": password, "confirm_password": password})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password(DEFAULT_PASSWORD)
