"""Queries feeding the practitioner's pages; each written once, here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..impact.follow_up import DueFollowUp, due_follow_ups
from ..models import (
    Attempt,
    BankVersion,
    Check,
    Completion,
    Question,
    Requirement,
    Response,
    User,
)
from ..workforce.status import Status, next_deadline, status_of
from .layout import outline_for


@dataclass(frozen=True)
class Progress:
    """How far an attempt in progress has got, counted as its pages count: marked
    questions (reflections may be left blank, so they are not counted)."""

    answered: int
    questions: int


@dataclass(frozen=True)
class CheckRow:
    check: Check
    completion: Completion | None
    in_progress: Attempt | None
    attempts: int
    requirement: Requirement | None
    status: Status
    progress: Progress | None = None

    @property
    def retired(self) -> bool:
        return self.check.is_retired

    @property
    def deadline(self) -> datetime | None:
        """When the person must (re)pass by, if the check is required of them."""
        if self.requirement is None:
            return None
        return next_deadline(
            due_at=self.requirement.due_at,
            expires_at=self.completion.expires_at if self.completion else None,
        )


def follow_ups_for(user: User, *, now: datetime) -> list[DueFollowUp]:
    """The person's follow-ups open now and not sent (quizapp/impact/follow_up.py): listed
    on "Your checks" apart from the checks, since they change no completion or status."""
    return due_follow_ups(now, user_id=user.id)


def checks_for(user: User, *, now: datetime) -> list[CheckRow]:
    """Every check with a published version, with this person's standing on it: required
    checks first (soonest deadline first), then optional ones by title. A retired check
    shows only to people who attempted it (nobody is required to take one)."""
    published = sa.select(BankVersion.bank_id).where(BankVersion.status == "published").distinct()
    checks = db.session.scalars(
        sa.select(Check).where(Check.bank_id.in_(published)).order_by(Check.title)
    ).all()
    completions = {
        c.check_id: c
        for c in db.session.scalars(sa.select(Completion).where(Completion.user_id == user.id))
    }
    in_progress = {
        a.check_id: a
        for a in db.session.scalars(
            sa.select(Attempt).where(Attempt.user_id == user.id, Attempt.submitted_at.is_(None))
        )
    }
    counts: dict[int, int] = {
        check_id: count
        for check_id, count in db.session.execute(
            sa.select(Attempt.check_id, sa.func.count())
            .where(Attempt.user_id == user.id, Attempt.submitted_at.is_not(None))
            .group_by(Attempt.check_id)
        )
    }
    requirements = {
        r.check_id: r
        for r in db.session.scalars(sa.select(Requirement).where(Requirement.user_id == user.id))
    }
    progress = progress_of(in_progress.values())
    rows = []
    for check in checks:
        completion = completions.get(check.id)
        requirement = requirements.get(check.id)
        if check.is_retired and not (completion or check.id in in_progress or counts.get(check.id)):
            continue
        status = status_of(
            now,
            due_at=requirement.due_at if requirement else None,
            expires_at=completion.expires_at if completion else None,
        )
        rows.append(
            CheckRow(
                check,
                completion,
                in_progress.get(check.id),
                counts.get(check.id, 0),
                requirement,
                status,
                progress.get(in_progress[check.id].id) if check.id in in_progress else None,
            )
        )
    return sorted(
        rows,
        key=lambda row: (
            row.requirement is None,
            row.deadline or now,
            row.check.title.casefold(),
        ),
    )


def progress_of(attempts: Iterable[Attempt]) -> dict[int, Progress]:
    """Marked questions answered and drawn, by attempt id, in one query."""
    attempts = list(attempts)
    if not attempts:
        return {}
    answered = dict(
        db.session.execute(
            sa.select(Response.attempt_id, sa.func.count())
            .join(Question, Question.id == Response.question_id)
            .where(Response.attempt_id.in_([a.id for a in attempts]), Question.points > 0)
            .group_by(Response.attempt_id)
        ).all()
    )
    return {
        attempt.id: Progress(answered.get(attempt.id, 0), outline_for(attempt).scored_count)
        for attempt in attempts
    }


def past_attempts(user: User, check: Check) -> list[Attempt]:
    return list(
        db.session.scalars(
            sa.select(Attempt)
            .where(
                Attempt.user_id == user.id,
                Attempt.check_id == check.id,
                Attempt.submitted_at.is_not(None),
            )
            .order_by(Attempt.submitted_at.desc())
        )
    )


#: Built once: every page of an attempt runs it, and building it cost as much as running it.
_OWN_ATTEMPT = (
    sa.select(Attempt)
    .where(Attempt.id == sa.bindparam("attempt_id"), Attempt.user_id == sa.bindparam("user_id"))
    .options(joinedload(Attempt.bank_version))
)


def own_attempt_or_404(user: User, attempt_id: int) -> Attempt:
    """Someone else's attempt is answered exactly like a missing one. Every page of an
    attempt needs its bank version too, so that comes in the same query."""
    attempt = db.session.scalar(_OWN_ATTEMPT, {"attempt_id": attempt_id, "user_id": user.id})
    if attempt is None:
        abort(404)
    return attempt
