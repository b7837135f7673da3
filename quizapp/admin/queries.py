"""Queries that feed the agencies and people pages, each a fixed number of statements."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Agency, Team, User

#: People shown on one page of the people list.
PEOPLE_PER_PAGE = 50


@dataclass(frozen=True)
class AgencyRow:
    agency: Agency
    active_people: int


def agencies_overview() -> list[AgencyRow]:
    """Every agency with its teams and the number of people who have not left (2 queries)."""
    active = (
        sa.select(User.agency_id, sa.func.count(User.id).label("people"))
        .where(User.left_at.is_(None))
        .group_by(User.agency_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Agency, sa.func.coalesce(active.c.people, 0))
        .outerjoin(active, active.c.agency_id == Agency.id)
        .options(selectinload(Agency.teams))
        .order_by(Agency.name)
    ).all()
    return [AgencyRow(agency=agency, active_people=count) for agency, count in rows]


@dataclass(frozen=True)
class AgencyPeopleCounts:
    active: int
    left: int
    #: People who have not left, by team id.
    by_team: dict[int, int]


def agency_people_counts(agency_id: int) -> AgencyPeopleCounts:
    rows = db.session.execute(
        sa.select(User.team_id, User.left_at.is_(None), sa.func.count(User.id))
        .where(User.agency_id == agency_id)
        .group_by(User.team_id, User.left_at.is_(None))
    ).all()
    active = sum(count for _, is_active, count in rows if is_active)
    left = sum(count for _, is_active, count in rows if not is_active)
    by_team: dict[int, int] = {}
    for team_id, is_active, count in rows:
        if is_active and team_id is not None:
            by_team[team_id] = by_team.get(team_id, 0) + count
    return AgencyPeopleCounts(active=active, left=left, by_team=by_team)


def agency_choices() -> list[tuple[int, str]]:
    return [
        tuple(row)
        for row in db.session.execute(sa.select(Agency.id, Agency.name).order_by(Agency.name))
    ]  # type: ignore[misc]


def people_of(agency_id: int, *, page: int) -> Pagination:
    """One page of an agency's people, leavers included (with their left date)."""
    return db.paginate(
        sa.select(User)
        .where(User.agency_id == agency_id)
        .options(selectinload(User.team))
        .order_by(User.left_at.is_not(None), sa.func.lower(User.name), User.email),
        page=page,
        per_page=PEOPLE_PER_PAGE,
        max_per_page=PEOPLE_PER_PAGE,
        error_out=False,
    )


def team_of(agency: Agency, team_id: int) -> Team | None:
    return db.session.scalar(sa.select(Team).where(Team.id == team_id, Team.agency_id == agency.id))
