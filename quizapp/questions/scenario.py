"""Branching scenario: a story in which the practitioner makes decisions one at a time.

A scenario is a graph of nodes: story (read and go on), decision (choose one of 2-6
alternatives) and ending. Any node may carry a condition (`requires`); a path arriving
at a node whose condition does not hold goes on to its `otherwise` node instead, and an
alternative whose condition does not hold is not offered. Conditions speak only of the
choices made earlier on the same path, so where a path stands is a function of the
node and the set of choices made: that pair is the "state" everything here walks.

Marking needs the best a path could score, which is a search over those states; the
validator runs the same search, so a bank that loads can always be walked to an ending
and always has a best worth more than 0. The functions below (`parse_condition`,
`position`, `best_path`, `path_points`) are pure and are what the pages that run a
scenario and the results pages use.

The page flow answers a scenario one decision per page through its own route, so
`parse_answer` is not used for this type. The answer kept is
`{"path": [[decision_id, alternative_id], ...], "ending": ending_id}`.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from .base import (
    NOT_ANSWERED,
    Answer,
    AnswerError,
    Arrangement,
    FormData,
    Markdown,
    OptionFeedback,
    PlainText,
    QuestionType,
    Slug,
    Spec,
    SpecModel,
)

#: Beyond these a scenario is too complex to check (and to take).
MAX_NODES = 200
MAX_STATES = 100_000
OUTCOMES = ("protected", "partly-protected", "risk-missed")

Title = Annotated[PlainText, StringConstraints(max_length=300)]
#: Conditions are checked (and reported with their place) by the validator.
Conditions = Annotated[list[str], Field(min_length=1)]


class Alternative(SpecModel):
    id: Slug
    text: PlainText
    next: Slug
    #: Shown straight after choosing.
    feedback: Markdown
    points: int = Field(ge=0, le=10)
    findings: list[Slug] | None = None
    #: Not offered unless every condition holds.
    requires: Conditions | None = None


class _Node(SpecModel):
    id: Slug
    requires: Conditions | None = None
    #: Where a path goes instead when `requires` does not hold.
    otherwise: Slug | None = None


class StoryNode(_Node):
    kind: Literal["story"]
    title: Title | None = None
    text: Markdown
    next: Slug


class DecisionNode(_Node):
    kind: Literal["decision"]
    #: The situation and the question.
    text: Markdown
    alternatives: list[Alternative] = Field(min_length=2, max_length=6)


class EndingNode(_Node):
    kind: Literal["ending"]
    title: Title
    text: Markdown
    outcome: Literal["protected", "partly-protected", "risk-missed"]


Node = Annotated[StoryNode | DecisionNode | EndingNode, Field(discriminator="kind")]


class ScenarioSpec(SpecModel):
    #: Id of the first node.
    start: Slug
    nodes: list[Node] = Field(min_length=1)


# --- conditions ---------------------------------------------------------------------

_CONDITION = re.compile(
    r"\s*(?P<not>not\s+)?chosen\s*:\s*(?P<decision>[a-z0-9]+(?:-[a-z0-9]+)*)"
    r"\.(?P<alternative>[a-z0-9]+(?:-[a-z0-9]+)*)\s*"
)

Choice = tuple[str, str]


@dataclass(frozen=True)
class Condition:
    """`chosen: d.a` (chosen=True) or `not chosen: d.a` (chosen=False)."""

    chosen: bool
    decision: str
    alternative: str

    def holds(self, choices: frozenset[Choice]) -> bool:
        return ((self.decision, self.alternative) in choices) is self.chosen


def parse_condition(text: str) -> Condition:
    """Raise ValueError for anything but the two documented forms: no eval, no other
    syntax, so a condition means exactly what it says."""
    match = _CONDITION.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(
            f"cannot read condition {text!r}: write `chosen: decision-id.alternative-id`"
            " or `not chosen: decision-id.alternative-id`"
        )
    return Condition(match["not"] is None, match["decision"], match["alternative"])


def _holds(conditions: Sequence[str] | None, choices: frozenset[Choice]) -> bool:
    return all(parse_condition(text).holds(choices) for text in conditions or ())


# --- walking ------------------------------------------------------------------------


class _Stuck(Exception):
    """A walk that cannot go on: a loop of story/otherwise nodes, or a decision with
    nothing offered. `node` is where it got stuck (for the validator's place)."""

    def __init__(self, message: str, node: str) -> None:
        super().__init__(message)
        self.message = message
        self.node = node


def _nodes(spec: Spec) -> dict[str, Mapping[str, Any]]:
    return {node["id"]: node for node in spec["nodes"]}


def _advance(
    nodes: Mapping[str, Mapping[str, Any]], node_id: str, choices: frozenset[Choice]
) -> tuple[list[Mapping[str, Any]], Mapping[str, Any]]:
    """From arriving at `node_id`, follow `otherwise` and story `next` links (which
    change nothing) to the decision or ending reached; with the stories passed."""
    stories: list[Mapping[str, Any]] = []
    visited: list[str] = []
    while True:
        if node_id in visited:
            cycle = [*visited[visited.index(node_id) :], node_id]
            raise _Stuck(f"a cycle without a way out: {' -> '.join(cycle)}", node_id)
        visited.append(node_id)
        node = nodes[node_id]
        if not _holds(node.get("requires"), choices):
            node_id = node["otherwise"]
        elif node["kind"] == "story":
            stories.append(node)
            node_id = node["next"]
        else:
            return stories, node


def _offered(node: Mapping[str, Any], choices: frozenset[Choice]) -> list[Mapping[str, Any]]:
    return [alt for alt in node["alternatives"] if _holds(alt.get("requires"), choices)]


@dataclass(frozen=True)
class Position:
    """Where a path through a scenario stands."""

    #: Story nodes passed since the last choice (or the start), in order: shown first.
    stories: tuple[Mapping[str, Any], ...]
    #: The decision to make now, or the ending reached.
    node: Mapping[str, Any]
    #: At a decision, the alternatives offered (conditions applied), in file order.
    alternatives: tuple[Mapping[str, Any], ...]
    #: Every (decision, alternative) chosen on the path so far.
    choices: frozenset[Choice] = field(default_factory=frozenset)
    #: Points taken so far (each decision counted the first time only).
    points: int = 0

    @property
    def ended(self) -> bool:
        return self.node["kind"] == "ending"


def position(spec: Spec, path: Iterable[Sequence[str]]) -> Position:
    """Follow `path` ([(decision, alternative), ...]) from the start. Raise ValueError
    if it is not a legal path: a choice where no decision is to be made, at another
    decision than the one reached, or of an alternative not offered there."""
    nodes = _nodes(spec)
    choices: frozenset[Choice] = frozenset()
    decided: set[str] = set()
    points = 0
    try:
        stories, node = _advance(nodes, spec["start"], choices)
        for step, choice in enumerate(path, start=1):
            decision, alternative = _choice(choice)
            if node["kind"] != "decision" or node["id"] != decision:
                raise ValueError(
                    f"choice {step} ({decision}.{alternative}) is not at the node reached"
                    f" ({node['id']})"
                )
            offered = {alt["id"]: alt for alt in _offered(node, choices)}
            if alternative not in offered:
                raise ValueError(
                    f"choice {step}: {alternative!r} is not offered at decision {decision!r}"
                )
            if decision not in decided:
                points += offered[alternative]["points"]
                decided.add(decision)
            choices = choices | {(decision, alternative)}
            stories, node = _advance(nodes, offered[alternative]["next"], choices)
    except _Stuck as stuck:
        raise ValueError(stuck.message) from None
    alternatives = tuple(_offered(node, choices)) if node["kind"] == "decision" else ()
    return Position(tuple(stories), node, alternatives, choices, points)


def _choice(choice: object) -> Choice:
    if (
        isinstance(choice, (list, tuple))
        and len(choice) == 2
        and all(isinstance(part, str) for part in choice)
    ):
        return choice[0], choice[1]
    raise ValueError(f"a choice must be [decision, alternative], not {choice!r}")


def path_points(spec: Spec, path: Iterable[Sequence[str]]) -> int:
    """Points taken along a legal path: a decision counts the first time only."""
    return position(spec, path).points


# --- the state search ---------------------------------------------------------------

State = tuple[str, frozenset[Choice]]


class TooComplex(ValueError):
    """More states than MAX_STATES: too complex to check."""


@dataclass
class _Edge:
    choice: Choice
    points: int
    target: State | None  # None: the walk gets stuck after this choice
    stuck: _Stuck | None = None


@dataclass
class _Graph:
    """Every state reachable from the start, with the choices leaving each."""

    start: State | None
    start_stuck: _Stuck | None
    edges: dict[State, list[_Edge]]
    #: Decision states where nothing is offered.
    empty: set[State]
    endings: set[State]


def _explore(spec: Spec) -> _Graph:
    nodes = _nodes(spec)
    try:
        _, first = _advance(nodes, spec["start"], frozenset())
    except _Stuck as stuck:
        return _Graph(None, stuck, {}, set(), set())
    start: State = (first["id"], frozenset())
    edges: dict[State, list[_Edge]] = {}
    empty: set[State] = set()
    endings: set[State] = set()
    queue = deque([start])
    seen = {start}
    while queue:
        state = queue.popleft()
        node_id, choices = state
        node = nodes[node_id]
        out: list[_Edge] = []
        edges[state] = out
        if node["kind"] == "ending":
            endings.add(state)
            continue
        offered = _offered(node, choices)
        if not offered:
            empty.add(state)
        decided = {decision for decision, _ in choices}
        for alt in offered:
            choice = (node_id, alt["id"])
            points = 0 if node_id in decided else alt["points"]
            after = choices | {choice}
            try:
                _, landed = _advance(nodes, alt["next"], after)
            except _Stuck as stuck:
                out.append(_Edge(choice, points, None, stuck))
                continue
            target = (landed["id"], after)
            out.append(_Edge(choice, points, target))
            if target not in seen:
                if len(seen) >= MAX_STATES:
                    raise TooComplex(
                        f"too complex to check: more than {MAX_STATES:,} states to explore"
                    )
                seen.add(target)
                queue.append(target)
    return _Graph(start, None, edges, empty, endings)


def _values(graph: _Graph) -> dict[State, float]:
    """The most points still to take from each state on the way to an ending (-inf where
    no ending can be reached).

    Choices only ever add to a state's set, so states in one strongly connected
    component share their set, every choice inside it repeats an earlier choice, and is
    worth 0: components are solved one by one in reverse topological order, which
    Tarjan's algorithm yields directly."""
    index: dict[State, int] = {}
    low: dict[State, int] = {}
    on_stack: set[State] = set()
    stack: list[State] = []
    values: dict[State, float] = {}
    counter = 0
    for root in graph.edges:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            state, child = work.pop()
            if child == 0:
                index[state] = low[state] = counter
                counter += 1
                stack.append(state)
                on_stack.add(state)
            targets = [edge.target for edge in graph.edges[state] if edge.target is not None]
            if child < len(targets):
                work.append((state, child + 1))
                target = targets[child]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[state] = min(low[state], index[target])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[state])
            if low[state] == index[state]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == state:
                        break
                _solve(graph, set(component), values)
    return values


def _solve(graph: _Graph, component: set[State], values: dict[State, float]) -> None:
    best = float("-inf")
    for state in component:
        if state in graph.endings:
            best = max(best, 0)
        for edge in graph.edges[state]:
            if edge.target is not None and edge.target not in component:
                best = max(best, edge.points + values[edge.target])
    for state in component:
        values[state] = best


def _spec_key(spec: Spec) -> str:
    return json.dumps({"start": spec["start"], "nodes": spec["nodes"]}, sort_keys=True)


@lru_cache(maxsize=256)
def _solved(key: str) -> tuple[_Graph, dict[State, float]]:
    """Solved once per scenario content: marking a check asks for the best many times."""
    graph = _explore(json.loads(key))
    return graph, _values(graph)


def best_path(spec: Spec) -> tuple[int, list[Choice], str]:
    """(best points, one path achieving them, the ending it reaches), over every path
    from the start to an ending. Raise ValueError if no path ends."""
    graph, values = _solved(_spec_key(spec))
    if graph.start is None or values.get(graph.start, float("-inf")) == float("-inf"):
        raise ValueError("no path through this scenario reaches an ending")
    # Along choices that keep the best still possible ("tight" ones): of the endings so
    # reached, the best outcome (the path shown as the right answer should teach), then
    # the shortest path.
    previous: dict[State, tuple[State, Choice] | None] = {graph.start: None}
    queue = deque([graph.start])
    reached: list[State] = []
    while queue:
        state = queue.popleft()
        if state in graph.endings:
            reached.append(state)
            continue
        for edge in graph.edges[state]:
            target = edge.target
            if target is None or target in previous:
                continue
            if edge.points + values[target] == values[state]:
                previous[target] = (state, edge.choice)
                queue.append(target)
    nodes = _nodes(spec)
    state = min(reached, key=lambda end: OUTCOMES.index(nodes[end[0]]["outcome"]))
    path: list[Choice] = []
    step = previous[state]
    while step is not None:
        path.append(step[1])
        step = previous[step[0]]
    path.reverse()
    return int(values[graph.start]), path, state[0]


# --- validation ---------------------------------------------------------------------


def _place(indexes: Mapping[str, int], node_id: str) -> str:
    return f"nodes[{indexes[node_id]}]"


def _structure_errors(spec: Spec) -> list[tuple[str, str]]:
    """Duplicate ids, unknown nodes, conditions that do not parse or name nothing."""
    errors: list[tuple[str, str]] = []
    first: dict[str, int] = {}
    for index, node in enumerate(spec["nodes"]):
        if node["id"] in first:
            message = f"duplicate node id {node['id']!r} (as nodes[{first[node['id']]}])"
            errors.append((f"nodes[{index}].id", message))
        else:
            first[node["id"]] = index
    known = ", ".join(sorted(first))
    decisions = {
        node["id"]: {alt["id"] for alt in node["alternatives"]}
        for node in spec["nodes"]
        if node["kind"] == "decision"
    }

    def target(path: str, node_id: str) -> None:
        if node_id not in first:
            errors.append((path, f"unknown node {node_id!r}; nodes are: {known}"))

    def conditions(path: str, texts: Sequence[str] | None) -> None:
        for index, text in enumerate(texts or ()):
            try:
                condition = parse_condition(text)
            except ValueError as exc:
                errors.append((f"{path}[{index}]", str(exc)))
                continue
            if condition.decision not in decisions:
                message = f"unknown decision {condition.decision!r} in condition {text!r}"
                errors.append((f"{path}[{index}]", message))
            elif condition.alternative not in decisions[condition.decision]:
                message = (
                    f"decision {condition.decision!r} has no alternative"
                    f" {condition.alternative!r} (condition {text!r})"
                )
                errors.append((f"{path}[{index}]", message))

    target("start", spec["start"])
    for index, node in enumerate(spec["nodes"]):
        here = f"nodes[{index}]"
        conditions(f"{here}.requires", node.get("requires"))
        if node.get("requires") and "otherwise" not in node:
            message = "required when `requires` is given: where a path goes when it does not hold"
            errors.append((f"{here}.otherwise", message))
        elif "otherwise" in node and not node.get("requires"):
            errors.append((f"{here}.otherwise", "only allowed with `requires`"))
        if "otherwise" in node:
            target(f"{here}.otherwise", node["otherwise"])
        if node["kind"] == "story":
            target(f"{here}.next", node["next"])
        if node["kind"] != "decision":
            continue
        seen: dict[str, int] = {}
        for position_, alt in enumerate(node["alternatives"]):
            where = f"{here}.alternatives[{position_}]"
            if alt["id"] in seen:
                message = (
                    f"duplicate alternative id {alt['id']!r}"
                    f" (as {here}.alternatives[{seen[alt['id']]}])"
                )
                errors.append((f"{where}.id", message))
            else:
                seen[alt["id"]] = position_
            target(f"{where}.next", alt["next"])
            conditions(f"{where}.requires", alt.get("requires"))
    return errors


def _edges_ignoring_conditions(node: Mapping[str, Any]) -> list[str]:
    targets = [node["otherwise"]] if "otherwise" in node else []
    if node["kind"] == "story":
        targets.append(node["next"])
    elif node["kind"] == "decision":
        targets += [alt["next"] for alt in node["alternatives"]]
    return targets


def _unreachable(spec: Spec) -> list[tuple[str, str]]:
    nodes = _nodes(spec)
    reached = {spec["start"]}
    queue = deque([spec["start"]])
    while queue:
        for target in _edges_ignoring_conditions(nodes[queue.popleft()]):
            if target not in reached:
                reached.add(target)
                queue.append(target)
    return [
        (f"nodes[{index}]", f"node {node['id']!r} cannot be reached from the start")
        for index, node in enumerate(spec["nodes"])
        if node["id"] not in reached
    ]


def _never_ending(spec: Spec, graph: _Graph, values: dict[State, float]) -> list[tuple[str, str]]:
    """One error per distinct way a reachable state can fail to reach an ending."""
    indexes = {node["id"]: index for index, node in enumerate(spec["nodes"])}
    found: dict[tuple[str, str], None] = {}
    if graph.start_stuck is not None:
        found[(_place(indexes, graph.start_stuck.node), graph.start_stuck.message)] = None
    # A choice after which the walk gets stuck at once (a loop of story and otherwise
    # links), even where the other choices there lead on to an ending.
    for edges in graph.edges.values():
        for edge in edges:
            if edge.stuck is not None:
                found.setdefault((_place(indexes, edge.stuck.node), edge.stuck.message), None)
    stuck = [state for state, value in values.items() if value == float("-inf")]
    for state in stuck:
        found.setdefault(_cause(graph, state, indexes), None)
    return list(found)


def _cause(graph: _Graph, state: State, indexes: Mapping[str, int]) -> tuple[str, str]:
    """Follow a stuck state's choices (each leads only to stuck states) until the walk
    dead-ends or comes back on itself."""
    trail: list[State] = []
    while state not in trail:
        trail.append(state)
        if state in graph.empty:
            where = f"{_place(indexes, state[0])}.alternatives"
            return where, f"a decision with no alternative offered (after {_chosen(state)})"
        edge = graph.edges[state][0]
        if edge.target is None:
            assert edge.stuck is not None
            return _place(indexes, edge.stuck.node), edge.stuck.message
        state = edge.target
    cycle = [member[0] for member in trail[trail.index(state) :]] + [state[0]]
    return _place(indexes, state[0]), f"a cycle without a way out: {' -> '.join(cycle)}"


def _chosen(state: State) -> str:
    if not state[1]:
        return "no choices"
    return "choosing " + ", ".join(f"{d}.{a}" for d, a in sorted(state[1]))


def validate_scenario(spec: Spec) -> list[tuple[str, str]]:
    """Every refusal of the bank format, as (path within the question, message)."""
    if len(spec["nodes"]) > MAX_NODES:
        message = f"too complex to check: {len(spec['nodes'])} nodes (at most {MAX_NODES})"
        return [("nodes", message)]
    errors = _structure_errors(spec)
    if errors:
        return errors
    errors = _unreachable(spec)
    try:
        graph, values = _solved(_spec_key(spec))
    except TooComplex as exc:
        return [*errors, ("nodes", str(exc))]
    never_ending = _never_ending(spec, graph, values)
    if never_ending:
        return [*errors, *never_ending]
    if graph.start is not None and values[graph.start] == 0:
        errors.append(("nodes", "the best path is worth 0 points: give the best choices points"))
    return errors


# --- the question type --------------------------------------------------------------


def _answer_parts(spec: Spec, answer: object) -> tuple[list[Choice], Position]:
    """Guard stored answers: one that is not a legal path to its ending is a bug."""
    if not isinstance(answer, Mapping) or not isinstance(answer.get("path"), list):
        raise ValueError(f"answer {answer!r} is not a scenario answer")
    path = [_choice(choice) for choice in answer["path"]]
    reached = position(spec, path)
    if not reached.ended or reached.node["id"] != answer.get("ending"):
        raise ValueError(f"answer {answer!r} does not end where its path leads")
    return path, reached


def marked_points(
    spec: Spec, path: Sequence[Sequence[str]], gone_back: Sequence[Sequence[str]] = ()
) -> list[int]:
    """Each choice's points as marked: a decision counts the first time it is made on the
    path, and where the practitioner went back on a choice there (checks that allow
    going back), never more than the first alternative they chose at it, so reading the
    feedback and going back cannot earn marks."""
    nodes = _nodes(spec)

    def points(decision: str, alternative: str) -> int:
        return next(
            alt["points"] for alt in nodes[decision]["alternatives"] if alt["id"] == alternative
        )

    first_tried: dict[str, int] = {}
    for decision, alternative in gone_back:
        first_tried.setdefault(decision, points(decision, alternative))
    marks, decided = [], set()
    for decision, alternative in path:
        mark = 0 if decision in decided else points(decision, alternative)
        decided.add(decision)
        marks.append(min(mark, first_tried.get(decision, mark)))
    return marks


def _told(spec: Spec, path: Sequence[Choice], ending: str) -> str:
    nodes = _nodes(spec)
    texts = [
        next(alt["text"] for alt in nodes[d]["alternatives"] if alt["id"] == a) for d, a in path
    ]
    chose = f"Chose: {'; then '.join(texts)}. " if texts else ""
    return f"{chose}Ending: {nodes[ending]['title']}"


class Scenario(QuestionType):
    name = "scenario"
    label = "Branching scenario"
    spec_model = ScenarioSpec

    def validate(self, spec: Spec) -> list[tuple[str, str]]:
        return validate_scenario(spec)

    def parse_answer(self, spec: Spec, form: FormData, arrangement: Arrangement) -> Answer:
        raise AnswerError(
            "A branching scenario is answered one decision at a time on its own pages"
        )

    def score(self, spec: Spec, answer: Answer) -> float:
        path, _ = _answer_parts(spec, answer)
        best, _, _ = best_path(spec)
        gone_back = [_choice(choice) for choice in answer.get("gone_back", [])]  # type: ignore[union-attr]
        return sum(marked_points(spec, path, gone_back)) / best

    def answer_text(self, spec: Spec, answer: Answer | None) -> str:
        if answer is None:
            return NOT_ANSWERED
        path, reached = _answer_parts(spec, answer)
        return _told(spec, path, reached.node["id"])

    def correct_answer_text(self, spec: Spec) -> str:
        _, path, ending = best_path(spec)
        return _told(spec, path, ending)

    def feedback(
        self, spec: Spec, answer: Answer, arrangement: Arrangement | None = None
    ) -> list[OptionFeedback]:
        """Each choice made, in order, with its feedback; `correct` when the choice kept
        the best score within reach (so a good choice after a poor one still counts)."""
        path, _ = _answer_parts(spec, answer)
        graph, values = _solved(_spec_key(spec))
        nodes = _nodes(spec)
        result = []
        for step, (decision, alternative) in enumerate(path):
            before = position(spec, path[:step])
            state: State = (decision, before.choices)
            edge = next(e for e in graph.edges[state] if e.choice == (decision, alternative))
            kept = edge.target is not None and edge.points + values[edge.target] == values[state]
            alt = next(a for a in nodes[decision]["alternatives"] if a["id"] == alternative)
            result.append(OptionFeedback(alt["text"], True, kept, alt["feedback"]))
        return result

    def presentation(self, spec: Spec, arrangement: Arrangement) -> dict[str, Any]:
        """The first page's texts only (stories, decision, alternatives' texts): never
        points, feedback or ids, which would say which alternative is best. The pages
        themselves are built by quizapp/take/scenario.py, one decision at a time."""
        first = position(spec, [])
        return {
            "stories": [story.get("text", "") for story in first.stories],
            "decision": "" if first.ended else first.node["text"],
            "alternatives": [alternative["text"] for alternative in first.alternatives],
        }
