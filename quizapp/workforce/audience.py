"""Who an assignment reaches and when it falls due: pure rules on plain data."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def _folded(values: Iterable[str]) -> frozenset[str]:
    return frozenset(value.strip().casefold() for value in values if value and value.strip())


@dataclass(frozen=True)
class Audience:
    """An assignment's audience; an empty narrowing set means "any"."""

    all_agencies: bool
    agency_ids: frozenset[int]
    team_ids: frozenset[int]
    job_roles: frozenset[str]
    levels: frozenset[str]

    @classmethod
    def of(
        cls,
        *,
        all_agencies: bool,
        agency_ids: Iterable[int] = (),
        team_ids: Iterable[int] = (),
        job_roles: Iterable[str] = (),
        levels: Iterable[str] = (),
    ) -> Audience:
        return cls(
            all_agencies=all_agencies,
            agency_ids=frozenset(agency_ids),
            team_ids=frozenset(team_ids),
            job_roles=_folded(job_roles),
            levels=_folded(levels),
        )


@dataclass(frozen=True)
class Person:
    agency_id: int | None
    team_id: int | None
    job_role: str
    level: str | None


def includes(audience: Audience, person: Person) -> bool:
    """Job roles and levels match case-insensitively, ignoring surrounding spaces."""
    if person.agency_id is None:
        return False
    if not audience.all_agencies and person.agency_id not in audience.agency_ids:
        return False
    if audience.team_ids and person.team_id not in audience.team_ids:
        return False
    if audience.job_roles and (person.job_role or "").strip().casefold() not in audience.job_roles:
        return False
    return not audience.levels or (person.level or "").strip().casefold() in audience.levels


def due_at(
    *,
    due_date: date | None,
    due_days: int | None,
    required_since: datetime,
    assigned_at: datetime | None = None,
    grace_days: int | None = None,
) -> datetime:
    """A fixed date is due by the end of that day in the UK; otherwise N days after the
    person joined the audience.

    With a fixed date and `grace_days`, someone who joined the audience after that day
    ended, and after the assignment was made (`assigned_at`), is due `grace_days` days
    after joining instead: a new starter is not overdue on their first screen. People
    in the audience when the assignment was made keep the fixed date, even a past one.
    """
    if due_date is not None:
        end_of_day = datetime.combine(due_date, time(23, 59, 59), tzinfo=LONDON).astimezone(UTC)
        late_joiner = (
            grace_days is not None
            and assigned_at is not None
            and required_since > assigned_at
            and required_since > end_of_day
        )
        return required_since + timedelta(days=grace_days) if late_joiner else end_of_day
    if due_days is None:
        raise ValueError("an assignment needs a due date or a number of days")
    return required_since + timedelta(days=due_days)
