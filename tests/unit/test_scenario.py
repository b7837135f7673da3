"""Branching scenarios as pure code: conditions, walking a path, the best path, marks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from quizapp.banks import load_bank_file
from quizapp.questions import AnswerError, OptionFeedback, get_type
from quizapp.questions.base import Arrangement
from quizapp.questions.scenario import (
    Condition,
    best_path,
    parse_condition,
    path_points,
    position,
)

BANK = Path(__file__).parent / "banks" / "scenario.yaml"
scenario = get_type("scenario")

ASK = ("chair-proposes", "ask-gp")
CHALLENGE = ("chair-proposes", "challenge")
SAY_NOTHING = ("chair-proposes", "say-nothing")
ESCALATE = ("escalate", "escalate-now")
WAIT = ("escalate", "wait")


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    result = load_bank_file(BANK)
    assert result.errors == []
    assert result.bank is not None
    return result.bank.questions[0].spec()


def ids(nodes: Any) -> list[str]:
    return [node["id"] for node in nodes]


# --- conditions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "condition"),
    [
        ("chosen: a.b", Condition(True, "a", "b")),
        ("chosen:a.b", Condition(True, "a", "b")),
        ("  chosen :  missed-visits.ask-gp ", Condition(True, "missed-visits", "ask-gp")),
        ("not chosen: d-1.alt-2", Condition(False, "d-1", "alt-2")),
        ("not   chosen:d.a", Condition(False, "d", "a")),
    ],
)
def test_conditions_parse(text: str, condition: Condition) -> None:
    assert parse_condition(text) == condition


@pytest.mark.parametrize(
    "text",
    [
        "",
        "chosen a.b",
        "chosen: a",
        "chosen: a.b.c",
        "Chosen: a.b",
        "notchosen: a.b",
        "chosen: a.b or chosen: c.d",
        "chosen: A.b",
        "chosen: a.b; import os",
        "__import__('os')",
        "not: a.b",
    ],
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="cannot read condition"):
        parse_condition(text)


def test_a_condition_holds_on_the_choices_made() -> None:
    made = frozenset({("a", "b")})
    assert parse_condition("chosen: a.b").holds(made)
    assert not parse_condition("chosen: a.c").holds(made)
    assert not parse_condition("not chosen: a.b").holds(made)
    assert parse_condition("not chosen: a.c").holds(frozenset())


# --- walking --------------------------------------------------------------------------


def test_the_start_shows_the_stories_before_the_first_decision(spec: dict[str, Any]) -> None:
    start = position(spec, [])
    assert ids(start.stories) == ["before-conference"]
    assert start.node["id"] == "chair-proposes"
    assert not start.ended
    # `challenge` requires ask-gp: not offered yet.
    assert ids(start.alternatives) == ["say-nothing", "ask-gp"]
    assert start.points == 0


def test_a_loop_back_offers_what_the_earlier_choice_unlocked(spec: dict[str, Any]) -> None:
    after = position(spec, [ASK])
    assert ids(after.stories) == ["gp-reply"]
    assert after.node["id"] == "chair-proposes"
    assert ids(after.alternatives) == ["say-nothing", "ask-gp", "challenge"]  # file order
    assert after.choices == {ASK}
    assert after.points == 2


def test_a_path_to_an_ending(spec: dict[str, Any]) -> None:
    end = position(spec, [ASK, CHALLENGE, ESCALATE])
    assert end.ended
    assert end.node["id"] == "baby-protected"
    assert end.stories == ()
    assert end.alternatives == ()


def test_otherwise_redirects_when_the_condition_fails() -> None:
    spec = tiny_spec(
        [
            decision("d", [alt("x", "e1", 1), alt("y", "e1", 0)]),
            ending("e1", requires=["chosen: d.x"], otherwise="s"),
            story("s", "e2", requires=["chosen: d.x"], otherwise="e2"),
            ending("e2"),
        ]
    )
    assert position(spec, [("d", "x")]).node["id"] == "e1"
    # e1 does not hold, nor s (a chain of otherwise): e2, with no story passed.
    redirected = position(spec, [("d", "y")])
    assert redirected.node["id"] == "e2"
    assert redirected.stories == ()


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ([CHALLENGE], "'challenge' is not offered at decision 'chair-proposes'"),
        ([ESCALATE], r"choice 1 \(escalate.escalate-now\) is not at the node reached"),
        ([ASK, ("chair-proposes", "nonsense")], "choice 2: 'nonsense' is not offered"),
        ([SAY_NOTHING, ASK], "choice 2 .* is not at the node reached \\(plan-agreed\\)"),
        ([["chair-proposes"]], "a choice must be"),
        (["chair-proposes.ask-gp"], "a choice must be"),
    ],
)
def test_an_illegal_path_is_refused(spec: dict[str, Any], path: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        position(spec, path)


# --- scoring --------------------------------------------------------------------------


def test_best_path_counts_a_decision_once(spec: dict[str, Any]) -> None:
    # challenge's 3 points never count: chair-proposes is first made with ask-gp.
    assert best_path(spec) == (7, [ASK, CHALLENGE, ESCALATE], "baby-protected")


def test_path_points_count_each_decision_the_first_time(spec: dict[str, Any]) -> None:
    assert path_points(spec, [ASK, CHALLENGE, ESCALATE]) == 7
    assert path_points(spec, [ASK, CHALLENGE, WAIT]) == 3
    assert path_points(spec, [ASK, SAY_NOTHING]) == 2
    assert path_points(spec, [SAY_NOTHING]) == 0
    assert path_points(spec, [ASK, ASK, ASK, CHALLENGE, ESCALATE]) == 7  # no farming


def test_score_is_the_share_of_the_best(spec: dict[str, Any]) -> None:
    def answer(*path: tuple[str, str], ending: str) -> dict[str, Any]:
        return {"path": [list(choice) for choice in path], "ending": ending}

    assert scenario.score(spec, answer(ASK, CHALLENGE, ESCALATE, ending="baby-protected")) == 1
    assert scenario.score(spec, answer(ASK, CHALLENGE, WAIT, ending="partly")) == 3 / 7
    assert scenario.score(spec, answer(SAY_NOTHING, ending="plan-agreed")) == 0
    with pytest.raises(ValueError, match="does not end where its path leads"):
        scenario.score(spec, answer(SAY_NOTHING, ending="baby-protected"))
    with pytest.raises(ValueError, match="does not end where its path leads"):
        scenario.score(spec, answer(ASK, ending="plan-agreed"))  # not at an ending yet
    with pytest.raises(ValueError, match="not a scenario answer"):
        scenario.score(spec, 3)


def test_answer_texts(spec: dict[str, Any]) -> None:
    answer = {"path": [list(ASK), list(CHALLENGE), list(WAIT)], "ending": "partly"}
    assert scenario.answer_text(spec, answer) == (
        "Chose: Ask the GP what they know; then Challenge the proposal;"
        " then Wait for the next review. Ending: Some protection"
    )
    assert scenario.answer_text(spec, None) == "Not answered"
    assert scenario.correct_answer_text(spec) == (
        "Chose: Ask the GP what they know; then Challenge the proposal;"
        " then Use the escalation policy. Ending: The baby is protected"
    )


def test_feedback_follows_the_path_and_says_which_choices_kept_the_best(
    spec: dict[str, Any],
) -> None:
    answer = {"path": [list(ASK), list(CHALLENGE), list(WAIT)], "ending": "partly"}
    assert scenario.feedback(spec, answer) == [
        OptionFeedback("Ask the GP what they know", True, True, "Good, gather information first."),
        OptionFeedback("Challenge the proposal", True, True, "You say why you disagree."),
        OptionFeedback("Wait for the next review", True, False, "Weeks pass."),
    ]


def test_a_scenario_is_not_answered_by_a_form(spec: dict[str, Any]) -> None:
    class Form:
        def getlist(self, key: str) -> list[Any]:
            return ["0"]

    with pytest.raises(AnswerError, match="one decision at a time"):
        scenario.parse_answer(spec, Form(), Arrangement(0))


def test_presentation_is_the_first_pages_texts_and_nothing_that_marks_it(
    spec: dict[str, Any],
) -> None:
    page = scenario.presentation(spec, Arrangement(0))
    nodes = {node["id"]: node for node in spec["nodes"]}
    assert page["stories"] == [nodes["before-conference"]["text"]]
    assert page["decision"] == nodes["chair-proposes"]["text"]
    offered = [a for a in nodes["chair-proposes"]["alternatives"] if not a.get("requires")]
    assert page["alternatives"] == [a["text"] for a in offered]
    assert "points" not in repr(page) and "feedback" not in repr(page)
    assert scenario.scored
    assert scenario.label == "Branching scenario"


# --- helpers to build small scenarios (used by test_scenario_validation too) -------------


def alt(alt_id: str, next_id: str, points: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "id": alt_id,
        "text": f"Choose {alt_id}",
        "next": next_id,
        "feedback": f"You chose {alt_id}.",
        "points": points,
        **extra,
    }


def decision(node_id: str, alternatives: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "id": node_id,
        "kind": "decision",
        "text": f"At {node_id}?",
        "alternatives": alternatives,
        **extra,
    }


def story(node_id: str, next_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": node_id, "kind": "story", "text": f"Story {node_id}.", "next": next_id, **extra}


def ending(node_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": node_id,
        "kind": "ending",
        "title": f"Ending {node_id}",
        "text": f"The end ({node_id}).",
        "outcome": "protected",
        **extra,
    }


def tiny_spec(nodes: list[dict[str, Any]], start: str | None = None) -> dict[str, Any]:
    """A validated spec from nodes (start: the first node)."""
    from quizapp.banks.schema import QUESTION_MODELS

    question = {
        "id": "q",
        "stage": "s",
        "type": "scenario",
        "findings": ["f"],
        "prompt": "Go.",
        "feedback": "Done.",
        "start": start or nodes[0]["id"],
        "nodes": nodes,
    }
    return QUESTION_MODELS["scenario"].model_validate(question).spec()
