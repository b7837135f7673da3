"""Creating, changing and ending assignments, and retiring checks: each keeps requirements
in step in the same transaction. Flush only; the caller commits."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa

from ..extensions import db
from ..models import DEFAULT_GRACE_DAYS, Agency, Assignment, Check, Team, User
from .audience import Audience
from .requirements import (
    people_dropping,
    rule_of,
    update_requirements,
    users_affected_by,
    users_affected_by_check,
)


class RetiredCheck(ValueError):
    """A retired check can't be assigned; bring it back first."""


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
    grace_days: int = DEFAULT_GRACE_DAYS,
    created_by: User | None = None,
    now: datetime,
    notify: bool = True,
) -> Assignment:
    """With `notify`, people it newly requires the check of get an email saying so."""
    if (due_date is None) == (due_days is None):
        raise ValueError("give exactly one of due_date and due_days")
    if check.is_retired:
        raise RetiredCheck(f"{check.title} is retired")
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
        grace_days=grace_days,
        created_by=created_by,
        created_at=now,
    )
    db.session.add(assignment)
    db.session.flush()
    update_requirements(users_affected_by(assignment), now=now, notify=notify)
    return assignment


@dataclasses.dataclass(frozen=True)
class AssignmentChange:
    """What an assignment's form asks for; the check itself never changes."""

    all_agencies: bool
    agencies: Sequence[Agency]
    teams: Sequence[Team]
    job_roles: Sequence[str]
    levels: Sequence[str]
    due_date: date | None
    due_days: int | None
    refresh_months: int
    grace_days: int = DEFAULT_GRACE_DAYS


def people_dropped_by_change(assignment: Assignment, change: AssignmentChange) -> int:
    """How many people the change would stop requiring the check of (changes nothing)."""
    rule = dataclasses.replace(
        rule_of(assignment),
        audience=Audience.of(
            all_agencies=change.all_agencies,
            agency_ids=[] if change.all_agencies else [a.id for a in change.agencies],
            team_ids=[t.id for t in change.teams],
            job_roles=change.job_roles,
            levels=change.levels,
        ),
        due_date=change.due_date,
        due_days=change.due_days,
        refresh_months=change.refresh_months,
        grace_days=change.grace_days,
    )
    return people_dropping(assignment.check_id, rule=rule)


def people_dropped_by_ending(assignment: Assignment) -> int:
    """How many people ending the assignment would stop requiring the check of."""
    if assignment.is_ended or assignment.check.is_retired:
        return 0
    return people_dropping(assignment.check_id, ending=assignment.id)


def update_assignment(assignment: Assignment, change: AssignmentChange, *, now: datetime) -> None:
    """Apply the change; people who join its audience keep the date they joined (if
    already required to take the check), others join now and get the email."""
    if assignment.is_ended:
        raise ValueError("an ended assignment can't be changed")
    if (change.due_date is None) == (change.due_days is None):
        raise ValueError("give exactly one of due_date and due_days")
    before = users_affected_by(assignment)
    assignment.all_agencies = change.all_agencies
    assignment.agencies = [] if change.all_agencies else list(change.agencies)
    assignment.teams = list(change.teams)
    assignment.job_roles = list(change.job_roles)
    assignment.levels = list(change.levels)
    assignment.due_date = change.due_date
    assignment.due_days = change.due_days
    assignment.refresh_months = change.refresh_months
    assignment.grace_days = change.grace_days
    db.session.flush()
    after = users_affected_by(assignment)
    people = {user.id: user for user in (*before, *after)}
    update_requirements(list(people.values()), now=now, notify=True)


def end_assignment(assignment: Assignment, *, now: datetime) -> None:
    """It requires nobody from now; attempts and passes made under it are kept."""
    if assignment.is_ended:
        raise ValueError("this assignment has already ended")
    affected = users_affected_by(assignment)
    assignment.ended_at = now
    db.session.flush()
    update_requirements(affected, now=now)


def delete_assignment(assignment: Assignment, *, now: datetime) -> None:
    affected = users_affected_by(assignment)
    db.session.delete(assignment)
    db.session.flush()
    update_requirements(affected, now=now)


def retire_check(check: Check, *, now: datetime) -> None:
    """Nobody can start it or be assigned it; its assignments stop requiring it (until
    it is brought back). Attempts, passes and reports are kept."""
    if check.is_retired:
        raise ValueError("this check is already retired")
    affected = users_affected_by_check(check)
    check.retired_at = now
    db.session.flush()
    update_requirements(affected, now=now)


def restore_check(check: Check, *, now: datetime) -> None:
    """Bring a retired check back: its assignments (not ended) require it again, from now
    for people who join them now."""
    if not check.is_retired:
        raise ValueError("this check is not retired")
    check.retired_at = None
    db.session.flush()
    update_requirements(users_affected_by_check(check), now=now, notify=True)


def assignments_of(check: Check) -> list[Assignment]:
    """The check's assignments not ended."""
    return list(
        db.session.scalars(
            sa.select(Assignment)
            .where(Assignment.check_id == check.id, Assignment.ended_at.is_(None))
            .order_by(Assignment.created_at)
        )
    )


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
