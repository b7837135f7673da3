"""Moodle XML: Moodle's own test files read as Moodle means them, and our banks written
so that Moodle's reader takes them and ours brings the questions back unchanged."""

from __future__ import annotations

import re
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from quizapp.authoring.scaffolds import has_placeholder
from quizapp.banks import QUESTION_MODELS, dump_bank, load_bank_file, load_bank_text
from quizapp.interchange import PLACEHOLDER_FINDING
from quizapp.interchange.moodle_xml import MOODLE_GRADES, read, write

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "moodle" / "xml"
HS_BANK = Path(__file__).resolve().parents[2] / "question_banks" / "hs-baby-2016.yaml"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_every_fixture_is_covered_here() -> None:
    covered = {
        "broken_cloze_questions.xml",
        "categories_reverse_order.xml",
        "category_with_description.xml",
        "error_invalid_grades.xml",
        "html_chars_in_idnumbers.xml",
        "multianswer.xml",
        "multichoice.xml",
        "nested_categories_with_questions.xml",
        "old_format_file.xml",
    }
    assert {path.name for path in FIXTURES.glob("*.xml")} == covered


# Moodle's fixtures, each with what it should give.


def test_multichoice_with_images_imports_with_the_images_listed() -> None:
    report = read(fixture("multichoice.xml"))
    assert report.problems == [] and report.skipped == []
    assert report.title == "Default for testhead"
    [question] = report.questions
    assert question["id"] == "greeting"
    assert question["type"] == "single"
    assert question["prompt"].startswith("Listen to this greeting:")
    assert question["prompt"].endswith("What language is being spoken?")
    assert "@@PLUGINFILE@@" not in question["prompt"]
    assert [o["text"] for o in question["options"]] == ["English", "French", "German", "Danish"]
    assert [o["correct"] for o in question["options"]] == [False, True, False, False]
    assert question["options"][1]["feedback"] == "Yes, well done!"
    assert question["options"][0]["feedback"] == "Sorry, listen again."
    assert "shuffle" not in question  # shuffleanswers true: our default
    assert question["points"] == 1
    assert has_placeholder(question["feedback"])  # Moodle's general feedback was empty
    assert question["tags"] == ["multichoice"]  # the category below the course-level one
    messages = [a.message for a in report.adjusted if a.name == "Greeting"]
    assert any(
        m.startswith("pictures and other files are not imported") and "flag-france.jpg" in m
        for m in messages
    )
    assert any("no general feedback" in m for m in messages)


def test_invalid_grades_are_an_error_naming_the_question() -> None:
    report = read(fixture("error_invalid_grades.xml"))
    assert report.questions == [] and report.skipped == []
    [problem] = report.problems
    assert problem.name == "Question with invalid grades : x > 1 & x < 2"
    assert problem.message.startswith("invalid grade 33% (answer 2)")
    assert not report.ok


def test_broken_cloze_questions_are_skipped_by_name() -> None:
    report = read(fixture("broken_cloze_questions.xml"))
    assert report.questions == [] and report.problems == []
    assert [s.name for s in report.skipped] == [
        "Multianswer question without subquestions",
        "Multichoice subquestion without choices",
        "Multichoice subquestion with only one choice",
        "Multichoice subquestion with no completely correct answer",
        "Numerical subquestion with buggy answer",
    ]
    assert {s.kind for s in report.skipped} == {"cloze"}
    assert all("cloze" in s.reason for s in report.skipped)


def test_cloze_with_images_is_skipped() -> None:
    report = read(fixture("multianswer.xml"))
    assert report.questions == [] and report.problems == []
    assert [(s.name, s.kind) for s in report.skipped] == [("cloze with images", "cloze")]
    assert report.title == "Default for Test images in backup"


def test_categories_in_reverse_order_tag_the_questions_under_them() -> None:
    report = read(fixture("categories_reverse_order.xml"))
    assert report.title == "Sigma"
    [essay] = report.questions
    assert essay == {
        "id": "tau-question",
        "type": "reflection",
        "prompt": "Testing Tau Question",
        "tags": ["tau"],
    }
    assert [(s.name, s.kind) for s in report.skipped] == [("Sigma Question", "shortanswer")]
    assert "short-answer" in report.skipped[0].reason
    [adjusted] = report.adjusted
    assert adjusted.name == "Tau Question"
    assert adjusted.message == (
        "an essay marked by a teacher in Moodle (worth 1 mark) is imported as a reflection,"
        " which is never marked"
    )


def test_true_false_questions_with_their_right_answer() -> None:
    report = read(fixture("category_with_description.xml"))
    [question] = report.questions
    assert question["type"] == "true_false"
    assert question["id"] == "alpha-question"
    assert question["prompt"] == "Testing Alpha Question"
    assert question["answer"] is True
    assert question["points"] == 1
    for key in ("feedback", "feedback_true", "feedback_false"):
        assert has_placeholder(question[key])
    assert report.title == "Alpha"
    assert "tags" not in question


def test_an_idnumber_that_is_not_an_id_gives_an_id_from_the_name() -> None:
    report = read(fixture("html_chars_in_idnumbers.xml"))
    [question] = report.questions
    assert question["id"] == "alpha-question"  # the idnumber "T & F" is not one of our ids
    assert question["answer"] is True


def test_nested_categories_become_tags() -> None:
    report = read(fixture("nested_categories_with_questions.xml"))
    assert report.title == "Iota"
    assert [(q["id"], q["type"], q.get("tags")) for q in report.questions] == [
        ("iota-question", "true_false", None),
        ("kappa-essay-question", "reflection", ["kappa"]),
        ("kappa-question", "true_false", ["kappa"]),
        ("lambda-question", "true_false", ["lambda"]),
        ("mu-question", "true_false", ["mu"]),
    ]
    assert report.skipped == [] and report.problems == []


def test_old_format_file_without_idnumbers() -> None:
    report = read(fixture("old_format_file.xml"))
    assert [(q["id"], q.get("tags")) for q in report.questions] == [
        ("pi-question", None),
        ("rho-question", ["rho"]),
    ]
    assert all(q["answer"] is True for q in report.questions)


@pytest.mark.parametrize(
    "name",
    [
        "categories_reverse_order.xml",
        "category_with_description.xml",
        "html_chars_in_idnumbers.xml",
        "multichoice.xml",
        "nested_categories_with_questions.xml",
        "old_format_file.xml",
    ],
)
def test_every_fixture_with_questions_makes_a_draft_the_loader_takes(name: str) -> None:
    report = read(fixture(name))
    assert report.questions
    result = load_bank_text(dump_bank(report.as_bank()), name)
    assert result.errors == []


# Files that are not Moodle XML, or are hostile.


def test_a_file_that_is_not_xml_is_a_problem_naming_the_file() -> None:
    report = read(b"::question:: not xml {=yes}", "questions.txt")
    [problem] = report.problems
    assert problem.name == "questions.txt"
    assert problem.message.startswith("not a readable XML file")
    assert report.questions == []


def test_xml_that_is_not_a_moodle_quiz_is_a_problem() -> None:
    report = read(b"<assessmentItem><itemBody/></assessmentItem>", "item.xml")
    [problem] = report.problems
    assert problem == problem.__class__(
        "item.xml", "not a Moodle XML file: it holds <assessmentItem>, where Moodle writes <quiz>"
    )


def test_entity_expansion_is_refused_not_expanded() -> None:
    laughs = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [
 <!ENTITY a "lol">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<quiz><question type="essay"><name><text>&c;</text></name>
<questiontext format="html"><text>&c;</text></questiontext></question></quiz>"""
    report = read(laughs, "laughs.xml")
    [problem] = report.problems
    assert problem.name == "laughs.xml" and problem.message.startswith("refused")
    assert report.questions == []


def test_an_external_entity_is_refused_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read me")
    hostile = f"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY secret SYSTEM "file://{secret}">]>
<quiz><question type="essay"><name><text>x</text></name>
<questiontext format="html"><text>&secret;</text></questiontext></question></quiz>"""
    report = read(hostile.encode(), "xxe.xml")
    [problem] = report.problems
    assert problem.message.startswith("refused")
    assert "do not read me" not in repr(report)


# Grades our scoring rule can't express, and other changes.


def moodle_question(body: str, *, kind: str = "multichoice", name: str = "Q") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="{kind}">
    <name><text>{name}</text></name>
    <questiontext format="html"><text>Which?</text></questiontext>
    <generalfeedback format="html"><text>Because.</text></generalfeedback>
    {body}
  </question>
</quiz>""".encode()


def answers(*fractions: str) -> str:
    return "".join(
        f'<answer fraction="{fraction}" format="html"><text>Option {number}</text>'
        f'<feedback format="html"><text>Said {number}.</text></feedback></answer>'
        for number, fraction in enumerate(fractions, start=1)
    )


def test_multiple_response_on_our_rule_needs_no_adjustment() -> None:
    body = "<single>false</single>" + answers("50", "50", "-50", "-50")
    report = read(moodle_question(body))
    [question] = report.questions
    assert question["type"] == "multiple"
    assert [o["correct"] for o in question["options"]] == [True, True, False, False]
    assert question["shuffle"] is False  # no shuffleanswers: Moodle's default is false
    assert report.adjusted == []


def test_wrong_options_without_penalty_are_reported_with_our_rule() -> None:
    body = "<single>false</single>" + answers("33.33333", "33.33333", "33.33333", "0")
    report = read(moodle_question(body))
    [question] = report.questions
    assert [o["correct"] for o in question["options"]] == [True, True, True, False]
    [adjusted] = report.adjusted
    assert adjusted.name == "Q"
    assert adjusted.message == (
        "the wrong options are worth 0% in Moodle; our rule takes 100% (1/1) for each"
        " wrong option chosen, never going below 0"
    )


def test_unequal_positive_grades_are_reported_with_what_we_did() -> None:
    body = "<single>false</single>" + answers("75", "25", "-100")
    report = read(moodle_question(body))
    assert [o["correct"] for o in report.questions[0]["options"]] == [True, True, False]
    [adjusted] = report.adjusted
    assert adjusted.message == (
        "the right options are worth 75%, 25% in Moodle; our rule gives each of the 2 an"
        " equal share (50%)"
    )


def test_positive_grades_not_adding_up_to_100_are_an_error() -> None:
    body = "<single>false</single>" + answers("50", "25", "0")
    report = read(moodle_question(body, name="Short"))
    assert report.questions == []
    [problem] = report.problems
    assert problem.name == "Short"
    assert problem.message == "the positive grades add up to 75%, not 100%, which Moodle refuses"


def test_single_choice_partial_credit_is_reported_and_dropped() -> None:
    body = "<single>true</single><shuffleanswers>1</shuffleanswers>" + answers("50", "100", "0")
    report = read(moodle_question(body))
    [question] = report.questions
    assert question["type"] == "single"
    assert [o["correct"] for o in question["options"]] == [False, True, False]
    assert "shuffle" not in question
    [adjusted] = report.adjusted
    assert adjusted.message.startswith("partial or negative grades 50% (answer 1) not kept")


def test_single_choice_without_a_full_mark_is_an_error() -> None:
    report = read(moodle_question("<single>true</single>" + answers("50", "0")))
    [problem] = report.problems
    assert "no answer is worth 100%" in problem.message


@pytest.mark.parametrize(
    ("grade", "points", "noted"), [("1.0000000", 1, False), ("2.5", 2, True), ("20", 10, True)]
)
def test_default_grade_becomes_points_from_1_to_10(grade: str, points: int, noted: bool) -> None:
    body = f"<defaultgrade>{grade}</defaultgrade><single>true</single>" + answers("100", "0")
    report = read(moodle_question(body))
    assert report.questions[0]["points"] == points
    assert bool(report.adjusted) is noted


def test_tags_ids_hints_and_markdown_are_read() -> None:
    body = (
        "<idnumber>my-question</idnumber><single>true</single>"
        + answers("100", "0")
        + '<hint format="html"><text>Think &lt;b&gt;first&lt;/b&gt;</text></hint>'
        + "<tags><tag><text>Early Help</text></tag><tag><text>finding-late-referral</text>"
        + "</tag></tags>"
    )
    report = read(moodle_question(body))
    [question] = report.questions
    assert question["id"] == "my-question"
    assert question["hint"] == "Think first"
    assert question["tags"] == ["early-help", "finding-late-referral"]
    assert question["feedback"] == "Because."
    assert report.as_bank()["questions"][0]["findings"] == ["late-referral"]


def test_unknown_question_types_are_skipped_with_a_reason() -> None:
    report = read(moodle_question("", kind="ddwtos", name="Drag words"))
    assert [(s.name, s.kind) for s in report.skipped] == [("Drag words", "ddwtos")]
    assert "drag-and-drop" in report.skipped[0].reason


# Round trips: ours -> Moodle XML -> ours.

SMALL_BANK = textwrap.dedent(
    """\
    format: 1
    id: small-bank
    title: "A small bank / with a slash"
    summary: About **sharing** <https://example.org> & more.
    source:
      publisher: Test partnership
      title: A review
    findings:
      - id: information-sharing
        kind: concern
        text: Information was not shared.
      - id: a-finding-id-longer-than-the-forty-characters-of-a-tag
        kind: good-practice
        text: Escalation worked.
    stages:
      - id: one
        title: One
        narrative: The story.
    questions:
      - id: q-single
        stage: one
        type: single
        findings: [information-sharing]
        tags: [early-help, sharing]
        prompt: |
          What do you do **first** when x < 2 & y > 1?

          - one
          - two ]]> three
        hint: Think <b>first</b>
        feedback: The lead professional needs to know.
        points: 3
        shuffle: false
        options:
          - text: Tell the social worker & the GP
            correct: true
            feedback: Right.
          - text: Wait <and see>
            correct: false
            feedback: "*No*: waiting loses time."
      - id: q-multiple
        stage: one
        type: multiple
        findings: [information-sharing, a-finding-id-longer-than-the-forty-characters-of-a-tag]
        prompt: Which apply?
        feedback: Several do.
        options:
          - text: A
            correct: true
            feedback: Yes A.
          - text: B
            correct: true
            feedback: Yes B.
          - text: C
            correct: true
            feedback: Yes C.
          - text: D
            correct: false
            feedback: Not D.
          - text: E
            correct: false
            feedback: Not E.
          - text: F
            correct: false
            feedback: Not F.
      - id: q-true-false
        stage: one
        type: true_false
        findings: [information-sharing]
        prompt: Attendance shows safe care.
        feedback: It can be disguised compliance.
        points: 10
        answer: false
        feedback_true: Not so.
        feedback_false: Right.
      - id: q-reflection
        stage: one
        type: reflection
        prompt: How do you challenge a decision?
      - id: q-reflection-with-feedback
        stage: one
        type: reflection
        findings: [information-sharing]
        tags: [challenge]
        prompt: And then?
        feedback: Points to consider.
    signposting: Ask your lead.
    check:
      pass_mark: 80
      certainty: false
      refresh_months: 12
    """
)


def small_bank() -> dict[str, Any]:
    result = load_bank_text(SMALL_BANK, "small.yaml")
    assert result.errors == []
    assert result.bank is not None
    return result.bank.to_data()


def comparable(question: dict[str, Any]) -> dict[str, Any]:
    """A question as its type's model reads it, without what Moodle has no place for
    (the stage, and the pool)."""
    spec = QUESTION_MODELS[question["type"]].model_validate(question).spec()
    spec.pop("stage")
    spec.pop("pool", None)
    return spec


def round_trip(content: dict[str, Any]) -> dict[str, Any]:
    exported = write(content)
    report = read(exported.data, "export.xml")
    assert report.problems == []
    assert report.skipped == []
    assert report.adjusted == []
    bank = report.as_bank()
    result = load_bank_text(dump_bank(bank), "export.yaml")
    assert result.errors == []
    return bank


def test_round_trip_of_every_type_we_write_is_exact() -> None:
    content = small_bank()
    bank = round_trip(content)
    assert bank["title"] == "A small bank / with a slash"
    assert [q["id"] for q in bank["questions"]] == [q["id"] for q in content["questions"]]
    assert {q["type"] for q in bank["questions"]} == {
        "single",
        "multiple",
        "true_false",
        "reflection",
    }
    for before, after in zip(content["questions"], bank["questions"], strict=True):
        if not before.get("findings"):
            assert after["findings"] == [PLACEHOLDER_FINDING]
            after = {**after, "findings": []}
        assert comparable(after) == comparable(before)


def test_round_trip_of_the_hs_bank() -> None:
    loaded = load_bank_file(HS_BANK)
    assert loaded.bank is not None
    content = loaded.bank.to_data()
    exported = write(content)
    ordering = [q["id"] for q in content["questions"] if q["type"] == "ordering"]
    assert ordering and [s.name for s in exported.skipped] == ordering
    assert all(s.kind == "ordering" for s in exported.skipped)
    bank = round_trip(content)
    expected = [comparable(q) for q in content["questions"] if q["type"] != "ordering"]
    assert [comparable(q) for q in bank["questions"]] == expected
    assert len(expected) == 30


def test_scenarios_are_skipped_on_export() -> None:
    content = small_bank()
    scenario = {"id": "q-scenario", "type": "scenario", "stage": "one"}
    exported = write({**content, "questions": [*content["questions"], scenario]})
    assert [(s.name, s.kind) for s in exported.skipped] == [("q-scenario", "scenario")]
    assert b"q-scenario" not in exported.data


# Our file has the shape of Moodle's own exports.


def elements(root: ET.Element) -> dict[str, tuple[set[str], set[tuple[str, str]]]]:
    """For each question type in a file: its element names, and (element, attribute) pairs."""
    found: dict[str, tuple[set[str], set[tuple[str, str]]]] = {}
    for question in root.findall("question"):
        names, attributes = found.setdefault(question.get("type", ""), (set(), set()))
        for node in question.iter():
            names.add(node.tag)
            attributes.update((node.tag, attribute) for attribute in node.attrib)
    return found


def fractions(root: ET.Element) -> list[str]:
    return [answer.get("fraction", "") for answer in root.iter("answer")]


def test_export_has_the_elements_attributes_and_fraction_syntax_of_moodles_files() -> None:
    theirs: dict[str, tuple[set[str], set[tuple[str, str]]]] = {}
    their_fractions: list[str] = []
    for path in FIXTURES.glob("*.xml"):
        root = ET.fromstring(path.read_bytes())
        their_fractions += fractions(root)
        for kind, (names, attributes) in elements(root).items():
            theirs.setdefault(kind, (set(), set()))
            theirs[kind][0].update(names)
            theirs[kind][1].update(attributes)
    data = write(small_bank()).data
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<quiz>')
    root = ET.fromstring(data)
    ours = elements(root)
    assert set(ours) == {"category", "multichoice", "truefalse", "essay"}
    # Elements Moodle's writer also writes (hints and tags), that the fixtures happen
    # not to hold; and embedded files, which we never write.
    extra = {"hint", "tags", "tag"}
    for kind, (names, attributes) in ours.items():
        assert names - theirs[kind][0] <= extra, kind
        assert theirs[kind][0] - names <= {"file"}, kind
        assert {a for a in attributes if a[0] not in extra} <= theirs[kind][1], kind
    moodle_syntax = re.compile(r"^-?\d+(\.\d{1,5})?$")
    assert all(moodle_syntax.match(f) for f in their_fractions)
    assert all(moodle_syntax.match(f) for f in fractions(root))
    assert fractions(root) == [
        "100", "0",  # single
        "33.33333", "33.33333", "33.33333", "-33.33333", "-33.33333", "-33.33333",
        "0", "100",  # true_false: true is wrong, false is right
    ]  # fmt: skip
    for fraction in fractions(root):
        assert any(abs(abs(float(fraction)) / 100 - g) < 0.00001 for g in MOODLE_GRADES)
    grades = [node.text for node in root.iter("defaultgrade")]
    assert grades == ["3.0000000", "1.0000000", "10.0000000", "0.0000000", "0.0000000"]
    assert all(re.match(r"^\d+\.\d{7}$", g or "") for g in grades)
    assert b"<text></text>" in data  # empty text as Moodle writes it


def test_export_keeps_ids_tags_and_markdown_where_moodle_keeps_them() -> None:
    root = ET.fromstring(write(small_bank()).data)
    category, first = root.findall("question")[:2]
    assert category.findtext("category/text") == "$course$/top/A small bank // with a slash"
    assert first.findtext("idnumber") == "q-single"
    [question_text] = first.findall("questiontext")
    assert question_text.get("format") == "markdown"
    assert first.findtext("questiontext/text", "").startswith("What do you do **first**")
    assert first.findtext("shuffleanswers") == "false"
    assert [t.text for t in first.findall("tags/tag/text")] == [
        "early-help",
        "sharing",
        "finding-information-sharing",
    ]
