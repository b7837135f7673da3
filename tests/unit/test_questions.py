"""Question types: forms to answers, answers to marks, feedback and presentation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quizapp.banks.schema import QUESTION_MODELS
from quizapp.questions import QUESTION_TYPES, AnswerError, OptionFeedback, get_type
from quizapp.questions.base import MAX_TEXT_ANSWER, Arrangement

#: Layout 1 (attempts made before shuffling): file order, indexes as values.
FIRST = Arrangement(0)


class Form:
    """The part of werkzeug's MultiDict that question types use."""

    def __init__(self, values: Mapping[str, str | list[str]] | None = None) -> None:
        self._values = {
            key: value if isinstance(value, list) else [value]
            for key, value in (values or {}).items()
        }

    def getlist(self, key: str, /) -> list[Any]:
        return list(self._values.get(key, []))


def make_spec(type_name: str, **fields: Any) -> dict[str, Any]:
    """A question as the bank schema dumps it, so the tests see what the app will."""
    question = {
        "id": "q-test",
        "stage": "stage",
        "type": type_name,
        "findings": ["finding"],
        "prompt": "Prompt",
        "feedback": "General feedback",
        **fields,
    }
    if type_name == "reflection":
        question.pop("feedback")
    return QUESTION_MODELS[type_name].model_validate(question).spec()


def options(*correct: bool) -> list[dict[str, Any]]:
    return [
        {"text": f"Option {i}", "correct": right, "feedback": f"Why {i}"}
        for i, right in enumerate(correct)
    ]


SINGLE = make_spec("single", options=options(False, True, False))
# k = 2 right options (0, 2), m = 3 wrong ones (1, 3, 4).
MULTIPLE = make_spec("multiple", options=options(True, False, True, False, False))
TRUE_FALSE = make_spec("true_false", answer=False, feedback_true="FT", feedback_false="FF")
ORDERING = make_spec("ordering", items=["first", "second", "third", "fourth"])
REFLECTION = make_spec("reflection")

single = get_type("single")
multiple = get_type("multiple")
true_false = get_type("true_false")
ordering = get_type("ordering")
reflection = get_type("reflection")


def positions(*places: int) -> Form:
    """positions(2, 1) puts item 0 at position 2 and item 1 at position 1."""
    return Form({f"position-{i}": str(place) for i, place in enumerate(places)})


# --- registry -------------------------------------------------------------------------


def test_registry_names_templates_and_scoring() -> None:
    assert list(QUESTION_TYPES) == [
        "single",
        "multiple",
        "true_false",
        "ordering",
        "reflection",
        "scenario",
    ]
    for name, question_type in QUESTION_TYPES.items():
        assert question_type.name == name
        assert question_type.template == f"take/questions/{name}.html"
        assert question_type.label
        assert question_type.scored is (name != "reflection")
    assert get_type("single").label == "Single choice"


def test_get_type_unknown_is_key_error() -> None:
    with pytest.raises(KeyError, match="essay"):
        get_type("essay")


# --- single ---------------------------------------------------------------------------


def test_single_parse_and_score() -> None:
    assert single.parse_answer(SINGLE, Form({"answer": "1"}), FIRST) == 1
    assert single.parse_answer(SINGLE, Form({"answer": " 2 "}), FIRST) == 2
    assert single.score(SINGLE, 1) == 1.0
    assert single.score(SINGLE, 0) == 0.0
    assert single.score(SINGLE, 2) == 0.0


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "Select an answer"),
        ({"answer": ""}, "Select an answer"),
        ({"answer": "   "}, "Select an answer"),
        ({"answer": ["0", "1"]}, "Select an answer"),
        ({"answer": "3"}, "Select one of the options"),
        ({"answer": "-1"}, "Select one of the options"),
        ({"answer": "one"}, "Select one of the options"),
        ({"answer": "1.0"}, "Select one of the options"),
        ({"answer": "\u00b2"}, "Select one of the options"),
        ({"answer": "9" * 5000}, "Select one of the options"),
        ({"other": "1"}, "Select an answer"),
    ],
)
def test_single_parse_errors(values: dict[str, Any], message: str) -> None:
    with pytest.raises(AnswerError) as caught:
        single.parse_answer(SINGLE, Form(values), FIRST)
    assert caught.value.message == message


def test_single_texts_and_feedback() -> None:
    assert single.answer_text(SINGLE, 0) == "Option 0"
    assert single.answer_text(SINGLE, None) == "Not answered"
    assert single.correct_answer_text(SINGLE) == "Option 1"
    assert single.feedback(SINGLE, 1) == [OptionFeedback("Option 1", True, True, "Why 1")]
    wrong = single.feedback(SINGLE, 2)
    assert wrong == [
        OptionFeedback("Option 1", chosen=False, correct=True, feedback="Why 1"),
        OptionFeedback("Option 2", chosen=True, correct=False, feedback="Why 2"),
    ]
    assert [item.missed for item in wrong] == [True, False]


def test_single_presentation_in_file_order() -> None:
    assert single.presentation(SINGLE, Arrangement(7)) == {
        "options": [
            {"index": 0, "value": "0", "text": "Option 0"},
            {"index": 1, "value": "1", "text": "Option 1"},
            {"index": 2, "value": "2", "text": "Option 2"},
        ]
    }


def test_stored_answer_that_does_not_fit_is_a_bug() -> None:
    with pytest.raises(ValueError, match="not an option index"):
        single.score(SINGLE, 5)
    with pytest.raises(ValueError, match="not an option index"):
        single.score(SINGLE, True)


def test_single_validate() -> None:
    assert single.validate(SINGLE) == []
    two = {**SINGLE, "options": options(True, True)}
    assert single.validate(two) == [
        ("options", "exactly one option must be correct: true (found 2)")
    ]
    none = {**SINGLE, "options": options(False, False)}
    assert single.validate(none) == [
        ("options", "exactly one option must be correct: true (found 0)")
    ]
    same = {
        **SINGLE,
        "options": [*options(True, False), {**options(False)[0], "text": "option  1"}],
    }
    assert single.validate(same) == [("options[2].text", "repeats options[1].text")]


# --- multiple -------------------------------------------------------------------------


def test_multiple_parse() -> None:
    assert multiple.parse_answer(MULTIPLE, Form({"answer": ["2", "0"]}), FIRST) == [0, 2]
    assert multiple.parse_answer(MULTIPLE, Form({"answer": ["2", "2", ""]}), FIRST) == [2]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "Select at least one option"),
        ({"answer": ""}, "Select at least one option"),
        ({"answer": ["0", "5"]}, "Select options from the list"),
        ({"answer": ["0", "x"]}, "Select options from the list"),
        ({"answer": ["-0"]}, "Select options from the list"),
    ],
)
def test_multiple_parse_errors(values: dict[str, Any], message: str) -> None:
    with pytest.raises(AnswerError) as caught:
        multiple.parse_answer(MULTIPLE, Form(values), FIRST)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ([0, 2], 1.0),  # all right, nothing wrong
        ([0], 0.5),  # one of two right
        ([0, 1], 0.5 - 1 / 3),  # one right (+1/2), one wrong (-1/3)
        ([0, 2, 1], 1 - 1 / 3),
        ([1], 0.0),  # only wrong: floored
        ([0, 1, 3], 0.0),  # 1/2 - 2/3 floored at 0
        ([0, 1, 2, 3, 4], 0.0),  # everything chosen: 1 - 1 = 0
    ],
)
def test_multiple_score(answer: list[int], expected: float) -> None:
    assert multiple.score(MULTIPLE, answer) == pytest.approx(expected)


def test_multiple_score_with_no_wrong_options() -> None:
    spec = make_spec("multiple", options=options(True, True, True))
    assert multiple.score(spec, [0, 1, 2]) == 1.0
    assert multiple.score(spec, [0]) == pytest.approx(1 / 3)


def test_multiple_texts_and_feedback() -> None:
    assert multiple.answer_text(MULTIPLE, [0, 1]) == "Option 0; Option 1"
    assert multiple.correct_answer_text(MULTIPLE) == "Option 0; Option 2"
    feedback = multiple.feedback(MULTIPLE, [1, 2])
    assert [(f.text, f.chosen, f.correct, f.missed) for f in feedback] == [
        ("Option 0", False, True, True),
        ("Option 1", True, False, False),
        ("Option 2", True, True, False),
    ]
    assert [f.feedback for f in feedback] == ["Why 0", "Why 1", "Why 2"]


def test_multiple_validate() -> None:
    assert multiple.validate(MULTIPLE) == []
    none = {**MULTIPLE, "options": options(False, False)}
    assert multiple.validate(none) == [
        ("options", "at least one option must be correct: true (found none)")
    ]


# --- true / false ---------------------------------------------------------------------


def test_true_false_parse_and_score() -> None:
    assert true_false.parse_answer(TRUE_FALSE, Form({"answer": "true"}), FIRST) is True
    assert true_false.parse_answer(TRUE_FALSE, Form({"answer": "false"}), FIRST) is False
    assert true_false.score(TRUE_FALSE, False) == 1.0
    assert true_false.score(TRUE_FALSE, True) == 0.0


@pytest.mark.parametrize(
    "values",
    [{}, {"answer": ""}, {"answer": "yes"}, {"answer": "True"}, {"answer": ["true", "false"]}],
)
def test_true_false_parse_errors(values: dict[str, Any]) -> None:
    with pytest.raises(AnswerError, match=r"^Select true or false$"):
        true_false.parse_answer(TRUE_FALSE, Form(values), FIRST)


def test_true_false_feedback_follows_the_answer_given() -> None:
    assert true_false.feedback(TRUE_FALSE, True) == [OptionFeedback("True", True, False, "FT")]
    assert true_false.feedback(TRUE_FALSE, False) == [OptionFeedback("False", True, True, "FF")]
    assert true_false.answer_text(TRUE_FALSE, True) == "True"
    assert true_false.correct_answer_text(TRUE_FALSE) == "False"
    with pytest.raises(ValueError, match="not true or false"):
        true_false.score(TRUE_FALSE, 1)


# --- ordering -------------------------------------------------------------------------


def test_ordering_parse() -> None:
    # Item 0 placed 2nd, item 1 placed 1st, items 2 and 3 in place.
    assert ordering.parse_answer(ORDERING, positions(2, 1, 3, 4), FIRST) == [1, 0, 2, 3]
    assert ordering.parse_answer(ORDERING, positions(1, 2, 3, 4), FIRST) == [0, 1, 2, 3]
    assert ordering.parse_answer(ORDERING, positions(4, 3, 2, 1), FIRST) == [3, 2, 1, 0]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (Form({}), "Give each item a position"),
        (Form({"position-0": "1", "position-1": "2", "position-2": "3"}), "each item a position"),
        (positions(1, 2, 3, 0), "Give each item a position from 1 to 4"),
        (positions(1, 2, 3, 5), "Give each item a position from 1 to 4"),
        (Form({f"position-{i}": p for i, p in enumerate(["1", "2", "x", "4"])}), "from 1 to 4"),
        (Form({"position-0": ["1", "2"], "position-1": "2", "position-2": "3", "position-3": "4"}),
         "from 1 to 4"),
        (positions(1, 1, 3, 4), "Give each item a different position"),
        (positions(2, 2, 2, 2), "Give each item a different position"),
    ],
)  # fmt: skip
def test_ordering_parse_errors(form: Form, message: str) -> None:
    with pytest.raises(AnswerError) as caught:
        ordering.parse_answer(ORDERING, form, FIRST)
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ([0, 1, 2, 3], 1.0),
        ([3, 2, 1, 0], 0.0),
        ([1, 0, 2, 3], 1 / 3),  # first two swapped: only 2-3 kept
        ([0, 2, 1, 3], 0.0),  # middle swapped breaks all three pairs
        ([2, 3, 0, 1], 2 / 3),  # halves swapped: 0-1 and 2-3 kept
    ],
)
def test_ordering_score(answer: list[int], expected: float) -> None:
    assert ordering.score(ORDERING, answer) == pytest.approx(expected)


def test_ordering_score_two_items() -> None:
    spec = make_spec("ordering", items=["a", "b"])
    assert ordering.score(spec, [0, 1]) == 1.0
    assert ordering.score(spec, [1, 0]) == 0.0


def test_ordering_rejects_answers_that_are_not_permutations() -> None:
    for bad in ([0, 1, 2], [0, 0, 1, 2], [0, 1, 2, 4], "0123"):
        with pytest.raises(ValueError, match="not an ordering"):
            ordering.score(ORDERING, bad)  # type: ignore[arg-type]


def test_ordering_texts() -> None:
    assert ordering.answer_text(ORDERING, [1, 0, 2, 3]) == (
        "1. second; 2. first; 3. third; 4. fourth"
    )
    assert ordering.correct_answer_text(ORDERING) == "1. first; 2. second; 3. third; 4. fourth"
    assert ordering.feedback(ORDERING, [0, 1, 2, 3]) == []


def test_ordering_validate_repeats() -> None:
    spec = {**ORDERING, "items": ["a", "b", "A "]}
    assert ordering.validate(spec) == [("items[2]", "repeats items[0]")]


def test_ordering_presentation_is_repeatable() -> None:
    first = ordering.presentation(ORDERING, Arrangement(42))
    assert first == ordering.presentation(ORDERING, Arrangement(42))
    assert first["positions"] == [1, 2, 3, 4]
    assert sorted(item["index"] for item in first["items"]) == [0, 1, 2, 3]
    for item in first["items"]:
        assert item["text"] == ORDERING["items"][item["index"]]
        assert item["field"] == f"position-{item['index']}"
    orders = {
        tuple(item["index"] for item in ordering.presentation(ORDERING, Arrangement(seed))["items"])
        for seed in range(50)
    }
    assert len(orders) > 5  # the seed really shuffles


@given(seed=st.integers(), count=st.integers(min_value=2, max_value=6))
def test_ordering_presentation_never_gives_the_answer_away(seed: int, count: int) -> None:
    spec = make_spec("ordering", items=[f"item {i}" for i in range(count)])
    shown = [item["index"] for item in ordering.presentation(spec, Arrangement(seed))["items"]]
    assert sorted(shown) == list(range(count))
    assert shown != list(range(count))


# --- reflection -----------------------------------------------------------------------


def test_reflection_parse() -> None:
    assert reflection.parse_answer(REFLECTION, Form({"answer": " I would ask.\r\n "}), FIRST) == (
        "I would ask."
    )
    assert reflection.parse_answer(REFLECTION, Form({}), FIRST) == ""
    assert reflection.parse_answer(REFLECTION, Form({"answer": "a\r\nb\x00"}), FIRST) == "a\nb"
    assert reflection.parse_answer(REFLECTION, Form({"answer": "x" * MAX_TEXT_ANSWER}), FIRST) == (
        "x" * MAX_TEXT_ANSWER
    )


def test_reflection_parse_errors() -> None:
    with pytest.raises(AnswerError, match="10,000 characters or fewer"):
        reflection.parse_answer(REFLECTION, Form({"answer": "x" * (MAX_TEXT_ANSWER + 1)}), FIRST)
    with pytest.raises(AnswerError, match="one box"):
        reflection.parse_answer(REFLECTION, Form({"answer": ["a", "b"]}), FIRST)


def test_reflection_is_never_scored() -> None:
    with pytest.raises(TypeError, match="not scored"):
        reflection.score(REFLECTION, "text")
    assert reflection.answer_text(REFLECTION, "My view") == "My view"
    assert reflection.answer_text(REFLECTION, "") == "Not answered"
    assert reflection.answer_text(REFLECTION, None) == "Not answered"
    assert reflection.correct_answer_text(REFLECTION) is None
    assert reflection.feedback(REFLECTION, "My view") == []
    assert reflection.presentation(REFLECTION, Arrangement(1)) == {"max_length": MAX_TEXT_ANSWER}


# --- properties over every type -------------------------------------------------------

SPECS = {
    "single": SINGLE,
    "multiple": MULTIPLE,
    "true_false": TRUE_FALSE,
    "ordering": ORDERING,
    "reflection": REFLECTION,
}
FIELD_NAMES = ["answer", *(f"position-{i}" for i in range(5)), "other"]
junk = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["0", "1", "2", "3", "4", "5", "-1", "true", "false", " 1", "01"]),
)
forms = st.dictionaries(st.sampled_from(FIELD_NAMES), st.lists(junk, max_size=3), max_size=7)


@given(name=st.sampled_from(list(SPECS)), values=forms)
def test_any_form_gives_an_answer_or_an_answer_error(
    name: str, values: dict[str, list[str]]
) -> None:
    question_type, spec = get_type(name), SPECS[name]
    try:
        answer = question_type.parse_answer(spec, Form(values), FIRST)
    except AnswerError as error:
        assert error.message
        return
    assert isinstance(question_type.answer_text(spec, answer), str)
    if question_type.scored:
        assert 0.0 <= question_type.score(spec, answer) <= 1.0
        assert all(
            isinstance(item, OptionFeedback) for item in question_type.feedback(spec, answer)
        )


@given(chosen=st.sets(st.integers(min_value=0, max_value=4), min_size=1))
def test_multiple_score_always_in_range(chosen: set[int]) -> None:
    answer = multiple.parse_answer(MULTIPLE, Form({"answer": [str(i) for i in chosen]}), FIRST)
    assert 0.0 <= multiple.score(MULTIPLE, answer) <= 1.0


@given(order=st.permutations(range(4)))
def test_ordering_score_always_in_range(order: list[int]) -> None:
    answer = ordering.parse_answer(
        ORDERING, positions(*(order.index(i) + 1 for i in range(4))), FIRST
    )
    assert answer == list(order)
    assert 0.0 <= ordering.score(ORDERING, answer) <= 1.0


# --- layout 2: shuffled, opaque ---------------------------------------------------------

KEY = b"k" * 32


def opaque(seed: int) -> Arrangement:
    return Arrangement(seed, KEY)


FIVE = make_spec(
    "single",
    options=[{"text": f"Option {i}", "correct": i == 0, "feedback": f"Why {i}"} for i in range(4)]
    + [{"text": "None of these", "correct": False, "feedback": "No", "fixed": True}],
)


def test_options_are_shuffled_per_seed_the_same_way_every_time() -> None:
    orders = set()
    for seed in range(40):
        shown = single.presentation(FIVE, opaque(seed))
        assert shown == single.presentation(FIVE, opaque(seed))
        indexes = [option["index"] for option in shown["options"]]
        assert sorted(indexes) == [0, 1, 2, 3, 4]
        assert indexes[4] == 4  # fixed: "None of these" stays last
        orders.add(tuple(indexes))
    assert len(orders) >= 15  # 24 orders of the four movable options
    firsts = {single.presentation(FIVE, opaque(seed))["options"][0]["index"] for seed in range(40)}
    assert firsts == {0, 1, 2, 3}


def test_shuffle_false_keeps_the_order_written() -> None:
    spec = {**FIVE, "shuffle": False}
    for seed in range(10):
        shown = single.presentation(spec, opaque(seed))["options"]
        assert [option["index"] for option in shown] == [0, 1, 2, 3, 4]
        assert [option["value"] for option in shown] != ["0", "1", "2", "3", "4"]


def test_option_values_are_opaque_and_differ_between_attempts() -> None:
    first = single.presentation(FIVE, opaque(1))["options"]
    second = single.presentation(FIVE, opaque(2))["options"]
    for option in first:
        assert len(option["value"]) == 12 and option["value"] != str(option["index"])
    assert {o["value"] for o in first}.isdisjoint({o["value"] for o in second})
    right = next(o["value"] for o in first if o["index"] == 0)
    assert single.parse_answer(FIVE, Form({"answer": right}), opaque(1)) == 0
    # Another attempt's value, or an index, is not an answer here.
    other = next(o["value"] for o in second if o["index"] == 0)
    for value in (other, "0", "1"):
        with pytest.raises(AnswerError, match="Select one of the options"):
            single.parse_answer(FIVE, Form({"answer": value}), opaque(1))


def test_multiple_choice_reads_opaque_values() -> None:
    arrangement = opaque(5)
    values = {
        o["index"]: o["value"] for o in multiple.presentation(MULTIPLE, arrangement)["options"]
    }
    sent = Form({"answer": [values[2], values[0]]})
    assert multiple.parse_answer(MULTIPLE, sent, arrangement) == [0, 2]
    with pytest.raises(AnswerError, match="Select options from the list"):
        multiple.parse_answer(MULTIPLE, Form({"answer": [values[0], "1"]}), arrangement)


def test_ordering_field_names_do_not_say_where_an_item_belongs() -> None:
    arrangement = opaque(9)
    items = ordering.presentation(ORDERING, arrangement)["items"]
    for item in items:
        assert item["field"].startswith("position-")
        assert item["field"] != f"position-{item['index']}"
    form = Form({item["field"]: str(item["index"] + 1) for item in items})
    assert ordering.parse_answer(ORDERING, form, arrangement) == [0, 1, 2, 3]
    with pytest.raises(AnswerError):
        ordering.parse_answer(ORDERING, positions(1, 2, 3, 4), arrangement)


def test_feedback_lists_options_in_the_order_shown() -> None:
    arrangement = opaque(3)
    shown = [o["index"] for o in single.presentation(FIVE, arrangement)["options"]]
    feedback = single.feedback(FIVE, 4, arrangement)
    expected = [index for index in shown if index in (0, 4)]
    assert [item.text for item in feedback] == [FIVE["options"][i]["text"] for i in expected]
