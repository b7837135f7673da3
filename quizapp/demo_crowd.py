"""The demo partnership's crowd: about 900 practitioners beside the named demo people,
with a year of attempts at the HS check, written in bulk with `bench seed`'s writers.

Fifty named people cannot show what the dashboards do: nearly every cell would be
"fewer than 5". The crowd fills the agencies to realistic sizes, so the leads' pages show
real figures. Skill varies by agency and by finding, so each agency has findings it is
weak on, as a lead would expect to see. One school has only four DSLs, so the
small-number rule still shows a hidden cell or two.

The crowd's addresses end in CROWD_DOMAIN: the named people (first.last.N@demo.test),
whom the browser tests sign in as, are untouched, and nobody signs in as the crowd.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from .bench import AttemptWriter, BulkWriter, Person, _Item, insert_people
from .extensions import db
from .models import Agency, Check, Requirement, Team, User

CROWD_DOMAIN = "staff.demo.test"
#: The crowd's size when none is given (the named people bring the total near 1,000).
CROWD_PEOPLE = 900


@dataclass(frozen=True)
class CrowdAgency:
    """How one demo agency's crowd is made up and how well it does."""

    name: str
    #: Share of the crowd, before scaling to the size asked for.
    weight: int
    #: The agency's typical chance of answering a question right.
    skill: float
    #: Findings the agency is weaker (negative) or stronger on: added to the chance.
    findings: dict[str, float] = field(default_factory=dict)
    teams: tuple[str, ...] = ()
    #: (job role, level) pairs, taken in turn.
    roles: tuple[tuple[str, str], ...] = ()
    #: Chance that someone not required to take the check takes it anyway.
    voluntary: float = 0.0


CROWD = (
    CrowdAgency(
        "Children's Social Care", 160, 0.86,
        {"over-optimism-parenting": -0.22, "compliance-and-curiosity": -0.14},
        ("Front door", "Child protection"),
        (("Social worker", "Level 3"), ("Social worker", "Level 3"), ("Team manager", "Level 4")),
    ),
    CrowdAgency(
        "Police", 170, 0.82,
        {"poor-information-sharing": -0.2, "sympathy-and-unclear-plan": -0.16},
        ("Child abuse investigation team", "Public protection unit"),
        (("Police constable", "Tier 1"), ("Detective constable", "Tier 2")),
    ),
    # Receptionists at Level 1, as among the named people: a level of one would hide
    # itself and, to protect it, the agency's other figures.
    CrowdAgency(
        "Integrated Care Board", 100, 0.87, {"conference-differences-unresolved": -0.18},
        (), (("Designated nurse", "Level 3"), ("Receptionist", "Level 1")),
    ),
    CrowdAgency(
        "NHS Hospital Trust", 185, 0.84,
        {"assessment-protocols-not-followed": -0.2, "poor-information-sharing": -0.08},
        ("Maternity", "Paediatrics"),
        (("Midwife", "Level 3"), ("Receptionist", "Level 1"), ("Health visitor", "Level 3"),
         ("Paediatric nurse", "Level 3"), ("Receptionist", "Level 1")),
    ),
    CrowdAgency(
        "GP practices", 130, 0.8,
        {"timely-referral-strategy-meeting": -0.22, "over-optimism-parenting": -0.1},
        (), (("GP", "Level 3"), ("Receptionist", "Level 1"), ("Practice nurse", "Level 3"),
             ("Receptionist", "Level 1")),
    ),
    # A primary school whose staff all take the check: enough of them for the school's
    # figures to show, but only four DSLs, a group small enough to stay hidden.
    CrowdAgency(
        "Oak Lane Primary School", 40, 0.8, {}, (),
        (("Designated safeguarding lead", "DSL"),) + (("Class teacher", "School staff"),) * 19,
    ),
    # An academy of several sites, each with its DSLs: enough of them that each of their
    # statuses counts enough people to show. Its class teachers are asked too, as at
    # every school.
    CrowdAgency(
        "Hill Top Academy", 80, 0.83, {"compliance-and-curiosity": -0.15}, (),
        (("Designated safeguarding lead", "DSL"), ("Designated safeguarding lead", "DSL"),
         ("Class teacher", "School staff")),
    ),
    CrowdAgency(
        "Probation Service", 80, 0.79, {"sympathy-and-unclear-plan": -0.12},
        (), (("Probation officer", "Level 2"),), voluntary=0.9,
    ),
    # No check is required of housing: most of them take it anyway, as do probation's
    # officers, enough of them for their follow-ups to show on the impact page.
    CrowdAgency(
        "Housing Service", 80, 0.84, {"compliance-and-curiosity": -0.1},
        (), (("Housing officer", "Level 2"), ("Tenancy officer", "Level 2")), voluntary=0.9,
    ),
    # Nor of the voluntary sector, whose named people took it: enough more do that their
    # figures, follow-ups included, show.
    CrowdAgency(
        "Family Support Network", 80, 0.8, {"poor-information-sharing": -0.1},
        (), (("Family support worker", "Level 2"),), voluntary=0.9,
    ),
)  # fmt: skip

_FIRST = ("Aaliyah", "Bilal", "Ciara", "Darius", "Esme", "Farah", "Gethin", "Hana", "Idris",
          "Jodie", "Kwame", "Lowri", "Marcus", "Niamh", "Olu", "Poppy", "Rashid", "Siobhan",
          "Tariq", "Una", "Viktor", "Wren", "Yusuf", "Zara")  # fmt: skip
_LAST = ("Adebayo", "Barker", "Chowdhury", "Doyle", "Edwards", "Fernandes", "Gill", "Harper",
         "Iqbal", "Jenkins", "Kowalski", "Lloyd", "Mensah", "Norris", "O'Brien", "Patel",
         "Quinn", "Rahman", "Shaw", "Thomas", "Walsh", "Young")  # fmt: skip


#: Shares of the crowd who joined in the last weeks (their check is due, not overdue),
#: and who last passed nearly as long ago as a pass lasts (it expires soon). Taken in
#: turn within each agency and level (_story), so every level shows every status.
NEWCOMERS = 0.2
REFRESHERS = 0.2
#: Share who have never started it (overdue, if it is required of them), beside those of
#: the year who happen not to have.
ABSENT = 0.1
#: Days ago the newcomers joined, in three uploads.
JOINED_DAYS = (12, 25, 38)
#: The crowd's uploads before that, when the checks were assigned (four months ago): due
#: two months later, so those who never passed are overdue.
ASSIGNED_DAYS = 120


def _story(place: int) -> str:
    """The story of the `place`-th crowd person of one agency and level: newcomers and
    refreshers spread evenly through every level (in their shares), not drawn at random,
    so each level's statuses count enough people to show."""
    slot = (place * 7) % 20  # 7 and 20 share no factor: every slot, evenly spread
    for story, share in (("newcomer", NEWCOMERS), ("refresher", REFRESHERS), ("absent", ABSENT)):
        if slot < share * 20:
            return story
        slot -= round(share * 20)
    return "year"


def _sizes(people: int) -> list[int]:
    """The crowd's people per agency, scaled to `people` (at least one each)."""
    total = sum(agency.weight for agency in CROWD)
    return [max(1, round(people * agency.weight / total)) for agency in CROWD]


def load_crowd(check: Check, *, people: int, now: datetime) -> int:
    """Add the crowd and their attempts at `check`; returns how many people were added.

    Requirements come from the assignments already made (update_requirements), as if the
    crowd had been uploaded when the checks were assigned; attempts and completions go in
    bulk. The caller rebuilds the dashboards' summaries afterwards."""
    from .banks.importer import latest_published
    from .workforce.requirements import update_requirements

    version = latest_published(check.bank)
    agencies = {a.name: a for a in db.session.scalars(sa.select(Agency))}
    plan = [(spec, agencies[spec.name]) for spec in CROWD if spec.name in agencies]
    if not plan or version is None or people <= 0:
        return 0
    teams: dict[tuple[int, str], Team] = {
        (team.agency_id, team.name): team for team in db.session.scalars(sa.select(Team))
    }
    for spec, agency in plan:
        for name in spec.teams:
            if (agency.id, name) not in teams:
                teams[(agency.id, name)] = Team(agency=agency, name=name)
                db.session.add(teams[(agency.id, name)])
    db.session.flush()

    rng = random.Random(1000)
    rows: list[Person] = []
    stories: list[tuple[CrowdAgency, str, int]] = []
    places: Counter[tuple[int, str]] = Counter()
    number = 0
    for (spec, agency), size in zip(plan, _sizes(people), strict=True):
        for index in range(size):
            job_role, level = spec.roles[index % len(spec.roles)]
            story = _story(places[(agency.id, level)])
            places[(agency.id, level)] += 1
            joined_days = rng.choice(JOINED_DAYS) if story == "newcomer" else 1200
            first = _FIRST[number % len(_FIRST)]
            last = _LAST[(number // len(_FIRST) + number) % len(_LAST)]
            team = teams[(agency.id, spec.teams[index % len(spec.teams)])] if spec.teams else None
            slug = f"{first}.{last}".lower().replace("'", "")
            rows.append(
                Person(
                    email=f"{slug}.{number}@{CROWD_DOMAIN}",
                    name=f"{first} {last}",
                    agency_id=agency.id,
                    # A few in no team, as in any real upload.
                    team_id=team.id if team is not None and index % 11 else None,
                    job_role=job_role,
                    level=level,
                    joined_at=now - timedelta(days=joined_days),
                )
            )
            stories.append((spec, story, joined_days))
            number += 1
    writer = BulkWriter()
    ids = insert_people(writer, rows)
    crowd = db.session.scalars(sa.select(User).where(User.id.in_(list(ids)))).all()
    since = {
        uid: min(ASSIGNED_DAYS, joined) for uid, (_, _, joined) in zip(ids, stories, strict=True)
    }
    for days in sorted(set(since.values())):
        update_requirements(
            [user for user in crowd if since[user.id] == days], now=now - timedelta(days=days)
        )
    db.session.flush()
    # Who must take the check, and how often (their completions expire as the app's do).
    refresh_of = {
        user_id: months
        for user_id, months in db.session.execute(
            sa.select(Requirement.user_id, Requirement.refresh_months).where(
                Requirement.check_id == check.id, Requirement.user_id.in_(list(ids))
            )
        )
    }
    attempts = AttemptWriter(
        writer, version.id, rng, pass_mark=check.pass_mark,
        refresh_months=check.refresh_months, refresh_of=refresh_of,
    )  # fmt: skip
    for user_id, (spec, story, joined_days) in zip(ids, stories, strict=True):
        if story == "newcomer":
            days = rng.randint(1, joined_days) if rng.random() < 0.3 else None
        elif story == "absent":
            days = None
        elif story == "refresher":
            # passed a little less long ago than their pass lasts: it expires soon
            months = refresh_of.get(user_id, check.refresh_months)
            days = months * 365 // 12 - rng.randint(5, 29)
        else:  # most within the reporting year, which the dashboards show first
            days = int(rng.triangular(14, 330, 150))
        take_check(attempts, rng, user_id=user_id, check_id=check.id, spec=spec,
                   required=user_id in refresh_of, days_ago=days, now=now)  # fmt: skip
    attempts.finish()
    return len(ids)


def take_check(
    attempts: AttemptWriter,
    rng: random.Random,
    *,
    user_id: int,
    check_id: int,
    spec: CrowdAgency,
    required: bool,
    days_ago: int | None,
    now: datetime,
) -> None:
    """One person's go at the check, first `days_ago` (None: not started): some never
    start (overdue if required), some fail and stop, most pass at the first, second or
    third go."""
    if not required and rng.random() >= spec.voluntary:
        return
    if days_ago is None or (days_ago < 400 and rng.random() < 0.12):
        return  # not started
    skill = min(0.97, max(0.4, rng.gauss(spec.skill, 0.07)))
    tries = 1 if days_ago < 400 and rng.random() < 0.08 else 3  # a few give up after a fail
    at = now - timedelta(days=days_ago, minutes=rng.randint(0, 600))
    for _ in range(tries):
        written = attempts.add(
            user_id=user_id,
            check_id=check_id,
            submitted_at=at,
            chance=_ChanceOf(skill, spec.findings),
            minutes=rng.randint(12, 26),
        )
        if written.passed:
            return
        skill = min(0.97, skill + 0.08)  # read the feedback, came back better
        at += timedelta(days=rng.randint(3, 20))
        if at > now - timedelta(hours=2):
            return


@dataclass(frozen=True)
class _ChanceOf:
    """The chance of a right answer to an item: the person's skill, moved by how their
    agency does on the item's findings."""

    skill: float
    findings: dict[str, float]

    def __call__(self, item: _Item) -> float:
        shifts: Sequence[float] = [self.findings.get(key, 0.0) for key in item.findings]
        shift = sum(shifts) / len(shifts) if shifts else 0.0
        return min(0.99, max(0.05, self.skill + shift))
