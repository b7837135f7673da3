"""Acceptance on the demo partnership: the partnership lead and the police lead each see
their own scope, with figures equal to an independent computation from the raw rows,
and small cells hidden everywhere, CSV included."""

from __future__ import annotations

import csv
import io
from collections import Counter

import pytest
import sqlalchemy as sa
from markupsafe import escape

from quizapp.demo import DEMO_PASSWORD, prepare_demo
from quizapp.extensions import db
from quizapp.models import Agency, Finding, Requirement, Team, User

from .test_dashboards import (
    independent_first_attempts,
    independent_learning,
    independent_status,
    page_context,
    text_of,
)

THRESHOLD = 5
#: Enough of a crowd for every scope's figures to show, smaller than the demo's own so
#: that building it for each test stays quick; the learning grid test builds the full one.
CROWD = 250


@pytest.fixture
def demo(app):
    app.config["DEMO_MODE"] = True
    prepare_demo(app, out=lambda _: None, crowd=CROWD)
    return {a.name: a for a in db.session.scalars(sa.select(Agency))}


@pytest.fixture
def full_demo(app):
    app.config["DEMO_MODE"] = True
    prepare_demo(app, out=lambda _: None)
    return {a.name: a for a in db.session.scalars(sa.select(Agency))}


def sign_in(client, email: str) -> None:
    response = client.post("/sign-in", data={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302


def rows_of(response) -> list[dict[str, str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    reader = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
    return list(reader)


def check_share(share, count: float, whole: float, people: int) -> bool:
    """A figure built from `people` people: hidden if under the threshold, else (unless
    hidden to protect another cell) equal to the independent figure. True if shown."""
    if 0 < people < THRESHOLD:
        assert share.hidden and share.text == "fewer than 5"
        return False
    if not share.hidden:
        assert share.text == text_of(count, whole)
    return not share.hidden


def test_partnership_lead_sees_every_agency_with_figures_equal_to_the_raw_rows(demo, app, client):
    sign_in(client, "lead@demo.test")
    context = page_context(app, client, "/dashboards/")
    now, period = context["now"], context["filters"].period

    def agency_of(user: User):
        return user.agency_id if user.agency_id is not None else False

    status = independent_status(now, group_of=agency_of)
    first = independent_first_attempts(period.start, period.end, group_of=agency_of)
    (section,) = context["page"].checks
    assert [row.label for row in section.groups] == sorted(demo, key=str.casefold)
    assert section.total.label == "All agencies"
    shown = hidden = 0
    for row in section.groups:
        cell = status[(row.key, section.check_id)]
        required = cell["required"]
        if 0 < required < THRESHOLD:
            assert row.required.hidden
        elif not row.required.hidden:
            assert row.required.part == required
        for name in ("complete", "expiring", "due", "overdue"):
            share = getattr(row, name)
            was_shown = check_share(share, cell[name], required, cell[name])
            if required and 0 < required < THRESHOLD:
                assert share.hidden  # a group too small hides even its zeros
            shown += was_shown
            hidden += share.hidden
        attempted, passed = first.get((row.key, section.check_id), (0, 0))
        check_share(row.first_pass, passed, attempted, attempted)
    assert shown and hidden
    police = next(row for row in section.groups if row.label == "Police")
    police_cell = status[(police.key, section.check_id)]
    assert police.required.part == police_cell["required"] > 50
    held = police_cell["complete"] + police_cell["expiring"]
    if police.held.hidden:  # hidden to protect another figure: never "fewer than 5"
        assert police.held.text == "[c]" and held >= THRESHOLD
    else:
        assert police.held.text == text_of(held, police_cell["required"])
    # The tiny school's figures stay hidden.
    school = next(row for row in section.groups if row.label == "Oak Lane Primary School")
    assert school.required.hidden
    total_required = sum(cell["required"] for cell in status.values())
    assert section.total.required.part == total_required
    body = client.get("/dashboards/").get_data(as_text=True)
    assert "fewer than 5" in body and police.held.text in body


def test_partnership_lead_sees_the_learning_grid(full_demo, app, client):
    """On the full demo: real figures in most cells, and a few hidden."""
    sign_in(client, "lead@demo.test")
    context = page_context(app, client, "/dashboards/learning")
    period = context["filters"].period

    def agency_of(user: User):
        return user.agency_id if user.agency_id is not None else False

    expected = independent_learning(period.start, period.end, group_of=agency_of)
    (bank,) = context["page"].banks
    assert len(bank.findings) == 8
    shown = hidden = 0
    for grid in bank.findings:
        finding = (grid.label.bank_key, grid.label.key)
        for row in grid.groups:
            people, marks, points, wrong, sure, wrong_people = expected[(row.key, finding)]
            was_shown = check_share(row.marks, marks, points, len(people))
            check_share(row.confidently_wrong, sure, wrong, len(wrong_people))
            shown += was_shown
            hidden += row.marks.hidden
        total_people = sum(len(v[0]) for k, v in expected.items() if k[1] == finding)
        assert grid.total.people.part == total_people >= THRESHOLD
    # Most cells show real figures; the small agencies' are hidden (with the cells that
    # protect them).
    assert hidden and shown > hidden
    police_rows = [r for g in bank.findings for r in g.groups if r.label == "Police"]
    assert police_rows and not any(r.marks.hidden for r in police_rows)
    assert len(context["page"].weakest) == 5


def test_full_demo_completion_shows_every_agency_but_the_tiny_school(full_demo, app, client):
    """Issue 18: the crowd fills the named people's groups, so every level of every
    agency asked to take the check holds enough people to show, and the completion page
    hides little beyond the tiny school (Oak Lane) and the one school beside it in its
    sector (whose figures would give Oak Lane's away)."""
    check_id = db.session.scalar(sa.select(sa.func.min(Requirement.check_id)))
    sizes = Counter(
        (agency_id, level)
        for agency_id, level in db.session.execute(
            sa.select(User.agency_id, User.level)
            .join(Requirement, Requirement.user_id == User.id)
            .where(Requirement.check_id == check_id)
        )
    )
    names = {agency.id: name for name, agency in full_demo.items()}
    small = {(names[a], level) for (a, level), n in sizes.items() if n < THRESHOLD}
    assert small == {("Oak Lane Primary School", "DSL")}

    sign_in(client, "lead@demo.test")
    (section,) = page_context(app, client, "/dashboards/")["page"].checks
    schools = {"Oak Lane Primary School", "Hill Top Academy"}
    statuses = ("complete", "expiring", "due", "overdue")
    hidden = {
        (row.label, name)
        for row in section.groups
        for name in ("required", "held", *statuses)
        if getattr(row, name).hidden
    }
    assert {("Oak Lane Primary School", name) for name in ("required", "held")} <= hidden
    # Every other agency's people required and completion show...
    assert not {(label, name) for label, name in hidden if name in ("required", "held")} - {
        (school, name) for school in schools for name in ("required", "held")
    }
    # ...and at most a few of their statuses are hidden (to protect the schools').
    others = [(label, name) for label, name in hidden if label not in schools]
    assert len(others) <= 12, others
    assert len(others) < len(section.groups) * len(statuses) // 3


def test_police_lead_sees_only_police_and_the_names_of_overdue_police_staff(demo, app, client):
    police = demo["Police"]
    sign_in(client, "police-lead@demo.test")
    context = page_context(app, client, "/dashboards/")
    # The HS check (the demo's other check, the conference scenario, is not assigned).
    (section,) = [
        c for c in context["page"].checks if c.title.startswith("Baby HS (2016): learning")
    ]
    assert [row.label for row in section.rows] == [
        "Child abuse investigation team",
        "Public protection unit",
        "No team",
        "All of Police",
    ]

    def police_only(user: User):
        return police.id if user.agency_id == police.id else False

    status = independent_status(context["now"], group_of=police_only)
    cell = status[(police.id, section.check_id)]
    required = cell["required"]
    assert section.total.required.part == required > 50
    assert section.total.overdue.text == text_of(cell["overdue"], required)
    # The lead sees every completion count of their own people, small teams included.
    assert not any(row.required.hidden for row in section.groups)
    assert sum(row.required.part for row in section.groups) == required

    overdue = rows_of(client.get("/dashboards/overdue.csv"))
    names = sorted(row["Name"] for row in overdue)
    officers = db.session.scalars(sa.select(User).where(User.agency_id == police.id)).all()
    from quizapp.models import Completion, Requirement
    from quizapp.workforce.status import Status, status_of

    expected = []
    for officer in officers:
        requirement = db.session.scalar(
            sa.select(Requirement).where(Requirement.user_id == officer.id)
        )
        completion = db.session.scalar(
            sa.select(Completion).where(
                Completion.user_id == officer.id, Completion.check_id == requirement.check_id
            )
        )
        state = status_of(
            context["now"],
            due_at=requirement.due_at,
            expires_at=completion.expires_at if completion else None,
        )
        if state is Status.OVERDUE:
            expected.append(officer.name)
    assert names == sorted(expected) and len(names) == cell["overdue"] >= THRESHOLD
    assert "Sam Okafor" in names
    page = client.get("/dashboards/overdue").get_data(as_text=True)
    assert all(str(escape(name)) in page for name in names)
    # Nobody from another agency appears anywhere.
    findings = db.session.scalars(sa.select(Finding.text)).all()
    others = db.session.scalars(
        sa.select(User.name).where(User.agency_id.is_not(None), User.agency_id != police.id)
    ).all()
    for url in (
        "/dashboards/",
        "/dashboards/learning",
        "/dashboards/overdue",
        "/dashboards/report",
    ):
        body = client.get(url).get_data(as_text=True)
        # A finding of the review may name an agency ("Children's Social Care demonstrated
        # good decision making"): that is the review's text, not another agency's figures.
        for finding in findings:
            body = body.replace(str(escape(finding[:40])), "")
        for other in set(others) - set(names):
            assert str(escape(other)) not in body, (url, other)
        for agency in set(demo) - {"Police"}:
            assert agency.replace("'", "&#39;") not in body, (url, agency)


def test_neither_lead_reaches_another_scope_by_url_or_filter(demo, app, client):
    care = demo["Children's Social Care"]
    care_team = Team(agency=care, name="Assessment team")
    db.session.add(care_team)
    db.session.commit()
    sign_in(client, "police-lead@demo.test")
    for url in (
        f"/dashboards/?agency={care.id}",
        f"/dashboards/?team={care_team.id}",
        f"/dashboards/learning?agency={care.id}",
        f"/dashboards/learning/hs-baby-2016/poor-information-sharing?group={care_team.id}",
        f"/dashboards/overdue?team={care_team.id}",
        f"/dashboards/overdue.csv?agency={care.id}",
        f"/dashboards/report?agency={care.id}",
        f"/dashboards/report.csv?agency={care.id}",
    ):
        assert client.get(url).status_code == 404, url
    client.post("/sign-out")
    sign_in(client, "lead@demo.test")
    # The partnership lead's filters reach any agency, as aggregates; names never.
    assert client.get(f"/dashboards/?agency={care.id}").status_code == 200
    assert client.get("/dashboards/overdue").status_code == 403
    assert client.get("/dashboards/overdue.csv").status_code == 403


def test_small_cells_are_hidden_in_the_csv_too(demo, app, client):
    sign_in(client, "lead@demo.test")
    lines = rows_of(client.get("/dashboards/report.csv"))
    assert {line["Agency or team"] for line in lines} == set(demo) | {"All agencies"}
    people_columns = (
        "People required",
        "Complete or expiring soon",
        "Expiring soon",
        "Due",
        "Overdue",
        "People passing in the year",
        "First attempts",
        "People answering",
    )
    hidden = 0
    for line in lines:
        for column in people_columns:
            value = line[column]
            if value in ("fewer than 5", "[c]"):
                hidden += 1
            elif value:
                assert int(value) == 0 or int(value) >= THRESHOLD, (line, column)
    assert hidden
    police = next(line for line in lines if line["Agency or team"] == "Police")
    required = db.session.scalar(
        sa.select(sa.func.count(Requirement.id))
        .join(User)
        .where(User.agency_id == demo["Police"].id, User.left_at.is_(None))
    )
    assert police["People required"] == str(required)
    client.post("/sign-out")
    sign_in(client, "police-lead@demo.test")
    lines = rows_of(client.get("/dashboards/report.csv"))
    assert {line["Agency or team"] for line in lines} == {
        "Child abuse investigation team",
        "Public protection unit",
        "No team",
        "All of Police",
    }
