"""A check with a branching scenario and attempts at it, written as stored rows (attempts,
ScenarioChoice events, the scenario's Response), for the dashboard and statistics tests."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from quizapp.extensions import db
from quizapp.models import (
    Agency,
    Attempt,
    BankVersion,
    Check,
    Question,
    Response,
    Role,
    Team,
    User,
    utcnow,
)
from quizapp.models.scenario import ScenarioChoice

from .factories import SMALL_BANK, check_for, import_bank_text

#: A scenario as a bank file gives it (format.md), added to the small test bank.
SCENARIO_YAML = """\
id: conference
stage: first
type: scenario
findings: [sharing]
points: 8
prompt: You are the health visitor at the conference.
feedback: Speak up when the plan leaves the baby at risk.
start: before
nodes:
  - id: before
    kind: story
    title: Before the conference
    text: The family has missed visits.
    next: chair-proposes
  - id: chair-proposes
    kind: decision
    text: The chair proposes to close the case. What do you do?
    alternatives:
      - id: say-nothing
        text: Say nothing and go along with the plan
        next: plan-agreed
        feedback: The plan goes ahead.
        points: 0
      - id: raise-concern
        text: Raise the missed visits
        next: chair-asks
        feedback: The chair asks for more.
        points: 5
      - id: ask-time
        text: Ask for time to check with the GP
        next: chair-asks
        feedback: The chair agrees to a short delay.
        points: 3
  - id: chair-asks
    kind: decision
    text: The chair asks what you propose.
    alternatives:
      - id: keep-open
        text: Keep the case open with a named worker
        next: baby-protected
        feedback: Agreed.
        points: 3
      - id: refer-back
        text: Go back to the first question
        next: chair-proposes
        feedback: Round again.
        points: 0
  - id: plan-agreed
    kind: ending
    title: The risk is missed
    text: The case is closed.
    outcome: risk-missed
  - id: baby-protected
    kind: ending
    title: The baby is protected
    text: The case stays open.
    outcome: protected
"""

FIRST, SECOND = "chair-proposes", "chair-asks"


@dataclass
class World:
    check: Check
    version: BankVersion
    scenario: Question
    agency_a: Agency
    agency_b: Agency
    team_a1: Team
    team_a2: Team
    team_b: Team
    lead_a: User
    partnership_lead: User
    people: list[User] = field(default_factory=list)


def scenario_bank() -> str:
    """The small test bank with the scenario as its last question."""
    lines = SCENARIO_YAML.splitlines()
    item = "\n".join(["  - " + lines[0], *("    " + line for line in lines[1:])])
    return SMALL_BANK.replace("signposting:", item + "\nsignposting:", 1)


def _user(name: str, agency: Agency | None, team: Team | None, roles=(Role.PRACTITIONER,)):
    user = User(
        email=f"{name.lower().replace(' ', '.')}@example.org",
        name=name,
        agency=agency,
        team=team,
        job_role="Health visitor",
        level="Level 3",
        email_confirmed_at=utcnow(),
    )
    user.set_password("correct horse battery staple")
    for role in roles:
        user.grant(role)
    db.session.add(user)
    return user


def attempt_at(
    world: World,
    user: User,
    *,
    number: int,
    at: datetime | None,
    choices: list[tuple[str, str, bool]],
    ending: str | None,
    rest: float = 5.0,
) -> Attempt:
    """A (submitted when `at`) attempt whose scenario path is `choices`, (decision,
    alternative, withdrawn), in order; `rest` is the marks on the other questions."""
    points = {
        (node["id"], alt["id"]): alt["points"]
        for node in world.scenario.spec["nodes"]
        if node["kind"] == "decision"
        for alt in node["alternatives"]
    }
    taken = 0
    seen: set[str] = set()
    for node, alternative, withdrawn in choices:
        if not withdrawn and node not in seen:
            seen.add(node)
            taken += points[(node, alternative)]
    fraction = taken / 8
    mark = 8 * fraction
    attempt = Attempt(
        user=user,
        check=world.check,
        bank_version=world.version,
        number=number,
        seed=number,
        pass_mark=80,
        certainty=False,
        started_at=(at or utcnow()) - timedelta(minutes=20),
    )
    db.session.add(attempt)
    db.session.flush()
    for sequence, (node, alternative, withdrawn) in enumerate(choices, start=1):
        chosen = (at or utcnow()) - timedelta(minutes=10 - sequence)
        db.session.add(
            ScenarioChoice(
                attempt_id=attempt.id,
                question_id=world.scenario.id,
                sequence=sequence,
                node_key=node,
                alternative_key=alternative,
                points=points[(node, alternative)],
                certainty=None,
                chosen_at=chosen,
                withdrawn_at=chosen + timedelta(seconds=30) if withdrawn else None,
            )
        )
    if ending is not None:
        path = [[n, a] for n, a, withdrawn in choices if not withdrawn]
        db.session.add(
            Response(
                attempt_id=attempt.id,
                question_id=world.scenario.id,
                answer={"path": path, "ending": ending},
                certainty=None,
                fraction=fraction,
                mark=mark,
            )
        )
    db.session.flush()
    if at is not None:  # submitted once its rows are written, as the app does
        attempt.submitted_at = at
        attempt.score = rest + mark
        attempt.max_score = 20.0
        attempt.percent = 100 * (rest + mark) / 20
        attempt.passed = rest + mark >= 16
        db.session.flush()
    return attempt


def random_path(rng: random.Random) -> tuple[list[tuple[str, str, bool]], str]:
    """A path through the scenario, sometimes with a withdrawn choice or a loop back."""
    choices: list[tuple[str, str, bool]] = []
    if rng.random() < 0.2:  # went back on a first choice
        choices.append((FIRST, rng.choice(["say-nothing", "ask-time"]), True))
    first = rng.choices(["say-nothing", "raise-concern", "ask-time"], weights=[2, 5, 3])[0]
    choices.append((FIRST, first, False))
    if first == "say-nothing":
        return choices, "plan-agreed"
    if rng.random() < 0.2:  # round the loop once: the second choice at FIRST not counted
        choices.append((SECOND, "refer-back", False))
        choices.append((FIRST, rng.choice(["raise-concern", "say-nothing"]), False))
        if choices[-1][1] == "say-nothing":
            return choices, "plan-agreed"
    choices.append((SECOND, "keep-open", False))
    return choices, "baby-protected"


def build(*, a1: int = 12, a2: int = 3, b: int = 8, seed: int = 7) -> World:
    """Agency A (team A1 of `a1` people, team A2 of `a2`), agency B (team B of `b`), an
    agency lead of A and a partnership lead; every person attempts the scenario in this
    reporting year, some twice, plus attempts that must not count (last year's, one not
    submitted)."""
    rng = random.Random(seed)
    now = utcnow()
    agency_a = Agency(name="Agency A", sector="health")
    agency_b = Agency(name="Agency B", sector="police")
    db.session.add_all([agency_a, agency_b])
    team_a1, team_a2 = Team(agency=agency_a, name="Team A1"), Team(agency=agency_a, name="Team A2")
    team_b = Team(agency=agency_b, name="Team B")
    db.session.add_all([team_a1, team_a2, team_b])
    db.session.commit()
    outcome = import_bank_text(scenario_bank())
    check = check_for(outcome)
    version = db.session.scalars(
        sa.select(BankVersion).where(BankVersion.bank_id == check.bank_id)
    ).one()
    scenario = db.session.scalars(
        sa.select(Question).where(Question.version_id == version.id, Question.type == "scenario")
    ).one()
    lead_a = _user("Lead A", agency_a, None, (Role.LEAD,))
    partnership_lead = _user("Partnership Lead", None, None, (Role.LEAD,))
    world = World(
        check,
        version,
        scenario,
        agency_a,
        agency_b,
        team_a1,
        team_a2,
        team_b,
        lead_a,
        partnership_lead,
    )
    for team, count in ((team_a1, a1), (team_a2, a2), (team_b, b)):
        for index in range(count):
            world.people.append(_user(f"{team.name} person {index}", team.agency, team))
    db.session.commit()
    # Within this reporting year whatever the date: an hour ago, and a few minutes before.
    recent = now - timedelta(hours=1)
    last_year = now - timedelta(days=400)
    for index, person in enumerate(world.people):
        number = 1
        if index % 4 == 0:  # last year's attempt: outside the period
            choices, ending = random_path(rng)
            attempt_at(world, person, number=number, at=last_year, choices=choices, ending=ending)
            number += 1
        if index % 3 == 0:  # an earlier attempt this year: only the latest counts
            choices, ending = random_path(rng)
            at = recent - timedelta(minutes=30)
            attempt_at(world, person, number=number, at=at, choices=choices, ending=ending)
            number += 1
        choices, ending = random_path(rng)
        if index % 7 == 5:  # submitted before the path reached an ending
            choices, ending = [(FIRST, "raise-concern", False)], None
        attempt_at(
            world,
            person,
            number=number,
            at=recent,
            choices=choices,
            ending=ending,
            rest=rng.choice([4.0, 6.0, 8.0, 10.0, 12.0]),
        )
        number += 1
        if index % 5 == 0:  # an attempt in progress: not submitted, not counted
            choices, _ = random_path(rng)
            attempt_at(world, person, number=number, at=None, choices=choices, ending=None)
    db.session.commit()
    return world
