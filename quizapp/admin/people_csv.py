"""Reading a CSV of people: pure parsing and validation, no Flask and no database.

Two steps, so the caller can fetch only what the file needs between them:
`read_people` turns the file's text into cleaned rows and row problems (no lookups),
then `check_people` compares them with what the service knows (agencies, teams, the
people already registered with those emails, what the uploader may change) and sorts
them into new, updated and unchanged, adding the problems only the lookups can find.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first person
row 2. Nothing may be saved while any problem exists.

A file is read once: its `Sheet` is kept (`Sheet.to_data`, `Sheet.from_data`) between
the preview and the save, which check it again against what the service knows then.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from email_validator import EmailNotValidError, validate_email

from ..text_rules import hidden_characters_problem

#: More people than this in one file is refused (split it into several files).
MAX_ROWS = 50_000

#: Header spellings (lower-cased, "_" read as a space) and the column each means.
HEADERS = {
    "name": "name",
    "email": "email",
    "email address": "email",
    "agency": "agency",
    "team": "team",
    "job role": "job_role",
    "level": "level",
    "competency level": "level",
}
REQUIRED_COLUMNS = ("name", "email", "agency")
COLUMN_TITLES = {
    "name": "name",
    "email": "email",
    "agency": "agency",
    "team": "team",
    "job_role": "job role",
    "level": "level",
}

#: Longest values the database holds.
MAX_LENGTHS = {"name": 200, "agency": 200, "team": 200, "job_role": 200, "level": 50}

#: An agency lead's row naming an account they may not change. One message whatever the
#: reason (another agency's person, active or left; an administrator; someone with no
#: agency), so the preview says nothing of whose account it is, where, or in what state.
NOT_YOURS = "This email address can't be added here; ask an administrator"


@dataclass(frozen=True)
class Problem:
    """Something that stops the file being saved; `row` is None for the whole file."""

    row: int | None
    message: str


@dataclass(frozen=True)
class SheetRow:
    """One person row, cleaned but not yet looked up. `email` is None when not valid."""

    row: int
    name: str
    email: str | None
    agency: str
    team: str
    job_role: str
    level: str


@dataclass
class Sheet:
    columns: frozenset[str] = frozenset()
    rows: list[SheetRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        """The whole file is refused (a problem with no row): there is nothing to check."""
        return any(problem.row is None for problem in self.problems)

    @property
    def emails(self) -> set[str]:
        return {row.email for row in self.rows if row.email}

    def to_data(self) -> dict[str, Any]:
        """The sheet as plain lists and strings (for JSON): each row a list, in order."""
        return {
            "format": SHEET_FORMAT,
            "columns": sorted(self.columns),
            "rows": [
                [row.row, row.name, row.email, row.agency, row.team, row.job_role, row.level]
                for row in self.rows
            ],
            "problems": [[problem.row, problem.message] for problem in self.problems],
        }

    @classmethod
    def from_data(cls, data: Any) -> Sheet:
        """The sheet `to_data` gave; ValueError if `data` is not one (another format)."""
        try:
            if data["format"] != SHEET_FORMAT:
                raise ValueError(f"sheet format {data['format']!r}, not {SHEET_FORMAT}")
            return cls(
                columns=frozenset(str(column) for column in data["columns"]),
                rows=[_sheet_row(values) for values in data["rows"]],
                problems=[Problem(row, str(message)) for row, message in data["problems"]],
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"not a sheet: {error}") from error


#: Bumped when `Sheet.to_data` changes shape; a sheet kept in another shape is not read.
SHEET_FORMAT = 1


def _sheet_row(values: list[Any]) -> SheetRow:
    row, name, email, agency, team, job_role, level = values
    if type(row) is not int or not (email is None or type(email) is str):
        raise TypeError("row number or email of the wrong type")
    for text in (name, agency, team, job_role, level):
        if type(text) is not str:
            raise TypeError("a value that is not text")
    return SheetRow(row, name, email, agency, team, job_role, level)


def decode(data: bytes) -> str | Problem:
    """The file's text, or why it can't be read. A byte-order mark (Excel) is dropped."""
    if not data.strip():
        return Problem(None, "The selected file is empty")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Problem(
            None,
            "The selected file must be saved as UTF-8 text"
            " (in Excel, choose Save as and then 'CSV UTF-8')",
        )


def _header_key(title: str) -> str:
    return " ".join(title.replace("_", " ").strip().lower().split())


def _refuse(message: str) -> Sheet:
    return Sheet(problems=[Problem(None, message)])


def read_people(text: str, *, allow_test_domains: bool = False) -> Sheet:
    """Read the header and every row; find the problems a row shows on its own."""
    if not text.strip():
        return _refuse("The selected file is empty")
    records = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(records)
        columns: dict[str, int] = {}
        for index, title in enumerate(header):
            key = HEADERS.get(_header_key(title))
            if key is None:
                continue  # other columns are allowed and ignored
            if key in columns:
                return _refuse(
                    f"The header row (row 1) has more than one {COLUMN_TITLES[key]} column"
                )
            columns[key] = index
        missing = [COLUMN_TITLES[key] for key in REQUIRED_COLUMNS if key not in columns]
        if missing:
            return _refuse(
                "The first row must name the columns; it has no "
                + _and(missing)
                + (" column" if len(missing) == 1 else " columns")
                + " (the columns are: name, email, agency, team, job role, level)"
                + (
                    "; separate the columns with commas"
                    if len(header) == 1 and any(mark in header[0] for mark in ";\t")
                    else ""
                )
            )
        sheet = Sheet(columns=frozenset(columns))
        count = 0
        for number, record in enumerate(records, start=2):
            if not any(value.strip() for value in record):
                continue  # blank line
            count += 1
            if count > MAX_ROWS:
                return _refuse(
                    f"The file has more than {MAX_ROWS:,} people; split it into smaller files"
                )
            _read_row(sheet, number, record, len(header), columns, allow_test_domains)
    except csv.Error as error:
        return _refuse(f"The selected file is not a valid CSV file ({error})")
    if count == 0:
        return _refuse("The selected file has a header row but no people")
    return sheet


def _read_row(
    sheet: Sheet,
    number: int,
    record: list[str],
    width: int,
    columns: Mapping[str, int],
    allow_test_domains: bool,
) -> None:
    if len(record) != width:
        sheet.problems.append(
            Problem(number, f"Row has {len(record)} columns but the header row has {width}")
        )
        return

    def value(key: str) -> str:
        index = columns.get(key)
        return " ".join(record[index].split()) if index is not None else ""

    values = {key: value(key) for key in COLUMN_TITLES}
    problems: list[str] = []
    if not values["name"]:
        problems.append("Name is missing")
    email: str | None = None
    raw_email = record[columns["email"]].strip()
    if not raw_email:
        problems.append("Email address is missing")
    else:
        try:
            checked = validate_email(
                raw_email, check_deliverability=False, test_environment=allow_test_domains
            )
            email = checked.normalized.lower()
        except EmailNotValidError as error:
            problems.append(f"Email address '{raw_email}' is not valid: {error}")
    if not values["agency"]:
        problems.append("Agency is missing")
    for key, limit in MAX_LENGTHS.items():
        if len(values[key]) > limit:
            title = COLUMN_TITLES[key].capitalize()
            problems.append(f"{title} must be {limit} characters or fewer")
    for key, title in COLUMN_TITLES.items():
        # Tabs and line breaks in a cell were tidied into spaces above (a spreadsheet
        # shows them, and the preview shows the result); any other control character,
        # NUL included, is refused. The email's own check refuses them all.
        if key != "email" and hidden_characters_problem(values[key], title):
            problems.append(f"{title.capitalize()} must not include hidden characters")
    sheet.problems.extend(Problem(number, message) for message in problems)
    sheet.rows.append(
        SheetRow(
            row=number,
            name=values["name"],
            email=email,
            agency=values["agency"],
            team=values["team"],
            job_role=values["job_role"],
            level=values["level"],
        )
    )


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# Checking against what the service knows --------------------------------------------


@dataclass(frozen=True)
class Existing:
    """A person the service already has, matched by email."""

    id: int
    name: str
    agency_id: int | None
    team_id: int | None
    job_role: str
    level: str | None
    left: bool
    #: Holds the administrator role.
    admin: bool = False


@dataclass(frozen=True)
class Lookups:
    #: Agency ids by lower-cased name.
    agencies: Mapping[str, int]
    #: Agency names by id.
    agency_names: Mapping[int, str]
    #: Team ids by agency id, then lower-cased team name.
    teams: Mapping[int, Mapping[str, int]]
    #: Team names by id (every agency's, so a change from another agency reads well).
    team_names: Mapping[int, str]
    #: People already registered, by lower-cased email (only those the file names).
    existing: Mapping[str, Existing]
    #: Agencies the uploader may upload for, and whose people (administrators apart)
    #: they may change; None means any agency and anyone (administrators).
    allowed_agency_ids: frozenset[int] | None = None

    def may_change(self, existing: Existing) -> bool:
        """Only an administrator moves someone between agencies or changes an
        administrator or someone with no agency; an agency's lead changes their own
        agency's people, including those who have left it."""
        allowed = self.allowed_agency_ids
        return allowed is None or (existing.agency_id in allowed and not existing.admin)


@dataclass(frozen=True)
class Person:
    """A row that can be saved: values as they will be stored."""

    row: int
    email: str
    name: str
    agency_id: int
    team_id: int | None
    job_role: str
    level: str | None


@dataclass(frozen=True)
class Change:
    what: str
    old: str
    new: str


@dataclass(frozen=True)
class Update:
    person: Person
    existing: Existing
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class UnknownTeam:
    """A team the file names that its agency doesn't have (yet): it can be created."""

    agency_id: int
    agency_name: str
    #: As the file spells it (the first row's spelling).
    name: str
    rows: int


@dataclass
class CheckedFile:
    columns: frozenset[str] = frozenset()
    new: list[Person] = field(default_factory=list)
    updated: list[Update] = field(default_factory=list)
    unchanged: list[Person] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: The agencies that the file's rows name and the service knows.
    agency_ids: frozenset[int] = frozenset()
    #: Each row's name as the file gives it, so problems can say whose row it is.
    row_names: dict[int, str] = field(default_factory=dict)
    #: Teams the rows name that their agency doesn't have, in the order first named.
    unknown_teams: list[UnknownTeam] = field(default_factory=list)

    @property
    def emails(self) -> set[str]:
        people = [*self.new, *self.unchanged, *(update.person for update in self.updated)]
        return {person.email for person in people}

    @property
    def file_problems(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.row is None]

    @property
    def row_problems(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.row is not None]

    def row_label(self, row: int) -> str:
        """How a problem names its row: "Row 4 (Sam Jones)", or "Row 4" without a name."""
        name = self.row_names.get(row)
        return f"Row {row} ({name})" if name else f"Row {row}"

    @property
    def problem_rows(self) -> dict[int, list[str]]:
        """Each row with a problem and its reasons, in row order."""
        rows: dict[int, list[str]] = {}
        for problem in sorted(self.row_problems, key=lambda p: p.row or 0):
            rows.setdefault(problem.row or 0, []).append(problem.message)
        return rows


def check_people(sheet: Sheet, lookups: Lookups, *, full_agency: bool = False) -> CheckedFile:
    """Match every row with the service's agencies, teams and people.

    `full_agency`: the file lists everyone in one agency (those missing will be marked
    as left by the caller), so it must name exactly one agency.
    """
    result = CheckedFile(columns=sheet.columns, problems=list(sheet.problems))
    if sheet.refused:
        return result
    bad_rows = {problem.row for problem in sheet.problems}
    first_row_of: dict[str, int] = {}
    agency_ids: set[int] = set()
    allowed = lookups.allowed_agency_ids
    unknown_teams: dict[tuple[int, str], UnknownTeam] = {}
    for row in sheet.rows:
        if row.name:
            result.row_names[row.row] = row.name
        problems: list[str] = []
        if row.email is not None:
            if row.email in first_row_of:
                problems.append(
                    f"Email address {row.email} is also in row {first_row_of[row.email]}"
                )
            else:
                first_row_of[row.email] = row.row
        agency_id = lookups.agencies.get(row.agency.lower()) if row.agency else None
        team_id: int | None = None
        if row.agency and agency_id is None:
            problems.append(
                f"Agency '{row.agency}' is not known: check its spelling on the agencies page"
            )
        if agency_id is not None:
            agency_ids.add(agency_id)
            if allowed is not None and agency_id not in allowed:
                problems.append(f"You can only upload people for {_allowed_names(lookups)}")
            elif row.team:
                team_id = lookups.teams.get(agency_id, {}).get(row.team.lower())
                if team_id is None:
                    agency_name = lookups.agency_names[agency_id]
                    problems.append(f"Team '{row.team}' is not a team of {agency_name}")
                    key = (agency_id, row.team.lower())
                    seen = unknown_teams.get(key)
                    if len(row.team) <= MAX_LENGTHS["team"]:
                        unknown_teams[key] = UnknownTeam(
                            agency_id=agency_id,
                            agency_name=agency_name,
                            name=seen.name if seen else row.team,
                            rows=(seen.rows if seen else 0) + 1,
                        )
        existing = lookups.existing.get(row.email) if row.email else None
        if existing is not None and not lookups.may_change(existing):
            problems.append(NOT_YOURS)
        result.problems.extend(Problem(row.row, message) for message in problems)
        if problems or row.row in bad_rows:
            continue
        assert row.email is not None and agency_id is not None
        person = Person(
            row=row.row,
            email=row.email,
            name=row.name,
            agency_id=agency_id,
            team_id=team_id,
            job_role=row.job_role,
            level=row.level or None,
        )
        if existing is None:
            result.new.append(person)
            continue
        changes = _changes(existing, person, sheet.columns, lookups)
        if changes:
            result.updated.append(Update(person=person, existing=existing, changes=changes))
        else:
            result.unchanged.append(person)
    result.agency_ids = frozenset(agency_ids)
    result.unknown_teams = list(unknown_teams.values())
    if full_agency and len(agency_ids) > 1:
        names = sorted(lookups.agency_names[agency_id] for agency_id in agency_ids)
        result.problems.append(
            Problem(
                None,
                "A full agency upload must be for one agency; this file has people for "
                + _and(names),
            )
        )
    result.problems.sort(key=lambda problem: (problem.row is not None, problem.row or 0))
    return result


def _allowed_names(lookups: Lookups) -> str:
    names = sorted(lookups.agency_names.get(i, "") for i in lookups.allowed_agency_ids or ())
    return _and(names) if names else "no agency"


def _changes(
    existing: Existing, person: Person, columns: frozenset[str], lookups: Lookups
) -> tuple[Change, ...]:
    """What saving the row would change; a column the file leaves out changes nothing."""
    changes: list[Change] = []

    def agency_name(agency_id: int | None) -> str:
        return lookups.agency_names.get(agency_id, "") if agency_id is not None else "None"

    def team_name(team_id: int | None) -> str:
        return lookups.team_names.get(team_id, "") if team_id is not None else "None"

    if existing.name != person.name:
        changes.append(Change("Name", existing.name, person.name))
    if existing.agency_id != person.agency_id:
        changes.append(
            Change("Agency", agency_name(existing.agency_id), agency_name(person.agency_id))
        )
    team_changes = "team" in columns or existing.agency_id != person.agency_id
    if team_changes and existing.team_id != person.team_id:
        changes.append(Change("Team", team_name(existing.team_id), team_name(person.team_id)))
    if "job_role" in columns and existing.job_role != person.job_role:
        changes.append(Change("Job role", existing.job_role or "None", person.job_role or "None"))
    if "level" in columns and existing.level != person.level:
        changes.append(Change("Level", existing.level or "None", person.level or "None"))
    if existing.left:
        changes.append(Change("Status", "Left", "Active"))
    return tuple(changes)
