"""Synthetic impact data for the demo: confidence before and after each attempt at the HS
check, reactions, and the follow-ups answered some weeks after a pass.

Written straight into the impact tables (quizapp/models/impact.py) in bulk, from the
attempts already in the database, so the named people's attempts and the crowd's get the
same treatment. Ratings are keyed by finding key only: the findings' confidence phrasing
is the bank's business and may change.

Which findings a follow-up asks about and the questions drawn on them are the
follow-up's own rules (quizapp.impact.follow_up: weak_finding_keys, draw), from the
check's current version, as a real follow-up would have them.

The shape a lead should see: confidence rises after the check, more where the person did
well on the finding, and holds a little lower at the follow-up; two in three people
answer the follow-up.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from .bench import BulkWriter, _items
from .extensions import db
from .impact.follow_up import (
    Cache,
    MarkedAnswer,
    draw,
    facts_of,
    version_for,
    weak_finding_keys,
)
from .models import Attempt, Check, Response, User
from .models.impact import ConfidenceRating, FollowUp, FollowUpResponse, Reaction
from .models.reminder import ReminderSend
from .questions import get_type

#: Share of attempts whose person gave confidence ratings, and gave a reaction.
RATED = 0.85
REACTED = 0.7
#: Every this-many-th pass old enough to be followed up, in each agency, was not answered
#: (the others were): taken in turn, not drawn, so that in every agency both those who
#: answered and those who did not are enough people to show.
NOT_ANSWERED_EVERY = 3
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
    """One attempt's scored answers, as the follow-up's rules read them."""

    attempt_id: int
    user_id: int
    version_id: int
    pass_mark: int
    passed: bool
    started_at: datetime
    submitted_at: datetime
    #: Keys of the questions the attempt showed.
    shown: set[str]
    answers: list[MarkedAnswer] = field(default_factory=list)

    def share(self, finding: str) -> float:
        """The share of the finding's marks gained (1 when it had no scored question)."""
        on = [answer for answer in self.answers if finding in answer.findings]
        available = sum(answer.points for answer in on)
        gained = sum(answer.fraction * answer.points for answer in on)
        return gained / available if available else 1.0


def _attempts(check_id: int, cache: Cache) -> dict[int, _Pass]:
    """The check's submitted attempts with their scored answers: one statement, and the
    versions' facts from `cache`."""
    found: dict[int, _Pass] = {}
    rows = db.session.execute(
        sa.select(
            Attempt.id, Attempt.user_id, Attempt.bank_version_id, Attempt.pass_mark,
            Attempt.passed, Attempt.started_at, Attempt.submitted_at, Attempt.question_ids,
            Response.question_id, Response.fraction, Response.certainty,
        )
        .join(Response, Response.attempt_id == Attempt.id)
        .where(
            Attempt.check_id == check_id,
            Attempt.submitted_at.is_not(None),
            Response.fraction.is_not(None),
        )
        .order_by(Attempt.id, Response.question_id)
    )  # fmt: skip
    for (attempt_id, user_id, version_id, pass_mark, passed, started, submitted, shown,
         question_id, fraction, certainty) in rows:  # fmt: skip
        facts = facts_of(version_id, cache)
        one = found.get(attempt_id)
        if one is None:
            one = found[attempt_id] = _Pass(
                attempt_id, user_id, version_id, pass_mark, bool(passed), started, submitted,
                facts.shown_keys(shown),
            )  # fmt: skip
        _, kind, points, findings = facts.questions[question_id]
        if get_type(kind).scored:
            one.answers.append(MarkedAnswer(findings, points, fraction, certainty))
    return found


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
    cache: Cache = {}
    attempts = _attempts(check.id, cache)
    # Follow-ups draw from the check's current version, as open_follow_up does.
    current = version_for(check)
    weeks = check.follow_up_weeks if current is not None else None
    candidates = facts_of(current.id, cache).candidates if current is not None else []
    items = {item.question_id: item for item in _items(current.id)[0]} if current else {}
    ratings: list[dict[str, Any]] = []
    reactions: list[dict[str, Any]] = []
    follow_ups: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    writer = BulkWriter()
    follow_up_id = writer.next_id(FollowUp.__table__)
    agency_of: dict[int, int | None] = {
        user_id: agency_id
        for user_id, agency_id in db.session.execute(sa.select(User.id, User.agency_id))
    }
    turn: Counter[int | None] = Counter()
    for attempt in attempts.values():
        order = facts_of(attempt.version_id, cache).findings
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
        turn[agency_of.get(attempt.user_id)] += 1
        answered = turn[agency_of.get(attempt.user_id)] % NOT_ANSWERED_EVERY != 0
        if not answered and due > now - timedelta(weeks=3):
            continue  # invited recently, or not yet: nothing recorded
        weak = weak_finding_keys(attempt.answers, pass_mark=attempt.pass_mark, order=order)
        seed = rng.randrange(1, 2**31 - 1)
        drawn = [items[q] for q in draw(candidates, weak, shown=attempt.shown, seed=seed)]
        row: dict[str, Any] = {
            "id": follow_up_id,
            "attempt_id": attempt.attempt_id,
            "user_id": attempt.user_id,
            "check_id": check.id,
            "bank_version_id": current.id if current is not None else attempt.version_id,
            "due_at": due,
            "invited_at": due,
            "created_at": due,
            "seed": seed,
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
