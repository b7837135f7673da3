"""Team managers: who manages which team (set on a person's page), and what a manager
sees of their teams' people, on the page and in the CSV, at a fixed clock."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from quizapp.admin import person_operations
from quizapp.extensions import db
from quizapp.models import AuditEvent, Requirement, Role, Team, User
from quizapp.models.user import team_managers
from quizapp.take import operations as take
from quizapp.workforce import deadlines
from quizapp.workforce.operations import create_assignment

from .factories import (
    check_for,
    create_agency,
    create_team,
    create_user,
    import_bank_text,
    small_bank,
)

T0 = datetime(2026, 1, 1, 9, tzinfo=UTC)
#: The pages' clock: 60 days after the check was assigned (due in 30 days).
NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
REFLECTION = "SECRET-REFLECTION about my own practice"


@dataclass
class World:
    manager: User
    practitioner: User
    admin: User
    lead_a: User
    lead_b: User
    red: Team
    blue: Team
    green: Team
    check_title: str


def _pass(user: User, check, *, now: datetime) -> None:
    attempt = take.start_attempt(user, check, now=now)
    for question in attempt.bank_version.questions:
        answer = {
            "single": 0,
            "multiple": [0, 1],
            "true_false": False,
            "ordering": [0, 1, 2],
            "reflection": REFLECTION,
        }
        take.save_answer(attempt, question, answer.get(question.type, ""), 2, now=now)
    assert take.submit_attempt(attempt, now=now)
    db.session.commit()


def _person(name: str, *, agency, team=None, level: str = "Level 3", roles=()) -> User:
    email = name.lower().replace(" ", ".") + "@example.org"
    user = create_user(
        email=email, name=name, agency=agency, level=level, roles=(Role.PRACTITIONER, *roles)
    )
    user.team = team
    db.session.commit()
    return user


@pytest.fixture
def world(app) -> World:
    """Agency A: team Red (managed) with one person in each status, one who left and one
    with no check required; team Blue (not managed, the manager's own). Agency B: team
    Green, wrongly linked to the manager in the database (an old move), never shown."""
    check = check_for(import_bank_text(small_bank()))  # refresh_months: 12
    a, b = create_agency(name="Agency A"), create_agency(name="Agency B")
    red, blue = create_team(agency=a, name="Red team"), create_team(agency=a, name="Blue team")
    green = create_team(agency=b, name="Green team")
    manager = _person("Mia Manager", agency=a, team=blue)
    _person("Ann Overdue", agency=a, team=red)
    ben = _person("Ben Complete", agency=a, team=red)
    cat = _person("Cat Expiring", agency=a, team=red)
    dan = _person("Dan Due", agency=a, team=red)
    eve = _person("Eve Left", agency=a, team=red)
    _person("Fay Notrequired", agency=a, team=red, level="Level 1")
    _person("Gus Blue", agency=a, team=blue)
    _person("Hal Green", agency=b, team=green)
    practitioner = _person("Pat Practitioner", agency=a, team=red)
    admin = create_user(email="admin@example.org", roles=(Role.PRACTITIONER, Role.ADMIN))
    lead_a = _person("Lee Lead", agency=a, roles=(Role.LEAD,))
    lead_b = _person("Lou Lead", agency=b, roles=(Role.LEAD,))

    # Cat passed 11 months before NOW (expires in 18 days); the rest after the assignment.
    _pass(cat, check, now=datetime(2025, 3, 20, 10, tzinfo=UTC))
    create_assignment(
        check=check, all_agencies=True, levels=["Level 3"], due_days=30, refresh_months=12, now=T0
    )
    db.session.commit()
    _pass(ben, check, now=datetime(2026, 2, 10, 10, tzinfo=UTC))
    db.session.execute(
        sa.update(Requirement)
        .where(Requirement.user_id == dan.id)
        .values(due_at=datetime(2026, 4, 15, 9, tzinfo=UTC))
    )
    deadlines.refresh(db.session, [dan.id])  # a write without the ORM: its deadlines too
    eve.left_at = T0 + timedelta(days=5)
    manager.managed_teams = [red]
    db.session.execute(sa.insert(team_managers).values(user_id=manager.id, team_id=green.id))
    db.session.commit()
    return World(manager, practitioner, admin, lead_a, lead_b, red, blue, green, check.title)


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr("quizapp.managers.routes.utcnow", lambda: NOW)


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def _page_rows(app, client, url: str):
    from flask import template_rendered

    seen = []

    def record(sender, template, context, **extra):
        if template.name.startswith("managers/"):  # not the form widgets' own templates
            seen.append(context)

    template_rendered.connect(record, app)
    try:
        response = client.get(url)
    finally:
        template_rendered.disconnect(record, app)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True), seen[0]


EXPECTED = [
    # team, name, status, due date, passed, expires
    ("Red team", "Ann Overdue", "Overdue", "2026-01-31", "", ""),
    ("Red team", "Ben Complete", "Complete", "2027-02-10", "2026-02-10", "2027-02-10"),
    ("Red team", "Cat Expiring", "Expiring soon", "2026-03-20", "2025-03-20", "2026-03-20"),
    ("Red team", "Dan Due", "Due", "2026-04-15", "", ""),
    ("Red team", "Fay Notrequired", "", "", "", ""),
    ("Red team", "Pat Practitioner", "Overdue", "2026-01-31", "", ""),
]


def test_the_manager_sees_exactly_their_teams_people_with_status_and_dates(
    world, app, client, auth, frozen
):
    auth.sign_in(world.manager.email)
    html, context = _page_rows(app, client, "/your-teams/")
    assert [t.name for t in context["teams"]] == ["Red team"]
    shown = [
        (r.team, r.name, r.status.label if r.status else "", r.check or "") for r in context["rows"]
    ]
    assert shown == [
        (team, name, status, world.check_title if status else "")
        for team, name, status, *_ in EXPECTED
    ]
    for name in ("Ann Overdue", "Ben Complete", "Cat Expiring", "Dan Due", "Fay Notrequired"):
        assert name in html
    for name in ("Eve Left", "Gus Blue", "Hal Green", "Mia Manager", "Blue team", "Green team"):
        assert name not in html
    assert "Was due 31 January 2026" in html
    assert "Passed 10 February 2026" in html and "Expires 10 February 2027" in html
    assert "Expires 20 March 2026" in html
    assert "Due 15 April 2026" in html
    assert "No check is required of them." in html
    assert "6 people. Checks: Overdue 2, due 1, expiring soon 1, complete 1." in html
    assert REFLECTION not in html


def test_the_csv_has_the_same_rows_and_no_reflections(world, client, auth, frozen):
    auth.sign_in(world.manager.email)
    response = client.get("/your-teams/teams.csv")
    rows = read_csv(response)
    assert rows[0] == ["Team", "Name", "Email", "Check", "Status", "Due date", "Passed", "Expires"]
    assert [(r[0], r[1], r[4], r[5], r[6], r[7]) for r in rows[1:]] == EXPECTED
    assert rows[1][2] == "ann.overdue@example.org"
    assert {r[3] for r in rows[1:]} == {world.check_title, "No check required"}
    assert "your-teams-2026-03-02.csv" in response.headers["Content-Disposition"]
    assert REFLECTION not in response.get_data(as_text=True)


def test_filters_narrow_the_page_and_the_csv(world, app, client, auth, frozen):
    auth.sign_in(world.manager.email)
    world.manager.managed_teams = [world.red, world.blue]
    db.session.commit()
    rows = read_csv(client.get("/your-teams/teams.csv"))
    assert {r[0] for r in rows[1:]} == {"Red team", "Blue team"}
    assert ["Blue team", "Gus Blue"] in [r[:2] for r in rows]
    assert ["Blue team", "Mia Manager"] in [r[:2] for r in rows]
    rows = read_csv(client.get(f"/your-teams/teams.csv?team={world.red.id}&status=overdue"))
    assert [r[1] for r in rows[1:]] == ["Ann Overdue", "Pat Practitioner"]
    html, context = _page_rows(app, client, f"/your-teams/?team={world.blue.id}&status=complete")
    assert [t.name for t in context["teams"]] == ["Blue team"]
    assert context["rows"] == []
    assert "Nobody in Blue team has a check with this status." in html


@pytest.mark.parametrize("query", ["team={green}", "team={other}", "team=x", "status=left"])
def test_another_team_or_an_unknown_status_is_not_found(world, client, auth, query):
    other = create_team(agency=world.red.agency, name="Not managed")
    auth.sign_in(world.manager.email)
    url = "?" + query.format(green=world.green.id, other=other.id)
    assert client.get("/your-teams/" + url).status_code == 404
    assert client.get("/your-teams/teams.csv" + url).status_code == 404


def test_csv_defuses_spreadsheet_formulas(world, client, auth, frozen):
    ann = db.session.scalar(sa.select(User).where(User.name == "Ann Overdue"))
    ann.name = "=HYPERLINK(1)"
    db.session.commit()
    auth.sign_in(world.manager.email)
    rows = read_csv(client.get("/your-teams/teams.csv"))
    assert "'=HYPERLINK(1)" in [r[1] for r in rows]


def test_only_managers_get_the_pages_and_the_link(world, client, auth):
    for user in (world.practitioner, world.admin, world.lead_a):
        auth.sign_in(user.email)
        assert client.get("/your-teams/").status_code == 403
        assert client.get("/your-teams/teams.csv").status_code == 403
        assert "/your-teams/" not in client.get("/checks/").get_data(as_text=True)
        auth.sign_out()
    auth.sign_in(world.manager.email)
    page = client.get("/checks/").get_data(as_text=True)
    assert re.search(r'href="/your-teams/">\s*Your teams\s*<', page)


# Choosing who manages which team ------------------------------------------------------


def _audits() -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "person.managed_teams")
            .order_by(AuditEvent.id)
        )
    )


def _managed(user_id: int) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(team_managers.c.team_id).where(team_managers.c.user_id == user_id)
        )
    )


def test_an_admin_makes_someone_a_manager_and_stops(world, client, auth):
    person = world.practitioner
    auth.sign_in(world.admin.email)
    page = client.get(f"/admin/people/{person.id}").get_data(as_text=True)
    assert "Teams they manage" in page and f"/admin/people/{person.id}/teams" in page
    form = client.get(f"/admin/people/{person.id}/teams").get_data(as_text=True)
    assert "Red team" in form and "Blue team" in form and "Green team" not in form
    response = client.post(
        f"/admin/people/{person.id}/teams", data={"teams": [world.red.id, world.blue.id]}
    )
    assert response.status_code == 302
    assert _managed(person.id) == {world.red.id, world.blue.id}
    [event] = _audits()
    assert event.user_id == world.admin.id and event.target == f"user:{person.id}"
    assert event.details == {"added": sorted([world.red.id, world.blue.id]), "removed": []}
    page = client.get(f"/admin/people/{person.id}").get_data(as_text=True)
    assert "Pat Practitioner manages Blue team and Red team." in page

    response = client.post(f"/admin/people/{person.id}/teams", data={})
    assert response.status_code == 302
    assert _managed(person.id) == set()
    assert _audits()[-1].details["removed"] == sorted([world.red.id, world.blue.id])


def test_a_team_of_another_agency_is_refused_and_nothing_changes(world, client, auth):
    person = world.practitioner
    auth.sign_in(world.admin.email)
    response = client.post(
        f"/admin/people/{person.id}/teams", data={"teams": [world.red.id, world.green.id]}
    )
    assert response.status_code == 422
    assert "Choose teams of Agency A" in response.get_data(as_text=True)
    assert _managed(person.id) == set()
    assert _audits() == []


def test_the_agencys_own_lead_chooses_its_managers_but_no_other_lead(world, client, auth):
    person = world.practitioner
    auth.sign_in(world.lead_b.email)
    url = f"/admin/people/{person.id}/teams"
    assert client.post(url, data={"teams": [world.red.id]}).status_code == 404
    auth.sign_out()
    auth.sign_in(world.lead_a.email)
    assert client.post(url, data={"teams": [world.red.id]}).status_code == 302
    assert _managed(person.id) == {world.red.id}
    assert _audits()[-1].user_id == world.lead_a.id


def test_moving_agency_ends_managing_the_old_agencys_teams(world):
    manager = db.session.get(User, world.manager.id)
    new_agency = world.green.agency
    person_operations.move_to_agency(manager, agency=new_agency, team=None, by=world.admin, now=NOW)
    db.session.commit()
    assert _managed(manager.id) == {world.green.id}


def test_the_teams_rows_are_one_statement_however_many_people(world):
    from quizapp.managers import queries

    def statements_for_rows() -> tuple[int, int]:
        seen: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany) -> None:
            seen.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            rows = queries.team_people(world.manager.id, now=NOW)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        return len(seen), len(rows)

    before = statements_for_rows()
    for number in range(5):
        _person(f"New Person{number}", agency=world.red.agency, team=world.red)
    after = statements_for_rows()
    assert before == (1, len(EXPECTED))
    assert after == (1, len(EXPECTED) + 5)
