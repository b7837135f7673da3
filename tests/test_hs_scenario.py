"""The HS conference scenario bank meets the content rules set for it.

The facts are read from the file through the bank loader and the scenario type's own
functions (best_path, position, path_points), so a change to the story that breaks the
rules (a lost ending, an unreachable protected outcome, a finding that drifts from the
seed bank) fails here rather than in front of a practitioner.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from quizapp.banks import content_hash, load_bank_file, load_bank_text
from quizapp.banks.export import dump_bank
from quizapp.questions.scenario import best_path, path_points, position

from .factories import HS_BANK, ROOT

CONFERENCE_BANK = ROOT / "question_banks" / "hs-baby-2016-conference.yaml"

#: At each decision, the choice that lets every concern go by (no over-reaction either).
IGNORE_EVERY_CONCERN = [
    ("missed-visits", "new-baby-busy"),
    ("before-conference", "leave-it-out"),
    ("parents-account", "accept-account"),
    ("chair-proposes", "stay-quiet"),
    ("escalate", "wait-for-review"),
    ("new-adult", "their-business"),
    ("core-group-actions", "note-engagement"),
]


def _load(path: Any) -> dict[str, Any]:
    result = load_bank_file(path)
    assert not result.errors, "\n".join(map(str, result.errors))
    return result.bank.to_data()


@pytest.fixture(scope="module")
def bank() -> dict[str, Any]:
    return _load(CONFERENCE_BANK)


@pytest.fixture(scope="module")
def seed() -> dict[str, Any]:
    return _load(HS_BANK)


@pytest.fixture(scope="module")
def scenario(bank: dict[str, Any]) -> dict[str, Any]:
    (question,) = [q for q in bank["questions"] if q["type"] == "scenario"]
    return question


def words(text: str) -> str:
    """Lowercase, with line breaks and runs of spaces as single spaces."""
    return " ".join(text.lower().split())


def nodes_of(scenario: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [node for node in scenario["nodes"] if node["kind"] == kind]


def alternatives(scenario: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (node["id"], alt) for node in nodes_of(scenario, "decision") for alt in node["alternatives"]
    ]


def test_one_short_stage_and_one_scenario(bank):
    assert bank["id"] == "hs-baby-2016-conference"
    assert [s["id"] for s in bank["stages"]] == ["the-conference"]
    assert [(q["stage"], q["type"]) for q in bank["questions"]] == [("the-conference", "scenario")]
    assert "invented for training" in words(bank["stages"][0]["narrative"])


def test_source_findings_and_check_are_the_seed_banks(bank, seed):
    assert bank["source"] == seed["source"]
    seed_findings = {f["id"]: f for f in seed["findings"]}
    assert bank["findings"] == seed["findings"]
    assert (
        bank["check"]
        == seed["check"]
        == {
            "pass_mark": 80,
            "certainty": True,
            "refresh_months": 36,
        }
    )
    assert "0121 569 4800" in bank["signposting"]
    used = set(bank["questions"][0]["findings"])
    used |= {f for _, alt in alternatives(bank["questions"][0]) for f in alt.get("findings", [])}
    assert used <= set(seed_findings)
    assert "conference-differences-unresolved" in used


def test_at_least_eight_decisions_and_three_outcomes(scenario):
    assert len(nodes_of(scenario, "decision")) >= 8
    outcomes = Counter(node["outcome"] for node in nodes_of(scenario, "ending"))
    assert set(outcomes) == {"protected", "partly-protected", "risk-missed"}
    assert sum(outcomes.values()) >= 3


def test_conditions_are_used_on_an_alternative_and_on_a_node(scenario):
    conditional_alternatives = [alt for _, alt in alternatives(scenario) if alt.get("requires")]
    conditional_nodes = [node for node in scenario["nodes"] if node.get("requires")]
    assert conditional_alternatives
    assert conditional_nodes


def test_every_alternative_teaches_and_is_linked_to_a_finding(scenario):
    for decision, alt in alternatives(scenario):
        place = f"{decision}.{alt['id']}"
        assert len(alt["feedback"].split()) >= 15, place
        assert 0 <= alt["points"] <= 3, place
        assert alt.get("findings"), place
    # Every decision separates the best response from the weakest one.
    for node in nodes_of(scenario, "decision"):
        points = [alt["points"] for alt in node["alternatives"]]
        assert max(points) == 3 and min(points) == 0, node["id"]


def test_story_nodes_sit_between_decisions(scenario):
    by_id = {node["id"]: node for node in scenario["nodes"]}
    for decision, alt in alternatives(scenario):
        target = by_id[alt["next"]]
        assert target["kind"] != "decision", f"{decision}.{alt['id']} -> {target['id']}"


def test_invented_details_are_marked_as_invented(scenario):
    for node in nodes_of(scenario, "story") + nodes_of(scenario, "ending"):
        text = words(node["text"])
        assert "invented for training" in text or "training story" in text, node["id"]


def test_texts_are_short_enough_to_read_on_a_phone(scenario):
    for node in scenario["nodes"]:
        assert len(node["text"].split()) <= 60, node["id"]
    for decision, alt in alternatives(scenario):
        assert len(alt["text"]) <= 110, f"{decision}.{alt['id']}"
        assert len(alt["feedback"].split()) <= 50, f"{decision}.{alt['id']}"


def test_the_best_path_reaches_the_protected_ending(scenario):
    points, path, ending_id = best_path(scenario)
    ending = {node["id"]: node for node in scenario["nodes"]}[ending_id]
    assert ending["outcome"] == "protected"
    assert points == 3 * len(nodes_of(scenario, "decision")) == 27
    assert path_points(scenario, path) == points
    # The best path challenges in the meeting, has the dissent minuted and escalates.
    assert ("chair-proposes", "challenge-with-evidence") in path
    assert ("minute-dissent", "ask-minuted") in path
    assert ("next-stage", "managers") in path


def test_ignoring_every_concern_ends_with_the_risk_missed(scenario):
    reached = position(scenario, IGNORE_EVERY_CONCERN)
    assert reached.ended
    assert reached.node["outcome"] == "risk-missed"
    assert reached.points == 0


def test_sharing_alone_is_only_partly_protective(scenario):
    path = [*IGNORE_EVERY_CONCERN[:5], ("new-adult", "share-today"), IGNORE_EVERY_CONCERN[6]]
    reached = position(scenario, path)
    assert reached.node["outcome"] == "partly-protected"
    assert reached.points == 3


def test_the_gp_check_is_offered_only_after_asking_the_gp(scenario):
    start = [("missed-visits", "ask-gp"), ("before-conference", "report-only")]
    offered = {alt["id"] for alt in position(scenario, start).alternatives}
    assert "gp-no-record" in offered
    start = [("missed-visits", "leave-card"), ("before-conference", "report-only")]
    offered = {alt["id"] for alt in position(scenario, start).alternatives}
    assert "gp-no-record" not in offered
    assert {"ask-specifics", "accept-account", "say-they-lie"} == offered
    with pytest.raises(ValueError):
        position(scenario, [*start, ("parents-account", "gp-no-record")])


def test_the_social_worker_already_knows_only_if_told_before_the_conference(scenario):
    def stories_after_challenge(before_conference: str) -> list[str]:
        path = [
            ("missed-visits", "ask-gp"),
            ("before-conference", before_conference),
            ("parents-account", "ask-specifics"),
            ("chair-proposes", "challenge-with-evidence"),
        ]
        return [story["id"] for story in position(scenario, path).stories]

    assert stories_after_challenge("tell-social-worker") == ["chair-responds"]
    assert stories_after_challenge("report-only") == ["chair-responds-alone"]


def test_going_round_the_escalation_loop_earns_no_extra_points(scenario):
    to_escalation = [
        ("missed-visits", "ask-gp"),
        ("before-conference", "tell-social-worker"),
        ("parents-account", "gp-no-record"),
        ("chair-proposes", "challenge-with-evidence"),
        ("minute-dissent", "ask-minuted"),
        ("escalate", "use-procedure"),
    ]
    direct = path_points(scenario, [*to_escalation, ("next-stage", "managers")])
    looped = [
        *to_escalation,
        ("next-stage", "straight-to-partnership"),
        ("next-stage", "managers"),
    ]
    reached = position(scenario, looped)
    assert [story["id"] for story in reached.stories] == ["review-brought-forward"]
    assert reached.points == direct - 2


def test_the_bank_survives_export_and_reimport_unchanged():
    loaded = load_bank_file(CONFERENCE_BANK)
    again = load_bank_text(dump_bank(loaded.bank.to_data()), "exported.yaml")
    assert not again.errors, "\n".join(map(str, again.errors))
    assert content_hash(again.bank) == content_hash(loaded.bank)
