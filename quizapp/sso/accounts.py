"""From a checked ID token to a person: create the account on first sign-in, or link the
existing one with the same verified email address.

The provider vouches for the email address only when the token says `email_verified`;
without that we can't tell the address is the person's, so nobody is signed in (an
unverified address could otherwise take over another person's account).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..audit import record
from ..auth import accounts
from ..extensions import db
from ..models import Agency, Invitation, Role, User, normalise_email
from .oidc import SignInRefused
from .providers import Provider, providers_for, serves

TITLE = "You cannot sign in this way"


def _refused(message: str) -> SignInRefused:
    return SignInRefused(403, TITLE, message)


@dataclass(frozen=True)
class SignIn:
    user: User
    #: The account was made by this sign-in.
    created: bool


def _verified(claims: Mapping[str, Any]) -> bool:
    value = claims.get("email_verified")
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _name(claims: Mapping[str, Any], email: str) -> str:
    name = str(claims.get("name") or "").strip()
    if not name:
        parts = (str(claims.get(key) or "").strip() for key in ("given_name", "family_name"))
        name = " ".join(part for part in parts if part)
    return (name or email.partition("@")[0])[:200]


def agency_of(provider: Provider, email: str) -> Agency | None:
    if provider.by_email_domain:
        if email.rpartition("@")[2] not in provider.email_domains:
            return None
        return accounts.agency_for_email(email)
    return db.session.get(Agency, provider.agency_id) if provider.agency_id else None


def _agency_address(agency: Agency, email: str) -> bool:
    """May a new account be made for this address in the agency? When the agency lists
    its email domains, only at one of them: a provider tied to one agency may sign in
    anyone it knows (Google signs in any Google account)."""
    domains = {row.domain for row in agency.email_domains}
    return not domains or email.rpartition("@")[2] in domains


def _open_invitation(email: str, agency: Agency, *, now: datetime) -> Invitation | None:
    """The newest invitation to this address into this agency, still open and in date:
    single sign-on accepts it, so the person gets the roles and team it gives."""
    return db.session.scalar(
        sa.select(Invitation)
        .where(
            Invitation.email == email,
            Invitation.agency_id == agency.id,
            Invitation.open_condition(),
            Invitation.expires_at > now,
        )
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .limit(1)
    )


def _accept(invitation: Invitation | None, user: User, *, now: datetime) -> None:
    if invitation is None:
        return
    for role in invitation.roles:
        user.grant(Role(role))
    invitation.accepted_at = now
    db.session.flush()
    accounts.cancel_open_invitations(user.email, now=now)


def sign_in(
    provider: Provider, claims: Mapping[str, Any], *, providers: list[Provider], now: datetime
) -> SignIn:
    """The person the claims describe, made or linked; SignInRefused when they can't be."""
    email = normalise_email(str(claims.get("email") or ""))
    if "@" not in email or len(email) > 320:
        raise _refused(f"{provider.name} did not give us your email address.")
    if not _verified(claims):
        raise _refused(
            f"{provider.name} has not confirmed that {email} is your email address, so we"
            " cannot sign you in with it. Ask your IT service desk."
        )
    agency = agency_of(provider, email)
    if agency is None:
        raise _refused(
            f"{email} is not from an agency that signs in with {provider.name}. Sign in"
            " with your email address and password instead."
        )
    if not serves(provider, agency, providers):
        raise _refused(
            f"{agency.name} does not sign in with {provider.name}. Use the sign-in page"
            " to sign in the way your agency does."
        )
    user = accounts.user_by_email(email)
    created = user is None
    invitation = _open_invitation(email, agency, now=now)
    if user is None and invitation is None and not _agency_address(agency, email):
        raise _refused(
            f"{email} is not one of {agency.name}'s email addresses, so {provider.name}"
            " cannot make you an account. Ask your safeguarding lead for an invitation."
        )
    if user is None:
        user = User(email=email, name=_name(claims, email), agency=agency, active=True)
        if invitation is not None:
            user.name, user.team_id = invitation.name, invitation.team_id
            user.job_role, user.level = invitation.job_role, invitation.level
        user.grant(Role.PRACTITIONER)
        db.session.add(user)
        db.session.flush()
        _accept(invitation, user, now=now)
        accounts.confirm_email(user, now=now)
    elif not user.is_active:
        raise _refused(
            "Your account is closed. If you have come back to your agency, ask your"
            " safeguarding lead to open it again."
        )
    elif user.agency_id != agency.id:
        raise _refused(
            f"Your account is not listed under {agency.name}, so {provider.name} cannot"
            " sign you in. Sign in with your password, or ask an administrator."
        )
    else:
        if accounts.invitation_can_open(user):
            _accept(invitation, user, now=now)
        if user.email_confirmed_at is None:
            # The provider has confirmed the address, as the emailed link would have.
            accounts.confirm_email(user, now=now)
    record(
        "sign_in.sso",
        f"user:{user.id}",
        user=user,
        details={"provider": provider.slug, "created": created},
    )
    return SignIn(user=user, created=created)


def password_refusal(
    config: Mapping[str, Any], agency: Agency | None, *, reset: bool = False
) -> str | None:
    """What to tell someone of an agency that requires single sign-on who tries a password
    (None: passwords are fine for this agency)."""
    if agency is None or not agency.sso_required:
        return None
    choices = providers_for(config, agency)
    if not choices:
        return (
            f"{agency.name} signs in with single sign-on, which is not ready yet. Ask your"
            " safeguarding lead"
        )
    so = ", so there are no passwords to reset" if reset else ""
    return f"{agency.name} uses single sign-on{so}. Use {choices[0].button_text} instead"
