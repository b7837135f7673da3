"""Leads' dashboards on hand-made data: who may see what, the figures against an
independent computation from the raw rows, small-number suppression, and how many SQL
statements each page issues."""

from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import pytest
import sqlalchemy as sa
from flask import template_rendered
from werkzeug.security import generate_password_hash

from quizapp.dashboards.periods import LONDON
from quizapp.dashboards.suppression import percent
from quizapp.demo import _answer
from quizapp.extensions import db
from quizapp.models import (
    Agency,
    Attempt,
    Bank,
    BankVersion,
    Check,
    Completion,
    Finding,
    Question,
    Requirement,
    Response,
    Role,
    Team,
    User,
    question_findings,
    utcnow,
)
from quizapp.questions import get_type
from quizapp.take import operations
from quizapp.workforce.operations import create_assignment
from quizapp.workforce.requirements import update_requirements
from quizapp.workforce.status import Status, next_deadline, status_of

from .factories import DEFAULT_PASSWORD, SMALL_BANK, check_for, import_bank_text

REFLECTION = "A private reflection nobody else may read 7f3a"
URLS = (
    "/dashboards/",
    "/dashboards/learning",
    "/dashboards/learning/small-bank/sharing",
    "/dashboards/overdue",
    "/dashboards/overdue.csv",
    "/dashboards/report",
    "/dashboards/report.csv",
)
NAMED_ONLY = ("/dashboards/overdue", "/dashboards/overdue.csv")


# ---------------------------------------------------------------------------------------
# The world


@dataclass
class World:
    agency_a: Agency
    agency_b: Agency
    team_a1: Team
    team_a2: Team
    team_b: Team
    check: Check
    lead_a: User
    lead_b: User
    partnership_lead: User
    admin: User
    practitioner: User
    author: User


def take(user: User, check: Check, *, skill: float, at: datetime, rng: random.Random) -> Attempt:
    """Answer every question (right with probability `skill`) with mixed certainty; write a
    reflection that must never be shown to anyone else."""
    attempt = operations.start_attempt(user, check, now=at)
    for question in attempt.bank_version.questions:
        if get_type(question.type).scored:
            right = rng.random() < skill
            operations.save_answer(
                attempt, question, _answer(question, right, rng), rng.choice((1, 2, 3)), now=at
            )
        else:
            operations.save_answer(attempt, question, REFLECTION, None, now=at)
    operations.submit_attempt(attempt, now=at + timedelta(minutes=10))
    return attempt


def build_world(*, people_a1: int, people_a2: int, people_b: int, extra_agencies: int = 0):
    """Agency A (teams A1, A2), agency B (one team), leads of each kind, a check required
    of everyone 60 days ago (due 30 days later), and attempts of every outcome."""
    now = utcnow()
    rng = random.Random(11)
    agency_a = Agency(name="Agency A", sector="health")
    agency_b = Agency(name="Agency B", sector="police")
    db.session.add_all([agency_a, agency_b])
    team_a1, team_a2 = Team(agency=agency_a, name="Team A1"), Team(agency=agency_a, name="Team A2")
    team_b = Team(agency=agency_b, name="Team B")
    db.session.add_all([team_a1, team_a2, team_b])
    others = [Agency(name=f"Other {i}", sector="voluntary") for i in range(extra_agencies)]
    db.session.add_all(others)
    db.session.commit()
    outcome = import_bank_text(SMALL_BANK)
    check = check_for(outcome)
    check.attempts_allowed = None
    db.session.commit()

    def person(name: str, agency: Agency | None, team: Team | None, roles=(Role.PRACTITIONER,)):
        user = User(
            email=f"{name.lower().replace(' ', '.')}@example.org",
            name=name,
            agency=agency,
            team=team,
            job_role="Health visitor",
            level="Level 3" if team else "Level 2",
            email_confirmed_at=now,
            password_hash=_password_hash(),
        )
        for role in roles:
            user.grant(role)
        db.session.add(user)
        db.session.flush()
        return user

    lead_a = person("Lead A", agency_a, None, (Role.LEAD,))
    lead_b = person("Lead B", agency_b, None, (Role.LEAD,))
    partnership_lead = person("Partnership Lead", None, None, (Role.LEAD,))
    admin = person("Admin", None, None, (Role.ADMIN,))
    author = person("Author", agency_a, None, (Role.AUTHOR, Role.PRACTITIONER))
    groups = [
        (agency_a, team_a1, people_a1, "A1 person"),
        (agency_a, team_a2, people_a2, "A2 person"),
        (agency_b, team_b, people_b, "B person"),
        *((agency, None, 3, f"{agency.name} person") for agency in others),
    ]
    people = []
    for agency, team, count, prefix in groups:
        people += [person(f"{prefix} {i}", agency, team) for i in range(count)]
    practitioner = people[0]
    db.session.commit()
    create_assignment(check=check, all_agencies=True, due_days=30, now=now - timedelta(days=60))
    # Joins today: due in 30 days.
    newcomer = person("B newcomer", agency_b, team_b)
    update_requirements([newcomer], now=now)
    db.session.commit()
    # Outcomes in turn: pass long ago (expired), pass recently, fail then pass, fail, none,
    # pass expiring soon (refresh is 12 months).
    plans = ["expired", "recent", "fail-pass", "fail", "none", "expiring", "recent"]
    for index, user in enumerate(people):
        plan = plans[index % len(plans)]
        if plan == "expired":
            take(user, check, skill=1.0, at=now - timedelta(days=400), rng=rng)
        elif plan == "recent":
            take(user, check, skill=1.0, at=now - timedelta(days=20 + index), rng=rng)
        elif plan == "fail-pass":
            take(user, check, skill=0.2, at=now - timedelta(days=50), rng=rng)
            take(user, check, skill=1.0, at=now - timedelta(days=40), rng=rng)
        elif plan == "fail":
            take(user, check, skill=0.3, at=now - timedelta(days=10), rng=rng)
        elif plan == "expiring":
            take(user, check, skill=1.0, at=now - timedelta(days=350), rng=rng)
    db.session.commit()
    return World(
        agency_a,
        agency_b,
        team_a1,
        team_a2,
        team_b,
        check,
        lead_a,
        lead_b,
        partnership_lead,
        admin,
        practitioner,
        author,
    )


@pytest.fixture
def world(app) -> World:
    return build_world(people_a1=7, people_a2=2, people_b=6)


def sign_in(client, user: User) -> None:
    response = client.post("/sign-in", data={"email": user.email, "password": _password()})
    assert response.status_code == 302


def _password() -> str:
    return DEFAULT_PASSWORD


@lru_cache(maxsize=1)
def _password_hash() -> str:
    """Hashed once: scrypt is slow on purpose, and a world has many people."""
    return generate_password_hash(DEFAULT_PASSWORD, method="scrypt")


@contextmanager
def captured(app) -> Iterator[list[dict]]:
    contexts: list[dict] = []

    def record(sender, template, context, **extra):
        # Form widgets render templates of their own: keep only the pages.
        if template.name.startswith("dashboards/"):
            contexts.append(context)

    template_rendered.connect(record, app)
    try:
        yield contexts
    finally:
        template_rendered.disconnect(record, app)


def page_context(app, client, url: str) -> dict:
    with captured(app) as contexts:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return contexts[0]


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


# ---------------------------------------------------------------------------------------
# Independent computation from the raw rows, in plain Python


def independent_status(now: datetime, *, group_of) -> dict:
    """(group, check id) -> {required, complete, expiring, due, overdue} for current people."""
    completions = {(c.user_id, c.check_id): c for c in db.session.scalars(sa.select(Completion))}
    result: dict = defaultdict(lambda: defaultdict(int))
    users = {u.id: u for u in db.session.scalars(sa.select(User))}
    for requirement in db.session.scalars(sa.select(Requirement)):
        user = users[requirement.user_id]
        if user.left_at is not None or not user.active:
            continue
        group = group_of(user)
        if group is False:
            continue
        completion = completions.get((user.id, requirement.check_id))
        status = status_of(
            now,
            due_at=requirement.due_at,
            expires_at=completion.expires_at if completion else None,
        )
        cell = result[(group, requirement.check_id)]
        cell["required"] += 1
        cell[
            {
                Status.COMPLETE: "complete",
                Status.EXPIRING_SOON: "expiring",
                Status.DUE: "due",
                Status.OVERDUE: "overdue",
            }[status]
        ] += 1
    return result


def independent_first_attempts(start: datetime, end: datetime, *, group_of) -> dict:
    result: dict = defaultdict(lambda: [0, 0])
    users = {u.id: u for u in db.session.scalars(sa.select(User))}
    for attempt in db.session.scalars(sa.select(Attempt)):
        if attempt.number != 1 or attempt.submitted_at is None:
            continue
        if not (start <= attempt.submitted_at < end):
            continue
        group = group_of(users[attempt.user_id])
        if group is False:
            continue
        result[(group, attempt.check_id)][0] += 1
        result[(group, attempt.check_id)][1] += int(bool(attempt.passed))
    return result


def independent_learning(start: datetime, end: datetime, *, group_of) -> dict:
    """(group, (bank key, finding key)) -> [people, marks, points, wrong, sure wrong, people
    wrong], people as sets of user ids."""
    finding_keys: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for question_id, finding_id in db.session.execute(sa.select(question_findings)):
        finding = db.session.get(Finding, finding_id)
        bank = db.session.get(Bank, db.session.get(BankVersion, finding.version_id).bank_id)
        finding_keys[question_id].append((bank.key, finding.key))
    result: dict = defaultdict(lambda: [set(), 0.0, 0, 0, 0, set()])
    # Held here, not fetched one by one: the session keeps loaded rows only while they are
    # referenced, and the demo has thousands of attempts.
    attempts = {a.id: a for a in db.session.scalars(sa.select(Attempt))}
    questions = {q.id: q for q in db.session.scalars(sa.select(Question))}
    users = {u.id: u for u in db.session.scalars(sa.select(User))}
    for response in db.session.scalars(sa.select(Response)):
        attempt = attempts[response.attempt_id]
        question = questions[response.question_id]
        if attempt.submitted_at is None or not (start <= attempt.submitted_at < end):
            continue
        if response.fraction is None or question.points == 0:
            continue
        group = group_of(users[attempt.user_id])
        if group is False:
            continue
        for key in finding_keys[question.id]:
            cell = result[(group, key)]
            cell[0].add(attempt.user_id)
            cell[1] += response.mark
            cell[2] += question.points
            if response.fraction == 0:
                cell[3] += 1
                cell[4] += int(response.certainty == 3)
                cell[5].add(attempt.user_id)
    return result


def text_of(count: float, whole: float) -> str:
    if not whole:
        return "none"
    amount = f"{count:.2f}".rstrip("0").rstrip(".")
    return f"{amount} of {whole:g} ({percent(count, whole)}%)"


# ---------------------------------------------------------------------------------------
# Who may see what


def test_anonymous_people_are_sent_to_sign_in(world, client):
    for url in URLS:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].split("?")[0].endswith("/sign-in"), url


@pytest.mark.parametrize("who", ["practitioner", "author"])
def test_practitioners_and_authors_are_refused(world, client, who):
    sign_in(client, getattr(world, who))
    for url in URLS:
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("who", ["partnership_lead", "admin", "lead_a"])
def test_leads_and_admins_see_the_dashboards(world, client, who):
    sign_in(client, getattr(world, who))
    for url in URLS:
        expected = 403 if url in NAMED_ONLY and who != "lead_a" else 200
        assert client.get(url).status_code == expected, url


def test_partnership_lead_and_admin_never_see_names(world, client, app):
    app.config["SMALL_NUMBER_THRESHOLD"] = 1
    for who in (world.partnership_lead, world.admin):
        sign_in(client, who)
        for url in URLS:
            body = client.get(url).get_data(as_text=True)
            for name in ("A1 person", "A2 person", "B person", "Lead A"):
                assert name not in body, (who.name, url, name)


def test_no_page_or_download_shows_a_reflection(world, client, app):
    app.config["SMALL_NUMBER_THRESHOLD"] = 1
    assert any(r.answer == REFLECTION for r in db.session.scalars(sa.select(Response)))
    for who in (world.partnership_lead, world.lead_a, world.admin):
        sign_in(client, who)
        for url in (*URLS, "/dashboards/learning/small-bank/referral"):
            response = client.get(url)
            assert REFLECTION not in response.get_data(as_text=True), url


# ---------------------------------------------------------------------------------------
# Scope: nothing outside it is reachable by editing a URL or a filter


def test_agency_lead_asking_for_another_agency_gets_404(world, client):
    sign_in(client, world.lead_a)
    b, b_team = world.agency_b.id, world.team_b.id
    for url in (
        f"/dashboards/?agency={b}",
        f"/dashboards/?team={b_team}",
        f"/dashboards/learning?agency={b}",
        f"/dashboards/learning?team={b_team}",
        f"/dashboards/learning/small-bank/sharing?group={b_team}",
        f"/dashboards/learning/small-bank/sharing?agency={b}",
        f"/dashboards/overdue?team={b_team}",
        f"/dashboards/overdue.csv?team={b_team}",
        f"/dashboards/report?agency={b}",
    ):
        assert client.get(url).status_code == 404, url
    # Its own agency, named explicitly, is fine.
    assert client.get(f"/dashboards/?agency={world.agency_a.id}").status_code == 200


def test_agency_lead_pages_hold_only_their_own_agency(world, client, app):
    app.config["SMALL_NUMBER_THRESHOLD"] = 1
    sign_in(client, world.lead_a)
    for url in URLS:
        body = client.get(url).get_data(as_text=True)
        assert "B person" not in body and "Team B" not in body and "Agency B" not in body, url
    context = page_context(app, client, "/dashboards/")
    labels = [row.label for section in context["page"].checks for row in section.rows]
    assert labels == ["Team A1", "Team A2", "No team", "All of Agency A"]
    # Totals are Agency A's: 7 + 2 people in teams, and the lead and author without one.
    assert context["page"].checks[0].total.required.part == 11


def test_unknown_filter_values_are_not_found(world, client):
    sign_in(client, world.partnership_lead)
    for url in (
        "/dashboards/?period=forever",
        "/dashboards/?check=abc",
        "/dashboards/?check=999999",
        "/dashboards/?agency=999999",
        "/dashboards/?level=Level%209",
        "/dashboards/learning/small-bank/no-such-finding",
        "/dashboards/learning/small-bank/sharing?group=999999",
        "/dashboards/report?year=1999",
        "/dashboards/report.csv?year=next",
    ):
        assert client.get(url).status_code == 404, url


# ---------------------------------------------------------------------------------------
# Figures against the independent computation


def _agency_of(user: User):
    return user.agency_id if user.agency_id is not None else False


def test_completion_figures_per_agency_equal_the_raw_rows(world, client, app):
    app.config["SMALL_NUMBER_THRESHOLD"] = 1  # nothing hidden: every figure compared
    sign_in(client, world.partnership_lead)
    context = page_context(app, client, "/dashboards/")
    page, period = context["page"], context["filters"].period
    now = context["now"]
    expected = independent_status(now, group_of=_agency_of)
    first = independent_first_attempts(period.start, period.end, group_of=_agency_of)
    (section,) = page.checks
    assert section.check_id == world.check.id
    assert [row.label for row in section.rows] == ["Agency A", "Agency B", "All agencies"]
    totals: dict = defaultdict(int)
    for row in section.groups:
        cell = expected[(row.key, world.check.id)]
        for name in ("required", "complete", "expiring", "due", "overdue"):
            totals[name] += cell[name]
        assert row.required.part == cell["required"]
        assert row.complete.text == text_of(cell["complete"], cell["required"])
        assert row.expiring.text == text_of(cell["expiring"], cell["required"])
        assert row.due.text == text_of(cell["due"], cell["required"])
        assert row.overdue.text == text_of(cell["overdue"], cell["required"])
        held = cell["complete"] + cell["expiring"]
        assert row.held.text == text_of(held, cell["required"])
        attempted, passed = first[(row.key, world.check.id)]
        assert row.first_pass.text == text_of(passed, attempted)
    # 15 people, a newcomer, and leads A and B and the author, who are in agencies too.
    assert section.total.required.part == totals["required"] == 15 + 1 + 3
    assert section.total.overdue.text == text_of(totals["overdue"], totals["required"])
    # Every status occurs, so the CASE in SQL is exercised branch by branch.
    assert all(totals[name] for name in ("complete", "expiring", "due", "overdue")), totals
    body = client.get("/dashboards/").get_data(as_text=True)
    assert section.total.held.text in body
    assert 'role="img"' in body and 'aria-labelledby="completion-' in body


def test_completion_by_team_for_an_agency_lead_equals_the_raw_rows(world, client, app):
    app.config["SMALL_NUMBER_THRESHOLD"] = 1
    sign_in(client, world.lead_a)
    context = page_context(app, client, "/dashboards/")
    now = context["now"]

    def team_in_a(user: User):
        return user.team_id if user.agency_id == world.agency_a.id else False

    expected = independent_status(now, group_of=team_in_a)
    (section,) = context["page"].checks
    for row in section.groups:
        cell = expected[(row.key, world.check.id)]
        assert row.required.part == cell["required"], row.label
        assert row.overdue.text == text_of(cell["overdue"], cell["required"]), row.label


def test_filters_narrow_the_figures(world, client, app):
    app.config["SMALL_NUMBER_THRESHOLD"] = 1
    sign_in(client, world.partnership_lead)
    # The partnership's rows are agencies: it has no team filter (an agency's team is its
    # own lead's business), so a team in the address changes nothing.
    everyone = page_context(app, client, "/dashboards/")["page"].checks[0]
    context = page_context(app, client, f"/dashboards/?team={world.team_a2.id}")
    (section,) = context["page"].checks
    assert [row.label for row in section.rows] == ["Agency A", "Agency B", "All agencies"]
    assert section.total.required.part == everyone.total.required.part
    context = page_context(app, client, "/dashboards/?level=Level%202")
    # Level 2: the people without a team (lead A, lead B, author).
    assert context["page"].checks[0].total.required.part == 3
    # An agency filter shows that agency's row beside the partnership's total.
    context = page_context(app, client, f"/dashboards/?agency={world.agency_b.id}")
    (section,) = context["page"].checks
    assert [row.label for row in section.rows] == ["Agency B", "All agencies"]
    assert section.rows[0].required.part == 8  # six, the newcomer and lead B
    assert section.total.required.part == everyone.total.required.part
    # An agency lead's team filter shows that team's row beside the agency's total.
    client.post("/sign-out")
    sign_in(client, world.lead_a)
    context = page_context(app, client, f"/dashboards/?team={world.team_a2.id}")
    (section,) = context["page"].checks
    assert [row.label for row in section.rows] == [world.team_a2.name, "All of Agency A"]
    assert section.rows[0].required.part == 2


def test_trend_counts_passes_per_month(world, client, app):
    app.config["SMALL_NUMBER_THRESHOLD"] = 1
    sign_in(client, world.partnership_lead)
    context = page_context(app, client, "/dashboards/")
    period = context["filters"].period
    check_id = context["filters"].check_id
    expected = [set() for _ in period.months]
    passed = sa.select(Attempt).where(Attempt.passed.is_(True), Attempt.check_id == check_id)
    for attempt in db.session.scalars(passed):
        for index, month in enumerate(period.months):
            if month.start <= attempt.submitted_at < month.end:
                expected[index].add(attempt.user_id)
    assert [m.passes.part for m in context["page"].trend] == [len(s) for s in expected]
    assert sum(len(s) for s in expected) > 0
    # The period is this reporting year, April to March.
    assert context["page"].trend[0].label == f"April {period.start.year}"
    this_month = f"{utcnow().astimezone(LONDON):%B %Y}"
    assert this_month in [m.label for m in context["page"].trend]
    # Passes per month are for one check over the whole scope: not for a level.
    context = page_context(app, client, "/dashboards/?level=Level%202")
    assert context["page"].trend == []


def test_learning_grid_equals_the_raw_responses(world, client, app):
    app.config["SMALL_NUMBER_THRESHOLD"] = 1
    sign_in(client, world.partnership_lead)
    context = page_context(app, client, "/dashboards/learning")
    period = context["filters"].period
    expected = independent_learning(period.start, period.end, group_of=_agency_of)
    (bank,) = context["page"].banks
    keys = [grid.label.key for grid in bank.findings]
    assert keys == ["sharing", "referral"]
    for grid in bank.findings:
        finding = ("small-bank", grid.label.key)
        total_people = 0
        for row in grid.groups:
            people, marks, points, wrong, sure, _ = expected[(row.key, finding)]
            total_people += len(people)
            assert row.people.part == len(people)
            assert row.marks.text == text_of(marks, points)
            assert row.confidently_wrong.text == text_of(sure, wrong)
        assert grid.total.people.part == total_people > 0
    assert context["page"].weakest  # every question answered by at least one person


def test_finding_drill_down_per_question_equals_the_raw_responses(world, client, app):
    app.config["SMALL_NUMBER_THRESHOLD"] = 1
    sign_in(client, world.partnership_lead)
    context = page_context(
        app, client, f"/dashboards/learning/small-bank/sharing?group={world.agency_a.id}"
    )
    page, period = context["page"], context["filters"].period
    marks: dict = defaultdict(lambda: [0.0, 0])
    for response in db.session.scalars(sa.select(Response)):
        attempt = db.session.get(Attempt, response.attempt_id)
        question = db.session.get(Question, response.question_id)
        user = db.session.get(User, attempt.user_id)
        if user.agency_id != world.agency_a.id or not (
            period.start <= attempt.submitted_at < period.end
        ):
            continue
        if "sharing" in {f.key for f in question.findings} and question.points:
            marks[question.key][0] += response.mark
            marks[question.key][1] += question.points
    assert {q.key for q in page.questions} == {"q-single", "q-multiple", "q-ordering"}
    for question in page.questions:
        assert question.figures.marks.text == text_of(*marks[question.key])
    cell_marks = sum(m[0] for m in marks.values())
    cell_points = sum(m[1] for m in marks.values())
    assert page.cell.marks.text == text_of(cell_marks, cell_points)
    assert page.cell.label == "Agency A"


# ---------------------------------------------------------------------------------------
# Small numbers


def test_small_cells_are_hidden_on_the_page_and_a_second_cell_with_them(world, client, app):
    app.config["SMALL_NUMBER_THRESHOLD"] = 9
    sign_in(client, world.partnership_lead)
    context = page_context(app, client, "/dashboards/")
    rows = {row.label: row for row in context["page"].checks[0].rows}
    # Agency B has 8 people required, under the threshold of 9: everything about it is
    # hidden, as "fewer than 9".
    b = rows["Agency B"]
    for share in (b.required, b.complete, b.expiring, b.due, b.overdue, b.held):
        assert share.hidden and share.text == "fewer than 9"
    # The total less Agency A would give Agency B away: Agency A's 11 are hidden too,
    # marked "[c]", not "fewer than 9" (they are not); the partnership's total shows.
    assert rows["Agency A"].required.hidden and rows["Agency A"].required.text == "[c]"
    assert rows["All agencies"].required.part == 19
    assert not rows["All agencies"].required.hidden
    body = client.get("/dashboards/").get_data(as_text=True)
    assert "fewer than 9" in body and "[c]" in body


def test_an_agency_lead_sees_every_completion_count_of_their_own_people(world, client, app):
    """They see their overdue people by name anyway; marks keep the small-number rules."""
    sign_in(client, world.lead_a)
    context = page_context(app, client, "/dashboards/")
    rows = {row.label: row for row in context["page"].checks[0].rows}
    a2 = rows["Team A2"]
    assert not any(
        share.hidden for share in (a2.required, a2.complete, a2.expiring, a2.due, a2.overdue)
    )
    assert a2.required.part == 2
    assert rows["No team"].required.part == 2
    assert rows["All of Agency A"].required.part == 11
    report = page_context(app, client, "/dashboards/report")["page"]
    (check,) = report.checks
    learning = {row.learning.label: row.learning for row in check.rows}
    assert learning["Team A2"].marks.text == "fewer than 5"


def test_secondary_suppression_in_a_row_of_statuses(world, client, app):
    sign_in(client, world.partnership_lead)
    context = page_context(app, client, "/dashboards/")
    rows = context["page"].checks[0].rows
    assert rows
    for row in rows:
        cells = [row.held, row.due, row.overdue]
        # Never exactly one hidden among the parts of a visible total.
        if not row.required.hidden:
            assert sum(cell.hidden for cell in cells) != 1
        for cell in (row.complete, row.expiring, row.due, row.overdue):
            if not cell.hidden:
                assert cell.part == 0 or cell.part >= 5


def test_threshold_comes_from_the_setting(world, client, app):
    app.config["SMALL_NUMBER_THRESHOLD"] = 12
    sign_in(client, world.partnership_lead)
    context = page_context(app, client, "/dashboards/")
    rows = {row.label: row for row in context["page"].checks[0].rows}
    assert rows["Agency A"].required.hidden
    assert rows["Agency A"].required.text == "fewer than 12"


def test_report_csv_has_the_page_figures_hidden_the_same_way(world, client, app):
    sign_in(client, world.lead_a)
    context = page_context(app, client, "/dashboards/report")
    page = context["page"]
    rows = read_csv(client.get("/dashboards/report.csv"))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["Year", "Check", "Agency or team", "People required"]
    by_group = {row[2]: dict(zip(header, row, strict=True)) for row in body}
    assert set(by_group) == {"Team A1", "Team A2", "No team", "All of Agency A"}
    # An agency's lead sees their own people's completion; marks stay hidden.
    assert by_group["Team A2"]["People required"] == "2"
    assert by_group["Team A2"]["Marks gained"] == "fewer than 5"
    assert by_group["Team A1"]["People required"] == "7"
    assert by_group["All of Agency A"]["People required"] == "11"
    (check,) = page.checks
    for row in check.rows:
        line = by_group[row.learning.label]
        assert line["Marks gained %"] == row.learning.marks.percent_text
        assert line["Overdue"] == row.completion.overdue.part_text
        assert line["First-attempt pass %"] == row.first_pass.percent_text
    # No learning figure from one to four people anywhere.
    for line in body:
        for name in ("People answering", "People passing in the year", "First attempts"):
            value = line[header.index(name)]
            assert not value.isdigit() or int(value) == 0 or int(value) >= 5, (name, line)


def test_report_figures_for_the_year_equal_the_raw_rows(world, client, app):
    app.config["SMALL_NUMBER_THRESHOLD"] = 1
    sign_in(client, world.partnership_lead)
    context = page_context(app, client, "/dashboards/report")
    page = context["page"]
    assert page.current
    first = independent_first_attempts(page.period.start, page.period.end, group_of=_agency_of)
    passed: dict = defaultdict(set)
    for attempt in db.session.scalars(sa.select(Attempt).where(Attempt.passed.is_(True))):
        if page.period.start <= attempt.submitted_at < page.period.end:
            passed[db.session.get(User, attempt.user_id).agency_id].add(attempt.user_id)
    rows = read_csv(client.get("/dashboards/report.csv"))
    header = rows[0]
    lines = {row[2]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    for agency in (world.agency_a, world.agency_b):
        attempted, ok = first[(agency.id, world.check.id)]
        line = lines[agency.name]
        assert line["First attempts"] == str(attempted)
        assert line["First attempts passed"] == str(ok)
        assert line["People passing in the year"] == str(len(passed[agency.id]))
    html = client.get("/dashboards/report").get_data(as_text=True)
    assert page.period.label in html and "Agency B" in html


def test_a_past_year_has_no_status_columns(world, client, app):
    sign_in(client, world.partnership_lead)
    year = context_year = page_context(app, client, "/dashboards/report")["year"]
    rows = read_csv(client.get(f"/dashboards/report.csv?year={year - 1}"))
    assert context_year == year
    for line in rows[1:]:
        assert line[3:10] == [""] * 7


# ---------------------------------------------------------------------------------------
# Overdue list


def test_overdue_list_names_exactly_the_agencys_overdue_people(world, client, app):
    sign_in(client, world.lead_a)
    context = page_context(app, client, "/dashboards/overdue")
    now = utcnow()
    expected = []
    completions = {(c.user_id, c.check_id): c for c in db.session.scalars(sa.select(Completion))}
    for requirement in db.session.scalars(sa.select(Requirement)):
        user = db.session.get(User, requirement.user_id)
        if user.agency_id != world.agency_a.id:
            continue
        completion = completions.get((user.id, requirement.check_id))
        expires = completion.expires_at if completion else None
        if status_of(now, due_at=requirement.due_at, expires_at=expires) is Status.OVERDUE:
            due = next_deadline(due_at=requirement.due_at, expires_at=expires)
            expected.append((user.name, user.team.name if user.team else "", due))
    assert expected
    shown = [(row.name, row.team, row.due) for row in context["page"].rows]
    assert sorted(shown) == sorted(expected)
    assert [d for *_, d in shown] == sorted(d for *_, d in shown)
    rows = read_csv(client.get("/dashboards/overdue.csv"))
    assert rows[0] == [
        "Name",
        "Email",
        "Team",
        "Check",
        "Due date",
        "Days overdue",
        "Last attempt",
    ]
    assert sorted((r[0], r[2]) for r in rows[1:]) == sorted((n, t) for n, t, _ in expected)
    assert all(r[3] == "A small check" for r in rows[1:])
    local = {f"{d.astimezone(LONDON):%Y-%m-%d}" for *_, d in expected}
    assert {r[4] for r in rows[1:]} == local
    # Each person's email, days since the due date and last attempt, from the raw rows.
    today = now.astimezone(LONDON).date()
    for name, email, _, _, due, days, last in rows[1:]:
        user = db.session.scalar(sa.select(User).where(User.name == name))
        assert email == user.email
        assert int(days) == (today - datetime.fromisoformat(due).date()).days
        assert int(days) > 0
        attempts = db.session.scalars(
            sa.select(Attempt).where(Attempt.user_id == user.id, Attempt.check_id == world.check.id)
        ).all()
        latest = max((a.submitted_at or a.started_at for a in attempts), default=None)
        assert last == (f"{latest.astimezone(LONDON):%Y-%m-%d}" if latest else "")
    assert any(row[6] for row in rows[1:]), "someone overdue has tried the check"
    assert any(not row[6] for row in rows[1:]), "someone overdue has never tried it"
    # Filtering by team narrows both.
    team_rows = read_csv(client.get(f"/dashboards/overdue.csv?team={world.team_a1.id}"))
    assert {r[2] for r in team_rows[1:]} == {"Team A1"}


def test_overdue_csv_defuses_spreadsheet_formulas(world, client):
    world.practitioner.name = "=HYPERLINK(1)"
    db.session.commit()
    sign_in(client, world.lead_a)
    rows = read_csv(client.get("/dashboards/overdue.csv"))
    assert all(not r[0].startswith("=") for r in rows[1:])


# ---------------------------------------------------------------------------------------
# SQL statements per page: the same at two data sizes


def count_statements(app, client, url: str) -> int:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 200, (url, response.status_code)
    return len(statements)


def statement_counts(app, client, world: World) -> dict[tuple[str, str], int]:
    counts = {}
    for who in ("partnership_lead", "lead_a"):
        sign_in(client, getattr(world, who))
        for url in URLS:
            if url in NAMED_ONLY and who != "lead_a":
                continue
            group = world.agency_a.id if who == "partnership_lead" else world.team_a1.id
            urls = [url]
            if "learning/" in url:
                urls.append(f"{url}?group={group}")
            for each in urls:
                counts[(who, each.replace(str(group), "G"))] = count_statements(app, client, each)
        client.post("/sign-out")
    return counts


def test_statement_counts_do_not_grow_with_agencies_people_or_attempts(app, client):
    small = build_world(people_a1=2, people_a2=1, people_b=1)
    small_counts = statement_counts(app, client, small)
    # Empty the tables and build a world with three times the people and more agencies.
    from .conftest import _empty_tables

    db.session.remove()
    _empty_tables()
    big = build_world(people_a1=14, people_a2=9, people_b=12, extra_agencies=4)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) > 3 * 6
    big_counts = statement_counts(app, client, big)
    assert small_counts == big_counts
    # And they are few: the yearly report, the most, builds every cube of a year (its
    # impact section six statements of them: quizapp/dashboards/impact.py).
    assert max(big_counts.values()) <= 22, big_counts


# ---------------------------------------------------------------------------------------
# The partnership view shows one check at a time unless asked for all


def test_partnership_view_shows_its_first_check_unless_all_are_asked_for(app, client):
    world = build_world(people_a1=4, people_a2=3, people_b=4)
    second = check_for(
        import_bank_text(
            SMALL_BANK.replace("id: small-bank", "id: another-bank").replace(
                "title: A small check", "title: A first check"
            )
        )
    )
    create_assignment(check=second, all_agencies=True, due_days=30, now=utcnow())
    db.session.commit()
    first_id, second_id = second.id, world.check.id  # "A first check" sorts first

    sign_in(client, world.partnership_lead)
    for url in ("/dashboards/", "/dashboards/learning"):
        context = page_context(app, client, url)
        assert context["filters"].check_id == first_id
        assert context["form"].check.data == str(first_id)
        chosen = page_context(app, client, f"{url}?check={second_id}")
        assert chosen["filters"].check_id == second_id
    everything = page_context(app, client, "/dashboards/?check=all")
    assert everything["filters"].check_id is None
    assert everything["form"].check.data == "all"
    # Learning is one check's findings at a time: "all" is not offered, and means the
    # first check.
    learning = page_context(app, client, "/dashboards/learning?check=all")
    assert learning["filters"].check_id == first_id
    assert "all" not in [value for value, _ in learning["form"].check.choices]
    shown = page_context(app, client, "/dashboards/")["page"].checks
    assert [section.check_id for section in shown] == [first_id]
    shown = page_context(app, client, "/dashboards/?check=all")["page"].checks
    assert {section.check_id for section in shown} == {first_id, second_id}
    # Drill-down links keep the check the learning page shows.
    learning = page_context(app, client, f"/dashboards/learning?check={second_id}")
    assert learning["link_args"]["check"] == second_id
    client.post("/sign-out")

    # An agency's lead has fewer rows: every check by default.
    sign_in(client, world.lead_a)
    context = page_context(app, client, "/dashboards/")
    assert context["filters"].check_id is None
    assert {section.check_id for section in context["page"].checks} == {first_id, second_id}


# ---------------------------------------------------------------------------------------
# The yearly report as a workbook


def test_report_workbook_holds_every_table_with_the_page_figures(world, client, app):
    import openpyxl

    world.agency_b.name = "=HYPERLINK(1)"
    db.session.commit()
    sign_in(client, world.partnership_lead)
    context = page_context(app, client, "/dashboards/report")
    page = context["page"]
    response = client.get("/dashboards/report.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == [
        "About",
        "Completion",
        "Passes",
        "Learning",
        "Learning by finding",
        "Impact",
    ]
    assert "fewer than 5" in book["About"]["A3"].value

    def table(name):
        rows = [[cell.value for cell in row] for row in book[name].iter_rows()]
        return rows[0], rows[1:]

    def shown(value):
        return "" if value is None else str(value)

    (check,) = page.checks
    header, rows = table("Completion")
    assert header[:3] == ["Check", "Agency", "People required"]
    assert [shown(r[2]) for r in rows] == [row.completion.required.part_text for row in check.rows]
    # A name that starts like a formula is kept as text.
    assert [r[1] for r in rows] == [
        "'=HYPERLINK(1)" if row.completion.label.startswith("=") else row.completion.label
        for row in check.rows
    ]
    assert "'=HYPERLINK(1)" in [r[1] for r in rows]
    header, rows = table("Learning")
    assert [shown(r[5]) for r in rows] == [row.learning.marks.percent_text for row in check.rows]
    header, rows = table("Learning by finding")
    assert [r[1] for r in rows] == [label.text for label, _ in check.findings]
    assert [shown(r[3]) for r in rows] == [f.marks.part_text for _, f in check.findings]
    assert len(rows) == 2  # the small bank's two findings
    # Numbers are numbers; a figure hidden on the page is hidden in the workbook.
    _, rows = table("Passes")
    for row, report_row in zip(rows, check.rows, strict=True):
        assert shown(row[2]) == report_row.passed_in_year.part_text
        if not report_row.passed_in_year.hidden:
            assert isinstance(row[2], int)


def test_report_shows_learning_by_finding_for_the_scope(world, client, app):
    app.config["SMALL_NUMBER_THRESHOLD"] = 1
    sign_in(client, world.partnership_lead)
    page = page_context(app, client, "/dashboards/report")["page"]
    (check,) = page.checks
    expected = independent_learning(page.period.start, page.period.end, group_of=lambda u: 0)
    assert [label.key for label, _ in check.findings] == ["sharing", "referral"]
    for label, figures in check.findings:
        people, marks, points, *_ = expected[(0, ("small-bank", label.key))]
        assert figures.people.part == len(people)
        assert figures.marks.text == text_of(marks, points)


def test_report_by_sector_adds_up_each_sectors_agencies(app, client):
    world = build_world(people_a1=4, people_a2=3, people_b=4, extra_agencies=2)
    for other in db.session.scalars(sa.select(Agency).where(Agency.name.like("Other%"))):
        other.sector = "health"  # with Agency A
    db.session.commit()
    app.config["SMALL_NUMBER_THRESHOLD"] = 1
    sign_in(client, world.partnership_lead)
    page = page_context(app, client, "/dashboards/report?rows=sector")["page"]
    (check,) = page.checks
    labels = [row.learning.label for row in check.rows]
    assert labels == ["Health", "Police", "All agencies"]
    by_agency = page_context(app, client, "/dashboards/report")["page"].checks[0].rows
    agency_required = {row.completion.label: row.completion.required.part for row in by_agency}
    health = check.rows[0].completion.required.part
    assert health == sum(
        n for name, n in agency_required.items() if name not in ("Agency B", "All agencies")
    )
    assert check.rows[1].completion.required.part == agency_required["Agency B"]
    assert check.rows[-1].completion.required.part == agency_required["All agencies"]
    # Only the partnership's view has sectors; anything else is not found.
    assert client.get("/dashboards/report?rows=region").status_code == 404
    client.post("/sign-out")
    sign_in(client, world.lead_a)
    assert client.get("/dashboards/report?rows=sector").status_code == 404
    assert client.get("/dashboards/report.csv?rows=sector").status_code == 404
