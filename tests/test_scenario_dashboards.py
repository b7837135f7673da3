"""Leads' scenario dashboard: its figures against an independent count from the stored
choices, small-number suppression (primary and complementary), and scope."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from quizapp.dashboards import pages, queries
from quizapp.dashboards.periods import period_choices
from quizapp.dashboards.scenarios import NO_ENDING_TEXT, ScenarioPage, scenario_page
from quizapp.dashboards.scope import Scope, scope_for
from quizapp.dashboards.suppression import PROTECTED_TEXT
from quizapp.extensions import db
from quizapp.models import Attempt, Response, User, utcnow
from quizapp.models.scenario import ScenarioChoice

from .scenario_world import FIRST, SECOND, World, build

THRESHOLD = 5
SMALL = f"fewer than {THRESHOLD}"


@pytest.fixture
def world(app) -> World:
    return build()


def independent(world: World, *, agency_id: int | None) -> dict[Any, dict[str, Counter]]:
    """From the raw rows, per group (team in an agency's scope, agency for the
    partnership) and "total": Counter per decision of first choices, and of endings,
    over each person's latest submitted attempt this reporting year with a choice."""
    period = period_choices(utcnow())[0]
    rows = db.session.execute(
        sa.select(ScenarioChoice, Attempt, User)
        .join(Attempt, Attempt.id == ScenarioChoice.attempt_id)
        .join(User, User.id == Attempt.user_id)
    ).all()
    latest: dict[int, Attempt] = {}
    owner: dict[int, User] = {}
    for choice, attempt, user in rows:
        if choice.withdrawn_at is not None or attempt.submitted_at is None:
            continue
        if not period.start <= attempt.submitted_at < period.end:
            continue
        if agency_id is not None and user.agency_id != agency_id:
            continue
        held = latest.get(user.id)
        if held is None or (attempt.submitted_at, attempt.id) > (held.submitted_at, held.id):
            latest[user.id] = attempt
        owner[user.id] = user
    result: dict[Any, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for user_id, attempt in latest.items():
        user = owner[user_id]
        group = user.agency_id if agency_id is None else user.team_id
        path = sorted(
            (c for c, a, _ in rows if a.id == attempt.id and c.withdrawn_at is None),
            key=lambda c: c.sequence,
        )
        firsts: dict[str, str] = {}
        for c in path:
            firsts.setdefault(c.node_key, c.alternative_key)
        response = db.session.scalars(
            sa.select(Response).where(Response.attempt_id == attempt.id)
        ).one_or_none()
        ending = response.answer["ending"] if response else None
        for key in (group, "total"):
            for node, alternative in firsts.items():
                result[key][node][alternative] += 1
            result[key]["endings"][ending] += 1
    return result


def page_for(world: World, user: User, group: Any = pages.TOTAL) -> ScenarioPage:
    scope = scope_for(user)
    options = queries.choices(scope)
    return scenario_page(
        scope,
        options,
        pages.layout_for(scope, options),
        world.check.id,
        period_choices(utcnow())[0],
        group=group,
        threshold=THRESHOLD,
    )


def figures(page: ScenarioPage) -> dict[str, dict[str, Any]]:
    """{decision key or "endings": {alternative text or ending title: share}}."""
    (scenario,) = page.scenarios
    shown: dict[str, dict[str, Any]] = {}
    for decision in scenario.decisions:
        shown[decision.decision.key] = {row.label: row.share for row in decision.rows}
        shown[decision.decision.key][None] = decision.people
    shown["endings"] = {row.label: row.share for row in scenario.endings}
    shown["endings"][None] = scenario.people
    return shown


TEXTS = {
    FIRST: {
        "say-nothing": "Say nothing and go along with the plan",
        "raise-concern": "Raise the missed visits",
        "ask-time": "Ask for time to check with the GP",
    },
    SECOND: {
        "keep-open": "Keep the case open with a named worker",
        "refer-back": "Go back to the first question",
    },
    "endings": {
        "plan-agreed": "The risk is missed",
        "baby-protected": "The baby is protected",
        None: NO_ENDING_TEXT,
    },
}


#: How figures add up along the world's graph, written out by hand: the people reaching a
#: decision, or an ending, are those choosing an alternative that leads there (or
#: everyone in the scenario, for the first decision).
GRAPH_SUMS = [
    ((SECOND, None), [(FIRST, TEXTS[FIRST]["raise-concern"]), (FIRST, TEXTS[FIRST]["ask-time"])]),
    (("endings", TEXTS["endings"]["plan-agreed"]), [(FIRST, TEXTS[FIRST]["say-nothing"])]),
    (("endings", TEXTS["endings"]["baby-protected"]), [(SECOND, TEXTS[SECOND]["keep-open"])]),
]


def check_graph_sums(shown: dict[str, dict[str, Any]]) -> None:
    """No sum along the graph has exactly one hidden figure: it would be a subtraction
    away (the people reaching a decision less the other ways in)."""
    for total, parts in GRAPH_SUMS:
        members = [shown[item][label] for item, label in (total, *parts)]
        assert sum(1 for share in members if share.hidden) != 1, (total, parts, members)
    # Sums along the graph combine (a decision's people less those reaching the next), so
    # one hidden figure hides all of the scenario's but its number of people.
    figures_ = [
        share
        for item, row in shown.items()
        for label, share in row.items()
        if not (item == "endings" and label is None)
    ]
    hidden = [share.hidden for share in figures_]
    assert all(hidden) or not any(hidden), shown


def check_against(page: ScenarioPage, expected: dict[str, Counter]) -> list[tuple[int, bool]]:
    """Every figure shown equals the independent count; every figure of 1 to threshold-1
    people is hidden as small. Returns (count, hidden) of each alternative and ending."""
    shown = figures(page)
    seen = []
    for item, texts in TEXTS.items():
        counts = expected.get(item, Counter())
        whole = sum(counts.values())
        people = shown[item][None]
        if 0 < whole < THRESHOLD:
            assert people.hidden_as == SMALL
        if not people.hidden:
            assert people.part == whole
        for key, text in texts.items():
            share = shown[item][text]
            count = counts.get(key, 0)
            seen.append((count, share.hidden))
            if 0 < count < THRESHOLD or 0 < whole < THRESHOLD:
                assert share.hidden_as == SMALL, (item, key, count, share)
            if not share.hidden:
                assert (share.part, share.whole) == (count, whole), (item, key)
        # Complementary: what the visible figures leave over for the hidden ones is
        # never 1 to threshold-1 people.
        if not people.hidden:
            hidden = [shown[item][t] for t in texts.values() if shown[item][t].hidden]
            visible = [s for s in shown[item].values() if s is not people and not s.hidden]
            left = whole - sum(s.part for s in visible)
            assert left == 0 or left >= THRESHOLD or not hidden, (item, left)
            assert len(hidden) != 1 or left >= THRESHOLD
    check_graph_sums(shown)
    return seen


def test_agency_lead_sees_their_agency_with_small_team_hidden(world):
    lead = world.lead_a
    expected = independent(world, agency_id=world.agency_a.id)
    total = page_for(world, lead)
    check_against(total, expected["total"])
    # The scope's total counts only agency A's people (12 + 3), once each.
    assert figures(total)["endings"][None].part == 15
    a1 = page_for(world, lead, world.team_a1.id)
    a2 = page_for(world, lead, world.team_a2.id)
    check_against(a1, expected[world.team_a1.id])
    check_against(a2, expected[world.team_a2.id])
    # Team A2 has 3 people: everything about it is hidden as small...
    for item in figures(a2).values():
        assert all(share.hidden_as == SMALL for share in item.values())
    # ...so team A1's people or the agency's total is hidden too, protected (else the
    # total less A1 would be A2's 3 people).
    protected = [figures(a1)["endings"][None], figures(total)["endings"][None]]
    assert PROTECTED_TEXT in [share.hidden_as for share in protected]


@pytest.fixture
def big_world(app) -> World:
    """Enough people that figures show even once whatever adds up along the graph to a
    small one is hidden (in `world`, almost every figure is)."""
    return build(a1=30, a2=3, b=25)


def test_partnership_lead_sees_each_agency(big_world):
    world = big_world
    lead = world.partnership_lead
    expected = independent(world, agency_id=None)
    total = page_for(world, lead)
    seen = check_against(total, expected["total"])
    assert figures(total)["endings"][None].part == 58
    assert any(not hidden and count >= THRESHOLD for count, hidden in seen)
    for agency in (world.agency_a, world.agency_b):
        check_against(page_for(world, lead, agency.id), expected[agency.id])


def test_a_later_attempt_replaces_a_persons_choices(world):
    """A test that can fail: people in agency B who raised the concern try again and say
    nothing; each still counts once, now for the later choice."""
    from .scenario_world import attempt_at

    lead = world.partnership_lead
    before = independent(world, agency_id=None)["total"]
    unsubmitted = sa.select(Attempt.user_id).where(Attempt.submitted_at.is_(None))
    in_progress = set(db.session.scalars(unsubmitted))
    movers = [
        p for p in world.people if p.agency_id == world.agency_b.id and p.id not in in_progress
    ][:5]
    for person in movers:
        number = 1 + db.session.scalar(
            sa.select(sa.func.max(Attempt.number)).where(Attempt.user_id == person.id)
        )
        attempt_at(
            world,
            person,
            number=number,
            at=utcnow() - timedelta(minutes=1),
            choices=[(FIRST, "say-nothing", False)],
            ending="plan-agreed",
        )
    db.session.commit()
    after = independent(world, agency_id=None)["total"]
    assert sum(after["endings"].values()) == sum(before["endings"].values())
    assert after[FIRST]["say-nothing"] > before[FIRST]["say-nothing"]
    check_against(page_for(world, lead), after)


def test_routes_scope_and_text(world, client, auth):
    auth.sign_in(world.lead_a.email)
    url = f"/dashboards/checks/{world.check.id}/scenarios"
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Raise the missed visits" in html
    assert "<svg" in html and 'role="img"' in html
    assert "Agency B" not in html and "Team B" not in html
    # Another agency's team, another agency, an unknown check: not found.
    assert client.get(f"{url}?group={world.team_b.id}").status_code == 404
    assert client.get(f"{url}?agency={world.agency_b.id}").status_code == 404
    assert client.get("/dashboards/checks/999999/scenarios").status_code == 404
    small = client.get(f"{url}?group={world.team_a2.id}").get_data(as_text=True)
    assert SMALL in small
    # The learning page links here.
    learning = client.get(f"/dashboards/learning?check={world.check.id}").get_data(as_text=True)
    assert url in learning
    # A check without scenarios does not offer the page.
    from .factories import SMALL_BANK, check_for, import_bank_text

    plain = check_for(import_bank_text(SMALL_BANK.replace("id: small-bank", "id: plain-bank")))
    learning = client.get(f"/dashboards/learning?check={plain.id}").get_data(as_text=True)
    assert "Choices in this check" not in learning


def test_practitioners_are_refused(world, client, auth):
    auth.sign_in(world.people[0].email)
    assert client.get(f"/dashboards/checks/{world.check.id}/scenarios").status_code == 403


def test_scope_is_in_the_query(world):
    """The statement itself narrows to the scope: agency A's counts have no B people."""
    from quizapp.dashboards.scenarios import scenario_counts

    scope = Scope(agency_id=world.agency_a.id, agency_name="Agency A")
    counts = scenario_counts(scope, world.check.id, period_choices(utcnow())[0])
    groups = {group for group, _ in counts}
    assert groups <= {world.team_a1.id, world.team_a2.id, None}
    assert world.team_b.id not in groups
