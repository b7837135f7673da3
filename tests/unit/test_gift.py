"""GIFT: Moodle's own fixture read as Moodle reads it, and our banks through GIFT and back."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizapp.authoring.scaffolds import find_placeholders
from quizapp.banks import dump_bank, load_bank_text
from quizapp.interchange import PLACEHOLDER_FINDING, Adjusted, Problem, Skipped
from quizapp.interchange.gift import read, write

FIXTURE = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "fixtures"
    / "moodle"
    / "gift"
    / "questions.gift.txt"
)

TODO_GENERAL = "[TO DO: write the general feedback]"


def loaded(data: dict[str, Any]) -> dict[str, Any]:
    """A bank as the loader sees it (defaults filled in), or the loader's errors."""
    result = load_bank_text(dump_bank(data), "gift.yaml")
    assert result.errors == [], result.errors
    assert result.bank is not None
    return result.bank.to_data()


# --- Moodle's fixture ------------------------------------------------------------------


def test_fixture_every_question_is_imported_or_skipped_with_its_reason() -> None:
    text = FIXTURE.read_text(encoding="utf-8")
    report = read(text)

    names = re.findall(r"^::(.+?)::", text, flags=re.MULTILINE)
    assert len(names) == 9  # Moodle's own behat test imports 9 from this file
    accounted = [q["id"] for q in report.questions] + [s.name for s in report.skipped]
    assert len(accounted) == len(names)
    assert report.problems == []
    assert [(q["id"], q["type"]) for q in report.questions] == [
        ("q8", "reflection"),
        ("q2", "single"),
        ("colours", "multiple"),
        ("q1", "true_false"),
        ("2-08-tsl", "true_false"),
        ("2-08-tsl-2", "true_false"),
    ]
    assert report.skipped == [
        Skipped("Moodle activities", "matching", "matching is not a question type here"),
        Skipped("Q5", "numerical", "numeric answers are not a question type here"),
        Skipped(
            "Shortanswer",
            "short answer",
            "typed answers are not a question type here (they can't be marked fairly)",
        ),
    ]
    assert report.ok


def test_fixture_questions_carry_text_feedback_and_weights() -> None:
    questions = {q["id"]: q for q in read(FIXTURE.read_text(encoding="utf-8")).questions}

    assert questions["q8"] == {"id": "q8", "type": "reflection", "prompt": "How are you?"}
    assert questions["q2"] == {
        "id": "q2",
        "type": "single",
        "prompt": "What's between orange and green in the spectrum?",
        "feedback": TODO_GENERAL,
        "options": [
            {"text": "yellow", "correct": True, "feedback": "right; good!"},
            # "[html]wrong, it's yellow" and "[plain]blue": format markers are not text
            {"text": "red", "correct": False, "feedback": "wrong, it's yellow"},
            {"text": "blue", "correct": False, "feedback": "wrong, it's yellow"},
        ],
    }
    assert [(o["text"], o["correct"]) for o in questions["colours"]["options"]] == [
        ("yellow", True),
        ("red", False),
        ("off-beige", True),
        ("blue", False),
    ]
    assert questions["q1"] == {
        "id": "q1",
        "type": "true_false",
        "prompt": "42 is the Absolute Answer to everything.",
        "answer": False,
        # Moodle: FALSE#for a wrong answer#for a right answer
        "feedback_true": "42 is the Ultimate Answer.",
        "feedback_false": "You gave the right answer.",
        "feedback": "This is, of course, a Hitchiker's Guide to the Galaxy reference.",
    }
    assert questions["2-08-tsl"]["answer"] is True  # {T}
    assert questions["2-08-tsl-2"]["answer"] is True  # {TRUE}
    assert questions["2-08-tsl"]["feedback_false"].startswith("[TO DO:")


def test_fixture_changes_are_reported_per_question() -> None:
    report = read(FIXTURE.read_text(encoding="utf-8"))

    assert (
        report.adjusted
        == [
            Adjusted("Q2", "no general feedback: a placeholder is added"),
            Adjusted("colours", "no general feedback: a placeholder is added"),
            Adjusted(
                "colours",
                "marked as quizapp marks every question with several right answers: 'red' is"
                " worth -50% here (-100% in the file), 'blue' is worth -50% here (-100% in the"
                " file). Each right answer chosen earns an equal share of the marks, each wrong"
                " one chosen takes an equal share away, never below 0",
            ),
            Adjusted("Q1", "text after the answers ('\";') left out: punctuation only"),
        ]
        + [
            Adjusted("2-08 TSL", "no general feedback: a placeholder is added"),
            Adjusted(
                "2-08 TSL", "no feedback for a wrong or a right answer: a placeholder is added"
            ),
        ]
        * 2
    )


def test_fixture_import_is_a_draft_the_bank_loader_accepts() -> None:
    draft = read(FIXTURE.read_text(encoding="utf-8")).as_bank("Moodle's GIFT fixture")

    bank = loaded(draft)

    assert [q["id"] for q in bank["questions"]] == [
        "q8",
        "q2",
        "colours",
        "q1",
        "2-08-tsl",
        "2-08-tsl-2",
    ]
    # Only the placeholders are left for the author.
    assert "questions[1].feedback" in find_placeholders(bank)
    assert "questions[3].feedback" not in find_placeholders(bank)


# --- reading other GIFT ----------------------------------------------------------------


def test_categories_become_tags_and_escapes_are_text() -> None:
    report = read(
        "$CATEGORY: $course$/top/Safeguarding/Week 1\n"
        "\n"
        "// a comment Moodle skips\n"
        "::Ratio::[html]<p>Is 1\\:2 written <b>1\\:2</b>?</p>{\n"
        "\t=Yes\\, it is \\{ratio\\} \\= 1\\/2 \\~ \\#1#Right\\nagain\n"
        "\t~No#Wrong\n"
        "\t####General\n"
        "}\n"
    )

    assert report.title == "Week 1"
    [question] = report.questions
    assert question["id"] == "ratio"
    assert question["tags"] == ["week-1"]
    assert question["prompt"] == "Is 1:2 written **1:2**?"
    # Only \ before ~ = # { } : n is an escape; any other backslash is kept.
    assert question["options"][0]["text"] == "Yes\\, it is {ratio} = 1\\/2 ~ #1"
    assert question["options"][0]["feedback"] == "Right\nagain"
    assert question["feedback"] == "General"
    assert report.adjusted == []


def test_weights_our_rule_cannot_express_are_reported_with_what_we_do() -> None:
    report = read(
        "::Partial::Which?{\n=Best#a\n~%50%Nearly#b\n~%-25%Bad#c\n####g}\n\n"
        "::Exact::Which?{~%50%A#a ~%50%B#b ~%-50%C#c ~%-50%D#d ####g}\n\n"
        "::Unpenalised::Which?{~%100%A#a ~B#b ####g}\n"
    )

    assert [q["type"] for q in report.questions] == ["single", "multiple", "multiple"]
    assert [o["correct"] for o in report.questions[0]["options"]] == [True, False, False]
    assert report.adjusted == [
        Adjusted(
            "Partial",
            "part marks 'Nearly' 50%, 'Bad' -25% left out: the right answer earns the marks,"
            " any other answer earns none",
        ),
        Adjusted(
            "Unpenalised",
            "marked as quizapp marks every question with several right answers: 'B' is worth"
            " -100% here (0% in the file). Each right answer chosen earns an equal share of"
            " the marks, each wrong one chosen takes an equal share away, never below 0",
        ),
    ]


def test_missing_word_choice_keeps_a_gap_and_others_are_skipped() -> None:
    report = read(
        "::Tomb::Grant is {~buried#a =entombed#b ~living#c ####g} in Grant's tomb.\n\n"
        "::Capital::The capital of France is {=Paris#a ~Lyon#b ####g}.\n\n"
        "::Sky::The sky is {T} blue today.\n\n"
        "::Intro::Read this first: no answers at all.\n"
    )

    assert [(q["prompt"], q["type"]) for q in report.questions] == [
        ("Grant is _____ in Grant's tomb.", "single"),
        ("The capital of France is _____.", "single"),
    ]
    assert report.skipped == [
        Skipped("Sky", "missing word (truefalse)", "only a choice can fill a gap here"),
        Skipped("Intro", "description", "text without answers: nothing to ask or mark"),
    ]


def test_broken_questions_are_problems_named_and_the_rest_still_read() -> None:
    report = read(
        "::Open::Which? {=A ~B\n\n"
        "::Twice::Which? {=A =B ~C}\n\n"
        "::Heavy::Which? {~%150%A ~%-50%B}\n\n"
        "::Words::Which? {~%half%A ~B}\n\n"
        "::Nobody::Which? {~A ~B}\n\n"
        "::Blank::Which? {=A ~ #why}\n\n"
        "::Two parts::Which {=A ~B} and {=C ~D}\n\n"
        "::Fine::Which?{=A#a ~B#b ####g}\n\n"
        "A question without a name and with { broken braces\n"
    )

    assert [q["id"] for q in report.questions] == ["fine"]
    assert report.adjusted == []  # nothing changed in a question that was not imported
    assert report.problems == [
        Problem("Open", "a { and its } do not match (write \\{ or \\} for a brace in text)"),
        Problem(
            "Twice",
            "2 answers are fully right in a one-answer question: mark one with = (or, for"
            " choose-all-that-apply, give every answer a ~%...% weight)",
        ),
        Problem("Heavy", "weight 150% is outside -100% to 100%"),
        Problem("Words", "weight %half% is not a number"),
        Problem("Nobody", "no answer is right: give one = or some ~%...% weights above 0"),
        Problem("Blank", "an answer has no text"),
        Problem(
            "Two parts",
            "more than one {...} answer section (write \\{ or \\} for a brace in text)",
        ),
        Problem(
            "A question without a name and with { ...",
            "a { and its } do not match (write \\{ or \\} for a brace in text)",
        ),
    ]


# --- writing and the round trip --------------------------------------------------------


def _bank(questions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "format": 1,
        "id": "gift-bank",
        "title": "HS / the baby: a review",
        "summary": "Summary.",
        "source": {"publisher": "Partnership", "title": "Review"},
        "findings": [
            {"id": "sharing", "kind": "concern", "text": "Information was not shared."},
            {"id": "optimism", "kind": "concern", "text": "Over-optimism."},
        ],
        "stages": [{"id": "questions", "title": "Questions", "narrative": "HS is born."}],
        "questions": [{"stage": "questions", **q} for q in questions],
        "signposting": "Ask your lead.",
        "check": {"pass_mark": 80, "certainty": True, "refresh_months": 36},
    }


def _option(text: str, correct: bool, feedback: str, **more: Any) -> dict[str, Any]:
    return {"text": text, "correct": correct, "feedback": feedback, **more}


QUESTIONS: list[dict[str, Any]] = [
    {
        "id": "q-share",
        "type": "single",
        "findings": ["sharing"],
        "tags": ["early-help"],
        "prompt": "A health visitor learns of a **new** conviction.\n\nWhat first?",
        "hint": "Think about who needs to know = everyone?",
        "feedback": "Information must reach everyone.",
        "points": 3,
        "shuffle": False,
        "options": [
            _option("Mention it at the next core group", False, "That could be weeks away."),
            _option("Tell the social worker the same day", True, "Right."),
            _option("None of these", False, "One is right.", fixed=True),
        ],
    },
    {
        "id": "q-signs",
        "type": "multiple",
        "findings": ["sharing", "optimism"],
        "pool": "signs",
        "prompt": "Which are signs of harm?",
        "feedback": "Those who don't cruise rarely bruise.",
        "options": [
            _option("A bruise on a baby", True, "Yes."),
            _option("An unexplained fracture", True, "Yes."),
            _option("A prompt visit", False, "No."),
        ],
    },
    {
        "id": "q-all-right",
        "type": "multiple",
        "findings": ["sharing", "optimism"],
        "pool": "signs",
        "prompt": "Which apply?",
        "feedback": "All of them.",
        "options": [
            _option("One", True, "Yes."),
            _option("Two", True, "Yes."),
            _option("Three", True, "Yes."),
        ],
    },
    {
        "id": "q-attend",
        "type": "true_false",
        "findings": ["optimism"],
        "prompt": "Parents who attend every appointment are caring safely.",
        "answer": False,
        "feedback_true": "Attendance can be disguised compliance.",
        "feedback_false": "Right. Look for evidence of change.",
        "feedback": "Attendance is not change.",
    },
    {
        "id": "q-true",
        "type": "true_false",
        "findings": ["sharing"],
        "prompt": "Share the same day.",
        "answer": True,
        "feedback_true": "Right.",
        "feedback_false": "No: the same day.",
        "feedback": "Same day.",
    },
    {
        "id": "q-reflect",
        "type": "reflection",
        "tags": ["practice", "meetings"],
        "prompt": "How do you challenge a decision you disagree with?",
        "feedback": "Points to consider.",
    },
    {"id": "q-reflect-bare", "type": "reflection", "prompt": "Anything else?"},
]


def _round_trip(bank: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The bank as loaded, and as loaded again after GIFT and back."""
    original = loaded(bank)
    exported = write(original)
    report = read(exported.data.decode("utf-8"))
    assert report.problems == []
    return original, loaded(report.as_bank())


def test_round_trip_every_type_gift_has_comes_back_equal() -> None:
    original, back = _round_trip(_bank(QUESTIONS))

    for question in original["questions"]:
        question["findings"] = question.get("findings") or [PLACEHOLDER_FINDING]
    assert back["questions"] == original["questions"]
    assert back["title"] == original["title"]  # carried by the category


def test_round_trip_keeps_special_characters() -> None:
    special = "a = b ~ c # d { e } f : g \\ h \\n i // j -> k %50% l [html] m\nn"
    bank = _bank(
        [
            {
                "id": "q-special",
                "type": "single",
                "findings": ["sharing"],
                "prompt": special,
                "feedback": "[plain]" + special,
                "options": [
                    _option("%50% sure " + special, False, "#" + special),
                    _option("[markdown]" + special, True, "####" + special),
                    _option("=" + special, False, "~" + special),
                ],
            },
            {
                "id": "q-special-tf",
                "type": "true_false",
                "findings": ["sharing"],
                "prompt": "{T}" + special,
                "answer": True,
                "feedback_true": "#" + special,
                "feedback_false": special + "#",
                "feedback": "{}" + special,
            },
        ]
    )

    original, back = _round_trip(bank)

    assert back["questions"] == original["questions"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.text(alphabet="ab =~#{}:\\%[]/>-n\n", min_size=1, max_size=20).filter(
            lambda t: t.strip() and t == t.strip()
        ),
        min_size=4,
        max_size=4,
        unique=True,
    )
)
def test_any_text_survives_the_round_trip(texts: list[str]) -> None:
    bank = _bank(
        [
            {
                "id": "q-any",
                "type": "multiple",
                "findings": ["sharing"],
                "prompt": texts[0],
                "feedback": texts[1],
                "options": [
                    _option(texts[2], True, texts[3]),
                    _option(texts[3], False, texts[2]),
                ],
            }
        ]
    )

    original, back = _round_trip(bank)

    assert back["questions"] == original["questions"]


def test_written_gift_has_moodle_syntax() -> None:
    unpooled = {k: v for k, v in QUESTIONS[1].items() if k != "pool"}
    bank = loaded(_bank([unpooled, QUESTIONS[3], QUESTIONS[5]]))
    bank["questions"][0]["options"][0]["text"] = "%5 of babies"

    exported = write(bank)

    assert exported.skipped == []
    assert exported.data.decode("utf-8") == (
        "// HS / the baby: a review: exported from quizapp\n"
        "\n"
        "$CATEGORY: $course$/top/HS // the baby: a review\n"
        "\n"
        "// quizapp: id=q-signs tags=finding-sharing,finding-optimism\n"
        "::q-signs::[markdown]Which are signs of harm?{\n"
        "\t~%50%%5 of babies#Yes.\n"
        "\t~%50%An unexplained fracture#Yes.\n"
        "\t~%-100%A prompt visit#No.\n"
        "\t####Those who don't cruise rarely bruise.\n"
        "}\n"
        "\n"
        "// quizapp: id=q-attend tags=finding-optimism\n"
        "::q-attend::[markdown]Parents who attend every appointment are caring safely.{FALSE"
        "#Attendance can be disguised compliance.#Right. Look for evidence of change."
        "####Attendance is not change.}\n"
        "\n"
        "// quizapp: id=q-reflect tags=practice,meetings\n"
        "::q-reflect::[markdown]How do you challenge a decision you disagree with?"
        "{####Points to consider.}\n"
    )


def test_weights_are_written_as_moodle_writes_them() -> None:
    options = [_option(f"Option {n}", n < 3, "Why.") for n in range(9)]
    bank = loaded(
        _bank(
            [
                {
                    "id": "q-many",
                    "type": "multiple",
                    "findings": ["sharing"],
                    "prompt": "Which?",
                    "feedback": "Because.",
                    "options": options,
                }
            ]
        )
    )

    text = write(bank).data.decode("utf-8")

    assert re.findall(r"~(%[^%]*%)?Option", text) == ["%33.33333%"] * 3 + ["%-16.66667%"] * 6
    assert read(text).adjusted == []  # our weights read back as our rule


def test_wrong_option_starting_with_percent_is_not_read_as_a_weight() -> None:
    bank = loaded(_bank([QUESTIONS[0]]))
    bank["questions"][0]["options"][0]["text"] = "%50% of them"

    text = write(bank).data.decode("utf-8")

    assert "\t~%0%%50% of them#" in text
    [question] = read(text).questions
    assert [o["correct"] for o in question["options"]] == [False, True, False]
    assert question["options"][0]["text"] == "%50% of them"


def test_types_gift_has_not_are_listed_as_skipped() -> None:
    bank = copy.deepcopy(_bank(QUESTIONS[:1]))
    bank["questions"].append(
        {
            "id": "q-order",
            "stage": "questions",
            "type": "ordering",
            "findings": ["sharing"],
            "prompt": "Put in order.",
            "feedback": "Escalate in steps.",
            "items": ["Talk", "Ask your manager", "Escalate"],
        }
    )

    exported = write(loaded(bank))

    assert exported.skipped == [
        Skipped(
            "q-order",
            "ordering",
            "GIFT has no ordering question (Moodle's ordering type has no GIFT syntax)",
        )
    ]
    assert [q["id"] for q in read(exported.data.decode("utf-8")).questions] == ["q-share"]


def test_our_comment_line_wins_over_the_category_and_names() -> None:
    report = read(
        "$CATEGORY: $course$/top/Default for C1\n"
        "\n"
        "Who do you tell first about a new conviction?{=The social worker#a ~Nobody#b ####g}\n"
        "\n"
        "// quizapp: id=q-kept tags=early-help,finding-sharing points=2\n"
        "::Renamed in Moodle::Which?{=A#a ~B#b ####g}\n"
        "\n"
        "// quizapp: id=q-kept tags= points=many\n"
        "::Hand edited::Which?{=A#a ~B#b ####g}\n"
    )

    first, second = report.questions
    assert first["id"] == "who-do-you-tell-first-about-a-new"
    assert first["tags"] == ["default-for-c1"]
    assert second["id"] == "q-kept"
    assert second["tags"] == ["early-help", "finding-sharing"]
    assert second["points"] == 2
    assert report.problems == [
        Problem("Hand edited", "points=many in the quizapp comment is not a number")
    ]
    assert report.as_bank()["questions"][1]["findings"] == ["sharing"]


def test_a_file_as_moodle_writes_it() -> None:
    # The layout of Moodle's qformat_gift::writequestion: a comment per question, HTML
    # text marked [html], answers inheriting it, weights with up to 7 significant figures.
    report = read(
        "// question: 0  name: Switch category to $course$/top/Default for C1/Week 2\n"
        "$CATEGORY: $course$/top/Default for C1/Week 2\n"
        "\n"
        "\n"
        "// question: 12  name: colours\n"
        "::colours::[html]<p>What's between <i>orange</i> and green?</p>{\n"
        "\t~%33.33333%yellow#<p>right</p>\n"
        "\t~%33.33333%gold#right\n"
        "\t~%33.33333%amber#right\n"
        "\t~%-100%red#wrong\n"
        "\t####<p>General <b>feedback</b></p>\n"
        "}\n"
        "\n"
        "// question: 13  name: Q8\n"
        "::Q8::[html]<p>How are you?</p>{}\n"
    )

    colours, essay = report.questions
    assert colours["prompt"] == "What's between *orange* and green?"
    assert colours["feedback"] == "General **feedback**"
    assert colours["tags"] == ["week-2"]
    assert [(o["text"], o["correct"], o["feedback"]) for o in colours["options"]] == [
        ("yellow", True, "right"),
        ("gold", True, "right"),
        ("amber", True, "right"),
        ("red", False, "wrong"),
    ]
    assert report.adjusted == []  # 1/3 each and -100% for the one wrong: our rule exactly
    assert essay == {
        "id": "q8",
        "type": "reflection",
        "prompt": "How are you?",
        "tags": ["week-2"],
    }
    assert report.title == "Week 2"
