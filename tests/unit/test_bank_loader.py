"""Loading bank files: valid banks, every kind of broken bank, and no crashes ever."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizapp.banks import (
    BankError,
    BankFile,
    LoadResult,
    content_hash,
    load_bank_file,
    load_bank_paths,
    load_bank_text,
)
from quizapp.questions import QUESTION_TYPES

BANKS = Path(__file__).parent / "banks"
BROKEN = BANKS / "broken"
VALID_TEXT = (BANKS / "valid.yaml").read_text()


def load_valid() -> BankFile:
    result = load_bank_file(BANKS / "valid.yaml")
    assert result.errors == []
    assert result.bank is not None
    return result.bank


# --- valid banks ----------------------------------------------------------------------


def test_valid_bank_uses_every_type_and_loads() -> None:
    bank = load_valid()
    assert bank.id == "hs-baby-2016"
    # Scenarios are a graph of their own: tests/unit/banks/scenario.yaml holds one.
    assert [q.type for q in bank.questions] == [t for t in QUESTION_TYPES if t != "scenario"]
    assert [f.kind for f in bank.findings] == ["concern", "concern", "good-practice"]
    assert [s.id for s in bank.stages] == ["before-birth", "the-injury", "afterwards"]
    assert bank.check.pass_mark == 80
    assert bank.check.attempts == 3
    assert bank.source.url == "https://example.org/reviews/hs"
    assert [q.id for q in bank.questions_in("the-injury")] == ["q-signs", "q-optimism"]


def test_to_data_fills_defaults_and_omits_absent_values() -> None:
    data = load_valid().to_data()
    share, signs, optimism, _escalate, reflect = data["questions"]
    assert share["points"] == 1  # default written out
    assert signs["points"] == 2
    assert share["hint"] == "Think about who needs to know."
    assert "hint" not in signs  # absent optional: left out, not None
    assert optimism["answer"] is False
    assert reflect == {
        "id": "q-reflect",
        "stage": "afterwards",
        "type": "reflection",
        "findings": [],
        "prompt": "How do you challenge a decision made in a meeting when you disagree?",
    }
    # Markdown keeps its inner blank line but loses the block's trailing newline.
    assert data["summary"].endswith("treated as non-accidental.")
    assert "\n\nAt ten weeks" in data["summary"]
    json.dumps(data)  # JSON-able as it stands


def test_question_spec_is_what_question_types_read() -> None:
    question = load_valid().questions[0]
    spec = question.spec()
    assert spec["options"][0] == {
        "text": "Tell the social worker the same day",
        "correct": True,
        "feedback": "Right. The lead professional needs this now.",
    }
    assert question.question_type.score(spec, 0) == 1.0


def test_lines_map_paths_to_lines() -> None:
    result = load_bank_file(BANKS / "valid.yaml")
    assert result.lines["format"] == 2
    assert result.lines["questions[0]"] == 38
    assert result.lines["questions[0].options[1].correct"] == 50


# --- broken banks: one problem each ---------------------------------------------------

CASES = [
    ("bad_yaml", 21, "(file)",
     "YAML syntax error: mapping values are not allowed here"),
    ("missing_field", 13, "stages[0].narrative",
     "required field is missing"),
    ("wrong_type", 32, "check.pass_mark",
     "should be a whole number, written without quotes"),
    ("two_correct", 23, "questions[0].options",
     "exactly one option must be correct: true (found 2)"),
    ("unknown_finding", 20, "questions[0].findings[1]",
     "unknown finding 'curiosity'; findings are: sharing"),
    ("unknown_stage", 18, "questions[0].stage",
     "unknown stage 'after-birth'; stages are: birth"),
    ("duplicate_question_ids", 30, "questions[1].id",
     "duplicate question id 'q-one' (as questions[0])"),
    ("duplicate_finding_ids", 12, "findings[1].id",
     "duplicate finding id 'sharing' (as findings[0])"),
    ("unknown_key", 8, "source.colour",
     "unknown key (check its spelling and indentation)"),
    ("unknown_format", 1, "format",
     "unknown format 2; this version of quizapp reads format 1"),
    ("missing_format", 2, "format",
     "required field is missing: a bank starts `format: 1`"),
    ("empty_options", 23, "questions[0].options",
     "needs at least 2 item(s) (found 0)"),
    ("ordering_one_item", 23, "questions[0].items",
     "needs at least 2 item(s) (found 1)"),
    ("no_findings", 20, "questions[0].findings",
     "a scored question must test at least one finding"),
    ("duplicate_key", 4, "title",
     "duplicate key 'title' (first given on line 3)"),
    ("top_level_list", 1, "(file)",
     "a bank file must be a mapping of keys (format, id, title...), not a list"),
    ("yes_for_boolean", 33, "check.certainty",
     "should be true or false, written without quotes"),
    ("unknown_type", 19, "questions[0].type",
     "unknown question type 'essay';"
     " types are: single, multiple, true_false, ordering, reflection, scenario"),
    ("points_on_reflection", 21, "questions[0].points",
     "not allowed: reflection questions are not scored"),
    ("raw_html", 11, "findings[0].text",
     "raw HTML is not allowed (found '<b>'); write Markdown instead"),
    ("bad_slug", 2, "id",
     "should be an id of lowercase letters, digits and single hyphens, e.g. information-sharing"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "line", "path", "message"), CASES, ids=[c[0] for c in CASES])
def test_broken_bank_reports_file_line_path_and_message(
    name: str, line: int, path: str, message: str
) -> None:
    filename = str(BROKEN / f"{name}.yaml")
    result = load_bank_file(filename)
    assert result.bank is None
    assert len(result.errors) == 1, result.errors
    error = result.errors[0]
    assert (error.file, error.line, error.path, error.message) == (filename, line, path, message)


def test_every_broken_fixture_is_tested() -> None:
    names = {path.stem for path in BROKEN.glob("*.yaml")}
    assert names == {case[0] for case in CASES} | {"several_errors"}


def test_unknown_format_is_reported_alone() -> None:
    # The file also lacks a title, which must not be reported against format 1.
    text = (BROKEN / "unknown_format.yaml").read_text()
    assert "\ntitle:" not in text
    assert len(load_bank_text(text, "f.yaml").errors) == 1


def test_every_error_is_reported_in_line_order() -> None:
    result = load_bank_file(BROKEN / "several_errors.yaml")
    assert result.bank is None
    assert [(e.line, e.path) for e in result.errors] == [
        (10, "findings[0].kind"),  # schema
        (13, "stages[0].narrative"),  # schema: missing, so the stage's line
        (17, "questions[0].stage"),  # cross-reference
        (19, "questions[0].findings[1]"),  # cross-reference
        (31, "check.pass_mark"),  # schema
    ]
    assert result.errors[0].message == "should be 'concern' or 'good-practice'"
    assert result.errors[-1].message == "should be at most 100"


def test_bank_error_str() -> None:
    error = BankError("banks/hs.yaml", 12, "questions[3].options[1].correct", "should be true")
    assert str(error) == "banks/hs.yaml:12: questions[3].options[1].correct: should be true"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", 1, "the file is empty"),
        ("# only a comment\n", 1, "the file is empty"),
        ("~\n", 1, "not a single value"),
        ("just words\n", 1, "not a single value"),
        ("format: 1\n\tid: x\n", 2, "indent with spaces, not tabs"),
        ("a: 1\n---\nb: 2\n", 2, "expected a single document"),
        ("format: 1\nid: \x00\n", 2, "a character YAML does not allow"),
        ("a: &x [*x]\n", 1, "too large or too deeply nested"),
        ("[" * 3000, 1, "nested too deeply"),
    ],
)
def test_unreadable_files(text: str, line: int, message: str) -> None:
    result = load_bank_text(text, "f.yaml")
    assert result.bank is None
    assert [(e.line, e.path) for e in result.errors] == [(line, "(file)")]
    assert message in result.errors[0].message


@pytest.mark.parametrize(
    ("old", "new", "path", "message"),
    [
        ("pass_mark: 80", "pass_mark: " + "9" * 5000, "check.pass_mark", "number is too large"),
        ("pass_mark: 80", "pass_mark: 80.0", "check.pass_mark", "whole number"),
        ("pass_mark: 80", "pass_mark: 0x50", "check.pass_mark", "whole number"),
        ("pass_mark: 80", "pass_mark: true", "check.pass_mark", "whole number"),
        ("id: q-share", "id: 123", "questions[0].id", "should be text (put it in quotes"),
        ("title: Afterwards", "title: !!binary aGVsbG8=", "stages[2].title", "tags (!!binary)"),
        ("url: https://example.org/reviews/hs", "url: javascript:alert(1)", "source.url",
         "must be a web address starting with https://"),
        ("points: 2", "points: 11", "questions[1].points", "should be at most 10"),
        ("refresh_months: 36", "refresh_months: 0", "check.refresh_months", "at least 1"),
        ("attempts: 3", "attempts: 0", "check.attempts", "at least 1"),
        ("    prompt: How do you", "    prompt: '   '\n    x: How do you", "questions[4].prompt",
         "must not be empty"),
        ("  - id: q-reflect\n", "  - id: q-reflect\n    feedback: <script>x</script>\n",
         "questions[4].feedback", "raw HTML"),
        ("type: single", "type: single\n    answer: true", "questions[0].answer",
         "unknown key for a single choice question"),
        ("type: reflection", "type: [reflection]", "questions[4].type", "unknown question type"),
        ("    type: reflection\n", "", "questions[4].type", "required field is missing"),
        ("  certainty: true", "  ? [a]\n  : b\n  certainty: true", "check", "a key must be plain"),
        ("  - id: q-reflect", "  - just text\n  - id: q-reflect", "questions[4]",
         "should be a set of `key: value` lines"),
    ],
)  # fmt: skip
def test_value_errors_in_the_valid_bank(old: str, new: str, path: str, message: str) -> None:
    assert old in VALID_TEXT
    result = load_bank_text(VALID_TEXT.replace(old, new, 1), "f.yaml")
    assert result.bank is None
    assert path in [e.path for e in result.errors], result.errors
    assert message in next(e.message for e in result.errors if e.path == path)


def test_text_that_looks_like_other_types_in_yaml_1_1_stays_text() -> None:
    text = VALID_TEXT.replace("title: Afterwards", "title: 2016-08-01").replace(
        "title: The injury", "title: No"
    )
    result = load_bank_text(text, "f.yaml")
    assert result.errors == []
    assert result.bank is not None
    assert [s.title for s in result.bank.stages][1:] == ["No", "2016-08-01"]


# --- content hash ---------------------------------------------------------------------


def test_content_hash_ignores_formatting() -> None:
    plain = load_bank_file(BANKS / "minimal.yaml").bank
    reformatted = load_bank_file(BANKS / "minimal_reformatted.yaml").bank
    assert plain is not None
    assert reformatted is not None
    assert content_hash(plain) == content_hash(reformatted)
    as_json = load_bank_text(json.dumps(plain.to_data(), indent=1), "f.json").bank
    assert as_json is not None
    assert content_hash(as_json) == content_hash(plain)


def test_content_hash_changes_with_content() -> None:
    bank = load_valid()
    digest = content_hash(bank)
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    for old, new in [
        ("feedback: Wrong.", "feedback: Wrong!"),
        ("pass_mark: 80", "pass_mark: 81"),
        ("answer: false", "answer: true"),
        ("    hint: Think about who needs to know.\n", ""),
    ]:
        changed = load_bank_text(VALID_TEXT.replace(old, new), "f.yaml").bank
        if old in VALID_TEXT:
            assert changed is not None
            assert content_hash(changed) != digest, old
    reordered = VALID_TEXT.replace(
        "      - Talk to the other professional\n      - Ask your manager for advice\n",
        "      - Ask your manager for advice\n      - Talk to the other professional\n",
    )
    assert reordered != VALID_TEXT
    changed = load_bank_text(reordered, "f.yaml").bank
    assert changed is not None
    assert content_hash(changed) != digest


# --- several paths --------------------------------------------------------------------


def test_load_bank_paths_expands_directories_and_flags_shared_ids(tmp_path: Path) -> None:
    minimal = (BANKS / "minimal.yaml").read_text()
    (tmp_path / "b.yaml").write_text(minimal)
    (tmp_path / "a.yml").write_text(minimal.replace("id: minimal", "id: other"))
    (tmp_path / "c.yaml").write_text(minimal)
    (tmp_path / "notes.txt").write_text("not a bank")
    extra = tmp_path / "extra.yaml"
    extra.write_text("- not a bank\n")
    results = load_bank_paths([tmp_path / "missing.yaml", tmp_path])
    assert [path.name for path, _ in results] == [
        "missing.yaml",
        "a.yml",
        "b.yaml",
        "c.yaml",
        "extra.yaml",
    ]  # fmt: skip  (a directory's files sorted by name, whatever their extension)
    by_name = {path.name: result for path, result in results}
    assert by_name["missing.yaml"].errors[0].message.startswith("cannot read the file")
    assert by_name["extra.yaml"].errors[0].path == "(file)"
    assert by_name["a.yml"].errors == []
    assert by_name["a.yml"].bank is not None
    for name, other in [("b.yaml", "c.yaml"), ("c.yaml", "b.yaml")]:
        result = by_name[name]
        assert result.bank is None
        [error] = result.errors
        assert (error.file, error.line, error.path) == (str(tmp_path / name), 2, "id")
        assert error.message == f"bank id 'minimal' is also used by {tmp_path / other}"


def test_same_file_twice_is_loaded_once() -> None:
    results = load_bank_paths([BANKS / "minimal.yaml", str(BANKS / "minimal.yaml")])
    assert len(results) == 1
    assert results[0][1].errors == []


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"format: 1\ntitle: caf\xe9\n")
    [error] = load_bank_file(path).errors
    assert (error.line, error.path, error.message) == (2, "(file)", "the file is not UTF-8")


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + (BANKS / "minimal.yaml").read_bytes())
    assert load_bank_file(path).errors == []


# --- never raises ---------------------------------------------------------------------


def check_result(result: LoadResult) -> None:
    assert isinstance(result, LoadResult)
    assert (result.bank is None) == bool(result.errors)
    for error in result.errors:
        assert error.line >= 1
        assert error.path
        assert error.message
    assert [e.line for e in result.errors] == sorted(e.line for e in result.errors)
    for warning in result.warnings:
        assert warning.line >= 1
        assert warning.path
        assert warning.message


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(text=st.text())
def test_any_text_gives_a_result(text: str) -> None:
    check_result(load_bank_text(text, "f.yaml"))


yaml_pieces = st.sampled_from(
    ["format: 1\n", "- a\n", "a: b\n", "  c: d\n", ": x\n", "&a x\n", "*a\n", "!!str x\n",
     "'unclosed\n", "[1, {a: 2}]\n", "? x\n", "|\n  text\n", "\t\n", "--- \n", "a: a: a\n",
     "id: 1\n", "questions:\n", "  - type: single\n", "    options: []\n", "%YAML 1.1\n"]
)  # fmt: skip


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(pieces=st.lists(yaml_pieces, max_size=12))
def test_yaml_like_text_gives_a_result(pieces: list[str]) -> None:
    check_result(load_bank_text("".join(pieces), "f.yaml"))


VALID_DATA = yaml.safe_load(VALID_TEXT)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**40),
    st.floats(allow_nan=True), st.text(max_size=30),
    st.sampled_from(["", "yes", "single", "ordering", "reflection", "hs-baby-2016", "<b>x</b>"]),
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def paths_in(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += paths_in(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += paths_in(value, (*prefix, index))
    return found


ALL_PATHS = paths_in(VALID_DATA)[1:]


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(data=st.data())
def test_mutated_banks_give_a_result(data: st.DataObject) -> None:
    bank = copy.deepcopy(VALID_DATA)
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        path = data.draw(st.sampled_from(ALL_PATHS))
        parent = bank
        try:
            for part in path[:-1]:
                parent = parent[part]
            action = data.draw(st.sampled_from(["replace", "delete", "add"]))
            if action == "delete":
                del parent[path[-1]]
            elif action == "add" and isinstance(parent, dict):
                parent[data.draw(st.text(max_size=8))] = data.draw(values)
            else:
                parent[path[-1]] = data.draw(values)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path
    check_result(load_bank_text(yaml.safe_dump(bank, allow_unicode=True), "f.yaml"))


def test_the_documented_example_is_a_valid_bank() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "bank-format.md").read_text()
    example = doc.split("## A whole file\n\n```yaml\n", 1)[1].split("```", 1)[0]
    result = load_bank_text(example, "bank-format.md")
    assert result.errors == []


# --- item-writing warnings ----------------------------------------------------------


def choice_bank(*questions: dict[str, Any]) -> str:
    """A valid bank whose questions are the given choice questions (id, type, prompt and
    options as (text, correct) pairs, with optional extras per option)."""
    data = yaml.safe_load(VALID_TEXT)
    stage = data["stages"][0]["id"]
    finding = data["findings"][0]["id"]
    built = []
    for number, question in enumerate(questions):
        options = []
        for option in question["options"]:
            text, correct, *extra = option
            options.append(
                {
                    "text": text,
                    "correct": correct,
                    "feedback": "Because.",
                    **(extra[0] if extra else {}),
                }
            )
        built.append(
            {
                "id": question.get("id", f"q-{number}"),
                "stage": stage,
                "type": question.get("type", "single"),
                "findings": [finding],
                "prompt": question.get("prompt", "What do you do?"),
                "feedback": "Why.",
                "options": options,
            }
        )
    data["questions"] = built
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def warnings_of(text: str) -> list[str]:
    result = load_bank_text(text, "w.yaml")
    assert result.errors == [], result.errors
    assert result.bank is not None  # warnings never block loading
    return [f"{w.path}: {w.message}" for w in result.warnings]


def single(key: int, lengths: tuple[int, ...] = (20, 20, 20, 20), **extra: Any) -> dict[str, Any]:
    options = [(f"option {i} " + "x" * n, i == key) for i, n in enumerate(lengths)]
    return {"options": options, **extra}


def test_no_warnings_for_the_valid_bank_and_well_spread_keys() -> None:
    assert load_bank_file(BANKS / "valid.yaml").warnings == []
    assert warnings_of(choice_bank(*(single(i % 4) for i in range(8)))) == []


def test_warns_when_the_key_is_the_longest_option_in_most_single_choice_questions() -> None:
    longest = [single(i % 4, tuple(40 if j == i % 4 else 20 for j in range(4))) for i in range(4)]
    warnings = warnings_of(choice_bank(*longest, single(0), single(1)))
    assert [w for w in warnings if "longest" in w] == [
        "questions: the right option is the longest one in 4 of 6 single-choice questions"
        " (q-0, q-1, q-2, q-3): always choosing the longest option passes without reading;"
        " make distractors as long and specific as the key"
    ]
    # Half is not most, and two questions are not a pattern.
    assert not any("longest" in w for w in warnings_of(choice_bank(*longest[:3], *[single(0)] * 3)))
    assert not any("longest" in w for w in warnings_of(choice_bank(*longest[:2])))


def test_warns_when_the_right_options_are_the_longest_in_most_multiple_choice_questions() -> None:
    def multiple(right_long: bool) -> dict[str, Any]:
        long, short = "a specific and detailed option " * 2, "short"
        return {
            "type": "multiple",
            "options": [
                (f"1 {long}", True),
                (f"2 {short}" if right_long else f"2 {long}", False),
                (f"3 {long}" if right_long else f"3 {short}", True),
                (f"4 {short}", False),
            ],
        }

    warnings = warnings_of(choice_bank(*[multiple(True)] * 3, multiple(False)))
    assert any(
        w.startswith("questions: the right options are the longest ones in 3 of 4")
        for w in warnings
    )
    assert warnings_of(choice_bank(*[multiple(False)] * 3, multiple(True))) == []


def test_warns_when_the_key_is_in_the_same_position_in_most_single_choice_questions() -> None:
    warnings = warnings_of(choice_bank(single(0), single(0), single(0), single(2), single(3)))
    assert warnings == [
        "questions: the right option is option 1 in 3 of 5 single-choice questions"
        " (q-0, q-1, q-2); spread the right options over the positions (the order in the"
        " file is shown wherever options are not shuffled)"
    ]
    assert warnings_of(choice_bank(single(1), single(1), single(0), single(2))) == []


@pytest.mark.parametrize(
    "text",
    ["All of the above", "none of the above", "Both of the above", "NONE OF THE ABOVE apply"],
)
def test_warns_about_all_or_none_of_the_above(text: str) -> None:
    question = {"options": [("Tell the social worker", True), ("Wait", False), (text, False)]}
    warnings = warnings_of(choice_bank(question))
    assert len(warnings) == 1
    assert warnings[0].startswith(f"questions[0].options[2].text: avoid {text.lower()[:17]!r}")


def test_none_of_these_is_fine_only_when_fixed() -> None:
    loose = {
        "options": [("Tell the social worker", True), ("Wait", False), ("None of these", False)]
    }
    assert warnings_of(choice_bank(loose)) == [
        "questions[0].options[2].text: an option like 'None of these' must stay in its place"
        " when the others are shuffled: pin it with `fixed: true`"
    ]
    pinned = {
        "options": [
            ("Tell the social worker", True),
            ("Wait", False),
            ("None of these", False, {"fixed": True}),
        ]
    }
    assert warnings_of(choice_bank(pinned)) == []


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("Which of these is not a sign of risk?", "not"),
        ("HS is asleep.\n\nWhich is NOT a reason to refer?", "NOT"),
        ("All of these help, except which one?", "except"),
        ("Which is the least useful next step?", "least"),
    ],
)
def test_warns_about_negative_questions_without_emphasis(prompt: str, word: str) -> None:
    question = {"prompt": prompt, "options": [("Refer today", True), ("Wait a week", False)]}
    assert warnings_of(choice_bank(question)) == [
        f"questions[0].prompt: a negative question ({word!r}) is easily misread: ask it the"
        f" positive way, or emphasise the word in bold (**{word}**)"
    ]


@pytest.mark.parametrize(
    "prompt",
    [
        "Which of these is **not** a sign of risk?",
        "Which of these is **NOT** a sign of risk?",
        "All of these help, **except** which one?",
        # A negative in the scenario, not in the question asked, is fine.
        "Nobody is in and you do not see HS.\n\nWhat do you do next?",
        "Knot the rope. What is the leastways notable step?",
    ],
)
def test_no_warning_for_emphasised_or_scenario_negatives(prompt: str) -> None:
    question = {"prompt": prompt, "options": [("Refer today", True), ("Wait a week", False)]}
    assert warnings_of(choice_bank(question)) == []


def test_negative_statement_in_a_true_false_question_is_warned() -> None:
    assert load_bank_file(BANKS / "valid.yaml").warnings == []  # its statement is positive
    data = yaml.safe_load(VALID_TEXT)
    index, question = next(
        (i, q) for i, q in enumerate(data["questions"]) if q["type"] == "true_false"
    )
    question["prompt"] = "**True or false:** a small bruise does not need a referral."
    warnings = warnings_of(yaml.safe_dump(data, sort_keys=False))
    assert warnings == [
        f"questions[{index}].prompt: a negative question ('not') is easily misread: ask it the"
        " positive way, or emphasise the word in bold (**not**)"
    ]


def test_warnings_do_not_change_the_content_hash_and_carry_lines() -> None:
    question = {"options": [("Tell the social worker", True), ("None of the above", False)]}
    text = choice_bank(question)
    result = load_bank_text(text, "w.yaml")
    assert result.bank is not None and result.warnings
    warning = result.warnings[0]
    assert text.splitlines()[warning.line - 1].strip() == "- text: None of the above"
    assert str(warning).startswith(
        f"w.yaml:{warning.line}: warning: questions[0].options[1].text: "
    )
    reworded = text.replace("None of the above", "Wait for the next meeting")
    assert load_bank_text(reworded, "w.yaml").warnings == []
    # The hash is the content's: a warning is not part of it.
    assert content_hash(result.bank) == content_hash(
        load_bank_text(text + "\n# note\n", "w.yaml").bank
    )


# --- a finding's confidence phrasing ------------------------------------------------------

_FIRST_FINDING = "poor, so some professionals were unaware of key issues.\n"


def with_confidence(value: str) -> str:
    """The valid bank with `confidence: <value>` on its first finding."""
    assert _FIRST_FINDING in VALID_TEXT
    return VALID_TEXT.replace(_FIRST_FINDING, f"{_FIRST_FINDING}    confidence: {value}\n", 1)


def test_confidence_is_loaded_stripped_and_changes_the_hash() -> None:
    bank = load_bank_text(with_confidence("'  to share what you know the same day  '"), "f.yaml")
    assert bank.errors == []
    assert bank.bank is not None
    assert bank.bank.findings[0].confidence == "to share what you know the same day"
    assert bank.bank.to_data()["findings"][0]["confidence"] == (
        "to share what you know the same day"
    )
    assert content_hash(bank.bank) != content_hash(load_valid())


def test_a_bank_without_confidence_keeps_the_hash_it_had_before_the_field() -> None:
    # Recorded before the field existed: published versions must still be recognised.
    bank = load_valid()
    assert all("confidence" not in finding for finding in bank.to_data()["findings"])
    assert content_hash(bank) == "03f04a54cb9cf289956e0aebbed6443a35dd4a6b311b6a7f4908f7f1e661bbbc"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("'to'", "must be at least 5 characters"),
        ("'   '", "must be at least 5 characters"),
        ("to " + "x" * 200, "must be 200 characters or fewer"),
        ("How confident are you to share information", 'must not start with "How confident"'),
        ("how confident to share", 'must not start with "How confident"'),
        ("to share information?", 'must not end with "?"'),
        ('"to share\\ninformation"', "must be one line"),
        ('"to share\\finformation"', "must be one line"),
        ('"to share\\tinformation"', "must not include tabs or other hidden characters"),
        ("|\n      to share\n      information", "must be one line"),
        ("[to share]", "should be text"),
        ("42", "should be text"),
    ],
)
def test_bad_confidence_phrasing_is_refused_at_the_finding(value: str, message: str) -> None:
    result = load_bank_text(with_confidence(value), "f.yaml")
    assert result.bank is None
    errors = [e for e in result.errors if e.path == "findings[0].confidence"]
    assert errors, result.errors
    assert message in errors[0].message
    assert errors[0].line == 18  # the line of the key, under the first finding
