"""Accounts: registering, confirming an email address, invitations and password resets.

Operations flush and leave the commit to the route, which sends the email first: if the
mail server fails the route rolls back, so nothing is left half-done.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from ..extensions import db
from ..models import Agency, AgencyEmailDomain, Invitation, Role, Team, User, normalise_email

#: Roles an administrator may add to an invitation; practitioner is always given.
GRANTABLE_ROLES = (Role.AUTHOR, Role.LEAD, Role.ADMIN)


class NotAllowed(Exception):
    """The person may not do this (e.g. an agency lead inviting into another agency)."""


class AccountExists(Exception):
    """There is already an account for this email address."""


def user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def agency_for_email(email: str) -> Agency | None:
    """The agency whose listed email domain is exactly the part after the @."""
    domain = normalise_email(email).rpartition("@")[2]
    if not domain:
        return None
    return db.session.scalar(
        sa.select(Agency).join(AgencyEmailDomain).where(AgencyEmailDomain.domain == domain)
    )


def awaiting_confirmation(user: User) -> bool:
    """A self-registered account whose owner has not yet followed the emailed link."""
    return user.email_confirmed_at is None


@dataclass(frozen=True)
class Registration:
    """What registering did; `created` is False when the address already had an account.
    `uploaded`: that account was made by a people upload and had never had a password, so
    this is its owner's first registration all the same."""

    user: User
    created: bool
    uploaded: bool = False

    @property
    def first(self) -> bool:
        """The address's first registration: its email should welcome, not say "again"."""
        return self.created or self.uploaded


def register(*, name: str, email: str, password: str, agency: Agency) -> Registration:
    """Create an unconfirmed practitioner in `agency`, or find the existing account.

    Registering again before confirming replaces the name and password and rotates the
    session token, so only the newest link works: someone who registered another
    person's address first can't keep the password they chose once the owner registers.
    """
    email = normalise_email(email)
    existing = user_by_email(email)
    if existing is not None:
        uploaded = False
        if awaiting_confirmation(existing) and existing.is_active:
            uploaded = existing.password_hash is None
            existing.name = name
            existing.set_password(password)
            db.session.flush()
        return Registration(user=existing, created=False, uploaded=uploaded)
    user = User(email=email, name=name, agency=agency, active=True, email_confirmed_at=None)
    user.set_password(password)
    user.grant(Role.PRACTITIONER)
    db.session.add(user)
    db.session.flush()
    return Registration(user=user, created=True)


def confirm_email(user: User, *, now: datetime) -> None:
    """The person proved they own the address: the account is usable from now."""
    from ..workforce.requirements import update_requirements

    if user.email_confirmed_at is None:
        user.email_confirmed_at = now
    db.session.flush()
    update_requirements([user], now=now)


def reset_password(user: User, password: str, *, now: datetime) -> None:
    """Set a new password (which signs out every session); the emailed link also proves
    the person owns the address, so an unconfirmed account becomes confirmed."""
    user.set_password(password)
    if user.email_confirmed_at is None:
        confirm_email(user, now=now)
    db.session.flush()


def may_invite_into(inviter: User, agency: Agency) -> bool:
    """Admins and partnership leads invite into any agency; an agency lead only their own."""
    if inviter.has_role(Role.ADMIN) or inviter.is_partnership_lead:
        return True
    return inviter.is_agency_lead and inviter.agency_id == agency.id


def agencies_open_to(inviter: User) -> list[Agency]:
    query = sa.select(Agency).order_by(Agency.name)
    if not (inviter.has_role(Role.ADMIN) or inviter.is_partnership_lead):
        query = query.where(Agency.id == inviter.agency_id)
    return list(db.session.scalars(query))


def create_invitation(
    inviter: User,
    *,
    name: str,
    email: str,
    agency: Agency,
    team: Team | None,
    job_role: str,
    level: str | None,
    roles: Iterable[Role] = (),
    now: datetime,
    valid_for: timedelta = timedelta(days=14),
) -> Invitation:
    if not may_invite_into(inviter, agency):
        raise NotAllowed("You can only invite people into your own agency")
    granted = {Role(role) for role in roles} - {Role.PRACTITIONER}
    if granted and not inviter.has_role(Role.ADMIN):
        raise NotAllowed("Only administrators can give roles other than practitioner")
    if team is not None and team.agency_id != agency.id:
        raise ValueError("the team is not in the agency")
    email = normalise_email(email)
    if user_by_email(email) is not None:
        raise AccountExists(email)
    invitation = Invitation(
        email=email,
        name=name,
        agency=agency,
        team=team,
        job_role=job_role,
        level=level,
        roles=[Role.PRACTITIONER.value]
        + [role.value for role in GRANTABLE_ROLES if role in granted],
        invited_by=inviter,
        created_at=now,
        expires_at=now + valid_for,
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation


def accept_invitation(invitation: Invitation, *, password: str, now: datetime) -> User:
    """Create the invited person's account, confirmed (the link came to their address)."""
    if user_by_email(invitation.email) is not None:
        raise AccountExists(invitation.email)
    user = User(
        email=invitation.email,
        name=invitation.name,
        agency_id=invitation.agency_id,
        team_id=invitation.team_id,
        job_role=invitation.job_role,
        level=invitation.level,
        active=True,
        email_confirmed_at=now,
    )
    user.set_password(password)
    for role in invitation.roles:
        user.grant(Role(role))
    db.session.add(user)
    invitation.accepted_at = now
    db.session.flush()
    from ..workforce.requirements import update_requirements

    update_requirements([user], now=now)
    return user
