"""The question statistics page shows the figures the statistics module computes."""

from __future__ import annotations

import random

from quizapp.models import Role, utcnow
from quizapp.statistics.queries import version_statistics
from quizapp.take import operations

from .factories import check_for, create_user, import_bank_text, small_bank


def _attempts(check, count, *, seed=7):
    rng = random.Random(seed)
    for _ in range(count):
        user = create_user()
        attempt = operations.start_attempt(user, check, now=utcnow())
        for question in attempt.bank_version.questions:
            right = rng.random() < 0.7
            answer = {
                "single": 0 if right else 1,
                "multiple": [0, 1] if right else [2],
                "true_false": not right,
                "ordering": [0, 1, 2] if right else [2, 1, 0],
                "reflection": "",
            }[question.type]
            operations.save_answer(attempt, question, answer, rng.choice((1, 2, 3)), now=utcnow())
        operations.submit_attempt(attempt, now=utcnow())


def test_statistics_page_shows_figures_once_there_are_enough_attempts(app, client, auth):
    from quizapp.extensions import db

    outcome = import_bank_text(small_bank())
    check = check_for(outcome)
    create_user(email="author@example.org", roles=(Role.AUTHOR,))
    auth.sign_in("author@example.org")
    url = "/author/banks/small-bank/versions/1/statistics"

    _attempts(check, 3)
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "Too few attempts to show statistics" in page
    assert "Facility" not in page

    _attempts(check, 12, seed=11)
    db.session.commit()
    stats = version_statistics(outcome.version.id).statistics
    page = client.get(url).get_data(as_text=True)
    assert f"From {stats.attempts} first attempts" in page
    first = stats.items[0]
    assert f"{round(first.facility, 1)}%" in page
    assert f"{first.wrong} of {first.answered}" in page
    assert "How often each option was chosen" in page


def test_statistics_are_for_authors_only(app, client, auth):
    import_bank_text(small_bank())
    create_user(email="hv@example.org")
    auth.sign_in("hv@example.org")
    assert client.get("/author/banks/small-bank/versions/1/statistics").status_code == 403
