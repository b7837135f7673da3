"""Every route, every kind of user, against the one declared policy (tests/policy.py)."""

from __future__ import annotations

import json
import time

import pytest
from flask import url_for

from quizapp import create_app
from quizapp.extensions import db

from .conftest import _empty_tables
from .factories import DEFAULT_PASSWORD
from .policy import (
    DENIED,
    KINDS,
    MISSING,
    OK,
    POLICY,
    SIGN_IN,
    build_world,
    missing_entry_help,
)

#: The URL map as the app builds it, for parametrising (no database is touched).
_RULES = {
    rule.endpoint: rule
    for rule in create_app(
        {"TESTING": True, "SECRET_KEY": "k" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    ).url_map.iter_rules()
}


def test_every_route_has_a_policy_entry(app):
    rules = list(app.url_map.iter_rules())
    missing = [
        missing_entry_help(rule.endpoint, rule.rule, sorted(rule.arguments))
        for rule in rules
        if rule.endpoint not in POLICY
    ]
    assert not missing, "\n\n".join(missing)
    stale = sorted(set(POLICY) - {rule.endpoint for rule in rules})
    assert not stale, f"tests/policy.py has entries for endpoints that don't exist: {stale}"


def test_every_policy_entry_names_arguments_the_rule_takes(app):
    for rule in app.url_map.iter_rules():
        entry = POLICY.get(rule.endpoint)
        if entry is not None:
            assert set(entry.args) == set(rule.arguments), rule.endpoint
            assert set(entry.expect) == set(KINDS), rule.endpoint


def outcome(response, method: str) -> str:
    """The class of an answer: OK, SIGN_IN, DENIED or MISSING (or the bare status)."""
    status = response.status_code
    assert status < 500, f"{method} answered {status}"
    if status in (301, 302, 303, 307, 308):
        location = response.headers["Location"]
        return SIGN_IN if location.split("?")[0].endswith("/sign-in") else OK
    if status == 403:
        return DENIED
    if status == 404:
        return MISSING
    if status == 401:
        return str(status)
    if method == "GET":
        return OK if 200 <= status < 300 else str(status)
    return OK  # an empty POST may fairly be refused as a bad form (400/409/410/422)


def _sign_in(client, world, kind: str) -> None:
    if kind == "anonymous":
        return
    response = client.post(
        "/sign-in", data={"email": world.users[kind].email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302, f"{kind} could not sign in"


def _session_for(app, world, kind: str):
    """A client signed in as `kind` the quick way (the session a sign-in makes), so the
    walk doesn't spend a slow password check per request. test_security tests sign-in."""
    client = app.test_client()
    if kind != "anonymous":
        with client.session_transaction() as session:
            session["_user_id"] = world.users[kind].session_token
            session["_fresh"] = True
            session["last_seen"] = int(time.time())
    return client


@pytest.mark.parametrize("endpoint", sorted(POLICY))
def test_access_follows_the_policy(app, client, endpoint):
    """Each kind of user, on a world built afresh whenever an allowed POST may have
    changed it (refusals change nothing, so they go first)."""
    rule = _RULES.get(endpoint)
    if rule is None:
        pytest.fail(f"{endpoint} is in tests/policy.py but not in the app's URL map")
    entry = POLICY[endpoint]
    methods = [method for method in ("GET", "POST") if method in rule.methods]
    world = build_world()
    changed = False
    failures = []
    for kind in sorted(KINDS, key=lambda kind: entry.expect[kind] == OK):
        if changed:
            db.session.remove()
            _empty_tables()
            world = build_world()
            changed = False
        signed_in = _session_for(app, world, kind)
        url = url_for(endpoint, **world.args_for(entry))
        expected = entry.expect[kind]
        for method in methods:
            response = signed_in.open(url, method=method, data={} if method == "POST" else None)
            got = outcome(response, method)
            response.close()
            changed = changed or (method == "POST" and got == OK)
            if got != expected:
                failures.append(
                    f"{method} {url} as {kind}: expected {expected}, got {got}"
                    f" ({response.status_code} {response.headers.get('Location', '')})"
                )
    assert not failures, "\n".join(failures)


# Another person's attempt, result, reflection and data --------------------------------


@pytest.fixture
def world(app):
    return build_world()


def _signed_in_client(client, world, kind: str):
    _sign_in(client, world, kind)
    return client


@pytest.mark.parametrize(
    ("endpoint", "args"),
    [
        ("take.stage", {"key": "first"}),
        ("take.question", {"key": "q-single"}),
        ("take.question", {"key": "q-reflect"}),
        ("take.check_answers", {}),
    ],
)
def test_another_persons_attempt_in_progress_is_not_found(client, world, endpoint, args):
    signed_in = _signed_in_client(client, world, "practitioner")
    url = url_for(endpoint, attempt_id=world.other_attempt_id, **args)
    assert signed_in.get(url).status_code == 404
    if "POST" in _RULES[endpoint].methods:
        assert signed_in.post(url, data={"answer": "0", "certainty": "3"}).status_code == 404


@pytest.mark.parametrize("kind", ["practitioner", "lead_b", "partnership_lead", "admin"])
def test_another_persons_result_and_reflection_are_not_found(client, world, kind):
    """Nobody but the practitioner reads their result page, where their reflection is."""
    signed_in = _signed_in_client(client, world, kind)
    response = signed_in.get(url_for("take.result", attempt_id=world.other_submitted_attempt_id))
    assert response.status_code == 404
    assert "A reflection only I can read." not in response.get_data(as_text=True)


def test_the_owner_does_see_their_result_and_reflection(client, world):
    signed_in = _signed_in_client(client, world, "practitioner")
    response = signed_in.get(url_for("take.result", attempt_id=world.submitted_attempt_id))
    assert response.status_code == 200
    assert "A reflection only I can read." in response.get_data(as_text=True)


def test_an_export_holds_only_the_signed_in_persons_data(client, world):
    """The data download takes no id: it can only be your own. The other practitioner's
    attempts (same check, same reflection text) are not in it."""
    signed_in = _signed_in_client(client, world, "practitioner")
    response = signed_in.get(url_for("account.download"))
    assert response.status_code == 200
    data = json.loads(response.get_data())
    assert data["profile"]["email"] == "practitioner@a.example.org"
    attempt_ids = {attempt["id"] for attempt in data["attempts"]}
    assert attempt_ids == {world.attempt_id, world.submitted_attempt_id, world.follow_up_attempt_id}
    assert world.other_submitted_attempt_id not in attempt_ids
    assert "other@b.example.org" not in response.get_data(as_text=True)


def test_an_admin_download_is_their_own_data_not_other_peoples(client, world):
    signed_in = _signed_in_client(client, world, "admin")
    data = json.loads(signed_in.get(url_for("account.download")).get_data())
    assert data["profile"]["email"] == "admin@partnership.example.org"
    assert data["attempts"] == []
    response = signed_in.get(url_for("account.download", user=world.other_practitioner_id))
    assert json.loads(response.get_data())["profile"]["email"] == "admin@partnership.example.org"
