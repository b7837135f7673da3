"""Item statistics from SQL, against the same figures worked out here from raw rows.

Attempts go through the real take operations, answered by a seeded random generator so
every run sees the same data. The expected figures are computed in Python from every
Attempt and Response row, filtered here, with the statistics module.
"""

from __future__ import annotations

import math
import random
import statistics
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from quizapp.extensions import db
from quizapp.models import Attempt, BankVersion, Check, Question, Response, User, utcnow
from quizapp.questions import get_type
from quizapp.statistics.items import WRONG_FRACTION, CheckStatistics
from quizapp.statistics.queries import version_statistics
from quizapp.take.operations import questions_of, save_answer, start_attempt, submit_attempt

from .factories import check_for, create_user, import_bank_text, import_hs_bank, small_bank

NOW = utcnow()


def approx(value: float) -> object:
    return pytest.approx(value, abs=0.0005)


def random_answer(question: Question, rng: random.Random, ability: float) -> Any:
    """Right with probability `ability`, otherwise anything the form could send."""
    spec = question.spec
    right = rng.random() < ability
    if question.type == "single":
        options = spec["options"]
        if right:
            return next(i for i, option in enumerate(options) if option["correct"])
        return rng.randrange(len(options))
    if question.type == "multiple":
        options = spec["options"]
        if right:
            return [i for i, option in enumerate(options) if option["correct"]]
        size = rng.randint(1, len(options))
        return sorted(rng.sample(range(len(options)), size))
    if question.type == "true_false":
        return spec["answer"] if right else rng.random() < 0.5
    if question.type == "ordering":
        order = list(range(len(spec["items"])))
        if not right:
            rng.shuffle(order)
        return order
    return "What I would do differently."


def take(
    user: User,
    check: Check,
    rng: random.Random,
    *,
    ability: float,
    submit: bool = True,
) -> Attempt:
    attempt = start_attempt(user, check, now=NOW)
    for question in questions_of(attempt):
        if question.type == "reflection" and rng.random() < 0.3:
            continue  # reflections may be left blank
        certainty = rng.choice([1, 2, 3]) if get_type(question.type).scored else None
        save_answer(attempt, question, random_answer(question, rng, ability), certainty, now=NOW)
    if submit:
        submit_attempt(attempt, now=NOW + timedelta(minutes=10))
    db.session.commit()
    return attempt


def practitioners_take(check: Check, count: int, rng: random.Random) -> list[User]:
    users = []
    for _ in range(count):
        user = create_user()
        take(user, check, rng, ability=rng.random())
        users.append(user)
    return users


def expected_statistics(version_id: int, check_id: int | None = None) -> dict[str, Any]:
    """Every figure worked out in Python from all the rows, filtered here."""
    attempts = [
        attempt
        for attempt in db.session.scalars(sa.select(Attempt).order_by(Attempt.id))
        if attempt.number == 1
        and attempt.submitted_at is not None
        and attempt.bank_version_id == version_id
        and (check_id is None or attempt.check_id == check_id)
    ]
    questions = [
        question
        for question in db.session.scalars(
            sa.select(Question).where(Question.version_id == version_id)
        )
        if get_type(question.type).scored
    ]
    questions.sort(key=lambda question: question.position)
    responses = {
        (response.attempt_id, response.question_id): response
        for response in db.session.scalars(sa.select(Response))
    }
    totals = [attempt.score for attempt in attempts]
    items = {}
    item_variances = []
    for question in questions:
        given = [responses.get((attempt.id, question.id)) for attempt in attempts]
        marks = [response.mark if response else 0.0 for response in given]
        # The attempt's score is the sum of its marks: the rest is everything else.
        rest = [t - x for x, t in zip(marks, totals, strict=True)]
        wrong = [r for r in given if r is not None and r.fraction <= WRONG_FRACTION]
        spread = statistics.variance(marks) > 0 and statistics.variance(rest) > 0
        cov_max = statistics.covariance(sorted(marks), sorted(rest))
        items[question.key] = {
            "facility": 100 * statistics.mean(marks) / question.points,
            "sd": statistics.stdev(marks),
            # Undefined without spread in the item or in the rest of the check.
            "discrimination_index": (100 * statistics.correlation(marks, rest) if spread else None),
            "discriminative_efficiency": (
                100 * statistics.covariance(marks, rest) / cov_max if spread else None
            ),
            "answered": sum(1 for response in given if response is not None),
            "wrong": len(wrong),
            "confidently_wrong": sum(1 for response in wrong if response.certainty == 3),
            "options": option_counts(question, [r.answer for r in given if r is not None]),
        }
        item_variances.append(statistics.variance(marks))
    p = len(questions)
    alpha = 100 * p / (p - 1) * (1 - sum(item_variances) / statistics.variance(totals))
    error_ratio = 100 * math.sqrt(1 - alpha / 100)
    return {
        "attempts": len(attempts),
        "attempt_ids": {attempt.id for attempt in attempts},
        "mean_total": statistics.mean(totals),
        "sd_total": statistics.stdev(totals),
        "alpha": alpha,
        "error_ratio": error_ratio,
        "standard_error": error_ratio * statistics.stdev(totals) / 100,
        "items": items,
        "keys": [question.key for question in questions],
    }


def option_counts(question: Question, answers: list[Any]) -> list[int] | None:
    if question.type == "true_false":
        return [answers.count(True), answers.count(False)]
    if question.type in ("single", "multiple"):
        chosen: Counter[int] = Counter()
        for answer in answers:
            chosen.update(answer if isinstance(answer, list) else [answer])
        return [chosen[index] for index in range(len(question.spec["options"]))]
    return None


def assert_close(actual: float | None, expected: float | None, label: object) -> None:
    if expected is None:
        assert actual is None, label
    else:
        assert actual == approx(expected), label


def assert_matches(result: CheckStatistics, expected: dict[str, Any]) -> None:
    assert result.message is None
    assert result.attempts == expected["attempts"]
    assert [item.key for item in result.items] == expected["keys"]
    for name in ("mean_total", "sd_total", "alpha", "error_ratio", "standard_error"):
        assert_close(getattr(result, name), expected[name], name)
    for item in result.items:
        wanted = expected["items"][item.key]
        assert item.attempts == expected["attempts"]
        for name in ("facility", "sd", "discrimination_index", "discriminative_efficiency"):
            assert_close(getattr(item, name), wanted[name], (item.key, name))
        assert item.answered == wanted["answered"]
        assert item.wrong == wanted["wrong"]
        assert item.confidently_wrong == wanted["confidently_wrong"]
        if wanted["options"] is None:
            assert item.options == ()
        else:
            assert [option.count for option in item.options] == wanted["options"]
            for option in item.options:
                if wanted["answered"] == 0:
                    # A pool's variant no attempt drew (the draw is not seeded): no share.
                    assert option.percent is None
                else:
                    assert option.percent == approx(100 * option.count / wanted["answered"])


@contextmanager
def counting_statements() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


@pytest.fixture
def check() -> Check:
    return check_for(import_bank_text(small_bank()))


def test_sql_figures_match_figures_from_the_rows(app, check):
    rng = random.Random(20240611)
    users = practitioners_take(check, 14, rng)
    version_id = db.session.scalars(sa.select(BankVersion.id)).one()

    result = version_statistics(version_id).statistics

    expected = expected_statistics(version_id)
    assert expected["attempts"] == 14
    assert expected["keys"] == ["q-single", "q-multiple", "q-true-false", "q-ordering"]
    assert_matches(result, expected)
    # The data has spread: none of the compared figures is a vacuous None.
    assert result.alpha is not None
    assert all(item.discriminative_efficiency is not None for item in result.items)
    assert any(item.confidently_wrong for item in result.items)
    fractions = set(db.session.scalars(sa.select(Response.fraction)))
    assert {0.0, 0.5, 1.0} <= fractions, "partial credit should be in the data"
    multiple = next(item for item in result.items if item.key == "q-multiple")
    assert multiple.max_mark == 2
    assert [option.text for option in multiple.options] == [
        "Missed appointments",
        "Unexplained bruise",
        "A tidy house",
    ]
    assert [option.correct for option in multiple.options] == [True, True, False]
    true_false = next(item for item in result.items if item.key == "q-true-false")
    assert [(option.text, option.correct) for option in true_false.options] == [
        ("True", False),
        ("False", True),
    ]
    assert users


def test_only_submitted_first_attempts_count(app, check):
    rng = random.Random(7)
    users = practitioners_take(check, 12, rng)
    version_id = db.session.scalars(sa.select(BankVersion.id)).one()
    before = version_statistics(version_id).statistics

    # Second attempts, all right and very sure, would lift every figure if counted.
    for user in users[:5]:
        take(user, check, rng, ability=1.0)
    # So would a first attempt not yet submitted.
    take(create_user(), check, rng, ability=1.0, submit=False)
    numbers = Counter(db.session.scalars(sa.select(Attempt.number)))
    assert numbers == {1: 13, 2: 5}

    after = version_statistics(version_id).statistics
    assert after == before
    expected = expected_statistics(version_id)
    assert expected["attempts"] == 12
    assert_matches(after, expected)


def test_attempts_on_another_check_or_version_are_kept_apart(app, check):
    rng = random.Random(99)
    practitioners_take(check, 12, rng)
    version = db.session.scalars(sa.select(BankVersion)).one()
    # A second check on the same version: counted for the version, not for `check`.
    other = Check(title="Another team's check", bank_id=check.bank_id, pass_mark=50)
    db.session.add(other)
    db.session.commit()
    practitioners_take(other, 3, rng)
    # A new version of the bank, taken by others: never counted for the old version.
    import_bank_text(small_bank(**{"Who should you tell?": "Who must you tell?"}))
    practitioners_take(check, 4, rng)

    whole = version_statistics(version.id)
    assert whole.version_id == version.id
    assert whole.check_id is None
    assert_matches(whole.statistics, expected_statistics(version.id))
    assert whole.statistics.attempts == 15

    one = version_statistics(version.id, check_id=check.id)
    assert one.check_id == check.id
    assert_matches(one.statistics, expected_statistics(version.id, check.id))
    assert one.statistics.attempts == 12

    assert version_statistics(version.id, check_id=other.id).statistics.too_few_attempts


def test_too_few_attempts_show_no_figures(app, check):
    practitioners_take(check, 9, random.Random(3))
    version_id = db.session.scalars(sa.select(BankVersion.id)).one()

    with counting_statements() as statements:
        result = version_statistics(version_id).statistics

    assert result.too_few_attempts
    assert result.attempts == 9
    assert result.message == (
        "Too few attempts to show statistics: 9 first attempts so far, 10 needed."
    )
    assert result.items == ()
    assert result.alpha is None
    assert len(statements) == 1
    assert not version_statistics(version_id, minimum=9).statistics.too_few_attempts


def test_a_version_nobody_has_taken(app, check):
    version_id = db.session.scalars(sa.select(BankVersion.id)).one()
    result = version_statistics(version_id, minimum=1).statistics
    assert result.attempts == 0
    assert result.too_few_attempts


def test_statement_count_does_not_grow_with_attempts(app, check):
    rng = random.Random(12345)
    practitioners_take(check, 12, rng)
    version_id = db.session.scalars(sa.select(BankVersion.id)).one()
    with counting_statements() as small:
        small_result = version_statistics(version_id).statistics

    practitioners_take(check, 18, rng)
    with counting_statements() as large:
        large_result = version_statistics(version_id).statistics

    assert small_result.attempts == 12
    assert large_result.attempts == 30
    assert len(small) == len(large) == 3
    assert_matches(large_result, expected_statistics(version_id))


def test_statement_count_does_not_grow_with_questions(app, check):
    """The HS bank has 29 scored questions (22 in each attempt) to the small bank's 4:
    still 3 statements."""
    rng = random.Random(2016)
    practitioners_take(check, 10, rng)
    hs_check = check_for(import_hs_bank())
    practitioners_take(hs_check, 10, rng)
    versions = dict(db.session.execute(sa.select(BankVersion.bank_id, BankVersion.id)).all())
    small_version, hs_version = versions[check.bank_id], versions[hs_check.bank_id]

    with counting_statements() as small:
        small_result = version_statistics(small_version).statistics
    with counting_statements() as large:
        large_result = version_statistics(hs_version).statistics

    assert len(small_result.items) == 4
    assert len(large_result.items) == 29  # every variant of a pool on its own
    assert len(small) == len(large) == 3
    assert_matches(large_result, expected_statistics(hs_version))
