"""The demo partnership: agencies, people, sign-ins and the shipped question banks.

About 1,000 people: the named ones here (sign-ins, and the first.last.N@demo.test people
the browser tests sign in as), made as the app makes them, and a crowd of colleagues
written in bulk (quizapp/demo_crowd.py), with impact data (quizapp/demo_impact.py).

Safe to run again: everything is found by its natural key before it is created. Demo
accounts are made only when the app runs in demo mode.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext

from . import PROJECT_ROOT
from .demo_crowd import CROWD_PEOPLE
from .extensions import db
from .models import Agency, Assignment, Bank, Check, Question, Role, User, utcnow
from .models.user import new_session_token

DEMO_PASSWORD = "demo-password-2026"
BANKS_DIR = PROJECT_ROOT / "question_banks"
#: The bank the demo's assignments and synthetic attempts are built on. Named, not taken
#: as the first bank imported, because other shipped banks (such as the HS conference
#: scenario) sort before it and would quietly become the demo's check.
DEMO_BANK = "hs-baby-2016"

#: name, sector, statutory partner
AGENCIES = [
    ("Children's Social Care", "local-authority", True),
    ("Police", "police", True),
    ("Integrated Care Board", "health", True),
    ("NHS Hospital Trust", "health", False),
    ("GP practices", "health", False),
    ("Oak Lane Primary School", "education", False),
    ("Hill Top Academy", "education", False),
    ("Probation Service", "probation", False),
    ("Housing Service", "housing", False),
    ("Family Support Network", "voluntary", False),
]

#: email, name, agency, job role, level, roles
SIGN_INS = [
    ("practitioner@demo.test", "Priya Patel", "NHS Hospital Trust", "Health visitor", "Level 3",
     (Role.PRACTITIONER,)),
    ("author@demo.test", "Alex Morgan", "Children's Social Care", "Training officer", "Level 3",
     (Role.AUTHOR, Role.PRACTITIONER)),
    ("lead@demo.test", "Lesley Grant", None, "Partnership business manager", None,
     (Role.LEAD,)),
    ("police-lead@demo.test", "Sam Okafor", "Police", "Detective inspector", "Tier 2",
     (Role.LEAD, Role.PRACTITIONER)),
    ("admin@demo.test", "Ade Adeyemi", None, "System administrator", None, (Role.ADMIN,)),
]  # fmt: skip

_FIRST = [
    "Amy",
    "Ben",
    "Chloe",
    "Dev",
    "Ella",
    "Femi",
    "Grace",
    "Hassan",
    "Isla",
    "Jack",
    "Kiran",
    "Leah",
    "Mo",
    "Nina",
    "Owen",
    "Pia",
    "Rhys",
    "Sara",
    "Tom",
    "Uma",
]
_LAST = [
    "Ahmed",
    "Brown",
    "Clarke",
    "Davies",
    "Evans",
    "Fisher",
    "Green",
    "Hughes",
    "Islam",
    "Jones",
    "Khan",
    "Lewis",
    "Murphy",
    "Nowak",
    "Owen",
    "Price",
    "Reid",
    "Singh",
]
#: sector -> (job role, level) pairs, taken in turn
_ROLES = {
    "local-authority": [("Social worker", "Level 3"), ("Team manager", "Level 4")],
    "police": [("Police constable", "Tier 1"), ("Detective constable", "Tier 2")],
    "health": [("Paediatric nurse", "Level 3"), ("GP", "Level 3"), ("Midwife", "Level 3"),
               ("Receptionist", "Level 1")],
    "education": [("Class teacher", "School staff"), ("Designated safeguarding lead", "DSL")],
    "probation": [("Probation officer", "Level 2")],
    "housing": [("Housing officer", "Level 2")],
    "voluntary": [("Family support worker", "Level 2")],
}  # fmt: skip
PEOPLE_PER_AGENCY = 4


def prepare_demo(
    app: Flask, out: Callable[[str], None] = print, *, crowd: int = CROWD_PEOPLE
) -> None:
    """Upgrade the database to head, import the banks, and load the demo partnership:
    the named people and sign-ins, and a crowd of `crowd` more (tests that need no
    figures ask for a small one)."""
    from flask_migrate import upgrade

    if not app.config.get("DEMO_MODE"):
        raise click.ClickException("Demo data is only loaded in demo mode (QUIZAPP_ENV=demo).")
    upgrade()
    import_shipped_banks(out)
    load_demo_people()
    db.session.commit()
    if load_demo_activity(now=utcnow(), crowd=crowd):
        db.session.commit()
        people = db.session.scalar(sa.select(sa.func.count()).select_from(User))
        out(f"Assigned the checks; a year of activity in a partnership of {people} people.")
    load_demo_account_states(now=utcnow())
    db.session.commit()
    out(f"Demo database: {app.config['SQLALCHEMY_DATABASE_URI']}")
    out(f"Sign in with any of these (password: {DEMO_PASSWORD}):")
    for email, name, agency, job_role, _level, roles in SIGN_INS:
        where = agency or "whole partnership"
        out(f"  {email:<24} {name}, {job_role} ({where}); {', '.join(roles)}")


def import_shipped_banks(out: Callable[[str], None]) -> None:
    from .audit import record
    from .banks import content_hash, load_bank_paths
    from .banks.importer import import_bank

    for path, result in load_bank_paths([BANKS_DIR]):
        if result.errors:
            raise click.ClickException(
                "Bank file has errors:\n" + "\n".join(map(str, result.errors))
            )
        digest = content_hash(result.bank)
        outcome = import_bank(result.bank.to_data(), digest, now=utcnow())
        if outcome.status != "unchanged":
            details = {
                "version": outcome.version.number,
                "status": outcome.status,
                "file": str(path),
                "content_hash": digest,
                "via": "demo",
            }
            record("bank.import", f"bank:{outcome.bank.key}", user=None, details=details)
        out(f"Bank {outcome.bank.key}: {outcome.status} (version {outcome.version.number})")


def _agency(name: str, sector: str, statutory: bool) -> Agency:
    agency = db.session.scalar(sa.select(Agency).where(Agency.name == name))
    if agency is None:
        agency = Agency(name=name, sector=sector, statutory_partner=statutory)
        db.session.add(agency)
    return agency


def _person(email: str, name: str, agency: Agency | None, job_role: str, level: str | None) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        user = User(
            email=email,
            name=name,
            agency=agency,
            job_role=job_role,
            level=level,
            email_confirmed_at=utcnow(),
        )
        user.password_hash = _demo_password_hash()
        user.session_token = new_session_token()
        db.session.add(user)
    return user


@cache
def _demo_password_hash() -> str:
    """DEMO_PASSWORD hashed once: every demo account shares the published password, and
    hashing it again for each (scrypt, deliberately slow) took most of the demo's time."""
    user = User()
    user.set_password(DEMO_PASSWORD)
    assert user.password_hash is not None
    return user.password_hash


def load_demo_people() -> None:
    if not current_app.config.get("DEMO_MODE"):
        raise RuntimeError("demo accounts exist only in demo mode")
    agencies = {name: _agency(name, sector, statutory) for name, sector, statutory in AGENCIES}
    db.session.flush()
    for email, name, agency_name, job_role, level, roles in SIGN_INS:
        user = _person(email, name, agencies.get(agency_name or ""), job_role, level)
        for role in roles:
            user.grant(role)
    number = 0
    for agency_name, sector, _ in AGENCIES:
        for index in range(PEOPLE_PER_AGENCY):
            first = _FIRST[number % len(_FIRST)]
            last = _LAST[(number * 7) % len(_LAST)]
            job_role, level = _ROLES[sector][index % len(_ROLES[sector])]
            email = f"{first}.{last}.{number}@demo.test".lower()
            user = _person(email, f"{first} {last}", agencies[agency_name], job_role, level)
            user.grant(Role.PRACTITIONER)
            number += 1
    db.session.flush()


#: Agencies whose people must take the HS check, and how it falls due.
REQUIRED_SECTORS = ("local-authority", "police", "health")


def demo_check() -> Check | None:
    """The first check made from the demo's bank (DEMO_BANK), if it has been imported."""
    return db.session.scalars(
        sa.select(Check)
        .join(Bank, Check.bank_id == Bank.id)
        .where(Bank.key == DEMO_BANK)
        .order_by(Check.id)
    ).first()


def load_demo_activity(*, now: datetime, crowd: int = CROWD_PEOPLE) -> bool:
    """Assignments and a year of synthetic attempts, so every status and figure shows:
    the named people's attempts made as the app makes them, then the crowd's in bulk
    (quizapp/demo_crowd.py), the demo practitioner's pass with its follow-up due, and
    the confidence ratings, reactions and follow-ups (quizapp/demo_impact.py).

    Runs once: a database that already has assignments is left as it is.
    """
    from .demo_crowd import load_crowd
    from .demo_impact import load_impact
    from .statistics import attempt_marks
    from .workforce import tally
    from .workforce.operations import create_assignment

    if db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)):
        return False
    check = demo_check()
    if check is None:
        return False
    agencies = db.session.scalars(
        sa.select(Agency).where(Agency.sector.in_(REQUIRED_SECTORS))
    ).all()
    # Assigned four months ago, due 60 days after: those who never passed are overdue.
    create_assignment(
        check=check,
        all_agencies=False,
        agencies=agencies,
        due_days=60,
        now=now - timedelta(days=120),
    )
    # Schools: the designated safeguarding leads, by a date still to come.
    create_assignment(
        check=check,
        all_agencies=False,
        agencies=db.session.scalars(sa.select(Agency).where(Agency.sector == "education")).all(),
        levels=["DSL"],
        due_date=(now + timedelta(days=45)).date(),
        refresh_months=24,
        now=now - timedelta(days=10),
    )
    # And all their staff, earlier: schools big enough to show their figures. Oak Lane's
    # few DSLs are a group too small to show, hidden when a lead filters by that level;
    # Hill Top's levels are the cells that protect them.
    create_assignment(
        check=check,
        all_agencies=False,
        agencies=db.session.scalars(sa.select(Agency).where(Agency.sector == "education")).all(),
        levels=["School staff"],
        due_days=60,
        now=now - timedelta(days=120),
    )
    rng = random.Random(2026)
    people = db.session.scalars(
        sa.select(User).where(User.email.like("%.%@demo.test")).order_by(User.id)
    ).all()
    # When each person last passed, in days ago: recent (complete), nearly three years
    # ago (expiring soon), over three years ago (expired: overdue again), or never.
    plans = [20, 200, 1080, 1110, None, 60, None, 400, 1070, 15]
    for index, person in enumerate(people):
        days_ago = plans[index % len(plans)]
        skill = 0.55 + 0.4 * rng.random()
        if days_ago is None:
            if index % 3 == 0:  # tried and not passed yet
                _synthetic_attempt(person, check, rng, skill=0.4, at=now - timedelta(days=30))
            continue
        if index % 4 == 0:  # failed once before passing
            _synthetic_attempt(person, check, rng, skill=0.4, at=now - timedelta(days=days_ago + 7))
        _synthetic_attempt(
            person, check, rng, skill=max(skill, 0.9), at=now - timedelta(days=days_ago)
        )
    db.session.flush()
    load_dashboard_activity(check, now=now)
    load_retired_pilot(check, now=now)
    load_scenario_activity(now=now)
    practitioner = load_practitioner_pass(check, now=now)
    load_crowd(check, people=crowd, now=now)
    load_impact(check, now=now, no_follow_up={practitioner.id} if practitioner else set())
    # The crowd's attempts went in without the ORM: their marks rows, then every summary.
    attempt_marks.record(db.session, None)
    tally.rebuild(db.session, now=now)
    return True


#: The demo practitioner passed this long ago: past the check's follow-up weeks (8), so
#: their follow-up is due on "Your checks".
PRACTITIONER_PASSED_DAYS = 63
#: The finding they were very sure and wrong about, so it is weak and followed up.
PRACTITIONER_WEAK_FINDING = "poor-information-sharing"


def load_practitioner_pass(check: Check, *, now: datetime) -> User | None:
    """practitioner@demo.test's pass, nine weeks ago: every answer right and very sure
    but one, on information sharing, wrong and very sure. The pass brings a completion
    and a certificate; no follow-up row is written, so the follow-up is due."""
    from .models import question_findings
    from .models.bank import Finding
    from .questions import get_type
    from .take import operations

    person = db.session.scalar(sa.select(User).where(User.email == SIGN_INS[0][0]))
    if person is None:
        return None
    at = now - timedelta(days=PRACTITIONER_PASSED_DAYS)
    attempt = operations.start_attempt(person, check, now=at - timedelta(minutes=18))
    on_weak = set(
        db.session.scalars(
            sa.select(question_findings.c.question_id)
            .join(Finding, Finding.id == question_findings.c.finding_id)
            .where(Finding.key == PRACTITIONER_WEAK_FINDING)
        )
    )
    rng = random.Random(9)
    missed = False
    for question in operations.questions_of(attempt):
        if not get_type(question.type).scored:
            operations.save_answer(attempt, question, "", None, now=at)
            continue
        right = missed or question.id not in on_weak
        missed = missed or not right
        operations.save_answer(attempt, question, _answer(question, right, rng), 3, now=at)
    operations.submit_attempt(attempt, now=at)
    assert attempt.passed, "the demo practitioner's pass must pass"
    return person


#: The branching scenario built on the HS review (question_banks/).
SCENARIO_BANK = "hs-baby-2016-conference"


def load_scenario_activity(*, now: datetime) -> None:
    """Most named demo people take the conference scenario once, so leads see which way
    each agency's people go at each decision (agencies of four stay hidden, as they
    should). The crowd does not: a scenario's path is not written in bulk."""
    check = db.session.scalar(
        sa.select(Check).join(Check.bank).where(Bank.key == SCENARIO_BANK).order_by(Check.id)
    )
    if check is None:
        return
    rng = random.Random(16)
    people = db.session.scalars(
        sa.select(User)
        .where(User.email.like("%@demo.test"), User.agency_id.is_not(None))
        .order_by(User.id)
    ).all()
    for index, person in enumerate(people):
        if index % 5 == 4:
            continue  # some have not taken it yet
        days_ago = 5 + (index * 11) % 80
        _synthetic_attempt(
            person, check, rng, skill=0.35 + 0.6 * rng.random(), at=now - timedelta(days=days_ago)
        )
    db.session.flush()


def _synthetic_attempt(
    person: User, check: Check, rng: random.Random, *, skill: float, at: datetime
) -> None:
    """An attempt answered the way a person of this skill might: mostly right, some wrong,
    with certainty that is sometimes misplaced."""
    from .questions import get_type
    from .take import operations
    from .take.scenario import record_path

    attempt = operations.start_attempt(person, check, now=at)
    for question in operations.questions_of(attempt):
        if question.type == "scenario":
            record_path(attempt, question, _walk(question.spec, rng, skill), now=at)
            continue
        right = rng.random() < skill
        qtype = get_type(question.type)
        certainty = rng.choice((2, 3, 3)) if right else rng.choice((1, 2, 3))
        operations.save_answer(
            attempt,
            question,
            _answer(question, right, rng) if qtype.scored else "",
            certainty if qtype.scored else None,
            now=at,
        )
    # 12 to 26 minutes, varied without drawing on `rng` (which shapes everything after it),
    # so the check's overview has a spread of times to take the median of.
    minutes = 12 + (person.id * 7 + attempt.number) % 15
    operations.submit_attempt(attempt, now=at + timedelta(minutes=minutes))


def _walk(spec: dict[str, Any], rng: random.Random, skill: float) -> list[tuple[str, str, int]]:
    """A path through a scenario: at each decision, the best-scoring alternative offered
    with chance `skill`, otherwise any alternative offered."""
    from .questions import scenario as graph

    path: list[tuple[str, str, int]] = []
    for _ in range(100):
        reached = graph.position(spec, [(d, a) for d, a, _c in path])
        if reached.ended:
            return path
        offered = list(reached.alternatives)
        best = max(offered, key=lambda alternative: alternative["points"])
        chosen = best if rng.random() < skill else rng.choice(offered)
        certainty = rng.choice((2, 3)) if chosen is best else rng.choice((1, 2, 3))
        path.append((reached.node["id"], chosen["id"], certainty))
    raise ValueError("no ending within 100 decisions")


def _answer(question: Question, right: bool, rng: random.Random) -> Any:
    spec = question.spec
    if question.type == "single":
        options = [i for i, o in enumerate(spec["options"]) if o["correct"] == right]
        return rng.choice(options)
    if question.type == "multiple":
        correct = [i for i, o in enumerate(spec["options"]) if o["correct"]]
        if right:
            return correct
        wrong = [i for i, o in enumerate(spec["options"]) if not o["correct"]]
        return sorted({rng.choice(wrong), *correct[:1]}) if wrong else correct[:1]
    if question.type == "true_false":
        return spec["answer"] if right else not spec["answer"]
    order = list(range(len(spec["items"])))
    if not right:
        order.reverse()
    return order


@click.command("demo")
@with_appcontext
def demo_cli() -> None:
    """Load the demo partnership into the configured database (demo mode only)."""
    prepare_demo(current_app._get_current_object(), out=click.echo)  # type: ignore[attr-defined]


#: Teams of the demo police, for the police lead's dashboards.
POLICE_TEAMS = ("Child abuse investigation team", "Public protection unit")
#: Officers added for the dashboards, in turn: days since their pass (None: not passed),
#: whether they failed a first attempt, and days since that (or their only) failure.
DASHBOARD_OFFICERS = [(12, False, None), (45, True, 52), (80, False, None), (None, True, 20),
                      (None, False, None)]  # fmt: skip


def load_dashboard_activity(check: Check, *, now: datetime) -> None:
    """Five more police officers, the police split into two teams, and recent attempts.

    Four people per agency is under the dashboards' small-number threshold (5), so every
    agency's figures would be hidden. With ten people the police's own figures show,
    while the teams, and agencies of four, show hidden cells beside them.
    """
    from .models import Team
    from .workforce.requirements import update_requirements

    police = db.session.scalar(sa.select(Agency).where(Agency.name == "Police"))
    if police is None:
        return
    teams = [Team(agency=police, name=name) for name in POLICE_TEAMS]
    db.session.add_all(teams)
    number = PEOPLE_PER_AGENCY * len(AGENCIES)
    added = []
    for index in range(len(DASHBOARD_OFFICERS)):
        first, last = _FIRST[number % len(_FIRST)], _LAST[(number * 7) % len(_LAST)]
        job_role, level = _ROLES["police"][index % len(_ROLES["police"])]
        email = f"{first}.{last}.{number}@demo.test".lower()
        user = _person(email, f"{first} {last}", police, job_role, level)
        user.grant(Role.PRACTITIONER)
        added.append(user)
        number += 1
    db.session.flush()
    # Joined three months ago, due 60 days later: those who never passed are overdue.
    update_requirements(added, now=now - timedelta(days=90))
    officers = db.session.scalars(
        sa.select(User)
        .where(User.agency_id == police.id, User.email.like("%.%@demo.test"))
        .order_by(User.id)
    ).all()
    for index, officer in enumerate(officers):
        officer.team = teams[0] if index < 6 else teams[1] if index < 8 else None
    rng = random.Random(2027)
    for officer, (passed_days, failed_first, failed_days) in zip(
        added, DASHBOARD_OFFICERS, strict=True
    ):
        if failed_first:
            _synthetic_attempt(
                officer, check, rng, skill=0.4, at=now - timedelta(days=failed_days or 0)
            )
        if passed_days is not None:
            _synthetic_attempt(officer, check, rng, skill=1.0, at=now - timedelta(days=passed_days))
    db.session.flush()


#: The pilot the demo partnership ran before the HS check: ended, then retired.
PILOT_TITLE = "Baby HS: pilot for designated safeguarding leads"


def load_retired_pilot(check: Check, *, now: datetime) -> None:
    """A retired check (a pilot of the HS check) with its ended assignment, and the
    partnership's advice line. The demo's assignments count as announced already: no
    assignment emails wait to be sent."""
    from .models import AssignmentEmail
    from .settings import current_settings, save_advice_line
    from .workforce.operations import create_assignment, end_assignment, retire_check

    pilot = Check(
        title=PILOT_TITLE,
        bank_id=check.bank_id,
        pass_mark=check.pass_mark,
        refresh_months=24,
        created_at=now - timedelta(days=400),
    )
    db.session.add(pilot)
    db.session.flush()
    assignment = create_assignment(
        check=pilot,
        all_agencies=False,
        agencies=db.session.scalars(sa.select(Agency).where(Agency.sector == "education")).all(),
        levels=["DSL"],
        due_date=(now - timedelta(days=330)).date(),
        now=now - timedelta(days=400),
        notify=False,
    )
    end_assignment(assignment, now=now - timedelta(days=210))
    retire_check(pilot, now=now - timedelta(days=200))
    db.session.execute(
        sa.update(AssignmentEmail).where(AssignmentEmail.sent_at.is_(None)).values(sent_at=now)
    )
    if current_settings() is None:
        save_advice_line(
            name="Demo Children's Advice and Support Hub",
            phone="0121 496 0123",  # a number Ofcom keeps for drama: it reaches nobody
            email="advice@demo-partnership.example",
            details="Monday to Friday, 9am to 5pm.\n"
            "Out of hours, call the Emergency Duty Team on 0121 496 0456.\n"
            "If a child is in immediate danger, call 999.",
            by=None,
            now=now,
        )


#: People of the housing service in each account state, and invitations waiting, for the
#: people pages: (email, name, job role, state). Housing has no required check, so they
#: change no dashboard figure.
ACCOUNT_STATES_AGENCY = "Housing Service"
ACCOUNT_STATE_PEOPLE = [
    ("nadia.hussain@demo.test", "Nadia Hussain", "Housing officer", "never signed in"),
    ("omar.farouk@demo.test", "Omar Farouk", "Tenancy officer", "never signed in"),
    ("una.price@demo.test", "Una Price", "Housing officer", "invitation expired"),
    ("rosa.bianchi@demo.test", "Rosa Bianchi", "Housing manager", "invited as lead"),
    ("wendy.clarke@demo.test", "Wendy Clarke", "Housing officer", "left"),
]
#: Invited, not listed yet: the invitation makes the account.
INVITED_NEWCOMER = ("tariq.aziz@demo.test", "Tariq Aziz", "Housing support worker")


def load_demo_account_states(*, now: datetime) -> None:
    """Uploaded people who never signed in, invitations waiting (one for a listed
    person, with the lead role; one for someone not listed yet; one expired) and a
    leaver, beside the housing service's active people. Found by email, so safe to run
    again; nothing is added twice."""
    from .models import Invitation

    agency = db.session.scalar(sa.select(Agency).where(Agency.name == ACCOUNT_STATES_AGENCY))
    admin = db.session.scalar(sa.select(User).where(User.email == "admin@demo.test"))
    if agency is None or admin is None:
        return

    def invite(email: str, name: str, job_role: str, roles: list[str], sent: datetime) -> None:
        if db.session.scalar(sa.select(Invitation.id).where(Invitation.email == email)):
            return
        db.session.add(
            Invitation(
                email=email,
                name=name,
                agency=agency,
                job_role=job_role,
                roles=roles,
                invited_by=admin,
                created_at=sent,
                sent_at=sent,
                expires_at=sent + timedelta(days=14),
            )
        )

    from .workforce.requirements import update_requirements

    added = []
    for email, name, job_role, state in ACCOUNT_STATE_PEOPLE:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            if state == "left":  # had an account, then left
                user = _person(email, name, agency, job_role, "Level 2")
                user.left_at = now - timedelta(days=20)
            else:  # uploaded: no password
                user = User(email=email, name=name, agency=agency, job_role=job_role)
                user.level = "Level 2"
                db.session.add(user)
            user.created_at = now - timedelta(days=60)
            user.grant(Role.PRACTITIONER)
            added.append(user)
        if state == "invited as lead":
            invite(email, name, job_role, ["practitioner", "lead"], now - timedelta(days=3))
        elif state == "invitation expired":
            invite(email, name, job_role, ["practitioner"], now - timedelta(days=30))
    email, name, job_role = INVITED_NEWCOMER
    invite(email, name, job_role, ["practitioner"], now - timedelta(days=1))
    db.session.flush()
    update_requirements(added, now=now)
