"""Record a submitted attempt's marks per finding (quizapp.models.AttemptMarks).

One INSERT ... SELECT from the attempt's responses, in the transaction that submits it,
so the rows say exactly what the responses say. `record` takes submitted attempts, or
None for every submitted attempt that has no rows yet (bulk loads, which then recount
the summaries with quizapp.workforce.tally.rebuild).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..models import Attempt, Bank, BankVersion, Finding, Question, Response, question_findings
from ..models.tally import WHOLE_ATTEMPT, AttemptMarks
from .items import WRONG_FRACTION

COLUMNS = (
    "attempt_id",
    "finding_key",
    "bank_key",
    "user_id",
    "check_id",
    "submitted_at",
    "reporting_year",
    "marks",
    "points",
    "wrong",
    "confidently_wrong",
)


def response_sums() -> list[Any]:
    """Sums over scored responses (joined to their questions): marks gained and available,
    wrong answers and those given "very sure" (certainty 3)."""
    wrong = Response.fraction <= WRONG_FRACTION
    return [
        sa.func.coalesce(sa.func.sum(Response.mark), 0.0).label("marks"),
        sa.func.coalesce(sa.func.sum(Question.points), 0).label("points"),
        sa.func.sum(sa.case((wrong, 1), else_=0)).label("wrong"),
        sa.func.sum(sa.case((sa.and_(wrong, Response.certainty == 3), 1), else_=0)).label(
            "confidently_wrong"
        ),
    ]


def year_of(column: Any, first: datetime, last: datetime) -> Any:
    """SQL for the reporting year of `column`, for instants between `first` and `last`."""
    # Not at the top: the dashboards package imports this module.
    from ..dashboards.periods import reporting_year, reporting_year_of

    years = range(reporting_year_of(first), reporting_year_of(last) + 1)
    if len(years) == 1:
        return sa.literal(years[0], sa.Integer)
    return sa.case(
        *((column >= reporting_year(year).start, year) for year in reversed(years[1:])),
        else_=years[0],
    )


def _rows(attempt_ids: Sequence[int] | None, *, per_finding: bool, year: Any) -> sa.Select[tuple]:
    finding_key = Finding.key if per_finding else sa.literal(WHOLE_ATTEMPT, sa.String(100))
    statement = (
        sa.select(
            Response.attempt_id,
            finding_key.label("finding_key"),
            Bank.key.label("bank_key"),
            Attempt.user_id,
            Attempt.check_id,
            Attempt.submitted_at,
            year.label("reporting_year"),
            *response_sums(),
        )
        .select_from(Response)
        .join(Attempt, Attempt.id == Response.attempt_id)
        .join(Question, Question.id == Response.question_id)
        .join(BankVersion, BankVersion.id == Question.version_id)
        .join(Bank, Bank.id == BankVersion.bank_id)
        .where(
            Attempt.submitted_at.is_not(None),
            Response.fraction.is_not(None),
            Question.points > 0,
        )
    )
    if per_finding:
        statement = statement.join(
            question_findings, question_findings.c.question_id == Question.id
        ).join(Finding, Finding.id == question_findings.c.finding_id)
    if attempt_ids is not None:
        statement = statement.where(Response.attempt_id.in_(sorted(attempt_ids)))
    else:
        whole = AttemptMarks.finding_key == WHOLE_ATTEMPT
        recorded = sa.select(AttemptMarks.attempt_id).where(
            AttemptMarks.attempt_id == Response.attempt_id, ~whole if per_finding else whole
        )
        statement = statement.where(~recorded.exists())
    return statement.group_by(
        Response.attempt_id,
        *([Finding.key] if per_finding else []),
        Bank.key,
        Attempt.user_id,
        Attempt.check_id,
        Attempt.submitted_at,
    )


def record(session: Session, attempts: Sequence[Attempt] | None) -> None:
    """Write the marks rows of these submitted attempts (None: of every submitted attempt
    not yet recorded). Per finding, then in total; the people's yearly counts
    (quizapp.workforce.tally) follow at commit."""
    from ..workforce import tally

    if attempts is None:
        ids = None
        first, last = session.execute(
            sa.select(sa.func.min(Attempt.submitted_at), sa.func.max(Attempt.submitted_at))
        ).one()
        if first is None:
            return
    else:
        ids = [attempt.id for attempt in attempts]
        times = [attempt.submitted_at for attempt in attempts if attempt.submitted_at]
        if not times:
            return
        first, last = min(times), max(times)
        tally.note_people(session, {attempt.user_id for attempt in attempts})
    year = year_of(Attempt.submitted_at, first, last)
    for per_finding in (True, False):
        session.execute(
            sa.insert(AttemptMarks).from_select(
                COLUMNS, _rows(ids, per_finding=per_finding, year=year)
            )
        )
