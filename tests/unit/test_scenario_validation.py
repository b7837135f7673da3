"""Every refusal of a branching scenario, as the bank loader reports it
(`file:line: path: message`), and properties of generated scenarios."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from quizapp.banks import content_hash, dump_bank, load_bank_file, load_bank_text
from quizapp.banks.places import plain_place
from quizapp.questions import scenario as scenario_module
from quizapp.questions.scenario import best_path, path_points, position, validate_scenario

from .test_scenario import alt, decision, ending, story, tiny_spec

BANK = Path(__file__).parent / "banks" / "scenario.yaml"
TEXT = BANK.read_text()


def errors_of(text: str) -> list[str]:
    result = load_bank_text(text, "s.yaml")
    assert result.bank is None
    return [str(error) for error in result.errors]


def replaced(old: str, new: str, text: str = TEXT) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def line_of(text: str, needle: str, after: str | None = None) -> int:
    """The line of the first `needle` (after the first `after`), counting from 1."""
    start = text.index(after) if after else 0
    return text.count("\n", 0, text.index(needle, start)) + 1


def bank_with(nodes: list[dict[str, Any]], start: str | None = None) -> str:
    data = yaml.safe_load(TEXT)
    question = data["questions"][0]
    question["nodes"] = nodes
    question["start"] = start or nodes[0]["id"]
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


Q = "questions[0]"


# --- refusals in the file ----------------------------------------------------------------


def test_the_fixture_loads() -> None:
    result = load_bank_file(BANK)
    assert result.errors == []
    assert result.warnings == []


def test_an_error_nested_in_a_node_is_reported_at_its_line() -> None:
    text = replaced("next: partly", "next: nowhere")
    assert line_of(text, "next: nowhere") == 72
    assert errors_of(text) == [
        f"s.yaml:72: {Q}.nodes[3].alternatives[1].next: unknown node 'nowhere'; nodes are:"
        " baby-protected, before-conference, chair-proposes, escalate, gp-reply, partly,"
        " plan-agreed"
    ]


def test_schema_errors_inside_nodes_name_the_node_not_its_kind() -> None:
    text = replaced("points: 5", "points: 11")
    line = line_of(text, "points: 11")
    assert errors_of(text) == [
        f"s.yaml:{line}: {Q}.nodes[3].alternatives[0].points: should be at most 10"
    ]
    text = replaced("kind: story\n        text: The GP", "kind: scene\n        text: The GP")
    line = line_of(text, "kind: scene")
    assert errors_of(text) == [
        f"s.yaml:{line}: {Q}.nodes[2].kind: unknown node kind 'scene';"
        " kinds are: story, decision, ending"
    ]
    text = replaced("outcome: protected", "outcome: saved")
    line = line_of(text, "outcome: saved")
    assert errors_of(text) == [
        f"s.yaml:{line}: {Q}.nodes[6].outcome:"
        " should be 'protected', 'partly-protected' or 'risk-missed'"
    ]


def test_a_decision_needs_two_to_six_alternatives() -> None:
    nodes = [decision("d", [alt("a", "e", 1)]), ending("e")]
    text = bank_with(nodes)
    line = line_of(text, "alternatives:")
    assert errors_of(text) == [
        f"s.yaml:{line}: {Q}.nodes[0].alternatives: needs at least 2 item(s) (found 1)"
    ]
    nodes = [decision("d", [alt(f"a{i}", "e", 1) for i in range(7)]), ending("e")]
    assert errors_of(bank_with(nodes)) == [
        f"s.yaml:{line}: {Q}.nodes[0].alternatives: has too many items (at most 6, found 7)"
    ]


def test_duplicate_node_ids() -> None:
    text = replaced("- id: gp-reply", "- id: escalate")
    line = line_of(text, "- id: escalate", after="The GP has seen")  # the second one
    assert f"s.yaml:{line}: {Q}.nodes[3].id: duplicate node id 'escalate' (as nodes[2])" in (
        errors_of(text)
    )


def test_duplicate_alternative_ids() -> None:
    text = replaced("- id: wait", "- id: escalate-now")
    line = line_of(text, "- id: escalate-now", after="text: Use the escalation policy")
    assert errors_of(text) == [
        f"s.yaml:{line}: {Q}.nodes[3].alternatives[1].id:"
        f" duplicate alternative id 'escalate-now' (as nodes[3].alternatives[0])"
    ]


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("start: before-conference", "start: nowhere", "start"),
        ("next: gp-reply", "next: nowhere", "nodes[1].alternatives[1].next"),
        ("next: chair-proposes\n      - id: chair", "next: nowhere\n      - id: chair",
         "nodes[0].next"),
        ("otherwise: plan-agreed", "otherwise: nowhere", "nodes[4].otherwise"),
    ],
)  # fmt: skip
def test_links_to_unknown_nodes(old: str, new: str, path: str) -> None:
    text = replaced(old, new)
    line = line_of(text, "nowhere")
    errors = errors_of(text)
    assert errors[0].startswith(f"s.yaml:{line}: {Q}.{path}: unknown node 'nowhere'; nodes are:")
    # The graph is not searched while its links are broken: one error, not a cascade.
    assert len(errors) == 1


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("chosen chair-proposes.ask-gp",
         "cannot read condition 'chosen chair-proposes.ask-gp': write"
         " `chosen: decision-id.alternative-id` or `not chosen: decision-id.alternative-id`"),
        ("chosen: nobody.ask-gp", "unknown decision 'nobody' in condition 'chosen: nobody.ask-gp'"),
        ("chosen: chair-proposes.shout",
         "decision 'chair-proposes' has no alternative 'shout'"
         " (condition 'chosen: chair-proposes.shout')"),
    ],
)  # fmt: skip
def test_conditions_that_do_not_parse_or_name_nothing(condition: str, message: str) -> None:
    text = replaced('["chosen: chair-proposes.ask-gp"]', f'["{condition}"]')
    line = line_of(text, condition)
    assert errors_of(text) == [
        f"s.yaml:{line}: {Q}.nodes[1].alternatives[2].requires[0]: {message}"
    ]


def test_node_conditions_are_checked_too() -> None:
    text = replaced("not chosen:chair-proposes.say-nothing", "maybe")
    line = line_of(text, "maybe")
    assert errors_of(text) == [
        f"s.yaml:{line}: {Q}.nodes[4].requires[0]: cannot read condition 'maybe': write"
        " `chosen: decision-id.alternative-id` or `not chosen: decision-id.alternative-id`"
    ]


def test_requires_and_otherwise_go_together() -> None:
    text = replaced("        otherwise: plan-agreed\n", "")
    line = line_of(text, "- id: partly")
    assert errors_of(text) == [
        f"s.yaml:{line}: {Q}.nodes[4].otherwise: required when `requires` is given:"
        " where a path goes when it does not hold"
    ]
    text = replaced("next: plan-agreed", "next: plan-agreed\n            otherwise: x", TEXT)
    # (an alternative has no `otherwise`: the schema refuses the key)
    assert "unknown key" in errors_of(text)[0]
    text = replaced(
        "        outcome: protected\n", "        outcome: protected\n        otherwise: partly\n"
    )
    line = line_of(text, "otherwise: partly")
    assert errors_of(text) == [
        f"s.yaml:{line}: {Q}.nodes[6].otherwise: only allowed with `requires`"
    ]


def test_finding_ids_of_alternatives_must_be_the_bank_s() -> None:
    text = replaced("findings: [escalation]", "findings: [escalation, courage]")
    line = line_of(text, "courage")
    assert errors_of(text) == [
        f"s.yaml:{line}: {Q}.nodes[3].alternatives[0].findings[1]: unknown finding 'courage';"
        " findings are: differences-unresolved, escalation"
    ]


def test_unreachable_nodes() -> None:
    nodes = [decision("d", [alt("a", "e", 1), alt("b", "e", 0)]), ending("e"), ending("lost")]
    text = bank_with(nodes)
    line = line_of(text, "- id: lost")
    assert errors_of(text) == [
        f"s.yaml:{line}: {Q}.nodes[2]: node 'lost' cannot be reached from the start"
    ]


def test_a_story_loop_without_a_way_out() -> None:
    nodes = [
        decision("d", [alt("a", "e", 1), alt("b", "s1", 0)]),
        ending("e"),
        story("s1", "s2"),
        story("s2", "s1"),
    ]
    text = bank_with(nodes)
    line = line_of(text, "- id: s1")
    assert errors_of(text) == [
        f"s.yaml:{line}: {Q}.nodes[2]: a cycle without a way out: s1 -> s2 -> s1"
    ]


def test_a_decision_loop_without_a_way_out() -> None:
    # Once at d2, every choice leads back to d2 or d3, which leads back to d2.
    nodes = [
        decision("d1", [alt("a", "e", 1), alt("b", "d2", 2)]),
        ending("e"),
        decision("d2", [alt("x", "d3", 1), alt("y", "d3", 0)]),
        decision("d3", [alt("z", "d2", 1), alt("w", "d2", 0)]),
    ]
    text = bank_with(nodes)
    errors = errors_of(text)
    assert errors
    line = line_of(text, "- id: d2")
    assert all("a cycle without a way out: d" in error for error in errors)
    assert f"s.yaml:{line}: {Q}.nodes[2]: a cycle without a way out: d2 -> d3 -> d2" in errors


def test_a_choice_that_leads_into_a_story_loop() -> None:
    # d.b leads to s, whose condition never holds and whose `otherwise` is itself; d.a
    # leads to an ending, so the state search alone would not notice.
    nodes = [
        decision("d", [alt("a", "e", 1), alt("b", "s", 0)]),
        story("s", "e", requires=["chosen: d.a"], otherwise="s"),
        ending("e"),
    ]
    text = bank_with(nodes)
    line = line_of(text, "- id: s")
    assert errors_of(text) == [f"s.yaml:{line}: {Q}.nodes[1]: a cycle without a way out: s -> s"]


def test_a_loop_whose_way_out_needs_a_choice_never_made() -> None:
    # The way out of d2 is offered only after d1.b; after d1.a the loop is stuck.
    nodes = [
        decision("d1", [alt("a", "d2", 1), alt("b", "d2", 0)]),
        decision(
            "d2",
            [alt("again", "d2", 0), alt("out", "e", 1, requires=["chosen: d1.b"])],
        ),
        ending("e"),
    ]
    text = bank_with(nodes)
    line = line_of(text, "- id: d2")
    assert errors_of(text) == [f"s.yaml:{line}: {Q}.nodes[1]: a cycle without a way out: d2 -> d2"]


def test_a_decision_with_no_alternative_offered() -> None:
    nodes = [
        decision("d1", [alt("a", "d2", 1), alt("b", "d2", 0)]),
        decision(
            "d2",
            [
                alt("x", "e", 1, requires=["chosen: d1.a"]),
                alt("y", "e", 1, requires=["chosen: d1.a"]),
            ],
        ),
        ending("e"),
    ]
    text = bank_with(nodes)
    line = line_of(text, "alternatives:", after="- id: d2")
    assert errors_of(text) == [
        f"s.yaml:{line}: {Q}.nodes[1].alternatives:"
        " a decision with no alternative offered (after choosing d1.b)"
    ]


def test_a_best_path_worth_nothing() -> None:
    nodes = [decision("d", [alt("a", "e", 0), alt("b", "e", 0)]), ending("e")]
    text = bank_with(nodes)
    line = line_of(text, "nodes:")
    assert errors_of(text) == [
        f"s.yaml:{line}: {Q}.nodes: the best path is worth 0 points: give the best choices points"
    ]


def test_more_than_200_nodes() -> None:
    nodes = [story(f"s{i}", f"s{i + 1}") for i in range(200)] + [ending("s200")]
    text = bank_with(nodes)
    line = line_of(text, "nodes:")
    assert errors_of(text) == [
        f"s.yaml:{line}: {Q}.nodes: too complex to check: 201 nodes (at most 200)"
    ]


def test_more_states_than_can_be_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    # A chain of 8 two-way decisions has 2 ** 8 - 1 decision states (each set of choices).
    monkeypatch.setattr(scenario_module, "MAX_STATES", 100)
    chain = [
        decision(f"d{i}", [alt("a", f"d{i + 1}", 1), alt("b", f"d{i + 1}", 0)]) for i in range(8)
    ]
    text = bank_with([*chain, ending("d8")])
    line = line_of(text, "nodes:")
    assert errors_of(text) == [
        f"s.yaml:{line}: {Q}.nodes: too complex to check: more than 100 states to explore"
    ]
    assert scenario_module.MAX_STATES == 100
    monkeypatch.undo()
    assert scenario_module.MAX_STATES == 100_000
    spec = tiny_spec([*chain, ending("d8")])
    assert validate_scenario(spec) == []
    assert best_path(spec)[0] == 8


def test_places_in_plain_words() -> None:
    data = yaml.safe_load(TEXT)
    assert plain_place(f"{Q}.nodes[3].alternatives[1].next", data) == (
        "Scenario 1 (conference-challenge), node 4 (escalate), alternative 2 (wait), next node"
    )
    assert plain_place(f"{Q}.nodes[4].requires[0]", data) == (
        "Scenario 1 (conference-challenge), node 5 (partly), condition 1"
    )


# --- export ------------------------------------------------------------------------------


def test_a_scenario_survives_export_and_reload() -> None:
    bank = load_bank_file(BANK).bank
    assert bank is not None
    text = dump_bank(bank.to_data())
    again = load_bank_text(text, "exported.yaml")
    assert again.errors == []
    assert again.bank is not None
    assert again.bank.to_data() == bank.to_data()
    assert content_hash(again.bank) == content_hash(bank)
    assert dump_bank(again.bank.to_data()) == text
    # The question's own keys come in the documented order.
    question = text[text.index("- id: conference-challenge") :]
    assert question.index("start:") < question.index("nodes:")


# --- properties of generated scenarios ---------------------------------------------------


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """Small graphs of decisions and endings (with a story or two), loops allowed,
    random points and some conditions on alternatives and nodes."""
    decisions = draw(st.integers(min_value=1, max_value=4))
    endings = draw(st.integers(min_value=1, max_value=2))
    decision_ids = [f"d{i}" for i in range(decisions)]
    ending_ids = [f"e{i}" for i in range(endings)]
    story_ids = [f"s{i}" for i in range(draw(st.integers(min_value=0, max_value=2)))]
    targets = decision_ids + ending_ids + story_ids
    loops = draw(st.booleans())
    alternatives_of: dict[str, list[str]] = {}
    nodes: list[dict[str, Any]] = []
    for index, node_id in enumerate(decision_ids):
        # Without loops, only later decisions: a DAG.
        allowed = targets if loops else [*decision_ids[index + 1 :], *ending_ids, *story_ids]
        count = draw(st.integers(min_value=2, max_value=3))
        alternatives = []
        for number in range(count):
            extra: dict[str, Any] = {}
            earlier = [(d, a) for d in decision_ids[:index] for a in alternatives_of.get(d, [])]
            if earlier and draw(st.integers(0, 3)) == 0:
                d, a = draw(st.sampled_from(earlier))
                extra["requires"] = [f"{draw(st.sampled_from(['', 'not ']))}chosen: {d}.{a}"]
            alternatives.append(
                alt(f"a{number}", draw(st.sampled_from(allowed)), draw(st.integers(0, 5)), **extra)
            )
        alternatives_of[node_id] = [a["id"] for a in alternatives]
        nodes.append(decision(node_id, alternatives))
    choices = [(d, a) for d in decision_ids for a in alternatives_of[d]]
    for node_id in story_ids:
        extra = {}
        if draw(st.booleans()):
            d, a = draw(st.sampled_from(choices))
            extra = {"requires": [f"chosen: {d}.{a}"], "otherwise": draw(st.sampled_from(targets))}
        nodes.append(story(node_id, draw(st.sampled_from(decision_ids + ending_ids)), **extra))
    nodes += [ending(node_id) for node_id in ending_ids]
    return tiny_spec(nodes, start="d0")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=scenarios(), data=st.data())
def test_random_walks_never_beat_the_best_path(spec: dict[str, Any], data: st.DataObject) -> None:
    assume(validate_scenario(spec) == [])
    best, path, reached = best_path(spec)
    assert best > 0
    # best_path's own path is legal, ends where it says, and scores exactly best.
    end = position(spec, path)
    assert end.ended and end.node["id"] == reached
    assert path_points(spec, path) == best
    # Random legal walks to an ending (a validated scenario always has one within reach;
    # on loops the walk may go round a while, so it is cut off and finished by best_path
    # from there only if it is long).
    walk: list[tuple[str, str]] = []
    here = position(spec, walk)
    for _ in range(30):
        if here.ended:
            break
        chosen = data.draw(st.sampled_from(here.alternatives))
        walk.append((here.node["id"], chosen["id"]))
        here = position(spec, walk)
    if here.ended:
        taken = path_points(spec, walk)
        assert 0 <= taken <= best
        answer = {"path": [list(choice) for choice in walk], "ending": here.node["id"]}
        fraction = scenario_module.Scenario().score(spec, answer)
        assert fraction == taken / best
        assert 0 <= fraction <= 1


def test_generated_scenarios_are_often_valid() -> None:
    """The property above must not pass by rejecting everything."""
    valid = 0

    @settings(max_examples=200, deadline=None, database=None)
    @given(spec=scenarios())
    def count(spec: dict[str, Any]) -> None:
        nonlocal valid
        valid += validate_scenario(spec) == []

    count()
    assert valid >= 20


def test_copies_are_independent() -> None:
    # The solver caches by content: a changed copy is solved afresh.
    spec = tiny_spec([decision("d", [alt("a", "e", 1), alt("b", "e", 2)]), ending("e")])
    changed = copy.deepcopy(spec)
    changed["nodes"][0]["alternatives"][0]["points"] = 5
    assert best_path(spec)[0] == 2
    assert best_path(changed)[0] == 5


def test_the_documented_example_is_a_valid_scenario() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "bank-format.md").read_text()
    section = doc.split("### `scenario`: branching scenario", 1)[1]
    example = yaml.safe_load(section.split("```yaml\n", 1)[1].split("```", 1)[0])
    data = yaml.safe_load(TEXT)
    data["questions"][0].update(example)
    result = load_bank_text(yaml.safe_dump(data, sort_keys=False), "doc.yaml")
    assert result.errors == []
    assert result.bank is not None
    spec = result.bank.questions[0].spec()
    assert best_path(spec) == (
        2,
        # As good as ask-gp then say-nothing, but the better outcome.
        [("chair-proposes", "ask-gp"), ("chair-proposes", "challenge")],
        "baby-protected",
    )
