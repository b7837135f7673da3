"""Properties over generated input: marks always stay in range, and the bank loader
always answers (a bank or errors) whatever bytes a file holds.

The fixed-spec properties live in test_questions.py and test_bank_loader.py; these
generate the questions too (option counts, which options are right, points, item
counts), and the whole attempt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from quizapp.banks import load_bank_file
from quizapp.banks.loader import LoadResult
from quizapp.banks.schema import QUESTION_MODELS
from quizapp.questions import AnswerError, get_type
from quizapp.questions.base import Arrangement
from quizapp.scoring import CBM_MARKS, ItemResult, cbm_mark, summarise

from .test_questions import Form, make_spec

HS_BANK = Path(__file__).resolve().parents[2] / "question_banks" / "hs-baby-2016.yaml"


def _options(correct: list[bool]) -> list[dict[str, Any]]:
    return [
        {"text": f"Option {i}", "correct": right, "feedback": f"Why {i}"}
        for i, right in enumerate(correct)
    ]


@st.composite
def scored_questions(draw: st.DrawFn) -> tuple[str, dict[str, Any], int]:
    """(type, spec, points): any scored question the bank schema accepts."""
    kind = draw(st.sampled_from(["single", "multiple", "true_false", "ordering"]))
    points = draw(st.integers(min_value=0, max_value=10))
    if kind in ("single", "multiple"):
        fields = {"options": _options(draw(st.lists(st.booleans(), min_size=2, max_size=8)))}
    elif kind == "true_false":
        fields = {"answer": draw(st.booleans()), "feedback_true": "T", "feedback_false": "F"}
    else:
        count = draw(st.integers(min_value=2, max_value=8))
        fields = {"items": [f"Step {i}" for i in range(count)]}
    try:
        spec = make_spec(kind, points=points, **fields)
    except ValidationError:
        assume(False)
    assume(not get_type(kind).validate(spec))  # e.g. a single choice with no right option
    return kind, spec, points


#: What a browser (or someone hand-crafting a request) might send for an answer.
FIELD_NAMES = ["answer", *(f"position-{i}" for i in range(9))]
values = st.one_of(
    st.sampled_from([str(i) for i in range(-2, 11)] + ["true", "false", "", " 1", "01", "1.0"]),
    st.text(max_size=8),
)
forms = st.dictionaries(st.sampled_from(FIELD_NAMES), st.lists(values, max_size=4), max_size=10)
certainties = st.sampled_from([None, 1, 2, 3])


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(question=scored_questions(), form=forms, certainty=certainties)
def test_any_response_scores_between_the_questions_minimum_and_maximum(
    question: tuple[str, dict[str, Any], int], form: dict[str, list[str]], certainty: int | None
) -> None:
    kind, spec, points = question
    question_type = get_type(kind)
    try:
        answer = question_type.parse_answer(spec, Form(form), Arrangement(0))
    except AnswerError as error:
        assert error.message
        return
    fraction = question_type.score(spec, answer)
    assert 0.0 <= fraction <= 1.0
    assert 0.0 <= fraction * points <= points
    # Certainty-based marks: from -6 (very sure and wrong) to 3 (very sure and right).
    cbm = cbm_mark(fraction, certainty) * points
    assert -6 * points <= cbm <= 3 * points
    right, wrong = CBM_MARKS[certainty or 1]
    assert wrong * points <= cbm <= right * points


@st.composite
def right_answers(draw: st.DrawFn) -> tuple[dict[str, Any], Form]:
    """A question and the form that answers it fully right."""
    kind, spec, _points = draw(scored_questions())
    if kind == "single":
        form = {"answer": [str(next(i for i, o in enumerate(spec["options"]) if o["correct"]))]}
    elif kind == "multiple":
        form = {"answer": [str(i) for i, o in enumerate(spec["options"]) if o["correct"]]}
    elif kind == "true_false":
        form = {"answer": ["true" if spec["answer"] else "false"]}
    else:
        form = {f"position-{i}": [str(i + 1)] for i in range(len(spec["items"]))}
    return {"kind": kind, "spec": spec}, Form(form)


@given(question=right_answers())
def test_a_fully_right_answer_gets_the_maximum(question: tuple[dict[str, Any], Form]) -> None:
    about, form = question
    question_type = get_type(about["kind"])
    answer = question_type.parse_answer(about["spec"], form, Arrangement(0))
    assert question_type.score(about["spec"], answer) == 1.0


items = st.builds(
    ItemResult,
    fraction=st.floats(min_value=0.0, max_value=1.0),
    points=st.integers(min_value=0, max_value=10),
    certainty=certainties,
)


@given(
    results=st.lists(items, max_size=30),
    pass_mark=st.integers(min_value=0, max_value=100),
    certainty_based=st.booleans(),
)
def test_an_attempts_totals_stay_in_range(
    results: list[ItemResult], pass_mark: int, certainty_based: bool
) -> None:
    total = summarise(results, pass_mark=pass_mark, certainty_based=certainty_based)
    assert 0.0 <= total.score <= total.max_score + 1e-9
    assert 0.0 <= total.percent <= 100.0
    assert total.passed == (total.percent >= pass_mark)
    if certainty_based:
        assert total.cbm_score is not None and total.cbm_percent is not None
        assert -6 * total.max_score - 1e-9 <= total.cbm_score <= 3 * total.max_score + 1e-9
        assert -600.0 <= total.cbm_percent <= 300.0
        assert 0 <= total.confidently_wrong <= len(results)
    else:
        assert total.cbm_score is None and total.cbm_percent is None


def _check(result: LoadResult) -> None:
    assert isinstance(result, LoadResult)
    assert (result.bank is None) == bool(result.errors)
    for error in result.errors:
        assert error.message


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2000))
def test_any_bytes_in_a_bank_file_give_a_bank_or_errors(tmp_path_factory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("bank") / "bank.yaml"
    path.write_bytes(data)
    _check(load_bank_file(path))


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0), junk=st.binary(max_size=40), keep_head=st.booleans())
def test_a_damaged_real_bank_gives_a_bank_or_errors(
    tmp_path_factory, cut: int, junk: bytes, keep_head: bool
) -> None:
    """The HS bank truncated, or with bytes spliced in (a bad save, a bad merge)."""
    original = HS_BANK.read_bytes()
    position = cut % (len(original) + 1)
    damaged = original[:position] + junk + (original[position:] if keep_head else b"")
    path = tmp_path_factory.mktemp("bank") / "hs.yaml"
    path.write_bytes(damaged)
    _check(load_bank_file(path))


def test_every_scored_type_is_generated() -> None:
    """A new scored type must be added to scored_questions(). A scenario is answered one
    decision per page, not by a form: its properties are in test_scenario_validation.py."""
    scored = {
        name
        for name, model in QUESTION_MODELS.items()
        if get_type(name).scored and name != "scenario"
    }
    assert scored == {"single", "multiple", "true_false", "ordering"}
