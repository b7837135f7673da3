"""Published bank versions and submitted attempts can't be changed through the ORM."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from quizapp.extensions import db
from quizapp.models import Attempt, Response, utcnow
from quizapp.models.guards import ImmutableRecordError
from quizapp.take import operations

from .factories import check_for, create_user, import_bank_text, small_bank


def test_a_published_version_and_its_questions_cannot_change(app):
    outcome = import_bank_text(small_bank())
    version = outcome.version
    question = version.questions[0]
    question.spec = {**question.spec, "prompt": "Rewritten"}
    with pytest.raises(ImmutableRecordError):
        db.session.flush()
    db.session.rollback()
    version.title = "Renamed"
    with pytest.raises(ImmutableRecordError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(version.findings[0])
    with pytest.raises(ImmutableRecordError):
        db.session.flush()
    db.session.rollback()


def _submitted_attempt() -> Attempt:
    check = check_for(import_bank_text(small_bank()))
    user = create_user()
    attempt = operations.start_attempt(user, check, now=utcnow())
    for question in attempt.bank_version.questions:
        answer = {"single": 0, "multiple": [0, 1], "true_false": False}.get(question.type)
        if question.type == "ordering":
            answer = [0, 1, 2]
        if question.type == "reflection":
            answer = "Private"
        operations.save_answer(attempt, question, answer, 2, now=utcnow())
    assert operations.submit_attempt(attempt, now=utcnow()) is True
    db.session.commit()
    return attempt


def test_a_submitted_attempt_and_its_responses_cannot_change(app):
    attempt = _submitted_attempt()
    assert attempt.percent == 100
    attempt.score = 0
    with pytest.raises(ImmutableRecordError):
        db.session.flush()
    db.session.rollback()
    response = db.session.scalars(sa.select(Response)).first()
    response.answer = 1
    with pytest.raises(ImmutableRecordError):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(operations.AttemptAlreadySubmitted):
        operations.save_answer(attempt, attempt.bank_version.questions[0], 1, 1, now=utcnow())


def test_submitting_again_changes_nothing(app):
    attempt = _submitted_attempt()
    submitted_at = attempt.submitted_at
    assert operations.submit_attempt(attempt, now=utcnow()) is False
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).submitted_at == submitted_at


def test_database_allows_one_attempt_in_progress_per_person_and_check(app):
    check = check_for(import_bank_text(small_bank()))
    user = create_user()
    first = operations.start_attempt(user, check, now=utcnow())
    db.session.commit()
    db.session.add(
        Attempt(
            user=user,
            check=check,
            bank_version=first.bank_version,
            number=2,
            seed=1,
            pass_mark=80,
            certainty=True,
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
