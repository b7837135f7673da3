"""Synthetic impact data for the demo: confidence before and after each attempt at the HS
check, reactions, and the follow-ups answered some weeks after a pass.

Written straight into the impact tables (quizapp/models/impact.py) in bulk, from the
attempts already in the database, so the named people's attempts and the crowd's get the
same treatment. Ratings are keyed by finding key only: the findings' confidence phrasing
is the bank's business and may change.

The shape a lead should see: confidence rises after the check, more where the person did
well on the finding, and holds a little lower at the follow-up; about three in five
people answer the follow-up.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from .bench import BulkWriter, _Item, _items
from .extensions import db
from .models import Attempt, Check, Finding, Question, Response, question_findings
from .models.impact import ConfidenceRating, FollowUp, FollowUpResponse, Reaction
from .models.reminder import ReminderSend
from .statistics.items import WRONG_FRACTION

#: Share of attempts whose person gave confidence ratings, and gave a reaction.
RATED = 0.85
REACTED = 0.7
#: Share of passes, old enough to be followed up, whose follow-up was answered.
FOLLOWED_UP = 0.6
#: Private examples a practitioner might give (never shown to leads).
EXAMPLES = (
    "Asked the health visitor for her view before the strategy meeting.",
    "Challenged a plan that relied on mum's word alone, at the core group.",
    "Checked who else knew the family before closing the referral.",
    "Wrote down what I had seen, not only what I was told, and shared it the same day.",
    "Escalated when the conference decision did not match what the agencies had found.",
)


@dataclass
class _Pass:
    """What one attempt came to, per finding: marks, points, and confidently wrong."""

    attempt_id: int
    user_id: int
    version_id: int
    pass_mark: int
    passed: bool
    started_at: datetime
    submitted_at: datetime
    marks: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    points: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    sure_wrong: set[str] = field(default_factory=set)

    def share(self, finding: str) -> float:
        points = self.points.get(finding, 0)
        return self.marks[finding] / points if points else 1.0

    def weak_findings(self, order: list[str]) -> list[str]:
        """Findings on which the person's share of marks fell below the pass mark, or any
        answer was wrong at "very sure": what a follow-up asks about."""
        return [
            key
            for key in order
            if key in self.points
            and (100 * self.share(key) < self.pass_mark or key in self.sure_wrong)
        ]


def _attempts(where: sa.ColumnElement[bool]) -> dict[int, _Pass]:
    found: dict[int, _Pass] = {}
    rows = db.session.execute(
        sa.select(
            Attempt.id, Attempt.user_id, Attempt.bank_version_id, Attempt.pass_mark,
            Attempt.passed, Attempt.started_at, Attempt.submitted_at, Finding.key,
            Response.mark, Question.points, Response.fraction, Response.certainty,
        )
        .join(Response, Response.attempt_id == Attempt.id)
        .join(Question, Question.id == Response.question_id)
        .join(question_findings, question_findings.c.question_id == Question.id)
        .join(Finding, Finding.id == question_findings.c.finding_id)
        .where(where, Attempt.submitted_at.is_not(None), Response.fraction.is_not(None))
        .order_by(Attempt.id)
    )  # fmt: skip
    for (attempt_id, user_id, version_id, pass_mark, passed, started, submitted, key, mark,
         points, fraction, certainty) in rows:  # fmt: skip
        one = found.get(attempt_id)
        if one is None:
            one = found[attempt_id] = _Pass(
                attempt_id, user_id, version_id, pass_mark, bool(passed), started, submitted
            )
        one.marks[key] += mark or 0.0
        one.points[key] += points
        if fraction <= WRONG_FRACTION and certainty == 3:
            one.sure_wrong.add(key)
    return found


def _finding_order(version_id: int) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(Finding.key)
            .where(Finding.version_id == version_id)
            .order_by(Finding.position)
        )
    )


def _rating(value: float) -> int:
    return min(5, max(1, round(value)))


def load_impact(
    check: Check, *, now: datetime, no_follow_up: Collection[int] = ()
) -> dict[str, int]:
    """Ratings, reactions and follow-ups for every submitted attempt at `check`; the
    people in `no_follow_up` get none, so their follow-up is still due. Returns row
    counts. Runs once: a check whose attempts have ratings already is left alone."""
    existing = sa.select(ConfidenceRating.id).join(Attempt).where(Attempt.check_id == check.id)
    if db.session.scalar(existing.limit(1)) is not None:
        return {}
    rng = random.Random(18)
    attempts = _attempts(Attempt.check_id == check.id)
    orders = {v: _finding_order(v) for v in {a.version_id for a in attempts.values()}}
    items = {v: _items(v)[0] for v in orders}
    weeks = check.follow_up_weeks
    ratings: list[dict[str, Any]] = []
    reactions: list[dict[str, Any]] = []
    follow_ups: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    writer = BulkWriter()
    follow_up_id = writer.next_id(FollowUp.__table__)
    for attempt in attempts.values():
        order = orders[attempt.version_id]
        rated = rng.random() < RATED
        after: dict[str, int | None] = {}
        # People differ in how sure of themselves they are, whatever they know.
        temper = rng.gauss(0, 0.45)
        for key in order if rated else ():
            share = attempt.share(key)
            before = None if rng.random() < 0.06 else _rating(rng.gauss(2.5 + temper, 0.7))
            after[key] = (
                None if rng.random() < 0.06 else _rating(rng.gauss(2.4 + temper + 1.8 * share, 0.6))
            )
            ratings.append(_rating_row(attempt.attempt_id, key, "before", before,
                                       attempt.started_at))  # fmt: skip
            ratings.append(_rating_row(attempt.attempt_id, key, "after", after[key],
                                       attempt.submitted_at))  # fmt: skip
        if rng.random() < REACTED:
            reactions.append(
                {
                    "attempt_id": attempt.attempt_id,
                    "relevant": _maybe(rng, _rating(rng.gauss(4.2, 0.8))),
                    "clear": _maybe(rng, _rating(rng.gauss(3.9, 0.9))),
                    "will_change": _maybe(rng, _rating(rng.gauss(3.6 + attempt.passed * 0.2, 1))),
                    "given_at": attempt.submitted_at,
                }
            )
        if (
            weeks is None
            or not attempt.passed
            or attempt.user_id in no_follow_up
            or attempt.submitted_at > now - timedelta(weeks=weeks)
        ):
            continue
        due = attempt.submitted_at + timedelta(weeks=weeks)
        answered = rng.random() < FOLLOWED_UP
        if not answered and due > now - timedelta(weeks=3):
            continue  # invited recently, or not yet: nothing recorded
        weak = attempt.weak_findings(order)
        drawn = _draw_on(items[attempt.version_id], weak, rng)
        row: dict[str, Any] = {
            "id": follow_up_id,
            "attempt_id": attempt.attempt_id,
            "user_id": attempt.user_id,
            "check_id": check.id,
            "bank_version_id": attempt.version_id,
            "due_at": due,
            "invited_at": due,
            "created_at": due,
            "seed": rng.randrange(1, 2**31 - 1),
            "weak_findings": weak,
            "question_ids": [item.question_id for item in drawn],
            "submitted_at": None,
            "score": None,
            "max_score": None,
            "percent": None,
            "used_in_practice": None,
            "practice_example": None,
        }
        follow_ups.append(row)
        follow_up_id += 1
        if not answered:
            continue  # invited, never answered
        submitted = min(due + timedelta(days=rng.randint(0, 20), hours=rng.randint(1, 9)), now)
        score = 0.0
        for item in drawn:
            right = rng.random() < 0.78
            fraction = item.right_fraction if right else item.wrong_fraction
            score += fraction * item.points
            answers.append(
                {
                    "follow_up_id": row["id"],
                    "question_id": item.question_id,
                    "answer": item.right if right else item.wrong,
                    "certainty": rng.choice((2, 3, 3)) if right else rng.choice((1, 2, 3)),
                    "fraction": fraction,
                    "mark": fraction * item.points,
                    "saved_at": submitted,
                }
            )
        available = sum(item.points for item in drawn)
        practice = rng.choices(("yes", "not-yet", "not-applicable"), (0.55, 0.35, 0.1))[0]
        row.update(
            submitted_at=submitted,
            score=score,
            max_score=available,
            percent=round(100 * score / available, 2) if available else None,
            used_in_practice=practice,
            practice_example=(
                rng.choice(EXAMPLES) if practice == "yes" and rng.random() < 0.3 else None
            ),
        )
        for key in order if rated else ():
            held = after.get(key)
            rating = None if held is None else _rating(held - abs(rng.gauss(0.25, 0.45)))
            ratings.append(_rating_row(attempt.attempt_id, key, "follow-up", rating, submitted))
    # Each invitation was sent once, through the reminders: recorded as `flask reminders
    # send` records it, so running it on the demo does not invite these people again.
    invitations = [
        {
            "user_id": row["user_id"],
            "check_id": row["check_id"],
            "kind": "follow-up",
            "period": str(row["attempt_id"]),
            "sent_at": row["invited_at"],
        }
        for row in follow_ups
    ]
    for model, rows in (
        (ConfidenceRating, ratings),
        (Reaction, reactions),
        (FollowUp, follow_ups),
        (FollowUpResponse, answers),
        (ReminderSend, invitations),
    ):
        if rows:
            db.session.execute(sa.insert(model), rows)
    writer.reset_sequences([FollowUp.__table__])
    return {
        "confidence_ratings": len(ratings),
        "reactions": len(reactions),
        "follow_ups": len(follow_ups),
        "follow_up_responses": len(answers),
        "reminder_sends": len(invitations),
    }


def _rating_row(
    attempt_id: int, key: str, moment: str, rating: int | None, at: datetime
) -> dict[str, Any]:
    return {
        "attempt_id": attempt_id,
        "finding_key": key,
        "moment": moment,
        "rating": rating,
        "rated_at": at,
    }


def _maybe(rng: random.Random, value: int) -> int | None:
    """Each reaction question is optional: a few are left unanswered."""
    return None if rng.random() < 0.05 else value


def _draw_on(items: list[_Item], weak: list[str], rng: random.Random) -> list[_Item]:
    """A fresh question on each weak finding, in bank order (none when none is weak)."""
    chosen: dict[int, _Item] = {}
    for key in weak:
        on = [item for item in items if key in item.findings]
        if on:
            item = rng.choice(on)
            chosen[item.question_id] = item
    return sorted(chosen.values(), key=lambda item: item.position)
