"""The sums item statistics need, added up by the database.

Three statements per call whatever the number of questions or attempts: the totals, one
row of sums per scored question, and one row per distinct answer to each choice
question; a fourth, one row per alternative chosen, when the version has branching
scenarios. Nothing loads individual responses. The SQL is plain SQLAlchemy Core and runs
on SQLite and PostgreSQL alike.

Only submitted first attempts count (Moodle's default): later attempts are practice on
questions the person has already seen, and would flatter every figure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import Attempt, Question, Response
from ..models.scenario import ScenarioChoice, first_choices
from ..questions import QUESTION_TYPES
from .items import (
    DEFAULT_MINIMUM,
    WRONG_FRACTION,
    AlternativeStatistics,
    AlternativeSums,
    CheckStatistics,
    ItemSums,
    OptionCount,
    TotalSums,
    alternative_statistics,
    check_statistics,
)

#: Types whose answers are option choices, counted for distractor analysis.
CHOICE_TYPES = ("single", "multiple", "true_false")
#: Answer values of a true/false question, in the order the question shows them.
TRUE_FALSE_OPTIONS = (True, False)


@dataclass(frozen=True)
class VersionStatistics:
    version_id: int
    #: None: attempts from every check that uses the version.
    check_id: int | None
    statistics: CheckStatistics
    #: Scenario question key -> each alternative of each decision, in the file's order.
    scenarios: Mapping[str, tuple[AlternativeStatistics, ...]] = field(default_factory=dict)


def _scored_types() -> list[str]:
    return [name for name, question_type in QUESTION_TYPES.items() if question_type.scored]


def _first_attempts(version_id: int, check_id: int | None) -> sa.CTE:
    conditions = [
        Attempt.bank_version_id == version_id,
        Attempt.number == 1,
        Attempt.submitted_at.is_not(None),
    ]
    if check_id is not None:
        conditions.append(Attempt.check_id == check_id)
    return (
        sa.select(Attempt.id.label("attempt_id"), Attempt.score.label("total"))
        .where(*conditions)
        .cte("first_attempts")
    )


def _totals(first: sa.CTE) -> TotalSums:
    row = db.session.execute(
        sa.select(
            sa.func.count().label("n"),
            sa.func.coalesce(sa.func.sum(first.c.total), 0.0).label("sum_t"),
            sa.func.coalesce(sa.func.sum(first.c.total * first.c.total), 0.0).label("sum_t2"),
        ).select_from(first)
    ).one()
    return TotalSums(n=row.n, sum_t=float(row.sum_t), sum_t2=float(row.sum_t2))


def _item_rows(version_id: int, first: sa.CTE) -> Sequence[sa.Row[Any]]:
    """One row per scored question of the version, in check order, with its sums."""
    scored = (
        sa.select(Question.id.label("question_id"))
        .where(Question.version_id == version_id, Question.type.in_(_scored_types()))
        .cte("scored")
    )
    # Every (attempt, scored question) pair: a missing response is a mark of 0.
    x = sa.func.coalesce(Response.mark, 0.0)
    wrong = sa.and_(Response.id.is_not(None), Response.fraction <= WRONG_FRACTION)
    cells = (
        sa.select(
            scored.c.question_id,
            x.label("x"),
            first.c.total.label("t"),
            Response.id.label("response_id"),
            sa.case((wrong, 1), else_=0).label("wrong"),
            sa.case((sa.and_(wrong, Response.certainty == 3), 1), else_=0).label("sure_wrong"),
        )
        .select_from(
            first.join(scored, sa.true()).outerjoin(
                Response,
                sa.and_(
                    Response.attempt_id == first.c.attempt_id,
                    Response.question_id == scored.c.question_id,
                ),
            )
        )
        .cte("cells")
    )
    sums = (
        sa.select(
            cells.c.question_id,
            sa.func.count().label("n"),
            sa.func.sum(cells.c.x).label("sum_x"),
            sa.func.sum(cells.c.x * cells.c.x).label("sum_x2"),
            sa.func.sum(cells.c.x * cells.c.t).label("sum_xt"),
            sa.func.count(cells.c.response_id).label("answered"),
            sa.func.sum(cells.c.wrong).label("wrong"),
            sa.func.sum(cells.c.sure_wrong).label("confidently_wrong"),
        )
        .group_by(cells.c.question_id)
        .subquery("sums")
    )
    # Cov_max pairs the k-th smallest mark with the k-th smallest rest score. Ties don't
    # matter: tied values are equal, so any order among them gives the same sum.
    rest = cells.c.t - cells.c.x
    ranked = sa.select(
        cells.c.question_id,
        cells.c.x,
        rest.label("rest"),
        sa.func.row_number()
        .over(partition_by=cells.c.question_id, order_by=cells.c.x)
        .label("rank_x"),
        sa.func.row_number()
        .over(partition_by=cells.c.question_id, order_by=rest)
        .label("rank_rest"),
    ).cte("ranked")
    marks, rests = ranked.alias("marks"), ranked.alias("rests")
    sorted_products = (
        sa.select(
            marks.c.question_id,
            sa.func.sum(marks.c.x * rests.c.rest).label("sum_sorted_x_rest"),
        )
        .select_from(
            marks.join(
                rests,
                sa.and_(
                    rests.c.question_id == marks.c.question_id,
                    rests.c.rank_rest == marks.c.rank_x,
                ),
            )
        )
        .group_by(marks.c.question_id)
        .subquery("sorted_products")
    )
    statement = (
        sa.select(
            Question.id,
            Question.key,
            Question.position,
            Question.type,
            Question.points,
            Question.spec,
            sums.c.n,
            sums.c.sum_x,
            sums.c.sum_x2,
            sums.c.sum_xt,
            sums.c.answered,
            sums.c.wrong,
            sums.c.confidently_wrong,
            sorted_products.c.sum_sorted_x_rest,
        )
        .select_from(Question)
        .join(scored, scored.c.question_id == Question.id)
        .outerjoin(sums, sums.c.question_id == Question.id)
        .outerjoin(sorted_products, sorted_products.c.question_id == Question.id)
        .order_by(Question.position)
    )
    return db.session.execute(statement).all()


def _answer_counts(version_id: int, first: sa.CTE) -> dict[int, list[tuple[Any, int]]]:
    """(answer, count) per choice question. Grouping by the stored JSON keeps this an
    aggregate: a question has few distinct answers (a multiple-choice question with k
    options at most 2^k - 1), and each is split into options in Python."""
    rows = db.session.execute(
        sa.select(Response.question_id, Response.answer, sa.func.count().label("count"))
        .join(first, first.c.attempt_id == Response.attempt_id)
        .join(Question, Question.id == Response.question_id)
        .where(Question.version_id == version_id, Question.type.in_(CHOICE_TYPES))
        .group_by(Response.question_id, Response.answer)
    ).all()
    counts: dict[int, list[tuple[Any, int]]] = defaultdict(list)
    for row in rows:
        counts[row.question_id].append((row.answer, row.count))
    return counts


def option_counts(
    question_type: str, spec: Mapping[str, Any], answers: Sequence[tuple[Any, int]]
) -> tuple[OptionCount, ...]:
    """Choices per option from (answer, count) pairs; empty for non-choice types.

    An answer that does not fit the question (it cannot happen through the app) adds
    to no option rather than stopping the report.
    """
    if question_type == "true_false":
        return tuple(
            OptionCount(
                text="True" if value else "False",
                correct=value == spec["answer"],
                count=sum(count for answer, count in answers if answer is value),
            )
            for value in TRUE_FALSE_OPTIONS
        )
    if question_type not in ("single", "multiple"):
        return ()
    options = spec["options"]
    chosen = [0] * len(options)
    for answer, count in answers:
        indexes = answer if isinstance(answer, list) else [answer]
        for index in set(indexes):
            fits = isinstance(index, int) and not isinstance(index, bool)
            if fits and 0 <= index < len(options):
                chosen[index] += count
    return tuple(
        OptionCount(text=option["text"], correct=option["correct"], count=count)
        for option, count in zip(options, chosen, strict=True)
    )


def version_statistics(
    version_id: int, *, check_id: int | None = None, minimum: int = DEFAULT_MINIMUM
) -> VersionStatistics:
    """Item statistics over the submitted first attempts on one bank version.

    `check_id` narrows to one check's attempts. Below `minimum` attempts only the count
    is read (one statement) and no figures are returned.
    """
    first = _first_attempts(version_id, check_id)
    totals = _totals(first)
    if totals.n < minimum:
        return VersionStatistics(
            version_id, check_id, check_statistics([], totals, minimum=minimum)
        )
    rows = _item_rows(version_id, first)
    answers = _answer_counts(version_id, first)
    items = [
        ItemSums(
            key=row.key,
            position=row.position,
            type=row.type,
            max_mark=float(row.points),
            n=row.n or 0,
            sum_x=float(row.sum_x or 0),
            sum_x2=float(row.sum_x2 or 0),
            sum_xt=float(row.sum_xt or 0),
            sum_sorted_x_rest=float(row.sum_sorted_x_rest or 0),
            answered=row.answered or 0,
            wrong=row.wrong or 0,
            confidently_wrong=row.confidently_wrong or 0,
            options=option_counts(row.type, row.spec, answers.get(row.id, [])),
        )
        for row in rows
    ]
    return VersionStatistics(
        version_id,
        check_id,
        check_statistics(items, totals, minimum=minimum),
        scenario_alternatives([row for row in rows if row.type == "scenario"], first),
    )


def scenario_alternatives(
    scenarios: Sequence[Any], first: sa.CTE
) -> dict[str, tuple[AlternativeStatistics, ...]]:
    """Per scenario (rows with id, key and spec), each alternative of each decision over
    the counted attempts reaching the decision: how often chosen, and its discrimination
    against the rest of the check. One statement, none when the version has no scenario
    (one row of sums per alternative chosen); an attempt counts its first choice at a
    decision on its path (withdrawn choices are off the path; a loop back does not count
    twice)."""
    if not scenarios:
        return {}
    firsts = first_choices(ScenarioChoice.question_id.in_([row.id for row in scenarios]))
    rest = first.c.total - sa.func.coalesce(Response.mark, 0.0)
    rows = db.session.execute(
        sa.select(
            firsts.c.question_id,
            firsts.c.node_key,
            firsts.c.alternative_key,
            sa.func.count().label("chosen"),
            sa.func.coalesce(sa.func.sum(rest), 0.0).label("sum_rest"),
            sa.func.coalesce(sa.func.sum(rest * rest), 0.0).label("sum_rest2"),
        )
        .select_from(firsts)
        .join(first, first.c.attempt_id == firsts.c.attempt_id)
        .outerjoin(
            Response,
            sa.and_(
                Response.attempt_id == firsts.c.attempt_id,
                Response.question_id == firsts.c.question_id,
            ),
        )
        .where(firsts.c.nth == 1)
        .group_by(firsts.c.question_id, firsts.c.node_key, firsts.c.alternative_key)
    ).all()
    sums = {(row.question_id, row.node_key, row.alternative_key): row for row in rows}
    result: dict[str, tuple[AlternativeStatistics, ...]] = {}
    for scenario in scenarios:
        figures = []
        for node in (scenario.spec or {}).get("nodes") or []:
            if node.get("kind") != "decision":
                continue
            decision = [row for key, row in sums.items() if key[:2] == (scenario.id, node["id"])]
            reached = sum(row.chosen for row in decision)
            sum_rest = sum(float(row.sum_rest) for row in decision)
            sum_rest2 = sum(float(row.sum_rest2) for row in decision)
            for alternative in node.get("alternatives") or []:
                row = sums.get((scenario.id, node["id"], alternative["id"]))
                figures.append(
                    alternative_statistics(
                        AlternativeSums(
                            decision=node["id"],
                            key=alternative["id"],
                            text=str(alternative.get("text", alternative["id"])),
                            reached=reached,
                            chosen=row.chosen if row else 0,
                            sum_rest=sum_rest,
                            sum_rest2=sum_rest2,
                            sum_rest_chosen=float(row.sum_rest) if row else 0.0,
                            points=int(alternative.get("points", 0)),
                        )
                    )
                )
        result[scenario.key] = tuple(figures)
    return result
