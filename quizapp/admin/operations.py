"""Agencies, teams and people: the changes the admin pages make.

Routes and commands call these; they flush only, and the caller commits once.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email

from ..extensions import db
from ..models import (
    Agency,
    AgencyEmailDomain,
    Assignment,
    Role,
    Team,
    User,
    UserRole,
    assignment_teams,
)
from ..models.user import new_session_token
from ..workforce import tally
from . import people_csv
from .people_csv import CheckedFile, Existing, Lookups, Sheet


class AdminError(Exception):
    """A change refused for a reason the person can fix; `field` names the form field."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# Agencies -----------------------------------------------------------------------------


def parse_email_domains(text: str, *, allow_test_domains: bool = False) -> list[str]:
    """Domains from a box with one per line: lower-cased, without "@", each checked.

    Raises AdminError naming every line that is not a domain.
    """
    domains: list[str] = []
    bad: list[str] = []
    for line in text.splitlines():
        candidate = line.strip().lower().removeprefix("@")
        if not candidate:
            continue
        try:
            checked = validate_email(
                f"person@{candidate}",
                check_deliverability=False,
                test_environment=allow_test_domains,
            )
        except EmailNotValidError:
            bad.append(line.strip())
            continue
        domain = checked.ascii_domain.lower()
        if domain not in domains:
            domains.append(domain)
    if bad:
        raise AdminError(
            "Enter email domains like swbh.nhs.uk, one on each line; not a domain: "
            + ", ".join(bad),
            field="email_domains",
        )
    return domains


def _check_agency_name(name: str, *, agency: Agency | None) -> str:
    name = " ".join(name.split())
    clash = db.session.scalar(sa.select(Agency).where(sa.func.lower(Agency.name) == name.lower()))
    if clash is not None and clash is not agency:
        raise AdminError(f"There is already an agency called {clash.name}", field="name")
    return name


def _set_email_domains(agency: Agency, domains: Sequence[str]) -> None:
    if domains:
        clashes = db.session.execute(
            sa.select(AgencyEmailDomain.domain, Agency.name)
            .join(Agency)
            .where(AgencyEmailDomain.domain.in_(domains))
            .where(Agency.id != agency.id if agency.id is not None else sa.true())
            .order_by(AgencyEmailDomain.domain)
        ).all()
        if clashes:
            raise AdminError(
                "; ".join(
                    f"{domain} is already an email domain of {other}" for domain, other in clashes
                ),
                field="email_domains",
            )
    keep = {row.domain: row for row in agency.email_domains}
    agency.email_domains = [keep.get(d) or AgencyEmailDomain(domain=d) for d in sorted(domains)]


def create_agency(
    *, name: str, sector: str, statutory_partner: bool, email_domains: Sequence[str] = ()
) -> Agency:
    agency = Agency(
        name=_check_agency_name(name, agency=None),
        sector=sector,
        statutory_partner=statutory_partner,
    )
    _set_email_domains(agency, email_domains)
    db.session.add(agency)
    db.session.flush()
    return agency


def update_agency(
    agency: Agency,
    *,
    name: str,
    sector: str,
    statutory_partner: bool,
    email_domains: Sequence[str],
) -> None:
    agency.name = _check_agency_name(name, agency=agency)
    agency.sector = sector
    agency.statutory_partner = statutory_partner
    _set_email_domains(agency, email_domains)
    db.session.flush()


# Teams --------------------------------------------------------------------------------


def _check_team_name(agency: Agency, name: str, *, team: Team | None) -> str:
    name = " ".join(name.split())
    clash = db.session.scalar(
        sa.select(Team).where(Team.agency_id == agency.id, sa.func.lower(Team.name) == name.lower())
    )
    if clash is not None and clash is not team:
        raise AdminError(f"{agency.name} already has a team called {clash.name}", field="name")
    return name


def add_team(agency: Agency, *, name: str) -> Team:
    team = Team(agency=agency, name=_check_team_name(agency, name, team=None))
    db.session.add(team)
    db.session.flush()
    return team


def rename_team(team: Team, *, name: str) -> None:
    team.name = _check_team_name(team.agency, name, team=team)
    db.session.flush()


@dataclass(frozen=True)
class TeamUse:
    active_people: int
    assignments: int

    @property
    def blocks_removal(self) -> bool:
        return bool(self.active_people or self.assignments)


def team_use(team: Team) -> TeamUse:
    people = db.session.scalar(
        sa.select(sa.func.count(User.id)).where(User.team_id == team.id, User.left_at.is_(None))
    )
    assignments = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(assignment_teams)
        .join(Assignment, Assignment.id == assignment_teams.c.assignment_id)
        .where(assignment_teams.c.team_id == team.id, Assignment.ended_at.is_(None))
    )
    return TeamUse(active_people=people or 0, assignments=assignments or 0)


def remove_team(team: Team) -> None:
    """Remove a team nobody active is in and no assignment names.

    Refused otherwise: silently moving people out of their team, or dropping the team
    from an assignment (which could widen it to the whole agency), would change who
    must take which check without anyone deciding it. People who have left keep their
    history; their team becomes none.
    """
    use = team_use(team)
    if use.blocks_removal:
        raise AdminError(removal_refusal(team, use))
    # Leavers' attempts still count, in the team they are in: recount them at commit.
    tally.note_people(
        db.session, db.session.scalars(sa.select(User.id).where(User.team_id == team.id))
    )
    db.session.execute(sa.update(User).where(User.team_id == team.id).values(team_id=None))
    db.session.delete(team)
    db.session.flush()


def removal_refusal(team: Team, use: TeamUse) -> str:
    reasons = []
    if use.active_people:
        reasons.append(
            f"{_count(use.active_people, 'person is', 'people are')} in it"
            " (upload a CSV that moves them to another team first)"
        )
    if use.assignments:
        reasons.append(
            f"{_count(use.assignments, 'assignment names', 'assignments name')} it"
            " (change or remove those assignments first)"
        )
    return f"You cannot remove {team.name} because " + " and ".join(reasons)


def _count(number: int, one: str, many: str) -> str:
    return f"{number:,} {one if number == 1 else many}"


# People uploads -----------------------------------------------------------------------

#: Emails looked up per query (keeps well inside every database's parameter limit).
CHUNK = 1000


@dataclass(frozen=True)
class Leaver:
    id: int
    name: str
    email: str


@dataclass
class UploadPreview:
    checked: CheckedFile
    full_agency: bool
    leavers: list[Leaver] = field(default_factory=list)
    #: Names for showing the rows: agencies and teams by id.
    agency_names: Mapping[int, str] = field(default_factory=dict)
    team_names: Mapping[int, str] = field(default_factory=dict)

    @property
    def can_save(self) -> bool:
        return not self.checked.problems and self.change_count > 0

    @property
    def change_count(self) -> int:
        return len(self.checked.new) + len(self.checked.updated) + len(self.leavers)

    @property
    def agency_id(self) -> int | None:
        ids = self.checked.agency_ids
        return next(iter(ids)) if len(ids) == 1 else None


@dataclass(frozen=True)
class UploadOutcome:
    added: int
    updated: int
    left: int

    def summary(self) -> str:
        return (
            f"{_count(self.added, 'person', 'people')} added, {self.updated:,} updated,"
            f" {self.left:,} marked as left"
        )


def uploadable_agency_ids(uploader: User) -> frozenset[int] | None:
    """None (any agency) for administrators; an agency's lead uploads for that agency only."""
    if uploader.has_role(Role.ADMIN):
        return None
    if uploader.is_agency_lead and uploader.agency_id is not None:
        return frozenset({uploader.agency_id})
    return frozenset()


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _is_admin() -> sa.Exists:
    return sa.exists().where(UserRole.user_id == User.id, UserRole.role == Role.ADMIN.value)


def lookups_for(emails: Iterable[str], *, uploader: User) -> Lookups:
    agencies = db.session.execute(sa.select(Agency.id, Agency.name)).all()
    teams = db.session.execute(sa.select(Team.id, Team.agency_id, Team.name)).all()
    by_agency: dict[int, dict[str, int]] = {}
    for team_id, agency_id, name in teams:
        by_agency.setdefault(agency_id, {})[name.lower()] = team_id
    existing: dict[str, Existing] = {}
    for chunk in _chunks(sorted(emails)):
        rows = db.session.execute(
            sa.select(
                User.id,
                User.email,
                User.name,
                User.agency_id,
                User.team_id,
                User.job_role,
                User.level,
                User.left_at,
                _is_admin().label("admin"),
            ).where(User.email.in_(chunk))
        )
        for row in rows:
            existing[row.email] = Existing(
                id=row.id,
                name=row.name,
                agency_id=row.agency_id,
                team_id=row.team_id,
                job_role=row.job_role,
                level=row.level,
                left=row.left_at is not None,
                admin=bool(row.admin),
            )
    return Lookups(
        agencies={name.lower(): agency_id for agency_id, name in agencies},
        agency_names=dict(agencies),  # type: ignore[arg-type]
        teams=by_agency,
        team_names={team_id: name for team_id, _, name in teams},
        existing=existing,
        allowed_agency_ids=uploadable_agency_ids(uploader),
    )


def preview_upload(sheet: Sheet, *, uploader: User, full_agency: bool) -> UploadPreview:
    """Everything saving the file read into `sheet` would do now, and every problem;
    changes nothing. The sheet is checked against the agencies, teams and people as
    they are now, so a preview and a save check the same sheet again."""
    if sheet.refused:
        return UploadPreview(
            checked=people_csv.check_people(sheet, _no_lookups()), full_agency=full_agency
        )
    lookups = lookups_for(sheet.emails, uploader=uploader)
    checked = people_csv.check_people(sheet, lookups, full_agency=full_agency)
    preview = UploadPreview(
        checked=checked,
        full_agency=full_agency,
        agency_names=lookups.agency_names,
        team_names=lookups.team_names,
    )
    if full_agency and preview.agency_id is not None and not checked.file_problems:
        listed = sheet.emails  # a row with a problem still names someone who is staying
        staying = sa.select(User.id, User.name, User.email).where(
            User.agency_id == preview.agency_id, User.left_at.is_(None)
        )
        if lookups.allowed_agency_ids is not None:
            staying = staying.where(~_is_admin())  # a lead can't mark an administrator as left
        preview.leavers = [
            Leaver(id=row.id, name=row.name, email=row.email)
            for row in db.session.execute(staying.order_by(User.name, User.email))
            if row.email not in listed and row.id != uploader.id
        ]
    return preview


def _no_lookups() -> Lookups:
    return Lookups(agencies={}, agency_names={}, teams={}, team_names={}, existing={})


def save_upload(preview: UploadPreview, *, now: datetime) -> UploadOutcome:
    """Create, update and mark as left as the preview says, then bring everyone's
    requirements up to date. The caller commits once: all or nothing."""
    from ..workforce.requirements import update_requirements

    if not preview.can_save:
        raise AdminError("This upload has problems or nothing to change, so it cannot be saved")
    checked = preview.checked
    new_ids = _insert_new_people(checked, now=now)
    updates = {update.existing.id: update for update in checked.updated}
    leaver_ids = [leaver.id for leaver in preview.leavers]
    ids = [*new_ids, *updates, *leaver_ids]
    users: dict[int, User] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        users.update(
            (u.id, u) for u in db.session.scalars(sa.select(User).where(User.id.in_(chunk)))
        )
    changed = [users[user_id] for user_id in new_ids]
    for user_id, update in updates.items():
        user, person = users[user_id], update.person
        moved = user.agency_id != person.agency_id
        user.name = person.name
        user.agency_id = person.agency_id
        if "team" in checked.columns or moved:
            user.team_id = person.team_id
        if "job_role" in checked.columns:
            user.job_role = person.job_role
        if "level" in checked.columns:
            user.level = person.level
        user.left_at = None
        changed.append(user)
    for user_id in leaver_ids:
        user = users[user_id]
        user.left_at = now
        user.session_token = new_session_token()  # signed out everywhere
        changed.append(user)
    db.session.flush()
    update_requirements(changed, now=now, notify=True)
    return UploadOutcome(added=len(checked.new), updated=len(updates), left=len(leaver_ids))


def _insert_new_people(checked: CheckedFile, *, now: datetime) -> list[int]:
    """Insert the new people as practitioners without a password (they set one through
    password reset), in batches: a file may add tens of thousands."""
    new_ids: list[int] = []
    for start in range(0, len(checked.new), CHUNK):
        rows = [
            {
                "email": person.email,
                "name": person.name,
                "agency_id": person.agency_id,
                "team_id": person.team_id,
                "job_role": person.job_role,
                "level": person.level,
                "password_hash": None,
                "active": True,
                "created_at": now,
                "session_token": new_session_token(),
            }
            for person in checked.new[start : start + CHUNK]
        ]
        ids = list(
            db.session.scalars(
                sa.insert(User).returning(User.id, sort_by_parameter_order=True), rows
            )
        )
        db.session.execute(
            sa.insert(UserRole), [{"user_id": i, "role": Role.PRACTITIONER.value} for i in ids]
        )
        new_ids.extend(ids)
    return new_ids


# Keeping an upload between preview and save -------------------------------------------

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
#: Uploads nobody saved are deleted after this many seconds.
KEEP_SECONDS = 24 * 60 * 60


class UploadStore:
    """Uploads waiting to be saved: each file's rows as read (a `Sheet`, as JSON), one
    file per random token, readable only by the service's own user. The file is read
    once; the preview and the save check the kept rows again without reading it again.

    A sheet is written whole or not at all (to a temporary file, then renamed), so a
    half-written one is never read.
    """

    SUFFIX = ".json"
    #: Left by earlier versions (the file's text) or by a write that failed: removed
    #: when stale, never read.
    OTHER_SUFFIXES = (".csv", ".tmp")

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, token: str, suffix: str = SUFFIX) -> Path:
        if not _TOKEN.match(token):
            raise KeyError(token)
        return self.directory / f"{token}{suffix}"

    def put(self, sheet: Sheet) -> str:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._remove_stale()
        token = secrets.token_urlsafe(24)
        partial = self._path(token, ".tmp")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                json.dump(sheet.to_data(), file, ensure_ascii=False, separators=(",", ":"))
            os.replace(partial, self._path(token))
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return token

    def get(self, token: str) -> Sheet | None:
        """The sheet kept under `token`; None if there is none (or it can't be read)."""
        try:
            with self._path(token).open(encoding="utf-8") as file:
                return Sheet.from_data(json.load(file))
        except (KeyError, FileNotFoundError, ValueError):
            return None

    def delete(self, token: str) -> None:
        with contextlib.suppress(KeyError):
            self._path(token).unlink(missing_ok=True)

    def _remove_stale(self) -> None:
        cutoff = time.time() - KEEP_SECONDS
        for suffix in (self.SUFFIX, *self.OTHER_SUFFIXES):
            for path in self.directory.glob(f"*{suffix}"):
                try:
                    if path.stat().st_mtime < cutoff:
                        path.unlink(missing_ok=True)
                except FileNotFoundError:
                    pass
