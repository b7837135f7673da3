"""Warning before an idle sign-out: "Stay signed in" (the keep-alive route) and what the
pages tell people about the time limit. quizapp/session_timeout.py; the browser side is
tests/browser/test_session_timeout.py."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest
import sqlalchemy as sa

from quizapp import create_app, web
from quizapp.access import access_of
from quizapp.extensions import db
from quizapp.models import Attempt, Role
from quizapp.session_timeout import duration_text

from .conftest import IsolatedClient, _config, _empty_tables
from .factories import (
    DEFAULT_PASSWORD,
    ROOT,
    check_for,
    create_user,
    import_bank_text,
    small_bank,
)

START = 1_900_000_000.0
KEEP_ALIVE = "/session/keep-alive"


@pytest.fixture
def clock(monkeypatch):
    """The idle clock, moved by the test: clock[0] is now, in seconds."""
    now = [START]
    monkeypatch.setattr(web, "session_clock", lambda: now[0])
    return now


def _sign_in(client, email: str) -> None:
    response = client.post("/sign-in", data={"email": email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


def _csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def test_keep_alive_is_for_signed_in_people_and_only_takes_a_post(app):
    assert access_of("session.keep_alive") == "signed-in"
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "session.keep_alive")
    assert rule.rule == KEEP_ALIVE
    assert rule.methods - {"OPTIONS"} == {"POST"}


def test_keep_alive_answers_204_and_restarts_the_idle_time(app, client, clock):
    user = create_user(email="thinking@example.org")
    _sign_in(client, user.email)
    clock[0] += 29 * 60
    response = client.post(KEEP_ALIVE)
    assert response.status_code == 204
    assert response.get_data() == b""
    assert response.headers["Cache-Control"] == "no-store"
    # 58 minutes after the last page, but 29 after "Stay signed in": still signed in.
    clock[0] += 29 * 60
    assert client.get("/checks/").status_code == 200
    # And the idle limit still applies after that.
    clock[0] += 30 * 60 + 1
    response = client.get("/checks/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_without_keep_alive_the_same_wait_signs_out(app, client, clock):
    """The control for the test above: the same 58 minutes with no request in between."""
    user = create_user(email="away@example.org")
    _sign_in(client, user.email)
    clock[0] += 58 * 60
    response = client.get("/checks/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_keep_alive_after_the_session_ended_does_not_bring_it_back(app, client, clock):
    user = create_user(email="late@example.org")
    _sign_in(client, user.email)
    clock[0] += 30 * 60 + 1
    response = client.post(KEEP_ALIVE)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")
    assert client.get("/checks/").status_code == 302
    page = client.get("/sign-in").get_data(as_text=True)
    assert "You were signed out because you had not used the service for 30 minutes" in page


def test_keep_alive_when_signed_out_sends_to_sign_in(app, client):
    response = client.post(KEEP_ALIVE)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_keep_alive_needs_the_csrf_token(csrf_app, clock):
    csrf_app.test_client_class = IsolatedClient  # a new `g` (and CSRF token) per request
    client = csrf_app.test_client()
    user = create_user(email="careful@example.org")
    token = _csrf_token(client.get("/sign-in").get_data(as_text=True))
    response = client.post(
        "/sign-in", data={"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    page = client.get("/checks/").get_data(as_text=True)
    clock[0] += 29 * 60
    refused = client.post(KEEP_ALIVE)
    assert refused.status_code == 400
    assert "Your form could not be sent" in refused.get_data(as_text=True)
    # The token every signed-in page carries (in the warning's form) is accepted.
    assert client.post(KEEP_ALIVE, data={"csrf_token": _csrf_token(page)}).status_code == 204


def test_durations_are_written_in_words():
    assert duration_text(timedelta(minutes=30)) == "30 minutes"
    assert duration_text(timedelta(minutes=1)) == "1 minute"
    assert duration_text(timedelta(seconds=15)) == "15 seconds"
    assert duration_text(timedelta(seconds=1)) == "1 second"
    assert duration_text(timedelta(seconds=90)) == "1 minute 30 seconds"
    assert duration_text(timedelta(minutes=0.25)) == "15 seconds"


def _config_in_a_new_process(**environment: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUIZAPP_")} | environment
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from quizapp.config import Config; print(Config.SESSION_IDLE_TIMEOUT.total_seconds())",
        ],
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_the_idle_minutes_setting_takes_whole_minutes_or_a_fraction():
    assert _config_in_a_new_process() == "1800.0"
    assert _config_in_a_new_process(QUIZAPP_SESSION_IDLE_MINUTES="45") == "2700.0"
    assert _config_in_a_new_process(QUIZAPP_SESSION_IDLE_MINUTES="0.25") == "15.0"


def test_the_sign_out_message_names_a_short_limit_in_seconds(database, tmp_path, clock):
    config = {**_config(database, tmp_path), "SESSION_IDLE_TIMEOUT": timedelta(seconds=15)}
    app = create_app(config)
    with app.app_context():
        try:
            user = create_user(email="quick@example.org")
            client = app.test_client()
            _sign_in(client, user.email)
            clock[0] += 16
            response = client.get("/checks/")
            assert response.status_code == 302
            page = client.get("/sign-in").get_data(as_text=True)
            assert "had not used the service for 15 seconds." in page
        finally:
            db.session.remove()
            _empty_tables()
            db.engine.dispose()


def test_signed_in_pages_carry_the_warning_and_signed_out_pages_do_not(app, client):
    signed_out = client.get("/sign-in").get_data(as_text=True)
    assert 'id="session-timeout"' not in signed_out
    assert "session-timeout.js" not in signed_out

    user = create_user(email="warned@example.org")
    _sign_in(client, user.email)
    page = client.get("/checks/").get_data(as_text=True)
    dialog = re.search(r"<dialog[^>]*>", page).group(0)
    assert 'id="session-timeout"' in dialog
    assert 'role="alertdialog"' in dialog
    assert 'aria-labelledby="session-timeout-heading"' in dialog
    assert 'aria-describedby="session-timeout-message"' in dialog
    assert 'data-idle-seconds="1800"' in dialog
    assert 'data-warning-seconds="120"' in dialog
    assert f'data-keep-alive-url="{KEEP_ALIVE}"' in dialog
    assert '<h2 class="govuk-heading-m" id="session-timeout-heading" tabindex="-1">' in page
    assert "You\u2019re about to be signed out" in page
    assert "Stay signed in" in page
    assert "We signed you out because you had not used the service for 30 minutes." in page
    # Not a question page: "Sign in again" comes back here.
    assert 'href="/sign-in?next=/checks/"' in page
    assert '<script type="module" src="/static/session-timeout.js"></script>' in page
    script = client.get("/static/session-timeout.js")
    assert script.status_code == 200
    assert "showModal" in script.get_data(as_text=True)
    script.close()


def test_the_warning_comes_at_most_half_the_limit_early(database, tmp_path):
    config = {**_config(database, tmp_path), "SESSION_IDLE_TIMEOUT": timedelta(seconds=15)}
    app = create_app(config)
    with app.app_context():
        try:
            user = create_user(email="brief@example.org")
            client = app.test_client()
            _sign_in(client, user.email)
            page = client.get("/checks/").get_data(as_text=True)
            assert 'data-idle-seconds="15"' in page
            assert 'data-warning-seconds="8"' in page  # 7.5 seconds, rounded
            assert "had not used the service for 15 seconds." in page
        finally:
            db.session.remove()
            _empty_tables()
            db.engine.dispose()


def test_on_a_question_page_the_warning_offers_to_keep_the_answer(app, client):
    outcome = import_bank_text(small_bank())
    check = check_for(outcome)
    user = create_user(email="answering@example.org", roles=(Role.PRACTITIONER, Role.AUTHOR))
    _sign_in(client, user.email)
    client.post(f"/checks/{check.id}/start")
    attempt = db.session.scalars(sa.select(Attempt)).one()
    page = client.get(f"/checks/attempts/{attempt.id}/questions/q-single").get_data(as_text=True)
    assert re.search(r'<form method="post" novalidate data-keeps-answer>', page)
    assert "Anything you have entered on this page has not been saved yet." in page
    assert "Your answer is still on this page. Sign in again and we will keep it" in page
    assert "data-timeout-keep-answer" in page
    assert 'href="/sign-in?next=' not in page  # "Sign in again" sends the answer instead

    # An author's preview records nothing, so it offers nothing to keep.
    key = outcome.bank.key
    assert client.post(f"/author/banks/{key}/draft/new").status_code == 302
    preview = client.get(f"/author/banks/{key}/draft/preview/questions/q-single")
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "data-keeps-answer" not in text
    assert "data-timeout-keep-answer" not in text
    assert "Answers you saved are kept." in text


def test_a_request_refused_before_the_idle_check_does_not_restart_the_idle_time(csrf_app, clock):
    """A form without its token is refused before the idle check runs; it must not
    restart the idle time of a session that had ended."""
    csrf_app.test_client_class = IsolatedClient
    client = csrf_app.test_client()
    user = create_user(email="refused@example.org")
    token = _csrf_token(client.get("/sign-in").get_data(as_text=True))
    client.post(
        "/sign-in", data={"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": token}
    )
    assert client.get("/checks/").status_code == 200
    clock[0] += 29 * 60
    assert client.post(KEEP_ALIVE).status_code == 400  # no token
    clock[0] += 2 * 60  # 31 minutes after the last request that got through
    response = client.get("/checks/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_the_check_overview_tells_people_the_time_limit_up_front(app, client):
    check = check_for(import_bank_text(small_bank()))
    user = create_user(email="before@example.org")
    _sign_in(client, user.email)
    page = client.get(f"/checks/{check.id}").get_data(as_text=True)
    notice = (
        "You\u2019ll be signed out if you do nothing for 30 minutes. We\u2019ll warn you first."
    )
    assert notice in page
    assert page.index(notice) < page.index("Start check")


def test_the_accessibility_statement_describes_the_warning(app, client):
    page = client.get("/accessibility").get_data(as_text=True)
    assert (
        "get a warning before you are signed out for not using the service for 30 minutes,"
        " and choose to stay signed in" in page
    )
    assert "signed out without a warning" not in page
    assert "2.2.1" not in page


def _session_cookie_set(response) -> bool:
    return any(h.startswith("session=") for h in response.headers.getlist("Set-Cookie"))


def test_last_seen_is_written_at_most_once_a_minute(app, client, clock):
    """The session cookie is re-signed and sent again only when the last-seen time moves
    on by the activity step (a minute), not on every request: so a session ends between
    29 and 30 minutes after its last request, never later."""
    user = create_user(email="steady@example.org")
    _sign_in(client, user.email)
    assert client.get("/checks/").status_code == 200  # the page's CSRF token is kept
    clock[0] += 59
    quiet = client.get("/checks/")
    assert quiet.status_code == 200
    assert not _session_cookie_set(quiet)
    # The warning's script counts from the server's last-seen time, 59 seconds ago.
    assert 'data-seen-ago-seconds="59.0"' in quiet.get_data(as_text=True)
    # The last-seen time is still the sign-in's: 30 minutes after it, the session ends,
    # though the last request was only 29 minutes and 1 second ago.
    clock[0] += 30 * 60 - 59 + 1
    response = client.get("/checks/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_a_request_a_minute_on_moves_the_last_seen_time(app, client, clock):
    user = create_user(email="moving@example.org")
    _sign_in(client, user.email)
    assert client.get("/checks/").status_code == 200
    clock[0] += 60
    moved = client.get("/checks/")
    assert moved.status_code == 200
    assert _session_cookie_set(moved)
    assert 'data-seen-ago-seconds="0.0"' in moved.get_data(as_text=True)
    clock[0] += 30 * 60
    assert client.get("/checks/").status_code == 200  # 30 minutes after the last write
    clock[0] += 30 * 60 + 1
    assert client.get("/checks/").status_code == 302


def test_stay_signed_in_restarts_the_idle_time_at_once(app, client, clock):
    """ "Stay signed in" writes the last-seen time whatever the step, so the script's new
    count (from the keep-alive) is the server's."""
    user = create_user(email="staying@example.org")
    _sign_in(client, user.email)
    clock[0] += 10
    response = client.post(KEEP_ALIVE)
    assert response.status_code == 204
    assert _session_cookie_set(response)
    clock[0] += 30 * 60 - 5  # 30 minutes and 5 seconds after signing in
    assert client.get("/checks/").status_code == 200
