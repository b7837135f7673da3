"""The briefing converter drafts each finding's confidence phrasing ("How confident are
you ...?"), read from the shared briefings beside the repository (never copied into it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from quizapp.authoring.briefing import parse_briefing
from quizapp.authoring.confidence import PLACEHOLDER_TEXT, draft_confidence
from quizapp.authoring.scaffolds import find_placeholders, has_placeholder
from quizapp.banks import load_bank_text
from quizapp.banks.schema import Finding, confidence_problem

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
BRIEFINGS = sorted((SHARED / "briefings").glob("*.txt"))
SEEDS = sorted((SHARED / "seeds").glob("*.txt"))

pytestmark = pytest.mark.skipif(
    not BRIEFINGS or not SEEDS, reason=f"the shared briefings are not at {SHARED}"
)


@pytest.mark.parametrize("path", [*BRIEFINGS, *SEEDS], ids=lambda path: path.name)
def test_every_drafted_finding_has_phrasing_the_bank_accepts(path: Path) -> None:
    draft = parse_briefing(path.read_text(encoding="utf-8"))
    findings = draft.data["findings"]
    assert findings
    for index, finding in enumerate(findings):
        phrase = finding["confidence"]
        assert confidence_problem(phrase) is None, (index, phrase)
        assert Finding.model_validate(finding).confidence == phrase
        # Drafted or left to write, never both: a placeholder is listed to write.
        written = not has_placeholder(phrase)
        listed = f"findings[{index}].confidence" in find_placeholders(draft.data)
        assert written != listed, (index, phrase)
        if written:
            assert phrase.startswith("to "), phrase
    # The whole draft still loads (and so can be saved and edited).
    loaded = load_bank_text(draft.to_yaml(), path.name)
    assert loaded.errors == [], loaded.errors
    assert loaded.bank is not None
    assert [f.confidence for f in loaded.bank.findings] == [f["confidence"] for f in findings]


def test_the_seed_briefing_gets_sensible_phrases() -> None:
    """The HS briefing the product started from: its themed concerns are drafted as the
    practice they ask for; its good practice, in the past tense, is left to the author."""
    (seed,) = SEEDS
    findings = parse_briefing(seed.read_text(encoding="utf-8")).data["findings"]
    phrases = {finding["text"].split()[0]: finding["confidence"] for finding in findings}
    assert phrases["Information"] == (
        "to share what you know about a child with the other professionals involved, without delay"
    )
    assert phrases["Child"] == (
        "to challenge a decision about a child that you disagree with, and escalate it if it"
        " is not resolved"
    )
    assert phrases["Mum"] == "to recognise disguised compliance and check what parents tell you"
    assert phrases["The"] == PLACEHOLDER_TEXT  # "The initial referral ... was timely"
    assert phrases["Children's"] == PLACEHOLDER_TEXT  # "... demonstrated good decision making"
    drafted = [f for f in findings if not has_placeholder(f["confidence"])]
    assert len(drafted) == 6


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        (
            "Ask the young person where they go and who they spend time with.",
            "to ask the young person where they go and who they spend time with",
        ),
        (
            "Managers should check that staff on every shift know the plan. Then more.",
            "to check that staff on every shift know the plan",
        ),
        (
            "When you pass on a concern, check that the other practitioner has understood it.",
            "to check that the other practitioner has understood it, when you pass on a concern",
        ),
        (
            "Reflective Supervision: Make time for it every month.",
            "to make time for it every month",
        ),
        # A passive duty is the thing's, not the reader's; no theme: left to write.
        ("Any bruise on a baby must be treated as a possible sign of abuse.", PLACEHOLDER_TEXT),
        # A question is not an instruction; cut text is not either.
        ("Ask yourself: who else knows this family?", PLACEHOLDER_TEXT),
        ("Think about what daily life is like[...]", PLACEHOLDER_TEXT),
        ("[TO DO: a finding of the review]", PLACEHOLDER_TEXT),
    ],
)
def test_instructions_become_the_practice(text: str, phrase: str) -> None:
    assert draft_confidence(text, "general") == phrase


def test_a_long_instruction_is_cut_at_a_clause_to_fit() -> None:
    text = (
        "Keep a running chronology for children with complex needs, so that patterns of"
        " concern are easy to see and share with everyone who works with the family, and"
        " make sure it is read at every supervision and every review of the plan."
    )
    phrase = draft_confidence(text, "general")
    assert phrase == (
        "to keep a running chronology for children with complex needs, so that patterns of"
        " concern are easy to see and share with everyone who works with the family"
    )
    assert len(phrase) <= 200


def test_otherwise_the_theme_gives_the_practice() -> None:
    text = "Information sharing was at times poor."
    assert draft_confidence(text, "information-sharing").startswith("to share what you know")
    assert draft_confidence(text, "general") == PLACEHOLDER_TEXT
