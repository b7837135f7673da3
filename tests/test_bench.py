"""`flask bench seed` makes consistent data: what the app itself would have recorded."""

from __future__ import annotations

import json

import sqlalchemy as sa

from quizapp.extensions import db
from quizapp.models import Attempt, Completion, Requirement, Response, User

from .test_workforce import _snapshot


def test_bench_seed_writes_consistent_data(app):
    result = app.test_cli_runner().invoke(
        args=[
            "bench",
            "seed",
            "--people",
            "40",
            "--agencies",
            "4",
            "--checks",
            "3",
            "--attempts-per-person",
            "2",
            "--yes",
        ]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    db.session.expire_all()

    def count(model):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))

    assert summary["users"] == count(User) == 40
    assert summary["attempts"] == count(Attempt) == 80
    assert summary["responses"] == count(Response) == 80 * 26  # 22 scored + 4 reflections
    assert summary["requirements"] == count(Requirement)
    assert summary["completions"] == count(Completion)

    # Every attempt's score is the sum of its responses' marks, and it is submitted.
    rows = db.session.execute(
        sa.select(Attempt.score, sa.func.sum(Response.mark), Attempt.submitted_at)
        .join(Response, Response.attempt_id == Attempt.id)
        .group_by(Attempt.id)
    ).all()
    assert all(abs(score - total) < 1e-9 and at is not None for score, total, at in rows)

    # Rebuilding from attempts and assignments gives back exactly what was seeded.
    seeded = _snapshot()
    assert app.test_cli_runner().invoke(args=["completions", "rebuild"]).exit_code == 0
    assert _snapshot() == seeded


def test_bench_seed_refuses_production(app):
    app.config["ENV_NAME"] = "production"
    result = app.test_cli_runner().invoke(args=["bench", "seed", "--people", "1", "--yes"])
    assert result.exit_code != 0
    assert "refuses" in result.output


def test_seeded_answers_read_back_as_the_app_stores_them(app):
    app.test_cli_runner().invoke(args=["bench", "seed", "--people", "5", "--agencies", "2",
                                       "--checks", "1", "--yes"])  # fmt: skip
    db.session.expire_all()
    answers = {type(r.answer) for r in db.session.scalars(sa.select(Response))}
    assert answers <= {int, bool, list, str} and {int, list, str} <= answers
