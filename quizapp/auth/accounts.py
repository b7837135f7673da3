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
from ..models.user import hash_password

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
    """What registering did; `created` is False when the address already had an account."""

    user: User
    created: bool


def register(*, name: str, email: str, password: str, agency: Agency) -> Registration:
    """Create an unconfirmed practitioner in `agency`, or find the existing account.

    An existing account is never changed, whatever state it is in (uploaded without a
    password, awaiting confirmation, or in use): otherwise whoever registers an address
    first could set the password that works once its owner confirms it. The route emails
    the owner a link to choose a password instead. The password is hashed either way, so
    the answer takes as long whether or not the address has an account.
    """
    email = normalise_email(email)
    existing = user_by_email(email)
    if existing is not None:
        hash_password(password)  # not kept: only so that both answers take as long
        return Registration(user=existing, created=False)
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


class ListedElsewhere(Exception):
    """The address belongs to a person listed in another agency (`person`)."""

    def __init__(self, person: User) -> None:
        super().__init__(person.email)
        self.person = person


class PersonLeft(Exception):
    """The address belongs to a person marked as left: they must be brought back first."""


def has_account(user: User) -> bool:
    """The person has set a password and proved the address is theirs: they can sign in.
    People uploaded from a file, and people who registered but never confirmed, have not."""
    return user.password_hash is not None and user.email_confirmed_at is not None


def invitation_can_open(user: User) -> bool:
    """An invitation to this listed person's address opens their existing record."""
    return not has_account(user) and user.active and user.left_at is None


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
    """Invite someone by email. For a person already listed (uploaded, never signed in)
    the invitation is for their record: it carries the record's name, team, job role and
    level, and accepting it opens that record. Earlier open invitations to the same
    address are cancelled, so only the newest link works."""
    if not may_invite_into(inviter, agency):
        raise NotAllowed("You can only invite people into your own agency")
    granted = {Role(role) for role in roles} - {Role.PRACTITIONER}
    if granted and not inviter.has_role(Role.ADMIN):
        raise NotAllowed("Only administrators can give roles other than practitioner")
    if team is not None and team.agency_id != agency.id:
        raise ValueError("the team is not in the agency")
    email = normalise_email(email)
    listed = user_by_email(email)
    if listed is not None:
        if has_account(listed):
            raise AccountExists(email)
        if listed.agency_id != agency.id:
            raise ListedElsewhere(listed)
        if listed.has_role(Role.ADMIN) and not inviter.has_role(Role.ADMIN):
            raise NotAllowed("Only administrators can invite an administrator")
        if not invitation_can_open(listed):
            raise PersonLeft(email)
        name, team, job_role, level = listed.name, listed.team, listed.job_role, listed.level
    cancel_open_invitations(email, now=now)
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
        sent_at=now,
        expires_at=now + valid_for,
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation


def cancel_open_invitations(email: str, *, now: datetime) -> int:
    """Cancel every invitation to `email` not yet accepted or cancelled; how many."""
    invitations = db.session.scalars(
        sa.select(Invitation).where(Invitation.email == email, Invitation.open_condition())
    ).all()
    for invitation in invitations:
        invitation.cancelled_at = now
    db.session.flush()
    return len(invitations)


class InvitationClosed(Exception):
    """The invitation was accepted or cancelled: it can't be resent or cancelled."""


def resend_invitation(invitation: Invitation, *, now: datetime, valid_for: timedelta) -> None:
    """The same invitation, sent again: its link works for `valid_for` from now."""
    if invitation.accepted_at is not None or invitation.cancelled_at is not None:
        raise InvitationClosed(invitation.email)
    invitation.sent_at = now
    invitation.expires_at = now + valid_for
    db.session.flush()


def cancel_invitation(invitation: Invitation, *, now: datetime) -> None:
    """Its link stops working at once."""
    if invitation.accepted_at is not None or invitation.cancelled_at is not None:
        raise InvitationClosed(invitation.email)
    invitation.cancelled_at = now
    db.session.flush()


def may_accept(invitation: Invitation) -> bool:
    """Nobody has an account at the address, or the person listed there can have one."""
    listed = user_by_email(invitation.email)
    return listed is None or invitation_can_open(listed)


def accept_invitation(invitation: Invitation, *, password: str, now: datetime) -> User:
    """Create the invited person's account, confirmed (the link came to their address);
    for a person already listed, open their record instead: it keeps its details and
    gains the password and the invitation's roles."""
    listed = user_by_email(invitation.email)
    if listed is not None and not invitation_can_open(listed):
        raise AccountExists(invitation.email)
    if listed is None:
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
        db.session.add(user)
    else:
        user = listed
        if user.email_confirmed_at is None:
            user.email_confirmed_at = now
    user.set_password(password)
    for role in invitation.roles:
        user.grant(Role(role))
    invitation.accepted_at = now
    db.session.flush()
    cancel_open_invitations(invitation.email, now=now)
    from ..workforce.requirements import update_requirements

    update_requirements([user], now=now)
    return user
