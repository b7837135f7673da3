"""Changes to one person from their page: details and team, agency, roles, leaving and
coming back. Who may make each change is decided here (`may_change`, `may_edit_roles`),
so every caller asks the same question.

What an agency's lead may do (docs/people.md): for people of their own agency who are
not administrators, change name, job role, level and team, choose the teams they
manage, mark them as left or returned, and invite them (as practitioners). Only
administrators change roles, move someone to another agency, or anonymise a person.

Operations flush and record an audit event; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from ..audit import record
from ..auth.accounts import cancel_open_invitations
from ..extensions import db
from ..models import Agency, Role, Team, User
from ..models.user import new_session_token
from ..privacy import is_anonymised
from .operations import AdminError

#: Roles an administrator gives or takes away on a person's page. Everyone keeps the
#: roles they have besides (practitioner: everyone who takes checks).
EDITABLE_ROLES = (Role.AUTHOR, Role.LEAD, Role.ADMIN)


def may_change(actor: User, person: User) -> bool:
    """Administrators change anyone; an agency's lead, their own agency's people other
    than administrators."""
    if actor.has_role(Role.ADMIN):
        return True
    return (
        actor.is_agency_lead
        and person.agency_id == actor.agency_id
        and not person.has_role(Role.ADMIN)
    )


def may_edit_roles(actor: User) -> bool:
    return actor.has_role(Role.ADMIN)


def _tidy(text: str) -> str:
    return " ".join(text.split())


def _update_requirements(person: User, now: datetime) -> None:
    from ..workforce.requirements import update_requirements

    db.session.flush()
    update_requirements([person], now=now)


def update_details(
    person: User,
    *,
    name: str,
    job_role: str,
    level: str | None,
    team: Team | None,
    by: User,
    now: datetime,
) -> list[str]:
    """Change name, job role, level and team (a team of the person's own agency).
    Returns what changed, as field names; requirements follow the new team and role."""
    if team is not None and team.agency_id != person.agency_id:
        raise AdminError("Choose a team of the person's own agency", field="team")
    name = _tidy(name)
    if not name:
        raise AdminError("Enter their full name", field="name")
    values = {
        "name": name,
        "job_role": _tidy(job_role),
        "level": _tidy(level or "") or None,
        "team_id": team.id if team is not None else None,
    }
    changed = [field for field, value in values.items() if getattr(person, field) != value]
    for field in changed:
        setattr(person, field, values[field])
    if changed:
        _update_requirements(person, now)
        record("person.update", f"user:{person.id}", user=by, details={"changed": changed})
    return changed


def set_managed_teams(person: User, teams: Iterable[Team], *, by: User) -> tuple[int, int]:
    """The person manages exactly `teams`, all of their own agency (a manager sees the
    named status of those teams' people, quizapp.managers). Returns how many teams were
    added and removed."""
    wanted = {team.id: team for team in teams}
    if person.agency_id is None:
        raise AdminError("Only someone in an agency can manage a team", field="teams")
    if any(team.agency_id != person.agency_id for team in wanted.values()):
        raise AdminError("Choose teams of the person's own agency", field="teams")
    held = {team.id for team in person.managed_teams}
    added, removed = set(wanted) - held, held - set(wanted)
    if added or removed:
        person.managed_teams = sorted(wanted.values(), key=lambda team: (team.name, team.id))
        db.session.flush()
        record(
            "person.managed_teams",
            f"user:{person.id}",
            user=by,
            details={"added": sorted(added), "removed": sorted(removed)},
        )
    return len(added), len(removed)


def move_to_agency(
    person: User, *, agency: Agency, team: Team | None, by: User, now: datetime
) -> None:
    """Administrators only: the person moves, with their history, to `agency` (and one
    of its teams, or none). Invitations still open go: they named the old agency."""
    if not by.has_role(Role.ADMIN):
        raise AdminError("Only an administrator can move someone to another agency")
    if team is not None and team.agency_id != agency.id:
        raise AdminError(f"Choose a team of {agency.name}, or no team", field="destination")
    if person.agency_id == agency.id and person.team_id == (team.id if team else None):
        raise AdminError(f"{person.name} is already there", field="destination")
    old = person.agency_id
    person.agency = agency
    person.team = team
    # A manager manages teams of their own agency only: the old agency's teams go.
    person.managed_teams = [t for t in person.managed_teams if t.agency_id == agency.id]
    cancel_open_invitations(person.email, now=now)
    _update_requirements(person, now)
    record(
        "person.move",
        f"user:{person.id}",
        user=by,
        details={"from_agency": old, "to_agency": agency.id},
    )


def set_roles(person: User, roles: Iterable[Role], *, by: User) -> tuple[set[Role], set[Role]]:
    """Administrators only: the person holds exactly `roles` among EDITABLE_ROLES.
    Returns the roles added and removed. An administrator can't remove their own
    administrator role (someone must be left able to give it back)."""
    if not may_edit_roles(by):
        raise AdminError("Only an administrator can change roles")
    wanted = {Role(role) for role in roles} & set(EDITABLE_ROLES)
    if person.id == by.id and Role.ADMIN not in wanted:
        raise AdminError(
            "You can't remove your own administrator role. Ask another administrator",
            field="roles",
        )
    held = person.roles & set(EDITABLE_ROLES)
    added, removed = wanted - held, held - wanted
    for role in sorted(added):
        person.grant(role)
    if removed:
        person.role_rows = [row for row in person.role_rows if Role(row.role) not in removed]
    if added or removed:
        db.session.flush()
        record(
            "person.roles",
            f"user:{person.id}",
            user=by,
            details={"added": sorted(added), "removed": sorted(removed)},
        )
    return added, removed


def mark_left(person: User, *, by: User, now: datetime) -> None:
    """The person has left their agency: they keep their history, drop out of every
    denominator, can't sign in (every session ends) and their open invitations go."""
    if person.left_at is not None:
        raise AdminError(f"{person.name} is already marked as left")
    if person.id == by.id:
        raise AdminError("You can't mark yourself as left. Ask an administrator")
    person.left_at = now
    person.session_token = new_session_token()
    cancel_open_invitations(person.email, now=now)
    _update_requirements(person, now)
    record("person.left", f"user:{person.id}", user=by)


def mark_returned(person: User, *, by: User, now: datetime) -> None:
    """The person is back: their checks are required again from now."""
    if person.left_at is None:
        raise AdminError(f"{person.name} has not left")
    if is_anonymised(person):
        raise AdminError("This person has been anonymised: they can't come back")
    person.left_at = None
    _update_requirements(person, now)
    record("person.returned", f"user:{person.id}", user=by)
