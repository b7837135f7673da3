"""Authors' statistics for a scenario's alternatives: how often each was chosen by the
first attempts reaching its decision, and its discrimination, against figures computed
here from the stored rows."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict

import pytest
import sqlalchemy as sa

from quizapp.extensions import db
from quizapp.models import Attempt, Response, Role
from quizapp.models.scenario import ScenarioChoice
from quizapp.statistics.items import AlternativeSums, alternative_statistics
from quizapp.statistics.queries import version_statistics

from .factories import create_user
from .scenario_world import FIRST, SECOND, World, build


@pytest.fixture
def world(app) -> World:
    return build()


def independent(world: World) -> dict[tuple[str, str], tuple[int, int, float | None]]:
    """(decision, alternative) -> (reached, chosen, discrimination) over submitted first
    attempts, from the raw rows: x = chose it, rest = total less the scenario's mark."""
    attempts = db.session.scalars(
        sa.select(Attempt).where(Attempt.number == 1, Attempt.submitted_at.is_not(None))
    ).all()
    firsts: dict[str, dict[int, str]] = defaultdict(dict)  # decision -> attempt -> alt
    rest: dict[int, float] = {}
    for attempt in attempts:
        choices = db.session.scalars(
            sa.select(ScenarioChoice)
            .where(ScenarioChoice.attempt_id == attempt.id)
            .order_by(ScenarioChoice.sequence)
        ).all()
        for choice in choices:
            if choice.withdrawn_at is None:
                firsts[choice.node_key].setdefault(attempt.id, choice.alternative_key)
        response = db.session.scalars(
            sa.select(Response).where(
                Response.attempt_id == attempt.id, Response.question_id == world.scenario.id
            )
        ).one_or_none()
        rest[attempt.id] = attempt.score - (response.mark if response else 0.0)
    result = {}
    keys = {
        FIRST: ["say-nothing", "raise-concern", "ask-time"],
        SECOND: ["keep-open", "refer-back"],
    }
    for decision, alternatives in keys.items():
        reached = firsts[decision]
        for alternative in alternatives:
            xs = [1.0 if reached[a] == alternative else 0.0 for a in reached]
            ys = [rest[a] for a in reached]
            try:
                r = 100 * statistics.correlation(xs, ys)
            except statistics.StatisticsError:
                r = None
            result[(decision, alternative)] = (len(reached), int(sum(xs)), r)
    return result


def test_alternatives_match_an_independent_computation(world):
    expected = independent(world)
    found = version_statistics(world.version.id, minimum=10).scenarios["conference"]
    assert [(a.decision, a.key) for a in found] == list(expected)
    for alternative in found:
        reached, chosen, r = expected[(alternative.decision, alternative.key)]
        assert (alternative.reached, alternative.chosen) == (reached, chosen)
        assert alternative.percent == pytest.approx(100 * chosen / reached)
        if r is None:
            assert alternative.discrimination_index is None
        else:
            assert alternative.discrimination_index == pytest.approx(r, abs=1e-6)
    # The data reach both decisions and some alternative discriminates either way.
    assert any(a.discrimination_index is not None for a in found)
    first = [a for a in found if a.decision == FIRST]
    assert sum(a.chosen for a in first) == first[0].reached == 23


def test_too_few_attempts_show_no_alternatives(world):
    assert version_statistics(world.version.id, minimum=1000).scenarios == {}


def test_alternative_statistics_pure():
    # 4 attempts reach the decision; 2 choose it, with rests 10 and 8; others 2 and 4.
    sums = AlternativeSums(
        decision="d",
        key="a",
        text="A",
        reached=4,
        chosen=2,
        sum_rest=24.0,
        sum_rest2=100 + 64 + 4 + 16,
        sum_rest_chosen=18.0,
    )
    figures = alternative_statistics(sums)
    expected = 100 * statistics.correlation([1, 1, 0, 0], [10, 8, 2, 4])
    assert figures.discrimination_index == pytest.approx(expected)
    assert figures.percent == 50
    nobody = alternative_statistics(
        AlternativeSums(
            "d", "b", "B", reached=4, chosen=0, sum_rest=24.0, sum_rest2=184.0, sum_rest_chosen=0.0
        )
    )
    assert nobody.discrimination_index is None and nobody.never_chosen
    assert not math.isnan(figures.discrimination_index or 0)


def test_author_page_shows_alternatives(world, client, auth):
    author = create_user(roles=(Role.AUTHOR,))
    auth.sign_in(author.email)
    page = client.get(
        f"/author/banks/small-bank/versions/{world.version.number}/statistics"
    ).get_data(as_text=True)
    assert "How often each alternative was chosen" in page
    found = version_statistics(world.version.id, minimum=10).scenarios["conference"]
    raise_concern = next(a for a in found if a.key == "raise-concern")
    assert "Raise the missed visits" in page
    assert f"{raise_concern.chosen} of {raise_concern.reached}" in page
