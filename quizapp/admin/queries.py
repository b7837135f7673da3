"""Queries that feed the agencies and people pages, each a fixed number of statements."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import Agency, Invitation, Team, User, utcnow

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


class AccountState(StrEnum):
    """Where a person's account stands; one at a time, in this order of precedence."""

    #: Marked as left (by hand, or by a full-agency upload): can't sign in.
    LEFT = "left"
    #: Has set a password and proved the address is theirs (invitation, confirmed
    #: registration or password reset): can sign in.
    ACTIVE = "active"
    #: Listed without an account, with an invitation whose link still works.
    INVITED = "invited"
    #: Listed without an account (uploaded, or registered and never confirmed).
    NEVER_SIGNED_IN = "never-signed-in"

    @property
    def label(self) -> str:
        return _STATE_LABELS[self]

    @property
    def tag_class(self) -> str:
        return _STATE_TAGS[self]


_STATE_LABELS = {
    AccountState.LEFT: "Left",
    AccountState.ACTIVE: "Active",
    AccountState.INVITED: "Invited",
    AccountState.NEVER_SIGNED_IN: "Never signed in",
}
_STATE_TAGS = {
    AccountState.LEFT: "govuk-tag--grey",
    AccountState.ACTIVE: "govuk-tag--green",
    AccountState.INVITED: "govuk-tag--light-blue",
    AccountState.NEVER_SIGNED_IN: "govuk-tag--yellow",
}


def has_account() -> sa.ColumnElement[bool]:
    """quizapp.auth.accounts.has_account as SQL."""
    return sa.and_(User.password_hash.is_not(None), User.email_confirmed_at.is_not(None))


def pending_invitation(now: datetime) -> sa.Exists:
    """An invitation to the person's address whose link still works."""
    return sa.exists().where(
        Invitation.email == User.email, Invitation.open_condition(), Invitation.expires_at > now
    )


def account_state_case(now: datetime) -> sa.Case[str]:
    return sa.case(
        (User.left_at.is_not(None), AccountState.LEFT.value),
        (has_account(), AccountState.ACTIVE.value),
        (pending_invitation(now), AccountState.INVITED.value),
        else_=AccountState.NEVER_SIGNED_IN.value,
    )


def account_state(user: User, *, invited: bool) -> AccountState:
    """The state of one person; `invited`: an invitation to them still works."""
    if user.left_at is not None:
        return AccountState.LEFT
    if user.password_hash is not None and user.email_confirmed_at is not None:
        return AccountState.ACTIVE
    return AccountState.INVITED if invited else AccountState.NEVER_SIGNED_IN


#: The team filter's value for people in no team.
NO_TEAM = "none"
#: The people list's agency value for people with no agency (partnership-wide staff).
NO_AGENCY = -1


@dataclass(frozen=True)
class PeopleFilter:
    """What the people list is narrowed to (from the query string)."""

    #: Part of a name or an email address, any case.
    search: str = ""
    #: A team id, NO_TEAM, or "" for every team.
    team: str = ""
    state: AccountState | None = None

    @property
    def active(self) -> bool:
        return bool(self.search or self.team or self.state)

    def conditions(self, now: datetime) -> list[sa.ColumnElement[bool]]:
        conditions: list[sa.ColumnElement[bool]] = []
        words = self.search.lower().split()
        for word in words:
            conditions.append(
                sa.or_(
                    sa.func.lower(User.name).contains(word, autoescape=True),
                    User.email.contains(word, autoescape=True),
                )
            )
        if self.team == NO_TEAM:
            conditions.append(User.team_id.is_(None))
        elif self.team.isdigit():
            conditions.append(User.team_id == int(self.team))
        if self.state is not None:
            conditions.append(account_state_case(now) == self.state.value)
        return conditions


def people_of(
    agency_id: int,
    *,
    page: int,
    filters: PeopleFilter | None = None,
    now: datetime | None = None,
) -> Pagination:
    """One page of an agency's people (NO_AGENCY: people with none), leavers included
    (with their left date), narrowed by `filters`."""
    query = sa.select(User).where(
        User.agency_id.is_(None) if agency_id == NO_AGENCY else User.agency_id == agency_id
    )
    if filters is not None:
        query = query.where(*filters.conditions(now or utcnow()))
    return db.paginate(
        query.options(selectinload(User.team)).order_by(
            User.left_at.is_not(None), sa.func.lower(User.name), User.email
        ),
        page=page,
        per_page=PEOPLE_PER_PAGE,
        max_per_page=PEOPLE_PER_PAGE,
        error_out=False,
    )


def invited_emails(emails: Iterable[str], *, now: datetime) -> set[str]:
    """Which of these addresses have an invitation whose link still works (one query)."""
    emails = sorted(set(emails))
    if not emails:
        return set()
    return set(
        db.session.scalars(
            sa.select(Invitation.email)
            .where(
                Invitation.email.in_(emails),
                Invitation.open_condition(),
                Invitation.expires_at > now,
            )
            .distinct()
        )
    )


def person_in_scope(user_id: int, agency: Agency | None) -> User | None:
    """A person, if the viewer may see them: anyone for administrators (agency None),
    else only people of `agency`."""
    query = sa.select(User).where(User.id == user_id).options(joinedload(User.agency))
    if agency is not None:
        query = query.where(User.agency_id == agency.id)
    return db.session.scalar(query)


def open_invitations_to(email: str) -> list[Invitation]:
    """Invitations to this address neither accepted nor cancelled, newest first."""
    return list(
        db.session.scalars(
            sa.select(Invitation)
            .where(Invitation.email == email, Invitation.open_condition())
            .order_by(Invitation.sent_at.desc(), Invitation.id.desc())
        )
    )


def open_invitations(agency_id: int | None, *, page: int) -> Pagination:
    """Invitations neither accepted nor cancelled (expired ones too: they can be sent
    again), soonest to expire first; one agency's, or every agency's (None)."""
    query = sa.select(Invitation).where(Invitation.open_condition())
    if agency_id is not None:
        query = query.where(Invitation.agency_id == agency_id)
    return db.paginate(
        query.options(joinedload(Invitation.agency), joinedload(Invitation.invited_by)).order_by(
            Invitation.expires_at, Invitation.id
        ),
        page=page,
        per_page=PEOPLE_PER_PAGE,
        max_per_page=PEOPLE_PER_PAGE,
        error_out=False,
    )


def invitation_in_scope(invitation_id: int, agency: Agency | None) -> Invitation | None:
    query = sa.select(Invitation).where(Invitation.id == invitation_id)
    if agency is not None:
        query = query.where(Invitation.agency_id == agency.id)
    return db.session.scalar(query)


def never_signed_in(agency_id: int, *, now: datetime) -> sa.Select[tuple[User]]:
    """People of the agency who have no account and no invitation that still works, and
    have not left: whom "invite everyone who has never signed in" invites. Administrators
    are left out (they are invited one by one, by an administrator)."""
    from ..models import Role, UserRole

    is_admin = sa.exists().where(UserRole.user_id == User.id, UserRole.role == Role.ADMIN.value)
    return (
        sa.select(User)
        .where(
            User.agency_id == agency_id,
            User.left_at.is_(None),
            User.active.is_(True),
            ~has_account(),
            ~pending_invitation(now),
            ~is_admin,
        )
        .order_by(sa.func.lower(User.name), User.email)
    )


def team_of(agency: Agency, team_id: int) -> Team | None:
    return db.session.scalar(sa.select(Team).where(Team.id == team_id, Team.agency_id == agency.id))
