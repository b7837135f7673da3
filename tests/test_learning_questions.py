"""Per-question learning figures (mark_sums by "question"): the reshaped statement that
starts from the scope's attempts gives exactly what a plain recount of the responses
gives, on a varied partnership (people in no team or with no level, unscored
reflections, pooled draws, several periods, scopes and filters)."""

from __future__ import annotations

from collections import defaultdict

import pytest
import sqlalchemy as sa

from quizapp.bench import seed
from quizapp.dashboards import queries
from quizapp.dashboards.periods import reporting_year, reporting_year_of, rolling
from quizapp.dashboards.scope import Scope
from quizapp.extensions import db
from quizapp.models import (
    Agency,
    Attempt,
    Bank,
    BankVersion,
    Finding,
    Question,
    Response,
    Team,
    User,
    question_findings,
    utcnow,
)
from quizapp.models.tally import NO_LEVEL
from quizapp.statistics.items import WRONG_FRACTION
from quizapp.workforce import tally


@pytest.fixture
def seeded(app):
    now = utcnow()
    seed(people=240, agencies=4, checks=3, attempts_per_person=2.5, now=now, rng_seed=7)
    db.session.commit()
    # Variety: some people in no team, some with no level, one agency's people in one
    # team only.
    ids = db.session.scalars(sa.select(User.id).order_by(User.id)).all()
    db.session.execute(sa.update(User).where(User.id.in_(ids[::7])).values(team_id=None))
    db.session.execute(sa.update(User).where(User.id.in_(ids[3::5])).values(level=None))
    tally.rebuild(db.session, now=now)  # the summaries follow the bulk change
    db.session.commit()
    return now


def recount(scope: Scope, filters: queries.Filters, by: tuple[str, ...], finding=None):
    """The figures from every response, one by one, in Python."""
    question_keys = {
        row.id: (row.bank_key, row.key, row.points)
        for row in db.session.execute(
            sa.select(Question.id, Question.key, Question.points, Bank.key.label("bank_key"))
            .join(BankVersion, BankVersion.id == Question.version_id)
            .join(Bank, Bank.id == BankVersion.bank_id)
        )
    }
    tested = defaultdict(list)
    for question_id, bank_key, finding_key in db.session.execute(
        sa.select(question_findings.c.question_id, Bank.key, Finding.key)
        .join(Finding, Finding.id == question_findings.c.finding_id)
        .join(BankVersion, BankVersion.id == Finding.version_id)
        .join(Bank, Bank.id == BankVersion.bank_id)
    ):
        tested[question_id].append((bank_key, finding_key))
    people = {user.id: user for user in db.session.scalars(sa.select(User))}
    sums: dict[tuple, dict] = {}
    period = filters.period
    for response, attempt in db.session.execute(
        sa.select(Response, Attempt).join(Attempt, Attempt.id == Response.attempt_id)
    ):
        user = people[attempt.user_id]
        if attempt.submitted_at is None or not period.start <= attempt.submitted_at < period.end:
            continue
        if user.agency_id is None or (scope.agency_id not in (None, user.agency_id)):
            continue
        if filters.check_id is not None and attempt.check_id != filters.check_id:
            continue
        if filters.agency_id is not None and user.agency_id != filters.agency_id:
            continue
        if filters.team_id is not None and user.team_id != filters.team_id:
            continue
        if filters.level is not None and user.level != filters.level:
            continue
        bank_key, question_key, points = question_keys[response.question_id]
        if response.fraction is None or points <= 0:
            continue
        findings = tested[response.question_id] if "finding" in by or finding else [None]
        for each in findings:
            if finding is not None and each != finding:
                continue
            parts = {
                "group": (user.agency_id if scope.partnership else user.team_id,),
                "level": (user.level or NO_LEVEL,),
                "check": (attempt.check_id,),
                "finding": each,
                "question": (bank_key, question_key),
            }
            key = tuple(value for name in by for value in parts[name])
            cell = sums.setdefault(
                key,
                {"people": set(), "marks": 0.0, "points": 0.0, "wrong": 0, "sure": 0}
                | {"wrong_people": set(), "sure_people": set(), "unsure_people": set()},
            )
            cell["people"].add(user.id)
            cell["marks"] += response.mark or 0.0
            cell["points"] += points
            if response.fraction <= WRONG_FRACTION:
                cell["wrong"] += 1
                cell["wrong_people"].add(user.id)
                if response.certainty == 3:
                    cell["sure"] += 1
                    cell["sure_people"].add(user.id)
                else:
                    cell["unsure_people"].add(user.id)
    return {
        key: (
            len(cell["people"]),
            cell["marks"],
            cell["points"],
            cell["wrong"],
            cell["sure"],
            len(cell["wrong_people"]),
            len(cell["sure_people"]),
            len(cell["unsure_people"]),
        )
        for key, cell in sums.items()
    }


def figures(sums: dict) -> dict:
    return {
        key: (
            value.people,
            value.marks,
            value.points,
            value.wrong,
            value.confidently_wrong,
            value.wrong_people,
            value.sure_people,
            value.unsure_people,
        )
        for key, value in sums.items()
    }


def test_per_question_figures_equal_a_plain_recount_of_the_responses(seeded):
    now = seeded
    agencies = db.session.scalars(sa.select(Agency).order_by(Agency.id)).all()
    agency = agencies[1]
    team = db.session.scalars(
        sa.select(Team).where(Team.agency_id == agency.id).order_by(Team.id)
    ).first()
    partnership = Scope(agency_id=None)
    one_agency = Scope(agency_id=agency.id, agency_name=agency.name)
    this_year = reporting_year(reporting_year_of(now))
    last_year = reporting_year(reporting_year_of(now) - 1)
    page = ("check", "group", "level", "question")
    cases = [
        (partnership, queries.Filters(period=this_year, check_id=1), page),
        (partnership, queries.Filters(period=last_year), page),
        (partnership, queries.Filters(period=rolling(3, now)), ("group", "question")),
        (partnership, queries.Filters(period=rolling(6, now), check_id=2), ("question",)),
        (partnership, queries.Filters(period=rolling(12, now), agency_id=agency.id), page),
        (one_agency, queries.Filters(period=this_year, check_id=2), page),
        (one_agency, queries.Filters(period=rolling(12, now)), ("group", "level", "question")),
        (one_agency, queries.Filters(period=rolling(12, now), team_id=team.id), page),
        (one_agency, queries.Filters(period=rolling(12, now), level="Level 3"), page),
        (partnership, queries.Filters(period=rolling(12, now)), ("group", "finding")),
    ]
    compared = 0
    sure_and_not = set()
    for scope, filters, by in cases:
        expected = recount(scope, filters, by)
        for got in (
            figures(queries.mark_sums(scope, filters, filters.period, by=by)),
            figures(queries._response_sums(scope, filters, filters.period, by=by)),
        ):
            assert got.keys() == expected.keys(), (scope, filters, by)
            for key, value in expected.items():
                people, marks, points, *counts = got[key]
                assert (people, *counts) == (value[0], *value[3:]), (by, key)
                assert marks == pytest.approx(value[1]) and points == pytest.approx(value[2])
        compared += len(expected)
        sure_and_not |= {bool(v[6]) and bool(v[7]) for v in expected.values()}
    # Enough cells to mean something, with wrong answers given both very sure and not
    # in some (an empty set would mean no wrong answers at all).
    assert compared > 500
    assert True in sure_and_not


def test_no_responses_in_scope_gives_no_rows_and_an_empty_total(seeded):
    now = seeded
    far = reporting_year(reporting_year_of(now) - 20)
    empty = queries.Filters(period=far)
    assert queries.mark_sums(Scope(agency_id=None), empty, far, by=("group", "question")) == {}
    total = queries._response_sums(Scope(agency_id=None), empty, far, by=())
    assert total == {(): queries.MarkSums()}
