"""Branching scenarios on the leads' dashboards: which alternative people chose at each
decision of a check's scenarios, and which ending they reached.

Who is counted: each person once per scenario, from their latest submitted attempt in
the period that made a choice in it (an earlier attempt's choices would count the same
person twice). At a decision, the person's first choice on their path (withdrawn choices
are not on the path; a loop back to a decision does not count them again), so each
decision's alternatives add up to the people who reached it. The ending is the one the
scenario's Response stores ({"path": ..., "ending": ...}); a person whose attempt was
submitted before reaching one counts as "No ending reached", so the endings add up to
the people in the scenario.

Disclosure: every figure of the page family (each decision's people and alternatives,
each scenario's people and endings, for every group of the scope and its total) is one
cube, suppressed at once with the same rules as the other dashboards
(quizapp.dashboards.disclosure): a cell of fewer people than the threshold is hidden,
and then whatever would let it be worked out by subtraction (the decision's total less
the other alternatives, the scope's total less the other groups). The page's group
choice only chooses which cells to show.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup

from ..extensions import db
from ..models import Attempt, Bank, BankVersion, Check, Question, Response, User
from ..models.scenario import ScenarioChoice, first_choices
from ..models.tally import NO_LEVEL
from ..models.types import JSONType
from .charts import Bar, bar_chart
from .disclosure import ALL_LEVELS, TOTAL, Layout, Rule, Suppressed, cube, suppress_cube
from .periods import Period
from .queries import Choices, _group_key
from .scope import Scope
from .suppression import PROTECTED_TEXT, Share, hidden_text

#: The measure of a decision item: the people who reached it; of a scenario's ending
#: item: the people in the scenario.
PEOPLE = "people"
#: The ending measure of people whose path stopped before an ending.
NO_ENDING = "no-ending"
#: What NO_ENDING is called on the page.
NO_ENDING_TEXT = "No ending reached"


def alternative_measure(key: str) -> str:
    return f"alternative:{key}"


def ending_measure(key: str) -> str:
    return f"ending:{key}"


def decision_item(bank: str, question: str, node: str) -> tuple[str, str, str, str]:
    return ("decision", bank, question, node)


def endings_item(bank: str, question: str) -> tuple[str, str, str]:
    return ("endings", bank, question)


# ---------------------------------------------------------------------------------------
# Queries: scope and period in SQL, GROUP BY in the database


def _latest_attempts(scope: Scope, check_id: int, period: Period) -> sa.Subquery:
    """Per person and scenario (bank key, question key): the latest submitted attempt in
    the period with a choice on its path, as (attempt, question, group, person). People
    outside the scope never reach the window."""
    ranked = (
        sa.select(
            ScenarioChoice.attempt_id.label("attempt_id"),
            ScenarioChoice.question_id.label("question_id"),
            Attempt.user_id.label("user_id"),
            scope.group_column().label("grp"),
            Bank.key.label("bank_key"),
            Question.key.label("question_key"),
            sa.func.row_number()
            .over(
                partition_by=(Attempt.user_id, Bank.key, Question.key),
                order_by=(Attempt.submitted_at.desc(), Attempt.id.desc()),
            )
            .label("rank"),
        )
        .select_from(ScenarioChoice)
        .join(Attempt, Attempt.id == ScenarioChoice.attempt_id)
        .join(User, User.id == Attempt.user_id)
        .join(Question, Question.id == ScenarioChoice.question_id)
        .join(BankVersion, BankVersion.id == Question.version_id)
        .join(Bank, Bank.id == BankVersion.bank_id)
        .where(
            scope.condition(),
            Attempt.check_id == check_id,
            Attempt.submitted_at >= period.start,
            Attempt.submitted_at < period.end,
            ScenarioChoice.withdrawn_at.is_(None),
            ScenarioChoice.action == "chose",
        )
        .subquery("ranked")
    )
    return sa.select(ranked).where(ranked.c.rank == 1).subquery("latest")


@dataclass
class Counts:
    """People per measure, as a cube's value."""

    people: dict[str, int] = field(default_factory=dict)

    def add(self, other: Counts) -> None:
        for name, count in other.people.items():
            self.people[name] = self.people.get(name, 0) + count


def scenario_counts(
    scope: Scope, check_id: int, period: Period
) -> dict[tuple[Any, Hashable], Counts]:
    """(group, item) -> people per measure: per decision, the people reaching it and
    choosing each alternative; per scenario, the people in it and reaching each ending.
    Two statements."""
    latest = _latest_attempts(scope, check_id, period)
    first = first_choices(ScenarioChoice.attempt_id.in_(sa.select(latest.c.attempt_id)))
    chosen = db.session.execute(
        sa.select(
            latest.c.grp,
            latest.c.bank_key,
            latest.c.question_key,
            first.c.node_key,
            first.c.alternative_key,
            sa.func.count(sa.distinct(latest.c.user_id)).label("people"),
        )
        .select_from(latest)
        .join(
            first,
            sa.and_(
                first.c.attempt_id == latest.c.attempt_id,
                first.c.question_id == latest.c.question_id,
                first.c.nth == 1,
            ),
        )
        .group_by(
            latest.c.grp,
            latest.c.bank_key,
            latest.c.question_key,
            first.c.node_key,
            first.c.alternative_key,
        )
    )
    result: dict[tuple[Any, Hashable], Counts] = {}

    def counts(group: Any, item: Hashable) -> Counts:
        return result.setdefault((_group_key(scope, group), item), Counts())

    for row in chosen:
        each = counts(row.grp, decision_item(row.bank_key, row.question_key, row.node_key))
        each.people[PEOPLE] = each.people.get(PEOPLE, 0) + row.people
        each.people[alternative_measure(row.alternative_key)] = row.people
    ending = sa.type_coerce(Response.answer, JSONType)["ending"].as_string()
    endings = db.session.execute(
        sa.select(
            latest.c.grp,
            latest.c.bank_key,
            latest.c.question_key,
            ending.label("ending"),
            sa.func.count(sa.distinct(latest.c.user_id)).label("people"),
        )
        .select_from(latest)
        .outerjoin(
            Response,
            sa.and_(
                Response.attempt_id == latest.c.attempt_id,
                Response.question_id == latest.c.question_id,
            ),
        )
        .group_by(latest.c.grp, latest.c.bank_key, latest.c.question_key, ending)
    )
    for row in endings:
        each = counts(row.grp, endings_item(row.bank_key, row.question_key))
        each.people[PEOPLE] = each.people.get(PEOPLE, 0) + row.people
        name = ending_measure(row.ending) if row.ending else NO_ENDING
        each.people[name] = each.people.get(name, 0) + row.people
    return result


# ---------------------------------------------------------------------------------------
# The scenarios as their latest published version words them


@dataclass(frozen=True)
class Alternative:
    key: str
    text: str


@dataclass(frozen=True)
class Decision:
    key: str
    text: str
    alternatives: tuple[Alternative, ...]


@dataclass(frozen=True)
class Ending:
    key: str
    title: str
    outcome: str | None


#: A figure of the cube, as (measure, item).
Figure = tuple[str, Hashable]


@dataclass(frozen=True)
class Scenario:
    bank_key: str
    key: str
    prompt: str
    decisions: tuple[Decision, ...]
    endings: tuple[Ending, ...]
    #: Figures that add up along the graph: the people reaching a decision (or an ending)
    #: are those who chose an alternative leading to it (or everyone, for the first).
    links: tuple[tuple[Figure, tuple[Figure, ...]], ...] = ()


def _landings(
    nodes: Mapping[str, Any], node_id: Any, seen: frozenset[str] = frozenset()
) -> set[str]:
    """The decisions and endings a path arriving at `node_id` may stop at next: through
    story nodes, and through `otherwise` as well as the node itself where it has a
    condition (so a link may be an over-estimate: that only hides more)."""
    node = nodes.get(node_id)
    if node is None or node_id in seen:
        return set()
    seen = seen | {node_id}
    found = _landings(nodes, node.get("otherwise"), seen) if node.get("requires") else set()
    if node.get("kind") in ("decision", "ending"):
        found.add(node_id)
    elif node.get("kind") == "story":
        found |= _landings(nodes, node.get("next"), seen)
    return found


def graph_links(
    bank_key: str, key: str, spec: Mapping[str, Any]
) -> tuple[tuple[Figure, tuple[Figure, ...]], ...]:
    """How the figures of one scenario add up along its graph, for suppression: without
    these, a hidden alternative could be worked out as the people reaching the decision
    it leads to (less the other ways in)."""
    nodes = {n["id"]: n for n in spec.get("nodes") or [] if isinstance(n, dict) and "id" in n}
    incoming: dict[str, list[Figure]] = {}
    # Everyone reaches where the start leads (once each, however they loop back to it):
    # its people are the scenario's, whatever leads back to it.
    first = _landings(nodes, spec.get("start"))
    for node in nodes.values():
        if node.get("kind") != "decision":
            continue
        for alternative in node.get("alternatives") or []:
            part = (
                alternative_measure(alternative["id"]),
                decision_item(bank_key, key, node["id"]),
            )
            for target in _landings(nodes, alternative.get("next")) - first:
                incoming.setdefault(target, []).append(part)
    links = []
    for target, parts in incoming.items():
        if nodes[target].get("kind") == "decision":
            total: Figure = (PEOPLE, decision_item(bank_key, key, target))
        else:
            total = (ending_measure(target), endings_item(bank_key, key))
        links.append((total, tuple(parts)))
    return tuple(links)


def scenario_from_spec(bank_key: str, key: str, spec: Mapping[str, Any]) -> Scenario:
    """A scenario's decisions and endings, in the file's order, from its spec."""
    decisions, endings = [], []
    for node in spec.get("nodes") or []:
        if node.get("kind") == "decision":
            decisions.append(
                Decision(
                    str(node["id"]),
                    str(node.get("text", node["id"])),
                    tuple(
                        Alternative(str(a["id"]), str(a.get("text", a["id"])))
                        for a in node.get("alternatives") or []
                    ),
                )
            )
        elif node.get("kind") == "ending":
            endings.append(
                Ending(str(node["id"]), str(node.get("title") or node["id"]), node.get("outcome"))
            )
    return Scenario(
        bank_key,
        key,
        str(spec.get("prompt", key)),
        tuple(decisions),
        tuple(endings),
        graph_links(bank_key, key, spec),
    )


def check_scenarios(check_id: int) -> list[Scenario]:
    """The check's scenarios in the order of its bank's latest published version. One
    statement."""
    rows = db.session.execute(
        sa.select(Bank.key.label("bank_key"), Question.key, Question.spec, BankVersion.number)
        .select_from(Check)
        .join(Bank, Bank.id == Check.bank_id)
        .join(BankVersion, BankVersion.bank_id == Bank.id)
        .join(Question, Question.version_id == BankVersion.id)
        .where(
            Check.id == check_id,
            BankVersion.status == "published",
            Question.type == "scenario",
        )
        .order_by(BankVersion.number.desc(), Question.position)
    ).all()
    if not rows:
        return []
    newest = rows[0].number
    return [
        scenario_from_spec(row.bank_key, row.key, row.spec or {})
        for row in rows
        if row.number == newest
    ]


# ---------------------------------------------------------------------------------------
# The cube and the page


def scenario_layout(layout: Layout) -> Layout:
    """The scope's groups without levels: the page has no level filter, so all of a
    group's people are one cell (NO_LEVEL) and its margin (ALL_LEVELS)."""
    return dataclasses.replace(layout, levels=())


def _items(scenarios: list[Scenario]) -> list[Hashable]:
    items: list[Hashable] = []
    for s in scenarios:
        items.extend(decision_item(s.bank_key, s.key, d.key) for d in s.decisions)
        items.append(endings_item(s.bank_key, s.key))
    return items


def _measure_names(scenarios: list[Scenario], found: Mapping[Any, Counts]) -> list[str]:
    names = {PEOPLE, NO_ENDING}
    for s in scenarios:
        for d in s.decisions:
            names.update(alternative_measure(a.key) for a in d.alternatives)
        names.update(ending_measure(e.key) for e in s.endings)
    for value in found.values():
        names.update(value.people)
    return sorted(names)


def scenario_cube(
    scope: Scope,
    layout: Layout,
    check_id: int,
    period: Period,
    scenarios: list[Scenario],
    *,
    threshold: int,
) -> Suppressed:
    """Every figure of a check's scenarios in the period, suppressed as one."""
    layout = scenario_layout(layout)
    found = scenario_counts(scope, check_id, period)
    items = _items(scenarios)
    names = _measure_names(scenarios, found)
    parts = tuple(name for name in names if name != PEOPLE)
    finest = {(group, NO_LEVEL, item): value for (group, item), value in found.items()}
    values = cube(finest, layout, items, Counts)
    keys = [(name, *cell) for cell in values for name in names]
    forced: set[Any] = set()
    while True:
        suppressed = suppress_cube(
            values,
            layout,
            items,
            measures=lambda value: {name: value.people.get(name, 0) for name in names},
            # Each item's people are the sum of its alternatives (or endings); nothing
            # about a group too small to show is shown, zeros included.
            rules=(Rule(PEOPLE, parts, group=True),),
            links=[link for scenario in scenarios for link in scenario.links],
            already_hidden=forced,
            threshold=threshold,
        )
        # The figures of a scenario add up along its graph in more ways than one sum at a
        # time can guard (a decision's people less those reaching the next, when only
        # some of its alternatives lead there): so where any figure of a scenario is
        # hidden for a group, all its figures for that group are, but the number of
        # people in the scenario.
        blocks = {_block(key) for key in suppressed.hidden if _block(key)}
        more = {key for key in keys if _block(key) in blocks} - set(suppressed.hidden)
        if not more:
            return suppressed
        forced |= set(suppressed.hidden) | more


def _block(key: Any) -> tuple[Any, ...] | None:
    """(group, level, bank, scenario) of a figure, or None for a scenario's people, which
    stay shown when its other figures are hidden."""
    measure, group, level, item = key
    if item[0] == "endings" and measure == PEOPLE:
        return None
    return (group, level, item[1], item[2])


@dataclass(frozen=True)
class Row:
    label: str
    share: Share


@dataclass(frozen=True)
class DecisionFigures:
    decision: Decision
    people: Share
    rows: tuple[Row, ...]
    chart: Markup


@dataclass(frozen=True)
class ScenarioFigures:
    scenario: Scenario
    people: Share
    decisions: tuple[DecisionFigures, ...]
    endings: tuple[Row, ...]
    endings_chart: Markup


@dataclass(frozen=True)
class ScenarioPage:
    check_id: int
    check_title: str
    period: Period
    group: Hashable
    group_label: str
    #: (group key, label) of the rows the lead can choose between.
    groups: tuple[tuple[Hashable, str], ...]
    scenarios: tuple[ScenarioFigures, ...]


def _hidden_as(suppressed: Suppressed, part: Any, whole: Any, *, threshold: int) -> str | None:
    hidden = suppressed.hidden
    if part not in hidden and whole not in hidden:
        return None
    small = part in hidden.small or whole in hidden.small
    return hidden_text(threshold) if small else PROTECTED_TEXT


def _share(
    suppressed: Suppressed, group: Hashable, item: Hashable, measure: str, *, threshold: int
) -> Share:
    value = suppressed.get(group, ALL_LEVELS, item)
    count = value.people.get(measure, 0) if value else 0
    whole = value.people.get(PEOPLE, 0) if value else 0
    part_key = (measure, group, ALL_LEVELS, item)
    whole_key = (PEOPLE, group, ALL_LEVELS, item)
    return Share(
        count,
        whole,
        _hidden_as(suppressed, part_key, whole_key, threshold=threshold),
        cells=(part_key, whole_key),
    )


def _people(suppressed: Suppressed, group: Hashable, item: Hashable, *, threshold: int) -> Share:
    value = suppressed.get(group, ALL_LEVELS, item)
    count = value.people.get(PEOPLE, 0) if value else 0
    key = (PEOPLE, group, ALL_LEVELS, item)
    return Share(count, count, _hidden_as(suppressed, key, key, threshold=threshold), (key,))


#: Longest bar label drawn (a chart line holds about 50 characters at any width); the
#: chart's description and the table below have the whole text.
LABEL_CHARS = 44


def _chart(chart_id: str, title: str, rows: tuple[Row, ...]) -> Markup:
    bars = [
        Bar(
            row.label if len(row.label) <= LABEL_CHARS else row.label[: LABEL_CHARS - 1] + "\u2026",
            None if row.share.hidden else float(row.share.percent or 0),
            row.share.text,
        )
        for row in rows
    ]
    shown = [f"{row.label}: {row.share.text or 'none'}" for row in rows]
    return bar_chart(
        chart_id=chart_id,
        title=title,
        description="; ".join(shown) + ". The table below gives the same figures.",
        bars=bars,
        maximum=100.0,
    )


def scenario_page(
    scope: Scope,
    options: Choices,
    layout: Layout,
    check_id: int,
    period: Period,
    *,
    group: Hashable = TOTAL,
    threshold: int,
) -> ScenarioPage:
    """The figures of one group (or the scope's total) for a check's scenarios."""
    scenarios = check_scenarios(check_id)
    suppressed = scenario_cube(scope, layout, check_id, period, scenarios, threshold=threshold)
    labels = options.group_labels(scope)
    total = f"All of {scope.name}"
    figures = []
    for s_index, s in enumerate(scenarios):
        decisions = []
        for d_index, d in enumerate(s.decisions):
            item = decision_item(s.bank_key, s.key, d.key)
            rows = tuple(
                Row(
                    a.text,
                    _share(
                        suppressed,
                        group,
                        item,
                        alternative_measure(a.key),
                        threshold=threshold,
                    ),
                )
                for a in d.alternatives
            )
            decisions.append(
                DecisionFigures(
                    d,
                    _people(suppressed, group, item, threshold=threshold),
                    rows,
                    _chart(
                        f"scenario-{s_index}-decision-{d_index}",
                        "Share of the people reaching this decision choosing each alternative",
                        rows,
                    ),
                )
            )
        item = endings_item(s.bank_key, s.key)
        measures = [(e.title, ending_measure(e.key)) for e in s.endings]
        measures.append((NO_ENDING_TEXT, NO_ENDING))
        endings = tuple(
            Row(label, _share(suppressed, group, item, measure, threshold=threshold))
            for label, measure in measures
        )
        figures.append(
            ScenarioFigures(
                s,
                _people(suppressed, group, item, threshold=threshold),
                tuple(decisions),
                endings,
                _chart(
                    f"scenario-{s_index}-endings",
                    "Share of the people in this scenario reaching each ending",
                    endings,
                ),
            )
        )
    title = dict(options.checks).get(check_id, "")
    groups = tuple((g, labels.get(g, "No team")) for g in layout.groups)
    return ScenarioPage(
        check_id,
        title,
        period,
        group,
        total if group == TOTAL else labels.get(group, "No team"),
        groups,
        tuple(figures),
    )
