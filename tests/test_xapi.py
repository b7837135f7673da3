"""xAPI statements of a submitted attempt, and the outbox they wait in.

Every statement is checked against the xAPI 1.0.3 rules as Ralph's pydantic models (an
independent LRS's) state them; ADL's cmi5 sample statements pass the same check, which
shows the check accepts real statements.
"""

from __future__ import annotations

import json
import random
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from ralph.models.xapi.base.statements import BaseXapiStatement

from quizapp.demo import _answer
from quizapp.extensions import db
from quizapp.interchange.xapi import (
    XapiSettings,
    duration,
    path_choices,
    statements_for_attempt,
)
from quizapp.interchange.xapi_cli import backoff
from quizapp.models import Agency, Attempt, Check, ScenarioChoice, User, XapiOutbox, utcnow
from quizapp.questions import get_type
from quizapp.take import operations

from .factories import check_for, create_agency, create_user, import_bank_text, small_bank

FIXTURES = Path(__file__).resolve().parents[1] / ".." / "shared" / "fixtures" / "xapi" / "cmi5"
SERVICE = "https://checks.example.org/"
SETTINGS = XapiSettings(service_url=SERVICE, homepage=SERVICE)
REFLECTION = "My private reflection 9c1e, never to leave the service"
VERB = "http://adlnet.gov/expapi/verbs/"
#: The small bank: attempted, 5 answered (4 scored, 1 reflection), passed/failed, completed.
PER_ATTEMPT = 8


def answered_attempt(user: User, check: Check, *, right: bool = True) -> Attempt:
    """Started an hour ago, every question answered (all right or all wrong)."""
    at = utcnow() - timedelta(hours=1)
    rng = random.Random(user.id)
    attempt = operations.start_attempt(user, check, now=at)
    for question in attempt.bank_version.questions:
        if get_type(question.type).scored:
            answer, certainty = _answer(question, right, rng), 3
        else:
            answer, certainty = REFLECTION, None
        operations.save_answer(attempt, question, answer, certainty, now=at)
    return attempt


def submit(attempt: Attempt) -> Attempt:
    """Submitted ten minutes after it was started."""
    assert operations.submit_attempt(attempt, now=attempt.started_at + timedelta(minutes=10))
    return attempt


def take_check(user: User, check: Check, *, right: bool = True) -> Attempt:
    return submit(answered_attempt(user, check, right=right))


def new_user(agency: Agency | None, number: int) -> User:
    """A practitioner without a password (hashing one would be slow for many)."""
    user = User(email=f"xapi{number}@example.org", name=f"Person {number}", agency=agency)
    db.session.add(user)
    db.session.flush()
    return user


def validate(statement: dict[str, Any]) -> None:
    BaseXapiStatement.model_validate(statement)


@pytest.fixture
def world(app):
    check = check_for(import_bank_text(small_bank()))
    agency = create_agency(name="Northshire Health")
    return check, agency, new_user(agency, 1)


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.name)
def test_the_validator_accepts_adls_cmi5_sample_statements(path):
    statement = json.loads(path.read_text())
    validate(statement)
    # ...and refuses one broken the way a careless writer would: an agent with two ids.
    broken = {**statement, "actor": {**statement["actor"], "mbox": "mailto:a@example.org"}}
    with pytest.raises(ValueError):
        validate(broken)


def test_a_passed_attempt_gives_attempted_answered_passed_completed(world):
    check, agency, user = world
    attempt = take_check(user, check)
    statements = statements_for_attempt(attempt, SETTINGS)

    for statement in statements:
        validate(statement)
    verbs = [s["verb"]["id"].removeprefix(VERB) for s in statements]
    assert verbs == ["attempted", *["answered"] * 5, "passed", "completed"]
    assert len(statements) == PER_ATTEMPT
    for statement in statements:
        assert statement["actor"] == {
            "objectType": "Agent",
            "account": {"homePage": SERVICE, "name": str(user.id)},
        }
        assert statement["context"]["team"] == {
            "objectType": "Group",
            "name": "Northshire Health",
            "account": {"homePage": SERVICE, "name": f"agency-{agency.id}"},
        }
        assert statement["context"]["registration"] == statements[0]["context"]["registration"]
    text = json.dumps(statements)
    assert user.email not in text and "mbox" not in text
    assert REFLECTION not in text

    check_iri = f"{SERVICE}checks/{check.id}"
    version_iri = f"{SERVICE}banks/small-bank/versions/1"
    attempted, *answered, passed, completed = statements
    assert attempted["object"]["id"] == check_iri
    assert attempted["timestamp"] == attempt.started_at.isoformat(timespec="milliseconds").replace(
        "+00:00", "Z"
    )
    assert [a["id"] for a in attempted["context"]["contextActivities"]["grouping"]] == [version_iri]
    by_question = {a["object"]["id"].rsplit("/", 1)[1]: a for a in answered}
    assert set(by_question) == {"q-single", "q-multiple", "q-true-false", "q-ordering", "q-reflect"}
    for answer in answered:
        activities = answer["context"]["contextActivities"]
        assert [a["id"] for a in activities["parent"]] == [check_iri]
        assert [a["id"] for a in activities["grouping"]] == [version_iri]
    multiple = by_question["q-multiple"]
    assert multiple["object"]["id"] == f"{version_iri}/questions/q-multiple"
    assert multiple["object"]["definition"]["interactionType"] == "choice"
    assert multiple["result"] == {
        "score": {"scaled": 1.0, "raw": 2.0, "min": 0.0, "max": 2.0},
        "success": True,
        "completion": True,
    }
    assert by_question["q-reflect"]["result"] == {"completion": True}
    assert passed["result"] == {
        "score": {"scaled": 1.0, "raw": 5.0, "min": 0.0, "max": 5.0},
        "success": True,
        "completion": True,
        "duration": "PT10M",
    }
    assert completed["result"] == {"completion": True, "duration": "PT10M"}
    assert completed["timestamp"] == passed["timestamp"]


def test_a_failed_attempt_says_failed_with_its_score(world):
    check, _agency, user = world
    statements = statements_for_attempt(take_check(user, check, right=False), SETTINGS)
    for statement in statements:
        validate(statement)
    failed = statements[-2]
    assert failed["verb"]["id"] == VERB + "failed"
    assert failed["result"]["success"] is False
    assert failed["result"]["score"]["scaled"] < 0.8
    scored = [s for s in statements[1:-2] if "score" in s["result"]]
    assert len(scored) == 4
    assert all(s["result"]["success"] is False for s in scored)


def test_statement_ids_are_stable_and_unique(world):
    check, agency, user = world
    first = take_check(user, check)
    other = take_check(new_user(agency, 2), check)
    ids = [s["id"] for s in statements_for_attempt(first, SETTINGS)]
    assert ids == [s["id"] for s in statements_for_attempt(first, SETTINGS)]
    others = [s["id"] for s in statements_for_attempt(other, SETTINGS)]
    assert len(set(ids + others)) == 2 * PER_ATTEMPT
    # Another service's attempt 1 is another statement.
    elsewhere = XapiSettings(service_url="https://elsewhere.example.org/", homepage=SERVICE)
    assert not set(ids) & {s["id"] for s in statements_for_attempt(first, elsewhere)}


def test_email_only_when_configured_and_homepage_configurable(world):
    check, _agency, user = world
    attempt = take_check(user, check)
    settings = XapiSettings(
        service_url=SERVICE, homepage="https://partnership.example.org", actor_email=True
    )
    statements = statements_for_attempt(attempt, settings)
    for statement in statements:
        validate(statement)
        assert statement["actor"] == {"objectType": "Agent", "mbox": f"mailto:{user.email}"}
        assert statement["context"]["team"]["account"]["homePage"] == (
            "https://partnership.example.org"
        )


def test_a_person_without_agency_has_no_team(app):
    check = check_for(import_bank_text(small_bank()))
    statements = statements_for_attempt(take_check(new_user(None, 1), check), SETTINGS)
    for statement in statements:
        validate(statement)
        assert "team" not in statement["context"]


def test_each_scenario_decision_on_the_path_is_answered(world):
    check, _agency, user = world
    attempt = answered_attempt(user, check)
    question = attempt.bank_version.questions[0]
    made = [
        ScenarioChoice(
            attempt_id=attempt.id,
            question_id=question.id,
            sequence=number,
            node_key=node,
            alternative_key=alternative,
            points=2,
            withdrawn_at=withdrawn,
        )
        for number, node, alternative, withdrawn in [
            (1, "first", "ask-gp", None),
            (2, "second", "wait", utcnow()),
            (3, "second", "challenge", None),
        ]
    ]
    db.session.add_all(made)
    db.session.flush()
    submit(attempt)
    on_path = path_choices(attempt)
    assert [c.alternative_key for c in on_path] == ["ask-gp", "challenge"]

    statements = statements_for_attempt(attempt, SETTINGS, choices=on_path)
    assert len(statements) == PER_ATTEMPT + 2
    decisions = statements[6:8]
    for statement in decisions:
        validate(statement)
        assert statement["verb"]["id"] == VERB + "answered"
    assert [d["result"]["response"] for d in decisions] == ["ask-gp", "challenge"]
    assert decisions[1]["object"]["id"].endswith(f"/questions/{question.key}/decisions/second")
    assert len({s["id"] for s in statements}) == len(statements)


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0, "PT0S"), (19.934, "PT19.93S"), (600, "PT10M"), (3723.5, "PT1H2M3.5S"), (7200, "PT2H")],
)
def test_durations_are_iso_8601(seconds, expected):
    start = utcnow()
    assert duration(start, start + timedelta(seconds=seconds)) == expected


def _outbox() -> list[XapiOutbox]:
    return list(db.session.scalars(sa.select(XapiOutbox).order_by(XapiOutbox.id)))


def test_submitting_writes_the_statements_to_the_outbox_when_an_lrs_is_configured(app, world):
    check, _agency, user = world
    app.config.update(XAPI_ENDPOINT="http://lrs.example.org/xAPI", XAPI_SERVICE_URL=SERVICE)
    attempt = take_check(user, check)
    rows = _outbox()
    assert [row.payload for row in rows] == statements_for_attempt(attempt, SETTINGS)
    assert [row.statement_id for row in rows] == [row.payload["id"] for row in rows]
    assert all(row.sent_at is None and row.attempts == 0 for row in rows)
    # Same transaction: undoing the submission undoes the statements.
    db.session.rollback()
    assert _outbox() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 0


def test_nothing_is_written_without_an_lrs(app, world):
    check, _agency, user = world
    assert app.config["XAPI_ENDPOINT"] is None
    take_check(user, check)
    db.session.commit()
    assert _outbox() == []


def test_a_failed_send_keeps_the_batch_and_waits_longer_each_time(app, world):
    check, agency, user = world
    with socket.socket() as sock:  # a port nothing listens on: connection refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app.config.update(XAPI_ENDPOINT=f"http://127.0.0.1:{port}/xAPI", XAPI_SERVICE_URL=SERVICE)
    take_check(user, check)
    take_check(new_user(agency, 2), check)
    db.session.commit()
    runner = app.test_cli_runner()

    result = runner.invoke(args=["xapi", "send", "--batch-size", "5"])
    assert result.exit_code == 1
    assert "5 statements wait to be retried" in result.output
    rows = _outbox()
    assert len(rows) == 2 * PER_ATTEMPT
    assert all(row.sent_at is None for row in rows)
    failed = [row for row in rows if row.attempts]
    assert [row.id for row in failed] == [row.id for row in rows[:5]]
    assert all("ConnectionError" in row.last_error for row in failed)
    first_wait = failed[0].next_try_at
    # Not due yet: the next run leaves them and tries the next batch.
    db.session.commit()
    runner.invoke(args=["xapi", "send", "--batch-size", "5"])
    db.session.expire_all()
    assert [row.attempts for row in _outbox()[:10]] == [1] * 10
    # --all retries them now, and the wait doubles.
    db.session.commit()
    runner.invoke(args=["xapi", "send", "--batch-size", "5", "--all"])
    db.session.expire_all()
    again = _outbox()[:5]
    assert [row.attempts for row in again] == [2] * 5
    assert again[0].next_try_at - first_wait > timedelta(seconds=50)


def test_backoff_doubles_up_to_six_hours():
    assert [backoff(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (1, 2, 4)]
    assert backoff(30) == timedelta(hours=6)


def test_send_without_an_lrs_says_so(app):
    result = app.test_cli_runner().invoke(args=["xapi", "send"])
    assert result.exit_code == 1
    assert "XAPI_ENDPOINT is not set" in result.output


def test_a_scenario_taken_through_the_pages_reports_each_decision_on_its_path(app, client, auth):
    """Through the real routes, with no XAPI_SERVICE_URL: IRIs use the request's address.
    The decision gone back on is not reported; the one made instead is."""
    from .scenario_bank import SCENARIO_BANK
    from .test_take_scenario import choose, sequence_of, url

    app.config.update(XAPI_ENDPOINT="http://lrs.example.org/xAPI")
    check = check_for(import_bank_text(SCENARIO_BANK))
    check.scenario_back = True
    create_user(email="hv@example.org", agency=create_agency())
    db.session.commit()
    auth.sign_in("hv@example.org")
    assert client.post(f"/checks/{check.id}/start").status_code == 302
    attempt = db.session.scalars(sa.select(Attempt)).one()
    warm_up = f"/checks/attempts/{attempt.id}/questions/warm-up"
    assert client.post(warm_up, data={"answer": "true"}).status_code == 302
    choose(client, attempt, "Wait for the next visit")
    choose(client, attempt, "Say nothing")
    page = client.get(url(attempt)).get_data(as_text=True)
    client.post(url(attempt), data={"action": "back", "sequence": sequence_of(page)})
    choose(client, attempt, "Say so in the meeting and explain why")
    choose(client, attempt, "Escalate under the escalation procedure")
    submitted = client.post(f"/checks/attempts/{attempt.id}/check-answers")
    assert submitted.headers["Location"].endswith(f"/checks/attempts/{attempt.id}/result")

    statements = [row.payload for row in _outbox()]
    for statement in statements:
        validate(statement)
    verbs = [s["verb"]["id"].removeprefix(VERB) for s in statements]
    # Waiting (0 of 2) and, first chosen, saying nothing (0 of 2): 1 of the scenario's 3
    # points, 2 of 4 in all.
    assert verbs == ["attempted", *["answered"] * 5, "failed", "completed"]
    version_iri = "http://quizapp.test/banks/scenario-bank/versions/1"
    path = f"{version_iri}/questions/conference-path"
    assert [s["object"]["id"] for s in statements[1:6]] == [
        f"{version_iri}/questions/warm-up",
        path,
        f"{path}/decisions/missed-visits",
        f"{path}/decisions/plan",
        f"{path}/decisions/chair-refuses",
    ]
    assert [s["result"]["response"] for s in statements[3:6]] == ["wait", "challenge", "escalate"]
    assert statements[2]["result"]["score"]["raw"] == pytest.approx(1.0)
    assert statements[6]["result"]["score"]["scaled"] == 0.5
    assert statements[0]["actor"]["account"]["homePage"] == "http://quizapp.test/"
