"""Creating and removing assignments: each keeps requirements in step in the same
transaction. Flush only; the caller commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa

from ..extensions import db
from ..models import Agency, Assignment, Check, Team, User
from .requirements import update_requirements, users_affected_by


def create_assignment(
    *,
    check: Check,
    all_agencies: bool,
    agencies: Sequence[Agency] = (),
    teams: Sequence[Team] = (),
    job_roles: Sequence[str] = (),
    levels: Sequence[str] = (),
    due_date: date | None = None,
    due_days: int | None = None,
    refresh_months: int | None = None,
    created_by: User | None = None,
    now: datetime,
) -> Assignment:
    if (due_date is None) == (due_days is None):
        raise ValueError("give exactly one of due_date and due_days")
    assignment = Assignment(
        check=check,
        all_agencies=all_agencies,
        agencies=[] if all_agencies else list(agencies),
        teams=list(teams),
        job_roles=list(job_roles),
        levels=list(levels),
        due_date=due_date,
        due_days=due_days,
        refresh_months=refresh_months or check.refresh_months,
        created_by=created_by,
        created_at=now,
    )
    db.session.add(assignment)
    db.session.flush()
    update_requirements(users_affected_by(assignment), now=now)
    return assignment


def delete_assignment(assignment: Assignment, *, now: datetime) -> None:
    affected = users_affected_by(assignment)
    db.session.delete(assignment)
    db.session.flush()
    update_requirements(affected, now=now)


def audience_counts(assignments: Sequence[Assignment]) -> dict[int, int]:
    """People each assignment currently decides the due date for."""
    from ..models import Requirement

    if not assignments:
        return {}
    rows = db.session.execute(
        sa.select(Requirement.assignment_id, sa.func.count())
        .where(Requirement.assignment_id.in_([a.id for a in assignments]))
        .group_by(Requirement.assignment_id)
    )
    return {assignment_id: count for assignment_id, count in rows}
