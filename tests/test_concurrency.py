"""Two submissions of one attempt at the same moment: one submitted attempt, one set of
responses, one completion. Real threads, each with its own app context and database
session, on whichever database the suite uses (SQLite or PostgreSQL)."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa

from quizapp.extensions import db
from quizapp.models import Attempt, Completion, Response, utcnow
from quizapp.take.operations import submit_attempt

from .factories import check_for, create_user, import_bank_text
from .policy import _right_answer

ROUNDS = 5


def _answered_attempt(number: int) -> tuple[int, int, int]:
    """A practitioner's attempt with every question answered: (attempt, user, answers)."""
    from quizapp.take.operations import save_answer, start_attempt

    if number == 0:
        import_bank_text(_bank())
    check = check_for_bank()
    user = create_user(email=f"racer{number}@example.org")
    attempt = start_attempt(user, check, now=utcnow())
    for question in attempt.bank_version.questions:
        save_answer(attempt, question, _right_answer(question.spec), 3, now=utcnow())
    db.session.commit()
    return attempt.id, user.id, len(attempt.bank_version.questions)


def _bank() -> str:
    from .factories import SMALL_BANK

    return SMALL_BANK


def check_for_bank():
    from quizapp.models import Bank

    bank = db.session.scalar(sa.select(Bank).where(Bank.key == "small-bank"))
    return check_for(type("Outcome", (), {"bank": bank})())


def _race(app, work: Callable[[], Any], threads: int = 2) -> list[Any]:
    """Run `work` in `threads` threads released together; each in its own app context.
    Returns what each returned, or the exception it raised."""
    barrier = threading.Barrier(threads)
    results: list[Any] = [None] * threads

    def run(index: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results[index] = work()
            except Exception as error:  # reported by the test
                db.session.rollback()
                results[index] = error
            finally:
                db.session.remove()

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not any(worker.is_alive() for worker in workers), "a submission hung"
    return results


def _assert_submitted_once(attempt_id: int, user_id: int, answers: int) -> None:
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.submitted_at is not None
    submitted = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Attempt)
        .where(Attempt.user_id == user_id, Attempt.submitted_at.is_not(None))
    )
    assert submitted == 1
    responses = db.session.scalars(
        sa.select(Response.question_id).where(Response.attempt_id == attempt_id)
    ).all()
    assert len(responses) == answers == len(set(responses))
    completions = db.session.scalars(
        sa.select(Completion).where(Completion.user_id == user_id)
    ).all()
    assert len(completions) == 1
    assert completions[0].attempt_id == attempt_id


def _submit(attempt_id: int) -> bool:
    attempt = db.session.get(Attempt, attempt_id)
    attempt.bank_version.questions  # noqa: B018  (loaded before the race)
    done = submit_attempt(attempt, now=utcnow())
    db.session.commit()
    return done


def test_two_operations_submitting_at_once_submit_once(app):
    for number in range(ROUNDS):
        attempt_id, user_id, answers = _answered_attempt(number)
        results = _race(app, partial(_submit, attempt_id))
        assert sorted(results, key=repr) == [False, True], results
        _assert_submitted_once(attempt_id, user_id, answers)


def _signed_in_client(app, user_id: int):
    from quizapp.models import User

    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = db.session.get(User, user_id).session_token
        session["_fresh"] = True
        session["last_seen"] = int(time.time())
    return client


def _post_from_queue(clients: queue.Queue, url: str) -> tuple[int, str]:
    response = clients.get_nowait().post(url, data={})
    return response.status_code, response.headers.get("Location", "")


@pytest.mark.parametrize("threads", [2, 4])
def test_two_requests_submitting_at_once_submit_once(app, client, threads):
    """The practitioner presses Submit twice (or on two devices): every request ends on
    the result page; the attempt is submitted once."""
    for number in range(ROUNDS):
        attempt_id, user_id, answers = _answered_attempt(number)
        url = f"/checks/attempts/{attempt_id}/check-answers"
        clients: queue.Queue = queue.Queue()
        for _ in range(threads):
            clients.put(_signed_in_client(app, user_id))
        results = _race(app, partial(_post_from_queue, clients, url), threads=threads)
        for result in results:
            assert not isinstance(result, Exception), result
            status, location = result
            assert status == 302, results
            assert location.endswith(f"/checks/attempts/{attempt_id}/result"), results
        _assert_submitted_once(attempt_id, user_id, answers)
