"""What a team manager sees: their teams, and each current person's required checks
with status and dates. Scope is in the SQL: every statement joins team_managers on the
manager's own id, so another team's people never leave the database. Nothing here reads
attempts' answers (reflections stay private to the person who wrote them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ..extensions import db
from ..models import Agency, Check, Completion, Requirement, Team, User
from ..models.user import team_managers
from ..workforce import tally
from ..workforce.status import Status, next_deadline, status_of

#: Statuses a manager can filter by, in the order the filter lists them.
STATUSES = (Status.OVERDUE, Status.DUE, Status.EXPIRING_SOON, Status.COMPLETE)


@dataclass(frozen=True)
class ManagedTeam:
    id: int
    name: str
    agency: str


@dataclass(frozen=True)
class PersonCheck:
    """One person and one check they must hold; `check` is None for a person of the team
    with no check required of them."""

    team_id: int
    team: str
    user_id: int
    name: str
    email: str
    check: str | None
    status: Status | None
    #: The date to (re)pass by: the first deadline, or when their pass expires.
    due: datetime | None
    passed: datetime | None
    expires: datetime | None


def _managed_by(manager_id: int) -> sa.Select[tuple[int]]:
    """Ids of the teams this person manages, in their own agency only."""
    return (
        sa.select(team_managers.c.team_id)
        .join(Team, Team.id == team_managers.c.team_id)
        .join(User, User.id == team_managers.c.user_id)
        .where(team_managers.c.user_id == manager_id, Team.agency_id == User.agency_id)
    )


def managed_teams(manager_id: int) -> list[ManagedTeam]:
    """The teams the person manages, by name. One statement."""
    rows = db.session.execute(
        sa.select(Team.id, Team.name, Agency.name)
        .join(Agency, Agency.id == Team.agency_id)
        .where(Team.id.in_(_managed_by(manager_id)))
        .order_by(Team.name, Team.id)
    )
    return [ManagedTeam(id, name, agency) for id, name, agency in rows]


def team_people(
    manager_id: int,
    *,
    now: datetime,
    team_id: int | None = None,
    status: Status | None = None,
) -> list[PersonCheck]:
    """Every current person (in the agency, not left, account active) of the manager's
    teams, with each check required of them: by team, name, then check. One statement.
    With `status`, only requirements in that status (so nobody without a requirement)."""
    statement = (
        sa.select(
            Team.id,
            Team.name,
            User.id,
            User.name,
            User.email,
            Check.title,
            Requirement.due_at,
            Completion.passed_at,
            Completion.expires_at,
        )
        .select_from(User)
        .join(Team, Team.id == User.team_id)
        .outerjoin(Requirement, Requirement.user_id == User.id)
        .outerjoin(Check, Check.id == Requirement.check_id)
        .outerjoin(
            Completion,
            sa.and_(
                Completion.user_id == Requirement.user_id,
                Completion.check_id == Requirement.check_id,
            ),
        )
        .where(
            User.team_id.in_(_managed_by(manager_id)),
            Team.agency_id == User.agency_id,
            *tally.current_people(),
        )
        .order_by(Team.name, Team.id, User.name, User.id, Check.title, Check.id)
    )
    if team_id is not None:
        statement = statement.where(User.team_id == team_id)
    rows = []
    for team, team_name, user_id, name, email, check, due_at, passed, expires in db.session.execute(
        statement
    ):
        if check is None:
            row_status, due = None, None
        else:
            row_status = status_of(now, due_at=due_at, expires_at=expires)
            due = next_deadline(due_at=due_at, expires_at=expires)
        if status is not None and row_status != status:
            continue
        rows.append(
            PersonCheck(
                team, team_name, user_id, name, email, check, row_status, due, passed, expires
            )
        )
    return rows
