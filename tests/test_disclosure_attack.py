"""An automated differencing attacker against the dashboards (issue 12).

For a seeded partnership with many small groups, a lead fetches every page and CSV they
can reach under every filter combination. Every figure on a page names the cells it is
drawn from (`Share.cells`); the attacker works out, from the raw rows and independently
of the dashboards' code, which people stand behind each visible cell, and then tries:

- each visible cell alone;
- every difference of two comparable visible cells, one inside the other;
- every total less visible disjoint parts inside it (groups of a total, levels of all
  levels, statuses of people required), and a finding less its visible questions.

No derived group may come from between 1 and threshold - 1 people. It runs for a
partnership-wide lead and an agency's lead, on SQLite and PostgreSQL alike. The first
test is the attack the issue quoted: one person's marks as a 12-month figure less a
6-month one.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from quizapp.dashboards.disclosure import ALL_LEVELS, TOTAL
from quizapp.dashboards.periods import period_choices
from quizapp.dashboards.suppression import Share
from quizapp.extensions import db
from quizapp.models import (
    Agency,
    Attempt,
    Bank,
    BankVersion,
    Completion,
    Finding,
    Question,
    Requirement,
    Response,
    Team,
    User,
    question_findings,
    utcnow,
)
from quizapp.statistics.items import WRONG_FRACTION
from quizapp.workforce.status import Status, status_of

from .test_dashboards import build_world, page_context, sign_in, take

THRESHOLD = 5
LEVELS = ("Level 1", "Level 2", "Level 3")
STATUS_NAMES = {
    Status.COMPLETE: "complete",
    Status.EXPIRING_SOON: "expiring",
    Status.DUE: "due",
    Status.OVERDUE: "overdue",
}


# ---------------------------------------------------------------------------------------
# The partnership attacked


@pytest.fixture
def world(app):
    """Five agencies of very different sizes (three of 3 people, two of them together a
    sector of 6), people spread over levels (some with none) and teams, attempts this
    reporting year and last, and every outcome."""
    world = build_world(people_a1=17, people_a2=6, people_b=13, extra_agencies=3)
    rng = random.Random(12)
    people = list(
        db.session.scalars(
            sa.select(User).where(User.agency_id.is_not(None), User.email.like("%person%"))
        )
    )
    for user in people:
        user.level = rng.choice([*LEVELS, LEVELS[1], None])
    # A small agency in the same sector as agency A: the sector's figures less agency A's
    # would be the small agency's.
    small = db.session.scalar(sa.select(Agency).where(Agency.name == "Other 0"))
    small.sector = world.agency_a.sector
    db.session.commit()
    now = utcnow()
    for user in rng.sample(people, 12):
        days = rng.choice([200, 300, 380, 500])
        take(user, world.check, skill=rng.random(), at=now - timedelta(days=days), rng=rng)
    db.session.commit()
    return world


# ---------------------------------------------------------------------------------------
# The raw rows, read once


class Truth:
    """Who stands behind each cell, from the raw rows in plain Python."""

    def __init__(self, *, agency_id: int | None):
        self.now = utcnow()
        users = {u.id: u for u in db.session.scalars(sa.select(User))}
        self.users = {
            i: u
            for i, u in users.items()
            if u.agency_id is not None and (agency_id is None or u.agency_id == agency_id)
        }
        self.agency_scope = agency_id is not None
        self.sectors = dict(db.session.execute(sa.select(Agency.id, Agency.sector)).all())
        self.levels = {u.level for u in self.users.values() if u.level}
        self.attempts = [
            a
            for a in db.session.scalars(sa.select(Attempt))
            if a.submitted_at is not None and a.user_id in self.users
        ]
        completions = {
            (c.user_id, c.check_id): c for c in db.session.scalars(sa.select(Completion))
        }
        self.statuses: dict[int, dict[int, str]] = defaultdict(dict)
        for requirement in db.session.scalars(sa.select(Requirement)):
            user = self.users.get(requirement.user_id)
            if user is None or user.left_at is not None or not user.active:
                continue
            completion = completions.get((user.id, requirement.check_id))
            status = status_of(
                self.now,
                due_at=requirement.due_at,
                expires_at=completion.expires_at if completion else None,
            )
            self.statuses[requirement.check_id][user.id] = STATUS_NAMES[status]
        findings: dict[int, set[tuple[str, str]]] = defaultdict(set)
        for question_id, finding_id in db.session.execute(sa.select(question_findings)):
            finding = db.session.get(Finding, finding_id)
            bank = db.session.get(Bank, db.session.get(BankVersion, finding.version_id).bank_id)
            findings[question_id].add((bank.key, finding.key))
        attempts = {a.id: a for a in self.attempts}
        #: (attempt, item, wrong, sure) for every scored response of a submitted attempt.
        self.answers: list[tuple[Attempt, tuple, bool, bool]] = []
        for response in db.session.scalars(sa.select(Response)):
            attempt = attempts.get(response.attempt_id)
            question = db.session.get(Question, response.question_id)
            if attempt is None or response.fraction is None or question.points == 0:
                continue
            bank = db.session.get(Bank, db.session.get(BankVersion, question.version_id).bank_id)
            wrong = response.fraction <= WRONG_FRACTION
            sure = wrong and response.certainty == 3
            items = [("whole",), ("question", bank.key, question.key)]
            items += [("finding", *key) for key in findings[question.id]]
            for item in items:
                self.answers.append((attempt, item, wrong, sure))
        self.question_items: dict[tuple, set[tuple]] = defaultdict(set)
        for question_id, keys in findings.items():
            question = db.session.get(Question, question_id)
            for bank_key, finding_key in keys:
                self.question_items[("finding", bank_key, finding_key)].add(
                    ("question", bank_key, question.key)
                )

    def in_group(self, user: User, group, level) -> bool:
        placed = user.team_id if self.agency_scope else user.agency_id
        if isinstance(group, tuple):  # a sector: the partnership's agencies of that sector
            if group != ("sector", self.sectors[user.agency_id]):
                return False
        elif group != TOTAL and placed != group:
            return False
        if level is ALL_LEVELS:
            return True
        if level == "":  # the people in no published level
            return user.level not in self.levels
        return user.level == level

    def people(self, cell: tuple) -> frozenset[int]:
        kind, check_id, period_key, measure, group, level, item = cell
        period = {p.key: p for p in period_choices(self.now)}.get(period_key)

        def placed(ids) -> frozenset[int]:
            return frozenset(i for i in ids if self.in_group(self.users[i], group, level))

        def within(attempt: Attempt) -> bool:
            return (
                attempt.check_id == check_id and period.start <= attempt.submitted_at < period.end
            )

        if kind == "status":
            statuses = self.statuses.get(check_id, {})
            wanted = {
                "required": {"complete", "expiring", "due", "overdue"},
                "held": {"complete", "expiring"},
            }.get(measure, {measure})
            return placed(i for i, s in statuses.items() if s in wanted)
        if kind == "first":
            firsts = [a for a in self.attempts if a.number == 1 and within(a)]
            if measure == "passed":
                firsts = [a for a in firsts if a.passed]
            elif measure == "failed":
                firsts = [a for a in firsts if not a.passed]
            return placed(a.user_id for a in firsts)
        if kind == "passing":
            return placed(a.user_id for a in self.attempts if a.passed and within(a))
        if kind == "trend":
            month = period.months[item]
            return placed(
                a.user_id
                for a in self.attempts
                if a.passed and a.check_id == check_id and month.start <= a.submitted_at < month.end
            )
        assert kind == "learning", kind
        chosen = {
            "marks": lambda wrong, sure: True,
            "wrong": lambda wrong, sure: wrong,
            "sure": lambda wrong, sure: sure,
            "unsure": lambda wrong, sure: wrong and not sure,
        }[measure]
        return placed(
            a.user_id
            for a, answered, wrong, sure in self.answers
            if answered == item and within(a) and chosen(wrong, sure)
        )


# ---------------------------------------------------------------------------------------
# What a lead can see


def shares(value) -> Iterator[Share]:
    """Every figure in a page's context object."""
    if isinstance(value, Share):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            yield from shares(getattr(value, item.name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from shares(item)


def urls(app, client, *, partnership: bool) -> Iterator[str]:
    """Every dashboard address a lead can reach: each page under every combination of the
    filters it offers, every drill-down, every year's report and CSV."""
    for page in ("/dashboards/", "/dashboards/learning"):
        form = page_context(app, client, page)["form"]
        names = [f.name for f in form if f.type == "SelectField"]
        choices = [[value for value, _ in getattr(form, name).choices] for name in names]
        for combination in itertools.product(*choices):
            yield f"{page}?{urlencode(dict(zip(names, combination, strict=True)))}"
    report = page_context(app, client, "/dashboards/report")["form"]
    for year, _ in report.year.choices:
        yield f"/dashboards/report?year={year}"
        if partnership:
            yield f"/dashboards/report?year={year}&rows=sector"


def drill_downs(context: dict) -> Iterator[str]:
    """The learning page's drill-downs: each finding for each row and the total."""
    page, args = context["page"], context["link_args"]
    for bank in page.banks:
        for grid in bank.findings:
            for row in grid.rows:
                query = dict(args)
                if not row.is_total:
                    if row.key is None:
                        continue
                    query["group"] = row.key
                label = grid.label
                yield f"/dashboards/learning/{label.bank_key}/{label.key}?{urlencode(query)}"


def visible_cells(app, client, *, partnership: bool) -> tuple[dict[tuple, str], int]:
    """Every visible cell a lead can reach (with a figure it shows), and the pages read."""
    visible: dict[tuple, str] = {}
    pages = 0

    def read(url: str) -> dict:
        nonlocal pages
        context = page_context(app, client, url)
        pages += 1
        for share in shares(context["page"]):
            assert share.cells, f"a figure on {url} names no cells"
            if not share.hidden:
                for cell in share.cells:
                    visible[cell] = share.text
        return context

    for url in urls(app, client, partnership=partnership):
        context = read(url)
        if url.startswith("/dashboards/learning"):
            for drill_down in drill_downs(context):
                read(drill_down)
        if url.startswith("/dashboards/report"):
            # The CSV holds exactly the page's figures, hidden the same way.
            query = url.split("?", 1)[1]
            body = client.get(f"/dashboards/report.csv?{query}").get_data(as_text=True)
            texts = {value for row in csv.reader(io.StringIO(body)) for value in row}
            for check in context["page"].checks:
                for row in check.rows:
                    for share in (row.first_pass, row.passed_in_year, row.learning.marks):
                        assert share.part_text in texts
    return visible, pages


# ---------------------------------------------------------------------------------------
# The attack


def family(cell: tuple) -> tuple:
    """Cells whose figures can be subtracted from each other: the same kind, check and
    period (for marks, the same measure too: marks less wrong answers mean nothing)."""
    kind, check_id, period, measure = cell[:4]
    return (kind, check_id, period, measure if kind == "learning" else "")


def attack(visible: dict[tuple, str], truth: Truth) -> list[str]:
    """Every derived group of 1 to threshold - 1 people the attacker finds. An agency's
    lead sees their own people's completion by name (the overdue list), so their status
    counts are no secret from them: the attack is on everything else."""
    people = {
        cell: truth.people(cell)
        for cell in visible
        if not (truth.agency_scope and cell[0] == "status")
    }
    found = []
    for cell, who in people.items():
        if 0 < len(who) < THRESHOLD:
            found.append(f"{cell} alone: {len(who)} people ({visible[cell]})")
    families: dict[tuple, list[tuple]] = defaultdict(list)
    for cell in people:
        families[family(cell)].append(cell)
    for cells in families.values():
        for big in cells:
            inside = [c for c in cells if c != big and people[c] < people[big]]
            for small in inside:
                rest = people[big] - people[small]
                if 0 < len(rest) < THRESHOLD:
                    found.append(f"{big} less {small}: {len(rest)} people")
            # A total less disjoint parts inside it: greedily, largest parts first and
            # smallest first.
            for order in (True, False):
                union: set[int] = set()
                for part in sorted(inside, key=lambda c: len(people[c]), reverse=order):
                    if people[part] and not people[part] & union:
                        union |= people[part]
                        rest = people[big] - union
                        if 0 < len(rest) < THRESHOLD:
                            found.append(f"{big} less parts to {part}: {len(rest)} people")
    # A finding's marks less its visible questions' leaves the others' marks.
    for cell in people:
        kind, check_id, period, measure, group, level, item = cell
        if kind != "learning" or item[0] != "finding":
            continue
        questions = truth.question_items[item]
        unseen = [q for q in questions if (*cell[:6], q) not in visible]
        if unseen and len(unseen) < len(questions):
            behind: set[int] = set()
            for q in unseen:
                behind |= truth.people((kind, check_id, period, measure, group, level, q))
            if 0 < len(behind) < THRESHOLD:
                found.append(f"{cell} less its visible questions: {len(behind)} people")
    return found


@pytest.mark.parametrize("who", ["partnership_lead", "lead_a"])
def test_no_figure_or_difference_of_figures_reveals_fewer_people_than_the_threshold(
    world, app, client, who
):
    app.config["SMALL_NUMBER_THRESHOLD"] = THRESHOLD
    lead = getattr(world, who)
    sign_in(client, lead)
    partnership = who == "partnership_lead"
    visible, pages = visible_cells(app, client, partnership=partnership)
    truth = Truth(agency_id=None if partnership else lead.agency_id)
    # The attacker read a lot, and much of it is shown.
    assert pages > 100
    assert len(visible) > 50
    kinds = {cell[0] for cell in visible}
    assert kinds >= {"status", "first", "learning", "passing"}, kinds
    if partnership:
        assert any(isinstance(cell[4], tuple) for cell in visible), "no sector figures"
    assert attack(visible, truth) == []
    if not partnership:
        # An agency's lead sees every completion count of their own people, small ones too.
        small = [
            cell
            for cell in visible
            if cell[0] == "status" and 0 < len(truth.people(cell)) < THRESHOLD
        ]
        assert small


def test_the_attacker_finds_what_per_table_suppression_lets_through(world, app):
    """The attack is able to fail: fed the cells each table would show if suppressed on
    its own, it finds the groups the issue describes."""
    truth = Truth(agency_id=None)
    check_id = world.check.id
    year = period_choices(truth.now)[0].key
    # Level 2 of agency A, and level 2 of agency A's people who are in team A1: each
    # table alone may show both, and the difference is a handful of people.
    cells = {}
    for group in (world.agency_a.id, world.agency_b.id, TOTAL):
        for level in (ALL_LEVELS, *LEVELS):
            cell = ("status", check_id, None, "required", group, level, "")
            if len(truth.people(cell)) >= THRESHOLD:
                cells[cell] = "shown"
    for measure in ("attempted", "passed"):
        for group in (world.agency_a.id, world.agency_b.id, TOTAL):
            cell = ("first", check_id, year, measure, group, ALL_LEVELS, "")
            if len(truth.people(cell)) >= THRESHOLD:
                cells[cell] = "shown"
    assert attack(cells, truth)


# ---------------------------------------------------------------------------------------
# The attack the issue quoted


def test_twelve_months_less_six_months_no_longer_gives_one_persons_marks(world, app, client):
    """Level 2 with period "12 months" (6 people) less "6 months" (5 people) was one
    person's marks on every finding. Rolling periods nest, so they are no longer offered:
    only reporting years, which never overlap."""
    app.config["SMALL_NUMBER_THRESHOLD"] = THRESHOLD
    sign_in(client, world.partnership_lead)
    for period in ("12m", "6m", "3m"):
        response = client.get(f"/dashboards/learning?level=Level%202&period={period}")
        assert response.status_code == 404
        response = client.get(f"/dashboards/?level=Level%202&period={period}")
        assert response.status_code == 404
    offered = page_context(app, client, "/dashboards/learning")["form"].period.choices
    periods = {p.key: p for p in period_choices(utcnow())}
    spans = [(periods[key].start, periods[key].end) for key, _ in offered]
    for (a_start, a_end), (b_start, b_end) in itertools.combinations(spans, 2):
        assert a_end <= b_start or b_end <= a_start, "two offered periods overlap"


def test_agency_names_in_the_seeded_world_are_distinct(world):
    # The attacker keys groups by id; the world it attacks has the groups it expects.
    names = list(db.session.scalars(sa.select(Agency.name)))
    assert len(names) == len(set(names)) == 5
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Team)) == 3
