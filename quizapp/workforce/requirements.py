"""Keep Requirement rows, and the expiry of passes, in step with assignments and people.

Called inside the transaction that changes an assignment, a person or an attempt; these
functions flush and leave the commit to the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Assignment, Attempt, Check, Completion, Requirement, User
from . import tally
from .audience import Audience, Person, due_at, includes

#: People handled per round trip when many are updated at once.
CHUNK = 500


@dataclass(frozen=True)
class _Rule:
    assignment_id: int
    check_id: int
    audience: Audience
    due_date: object
    due_days: int | None
    refresh_months: int
    created_at: datetime
    grace_days: int

    def due_at(self, required_since: datetime) -> datetime:
        return due_at(
            due_date=self.due_date,  # type: ignore[arg-type]
            due_days=self.due_days,
            required_since=required_since,
            assigned_at=self.created_at,
            grace_days=self.grace_days,
        )


def rule_of(a: Assignment) -> _Rule:
    """The rule an assignment applies (as it stands in the session, saved or not)."""
    return _Rule(
        assignment_id=a.id,
        check_id=a.check_id,
        audience=Audience.of(
            all_agencies=a.all_agencies,
            agency_ids=[agency.id for agency in a.agencies],
            team_ids=[team.id for team in a.teams],
            job_roles=a.job_roles,
            levels=a.levels,
        ),
        due_date=a.due_date,
        due_days=a.due_days,
        refresh_months=a.refresh_months,
        created_at=a.created_at,
        grace_days=a.grace_days,
    )


def _rules() -> list[_Rule]:
    """The rules in force: assignments not ended, of checks not retired."""
    assignments = db.session.scalars(
        sa.select(Assignment)
        .join(Check, Check.id == Assignment.check_id)
        .where(Assignment.ended_at.is_(None), Check.retired_at.is_(None))
        .options(selectinload(Assignment.agencies), selectinload(Assignment.teams))
    )
    return [rule_of(a) for a in assignments]


def _person(user: User) -> Person:
    return Person(
        agency_id=user.agency_id, team_id=user.team_id, job_role=user.job_role, level=user.level
    )


def _chunks(items: Sequence[User]) -> Iterable[Sequence[User]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _applicable(user: User, rules: Sequence[_Rule]) -> dict[int, list[_Rule]]:
    """Check id -> the rules requiring it of this person (none if they left)."""
    applicable: dict[int, list[_Rule]] = {}
    if user.active and user.left_at is None:
        person = _person(user)
        for rule in rules:
            if includes(rule.audience, person):
                applicable.setdefault(rule.check_id, []).append(rule)
    return applicable


def update_requirements(users: Sequence[User], *, now: datetime, notify: bool = False) -> None:
    """Make these people's requirements match the assignments, then their passes' expiry.

    A requirement that still applies keeps its `required_since` (when the person joined
    the audience); one that no longer applies (left, moved, assignment ended, check
    retired) goes. With `notify`, each person newly required to take a check is
    recorded for the one email saying so (quizapp.workforce.emails).
    """
    rules = _rules()
    db.session.flush()
    newly_required: list[tuple[int, int]] = []
    for chunk in _chunks(list(users)):
        ids = [user.id for user in chunk]
        existing = {
            (r.user_id, r.check_id): r
            for r in db.session.scalars(sa.select(Requirement).where(Requirement.user_id.in_(ids)))
        }
        for user in chunk:
            for check_id, matching in _applicable(user, rules).items():
                requirement = existing.pop((user.id, check_id), None)
                since = requirement.required_since if requirement is not None else now
                due, _, first = min(
                    ((r.due_at(since), r.created_at, r) for r in matching),
                    key=lambda item: item[:2],
                )
                if requirement is None:
                    requirement = Requirement(user_id=user.id, check_id=check_id)
                    db.session.add(requirement)
                    newly_required.append((first.assignment_id, user.id))
                requirement.required_since = since
                requirement.due_at = due
                requirement.assignment_id = first.assignment_id
                requirement.refresh_months = min(r.refresh_months for r in matching)
        for gone in existing.values():
            db.session.delete(gone)
        db.session.flush()
        _sync_expiry(ids)
    db.session.flush()
    if notify and newly_required:
        from .emails import record_emails

        record_emails(newly_required, now=now)


def people_dropping(check_id: int, *, ending: int | None = None, rule: _Rule | None = None) -> int:
    """How many people required to take the check now would no longer be if the
    assignment `ending` ended, or if `rule` replaced its assignment's current rule.
    Counted from the requirements as they are, against the rules in force."""
    replaced = rule.assignment_id if rule is not None else ending
    rules = [r for r in _rules() if r.check_id == check_id and r.assignment_id != replaced]
    if rule is not None:
        rules.append(rule)
    holders = db.session.scalars(
        sa.select(User)
        .join(Requirement, Requirement.user_id == User.id)
        .where(Requirement.check_id == check_id)
    )
    return sum(1 for user in holders if check_id not in _applicable(user, rules))


def people_required(check_id: int) -> int:
    """How many people are required to take the check now."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Requirement)
            .where(Requirement.check_id == check_id)
        )
        or 0
    )


def refresh_months_for(user_id: int, check: Check) -> int:
    """The refresh period that applies to this person: their requirement's, else the check's."""
    months = db.session.scalar(
        sa.select(Requirement.refresh_months).where(
            Requirement.user_id == user_id, Requirement.check_id == check.id
        )
    )
    return months if months is not None else check.refresh_months


def sync_check_expiry(check: Check) -> None:
    """After a check's refresh period changes, move its passes' expiry dates to match."""
    _sync_expiry(check_id=check.id)


def _sync_expiry(user_ids: Sequence[int] | None = None, *, check_id: int | None = None) -> None:
    query = (
        sa.select(Completion, sa.func.coalesce(Requirement.refresh_months, Check.refresh_months))
        .join(Check, Check.id == Completion.check_id)
        .outerjoin(
            Requirement,
            sa.and_(
                Requirement.user_id == Completion.user_id,
                Requirement.check_id == Completion.check_id,
            ),
        )
    )
    if user_ids is not None:
        query = query.where(Completion.user_id.in_(user_ids))
    if check_id is not None:
        query = query.where(Completion.check_id == check_id)
    for completion, months in db.session.execute(query):
        expires = completion.passed_at + relativedelta(months=months)
        if completion.expires_at != expires:
            completion.expires_at = expires


def users_affected_by(assignment: Assignment) -> list[User]:
    """Everyone the assignment reaches now, and everyone already required to take its check."""
    return _audience_and_holders(assignment.check_id, [assignment])


def users_affected_by_check(check: Check) -> list[User]:
    """Everyone its assignments (not ended) reach, and everyone required to take it."""
    assignments = db.session.scalars(
        sa.select(Assignment)
        .where(Assignment.check_id == check.id, Assignment.ended_at.is_(None))
        .options(selectinload(Assignment.agencies))
    ).all()
    return _audience_and_holders(check.id, assignments)


def _audience_and_holders(check_id: int, assignments: Sequence[Assignment]) -> list[User]:
    agency_ids: set[int] = set()
    everyone = False
    for assignment in assignments:
        everyone = everyone or assignment.all_agencies
        agency_ids.update(a.id for a in assignment.agencies)
    audience = sa.select(User.id).where(User.left_at.is_(None), User.agency_id.is_not(None))
    if not everyone:
        audience = audience.where(User.agency_id.in_(sorted(agency_ids)))
    already = sa.select(Requirement.user_id).where(Requirement.check_id == check_id)
    return list(
        db.session.scalars(
            sa.select(User).where(sa.or_(User.id.in_(audience), User.id.in_(already)))
        )
    )


@dataclass(frozen=True)
class RebuildCounts:
    people: int
    requirements: int
    completions: int


def rebuild_all(*, now: datetime) -> RebuildCounts:
    """Recompute every requirement from the assignments, every completion from the
    submitted attempts, and the status counts from both. Requirements that still apply
    keep `required_since`, the one fact not derivable from anything else."""
    db.session.execute(sa.delete(Completion))
    users = list(db.session.scalars(sa.select(User).order_by(User.id)))
    update_requirements(users, now=now)
    ranked = (
        sa.select(
            Attempt.id,
            sa.func.row_number()
            .over(
                partition_by=(Attempt.user_id, Attempt.check_id),
                order_by=(Attempt.submitted_at.desc(), Attempt.id.desc()),
            )
            .label("rank"),
        )
        .where(Attempt.passed.is_(True))
        .subquery()
    )
    latest_passes = db.session.scalars(
        sa.select(Attempt).join(ranked, ranked.c.id == Attempt.id).where(ranked.c.rank == 1)
    ).all()
    refresh = {
        (user_id, check_id): months
        for user_id, check_id, months in db.session.execute(
            sa.select(Requirement.user_id, Requirement.check_id, Requirement.refresh_months)
        )
    }
    check_refresh = dict(db.session.execute(sa.select(Check.id, Check.refresh_months)).all())
    for attempt in latest_passes:
        assert attempt.submitted_at is not None
        months = refresh.get((attempt.user_id, attempt.check_id), check_refresh[attempt.check_id])
        db.session.add(
            Completion(
                user_id=attempt.user_id,
                check_id=attempt.check_id,
                attempt_id=attempt.id,
                passed_at=attempt.submitted_at,
                expires_at=attempt.submitted_at + relativedelta(months=months),
            )
        )
    db.session.flush()
    tally.rebuild(db.session, now=now)
    count = len(latest_passes)
    requirements = db.session.scalar(sa.select(sa.func.count()).select_from(Requirement)) or 0
    return RebuildCounts(people=len(users), requirements=requirements, completions=count)
