"""Attempt marks: each submitted attempt's marks per finding, recorded when it is
submitted, give the learning figures exactly as the responses themselves do."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import sqlalchemy as sa

from quizapp.bench import seed
from quizapp.dashboards import queries
from quizapp.dashboards.periods import reporting_year, reporting_year_of, rolling
from quizapp.dashboards.scope import Scope
from quizapp.extensions import db
from quizapp.models import Agency, AttemptMarks, Team, utcnow
from quizapp.models.tally import WHOLE_ATTEMPT
from quizapp.statistics import attempt_marks

MIGRATION = Path(__file__).parents[1] / "migrations" / "versions" / "0006_dashboard_summaries.py"


def _rows():
    return sorted(
        tuple(row) for row in db.session.execute(sa.select(*AttemptMarks.__table__.c)).all()
    )


@pytest.fixture
def seeded(app):
    now = utcnow()
    seed(people=150, agencies=3, checks=3, attempts_per_person=2, now=now)
    db.session.commit()
    return now


def test_every_submitted_attempt_has_a_total_row_and_a_row_per_finding(seeded):
    totals = db.session.scalars(
        sa.select(AttemptMarks).where(AttemptMarks.finding_key == WHOLE_ATTEMPT)
    ).all()
    assert len(totals) == 300
    # The HS bank: 22 scored questions, 8 findings (the good-practice ones tested too).
    assert all(row.points == 22 for row in totals)
    findings = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(AttemptMarks.finding_key))).where(
            AttemptMarks.finding_key != WHOLE_ATTEMPT
        )
    )
    assert findings >= 6
    # Recording again adds nothing: every attempt is already recorded.
    before = _rows()
    attempt_marks.record(db.session, None)
    assert _rows() == before


def test_the_migration_fills_in_exactly_what_submitting_records(seeded):
    recorded = _rows()
    db.session.execute(sa.delete(AttemptMarks))
    spec = importlib.util.spec_from_file_location("migration_0006", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    for statement in migration.backfill(db.engine.dialect.name):
        db.session.execute(statement)
    assert _rows() == recorded
    db.session.commit()


def _same(left, right):
    assert left.keys() == right.keys()
    for key, value in left.items():
        other = right[key]
        assert (value.people, value.wrong, value.confidently_wrong, value.wrong_people) == (
            other.people,
            other.wrong,
            other.confidently_wrong,
            other.wrong_people,
        ), key
        assert value.marks == pytest.approx(other.marks)
        assert value.points == pytest.approx(other.points)


def test_learning_sums_from_attempt_marks_equal_sums_from_responses(seeded):
    now = seeded
    agency = db.session.scalars(sa.select(Agency).order_by(Agency.id)).first()
    team = db.session.scalars(sa.select(Team).where(Team.agency_id == agency.id)).first()
    partnership = Scope(agency_id=None)
    one_agency = Scope(agency_id=agency.id, agency_name=agency.name)
    year = reporting_year(reporting_year_of(now))
    cases = [
        (partnership, queries.Filters(period=rolling(12, now)), ("group", "finding"), None),
        (partnership, queries.Filters(period=year), ("group", "check"), None),
        (partnership, queries.Filters(period=rolling(12, now), check_id=2), ("group",), None),
        (one_agency, queries.Filters(period=rolling(12, now)), ("group", "finding"), None),
        (one_agency, queries.Filters(period=rolling(6, now), team_id=team.id), ("group",), None),
    ]
    finding = db.session.execute(
        sa.select(AttemptMarks.bank_key, AttemptMarks.finding_key).where(
            AttemptMarks.finding_key != WHOLE_ATTEMPT
        )
    ).first()
    cases.append(
        (partnership, queries.Filters(period=rolling(12, now)), ("group",), tuple(finding))
    )
    for scope, filters, by, one_finding in cases:
        fast = queries.mark_sums(scope, filters, filters.period, by=by, finding=one_finding)
        slow = queries._response_sums(scope, filters, filters.period, by=by, finding=one_finding)
        assert fast  # the seeded attempts fall in every period asked
        _same(fast, slow)


@pytest.mark.parametrize("years_back", [0, 1, 2])
def test_yearly_report_figures_from_the_yearly_counts_equal_those_from_attempts(seeded, years_back):
    now = seeded
    period = reporting_year(reporting_year_of(now) - years_back)
    agency = db.session.scalars(sa.select(Agency).order_by(Agency.id)).first()
    for scope in (Scope(agency_id=None), Scope(agency_id=agency.id, agency_name=agency.name)):
        filters = queries.Filters(period=period)
        first, passed, sums = queries.year_figures(scope, filters)
        assert first == queries.first_attempt_counts(scope, filters, period)
        assert passed == queries.passes_in_period(scope, filters, period)
        _same(sums, queries._response_sums(scope, filters, period, by=("group", "check")))
        if years_back < 2:  # the seeder's attempts reach back about three years
            assert first and passed and sums
