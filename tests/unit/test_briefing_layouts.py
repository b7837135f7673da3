"""Layouts real briefings come in: other headings, 7-minute briefings pasted from a PDF,
lettered lists, and what the converter did not use. All texts here are made up."""

from __future__ import annotations

from quizapp.authoring.briefing import parse_briefing

SEVEN_MINUTE_PDF = """\
7 Minute Briefing: Baby Z

1. BACKGROUND
Baby Z was 4 months old when she was taken to
hospital with a head injury.

2

2. WHY IT MATTERS
Babies who are not yet mobile rarely bruise.

3. KEY LEARNING
\u2022
Health visitors did not ask who else lived in the
household.
\u2022 The GP made a timely referral to the \ufb01rst response team.

4. GOOD PRACTICE
a) The school nurse spoke to the child alone.
b) The midwife shared her notes the same day.

Page 3 of 7

5. QUESTIONS TO CONSIDER
\u2022 How do you find out who lives in the home?
\u2022 Remember to record the names of all adults.
\u2022 Do you ask to see where the baby sleeps

7. FURTHER INFORMATION
Contact the safeguarding hub on 0100 000 000.
"""


def findings(draft):
    return {f["text"]: f["kind"] for f in draft.data["findings"]}


def prompts(draft):
    return [q["prompt"] for q in draft.data["questions"] if q["type"] == "reflection"]


def test_seven_minute_briefing_pasted_from_a_pdf() -> None:
    draft = parse_briefing(SEVEN_MINUTE_PDF)
    assert findings(draft) == {
        "Health visitors did not ask who else lived in the household.": "concern",
        "The GP made a timely referral to the first response team.": "good-practice",
        "The school nurse spoke to the child alone.": "good-practice",
        "The midwife shared her notes the same day.": "good-practice",
    }
    assert prompts(draft) == [
        "How do you find out who lives in the home?",
        "Do you ask to see where the baby sleeps",
    ]
    assert draft.data["signposting"] == "Contact the safeguarding hub on 0100 000 000."
    narrative = draft.data["stages"][0]["narrative"]
    assert (
        narrative == "Baby Z was 4 months old when she was taken to\nhospital with a head injury."
    )


def test_kind_reasons_name_the_heading_or_the_wording() -> None:
    draft = parse_briefing(SEVEN_MINUTE_PDF)
    reasons = {f["text"]: draft.kind_reasons[f["id"]] for f in draft.data["findings"]}
    assert reasons["The school nurse spoke to the child alone."] == "under '4. GOOD PRACTICE'"
    assert reasons["Health visitors did not ask who else lived in the household."] == (
        "wording: no praise, or a shortcoming named"
    )
    assert reasons["The GP made a timely referral to the first response team."].startswith(
        "wording"
    )


def test_nothing_is_dropped_unseen() -> None:
    draft = parse_briefing(SEVEN_MINUTE_PDF)
    assert "2" in draft.unused_lines  # a page number
    assert "Page 3 of 7" in draft.unused_lines
    assert "Babies who are not yet mobile rarely bruise." in draft.unused_lines
    assert "Remember to record the names of all adults." in draft.unused_lines
    assert any("Remember to record" in warning for warning in draft.warnings)


def test_statements_under_questions_are_never_reflections() -> None:
    text = "Questions to consider\n\n- Record every adult in the home.\n- Why was Dad not seen?\n"
    draft = parse_briefing(text)
    assert prompts(draft) == ["Why was Dad not seen?"]
    assert "Record every adult in the home." in draft.unused_lines


def test_theme_headings_without_a_findings_heading() -> None:
    text = (
        "Lessons from reviews\n\nThe messages below are for everyone.\n\nThink Family\n\n"
        "- When a family misses appointments, look again at the risks to the children.\n"
        "- Ask who else lives in the home and record it.\n"
    )
    draft = parse_briefing(text)
    assert findings(draft) == {
        "When a family misses appointments, look again at the risks to the children.": "concern",
        "Ask who else lives in the home and record it.": "concern",
    }
    assert "The messages below are for everyone." in draft.unused_lines


def test_method_and_theme_tags_are_not_findings() -> None:
    text = (
        "Review approach: what did we do?\n\n- We read the records of ten babies.\n\n"
        "What else did we find?\n\n- Fathers were rarely seen.\n"
    )
    draft = parse_briefing(text)
    assert findings(draft) == {"Fathers were rarely seen.": "concern"}
    assert draft.kind_reasons[draft.data["findings"][0]["id"]] == "under 'What else did we find?'"
    assert "We read the records of ten babies." in draft.unused_lines


def test_findings_from_a_paragraph_of_prose() -> None:
    text = (
        "News: a new review\n"
        "In this case the school made a timely referral, but the assessment did not include"
        " the father. The GP was never told about the plan. The police shared good notes with"
        " the health visitor. The family later moved away.\n"
    )
    draft = parse_briefing(text)
    assert findings(draft) == {
        "The school made a timely referral": "good-practice",
        "The assessment did not include the father.": "concern",
        "The GP was never told about the plan.": "concern",
        "The police shared good notes with the health visitor.": "good-practice",
    }
    assert "The family later moved away." in draft.unused_lines
    assert any("clauses of the paragraph" in warning for warning in draft.warnings)


def test_good_practice_only_still_gives_a_bank_with_a_question() -> None:
    # Found by the hypothesis test in test_briefing.py: a bank needs at least one question.
    from quizapp.banks import dump_bank, load_bank_text

    draft = parse_briefing("Good Practice\n\n- The GP made a timely referral.\n")
    assert findings(draft) == {"The GP made a timely referral.": "good-practice"}
    assert len(draft.data["questions"]) == 1
    assert any(
        warning.startswith("No concern findings and no questions") for warning in draft.warnings
    )
    assert load_bank_text(dump_bank(draft.data), "draft.yaml").errors == []
