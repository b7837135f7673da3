"""Taking a check: start, save answers, submit. Operations flush; the route commits once."""

from __future__ import annotations

import random
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.util import identity_key

from ..extensions import db
from ..interchange.xapi import queue_statements
from ..models import (
    LATEST_LAYOUT,
    Attempt,
    BankVersion,
    Check,
    Completion,
    Question,
    Response,
    User,
)
from ..questions import get_type
from ..scoring import AttemptScore, ItemResult, cbm_mark, summarise
from ..statistics import attempt_marks
from .layout import outline_for
from .outline import QuestionInfo, Step, outline_of


class TakeError(Exception):
    """A request the practitioner can't make now; the message says why, in plain English."""


class NoPublishedVersion(TakeError):
    pass


class AttemptsUsedUp(TakeError):
    pass


class AttemptAlreadySubmitted(TakeError):
    pass


class CheckRetired(TakeError):
    """The check is retired: no new attempts (one already started can be finished)."""


class UnansweredQuestions(TakeError):
    def __init__(self, questions: list[QuestionInfo]) -> None:
        super().__init__(f"{len(questions)} questions are not answered")
        self.questions = questions


def version_for(check: Check) -> BankVersion | None:
    """The pinned version, else the bank's latest published one."""
    if check.pinned_version_id is not None:
        return check.pinned_version
    return db.session.scalar(
        sa.select(BankVersion)
        .where(BankVersion.bank_id == check.bank_id, BankVersion.status == "published")
        .order_by(BankVersion.number.desc())
        .limit(1)
    )


def steps_for(attempt: Attempt) -> list[Step]:
    """Each stage's narrative, then the questions the attempt drew, in story order."""
    return list(outline_for(attempt).steps)


def questions_of(attempt: Attempt) -> list[QuestionInfo]:
    """The questions this attempt drew (all of its version's before pools), in order."""
    return list(outline_for(attempt).questions.values())


def previous_draw(user: User, check: Check) -> list[int]:
    """The questions the person's latest attempt at the check drew, to draw others."""
    latest = db.session.scalar(
        sa.select(Attempt.question_ids)
        .where(Attempt.user_id == user.id, Attempt.check_id == check.id)
        .order_by(Attempt.number.desc())
        .limit(1)
    )
    return list(latest or [])


def in_progress_attempt(user: User, check: Check) -> Attempt | None:
    return db.session.scalar(
        sa.select(Attempt).where(
            Attempt.user_id == user.id,
            Attempt.check_id == check.id,
            Attempt.submitted_at.is_(None),
        )
    )


def submitted_count(user: User, check: Check) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Attempt)
            .where(
                Attempt.user_id == user.id,
                Attempt.check_id == check.id,
                Attempt.submitted_at.is_not(None),
            )
        )
        or 0
    )


def may_try_again(check: Check, submitted: int) -> bool:
    """Whether a new attempt could start: the check is not retired, a version is
    published and attempts remain."""
    if check.is_retired:
        return False
    if check.attempts_allowed is not None and submitted >= check.attempts_allowed:
        return False
    return version_for(check) is not None


def new_seed() -> int:
    """An attempt's seed: its draw from the pools and its shuffles follow from it."""
    return random.SystemRandom().randrange(1, 2**31 - 1)


def start_attempt(user: User, check: Check, *, now: datetime) -> Attempt:
    """The person's attempt in progress, or a new one on the current version."""
    existing = in_progress_attempt(user, check)
    if existing is not None:
        return existing
    if check.is_retired:
        raise CheckRetired(f"{check.title} is retired, so it can't be started.")
    version = version_for(check)
    if version is None:
        raise NoPublishedVersion("This check has no published questions yet.")
    done = submitted_count(user, check)
    if check.attempts_allowed is not None and done >= check.attempts_allowed:
        raise AttemptsUsedUp(
            f"You have used all {check.attempts_allowed} attempts allowed for this check."
        )
    seed = new_seed()
    attempt = Attempt(
        user=user,
        check=check,
        bank_version=version,
        number=done + 1,
        seed=seed,
        layout=LATEST_LAYOUT,
        question_ids=outline_of(version).draw(seed, previous_draw(user, check)),
        pass_mark=check.pass_mark,
        certainty=check.certainty,
        started_at=now,
    )
    db.session.add(attempt)
    db.session.flush()
    return attempt


def response_for(attempt: Attempt, question: Question | QuestionInfo) -> Response | None:
    return db.session.scalar(
        sa.select(Response).where(
            Response.attempt_id == attempt.id, Response.question_id == question.id
        )
    )


def save_answer(
    attempt: Attempt,
    question: Question | QuestionInfo,
    answer: Any,
    certainty: int | None,
    *,
    now: datetime,
) -> None:
    """Keep (or replace) the answer to one question, scored straight away."""
    if attempt.is_submitted:
        raise AttemptAlreadySubmitted("This attempt has been submitted; answers can't change.")
    if question.version_id != attempt.bank_version_id:
        raise ValueError("question is not part of this attempt's bank version")
    if attempt.question_ids is not None and question.id not in attempt.question_ids:
        raise ValueError("question was not drawn for this attempt")
    qtype = get_type(question.type)
    fraction = mark = cbm = None
    if qtype.scored:
        fraction = float(qtype.score(question.spec, answer))
        mark = fraction * question.points
        if attempt.certainty:
            cbm = cbm_mark(fraction, certainty) * question.points
    else:
        certainty = None
    values = {
        "answer": answer,
        "certainty": certainty if attempt.certainty else None,
        "fraction": fraction,
        "mark": mark,
        "cbm_mark": cbm,
        "saved_at": now,
    }
    dialect = db.session.get_bind().dialect.name
    if dialect in UPSERT:
        _upsert_response(dialect, attempt.id, question.id, values)
        return
    response = response_for(attempt, question)
    if response is None:
        response = Response(attempt=attempt, question_id=question.id)
        db.session.add(response)
    for name, value in values.items():
        setattr(response, name, value)
    db.session.flush()


#: Databases that insert-or-replace a row in one statement (ON CONFLICT DO UPDATE).
UPSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
SAVED = ("answer", "certainty", "fraction", "mark", "cbm_mark", "saved_at")


@cache
def _upsert_statement(dialect: str) -> Any:
    """Built once per database kind: building it costs more than running it. A Core
    statement on the table: the ORM's bulk path cost more than the database work."""
    table = Response.__table__
    statement = UPSERT[dialect](table)
    return statement.on_conflict_do_update(
        index_elements=[table.c.attempt_id, table.c.question_id],
        set_={name: statement.excluded[name] for name in SAVED},
    ).returning(table.c.id)


def _upsert_response(
    dialect: str, attempt_id: int, question_id: int, values: dict[str, Any]
) -> None:
    """Save the answer in one statement instead of a look-up and then an insert or update.

    The caller has checked, on the attempt row read in this transaction, that the attempt
    is not submitted: the same check the flush guard (models/guards.py) makes; the
    database's triggers refuse it too. A Response for the row already in the session is
    refreshed from the database when next read, so nothing stale is shown."""
    response_id = db.session.execute(
        _upsert_statement(dialect),
        {"attempt_id": attempt_id, "question_id": question_id, **values},
    ).scalar_one()
    loaded = db.session.identity_map.get(identity_key(Response, response_id))
    if loaded is not None:
        db.session.expire(loaded)


def responses_by_question(attempt: Attempt) -> dict[int, Response]:
    rows = db.session.scalars(sa.select(Response).where(Response.attempt_id == attempt.id))
    return {response.question_id: response for response in rows}


def unanswered_questions(attempt: Attempt) -> list[QuestionInfo]:
    """Scored questions still without an answer (reflections may be left blank)."""
    answered = responses_by_question(attempt)
    return [
        question
        for question in questions_of(attempt)
        if question.scored and question.id not in answered
    ]


def score_attempt(attempt: Attempt) -> AttemptScore:
    answered = responses_by_question(attempt)
    items = [
        ItemResult(
            fraction=answered[q.id].fraction or 0.0,
            points=q.points,
            certainty=answered[q.id].certainty,
        )
        for q in questions_of(attempt)
        if q.scored and q.id in answered
    ]
    return summarise(items, pass_mark=attempt.pass_mark, certainty_based=attempt.certainty)


def submit_attempt(attempt: Attempt, *, now: datetime) -> bool:
    """Submit once. True if this call submitted it; False if it was already submitted.

    The conditional UPDATE is what makes double submission safe: of two requests racing,
    only one matches `submitted_at IS NULL`, so only one scores and records completion.
    """
    if attempt.is_submitted:
        return False
    missing = unanswered_questions(attempt)
    if missing:
        raise UnansweredQuestions(missing)
    result = score_attempt(attempt)
    updated = db.session.execute(
        sa.update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.submitted_at.is_(None))
        .values(
            submitted_at=now,
            score=result.score,
            max_score=result.max_score,
            percent=result.percent,
            passed=result.passed,
            cbm_percent=result.cbm_percent,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(attempt)
    if updated.rowcount != 1:
        return False
    attempt_marks.record(db.session, [attempt])
    if result.passed:
        record_pass(attempt)
    queue_statements(attempt)
    return True


def record_pass(attempt: Attempt) -> Completion:
    """Completion follows the latest pass; it and the attempt's certificate are written in
    the submitting transaction."""
    from ..certificates.operations import issue_certificate
    from ..workforce.requirements import refresh_months_for

    assert attempt.submitted_at is not None
    months = refresh_months_for(attempt.user_id, attempt.check)
    expires = attempt.submitted_at + relativedelta(months=months)
    completion = db.session.scalar(
        sa.select(Completion)
        .where(Completion.user_id == attempt.user_id, Completion.check_id == attempt.check_id)
        .with_for_update()
    )
    if completion is None:
        completion = Completion(user_id=attempt.user_id, check_id=attempt.check_id)
        db.session.add(completion)
    if completion.passed_at is None or completion.passed_at <= attempt.submitted_at:
        completion.attempt_id = attempt.id
        completion.passed_at = attempt.submitted_at
        completion.expires_at = expires
    db.session.flush()
    issue_certificate(attempt, expires_at=expires)
    return completion
