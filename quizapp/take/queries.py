"""Queries feeding the practitioner's pages; each written once, here."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from ..models import Attempt, BankVersion, Check, Completion, User


@dataclass(frozen=True)
class CheckRow:
    check: Check
    completion: Completion | None
    in_progress: Attempt | None
    attempts: int


def checks_for(user: User) -> list[CheckRow]:
    """Every check with a published version, with this person's standing on it."""
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
    return [
        CheckRow(c, completions.get(c.id), in_progress.get(c.id), counts.get(c.id, 0))
        for c in checks
    ]


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


def own_attempt_or_404(user: User, attempt_id: int) -> Attempt:
    """Someone else's attempt is answered exactly like a missing one."""
    return db.one_or_404(
        sa.select(Attempt).where(Attempt.id == attempt_id, Attempt.user_id == user.id)
    )
