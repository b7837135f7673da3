"""QTI: our packages read back equal, directly and after an independent converter
(citolab-qti-convert) has turned 2.2 into 3.0 and 3.0 into 2.1; other systems' items map
to our types or are listed as skipped."""

from __future__ import annotations

import io
import itertools
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from defusedxml import ElementTree

from quizapp.banks import load_bank_text
from quizapp.banks.schema import BankFile
from quizapp.interchange import FINDING_TAG, PLACEHOLDER_FINDING
from quizapp.interchange.qti import ITEM_NAMESPACES, read, write_package
from quizapp.questions import QUESTION_TYPES

REPO = Path(__file__).resolve().parents[2]

SMALL_BANK = """\
format: 1
id: qti-small
title: Every type
summary: One question of each type.
source: {publisher: Test partnership, title: A review}
findings:
  - {id: referral-late, kind: concern, text: The referral was late.}
  - {id: good-chairing, kind: good-practice, text: The chair kept the focus.}
stages:
  - {id: one, title: One, narrative: The story so far.}
questions:
  - id: 1-first-contact
    stage: one
    type: single
    findings: [referral-late]
    tags: [referrals, week-1]
    prompt: |
      A health visitor is *worried* about a baby.

      - the baby is 3 weeks old
      - dad was **not** seen

      What should she do first?
    hint: Think about timing.
    shuffle: false
    points: 2
    feedback: A referral the **same day** is expected.
    options:
      - {text: Refer to children's social care today, correct: true, feedback: Yes.}
      - {text: Wait for the next visit, correct: false, feedback: "No: risk can't wait."}
      - {text: None of these, correct: false, feedback: One of them is right., fixed: true}
  - id: who-to-tell
    stage: one
    type: multiple
    findings: [referral-late, good-chairing]
    points: 3
    prompt: Who should hear about it (see *section*`4.2` of the procedures)?
    feedback: Share with everyone who needs to know.
    options:
      - {text: The GP, correct: true, feedback: "Yes, the GP holds the records."}
      - {text: The school nurse, correct: true, feedback: Yes.}
      - {text: A neighbour, correct: false, feedback: "No, not without consent."}
      - {text: The press, correct: false, feedback: Never.}
      - {text: The midwife, correct: true, feedback: "Yes: she knew mum before the birth."}
  - id: plan-means-safe
    stage: one
    type: true_false
    findings: [good-chairing]
    prompt: A child protection plan means the child is safe.
    answer: false
    feedback: A plan is a means, not an outcome.
    feedback_true: It is tempting to think so, but no.
    feedback_false: Right, a plan has to be carried out.
  - id: escalation-steps
    stage: one
    type: ordering
    findings: [referral-late]
    points: 2
    prompt: Put the escalation steps in order.
    feedback: Start with the person who made the decision.
    items:
      - Talk to the worker who made the decision
      - Talk to their manager
      - Use the partnership's escalation policy
      - Write to the head of service
  - id: my-practice
    stage: one
    type: reflection
    tags: [own-practice]
    prompt: What will you do differently?
    feedback: Think about your next visit.
  - id: my-team
    stage: one
    type: reflection
    prompt: What will your team do differently?
signposting: See the local procedures.
check: {pass_mark: 80, certainty: false, refresh_months: 12}
"""


def content_of(text: str, name: str) -> dict[str, Any]:
    result = load_bank_text(text, name)
    assert result.errors == []
    assert result.bank is not None
    return result.bank.to_data()


BANKS = {
    "small": lambda: content_of(SMALL_BANK, "small.yaml"),
    "hs-baby-2016": lambda: content_of(
        (REPO / "question_banks" / "hs-baby-2016.yaml").read_text(encoding="utf-8"),
        "hs-baby-2016.yaml",
    ),
}


def convert(command: str, package: bytes, tmp_path: Path) -> bytes:
    """Runs the independent converter's command line on a package."""
    source, target = tmp_path / f"in-{command}.zip", tmp_path / f"out-{command}.zip"
    source.write_bytes(package)
    subprocess.run(
        [sys.executable, "-m", "qti_convert.cli", command, "-q", str(source), str(target)],
        check=True,
        capture_output=True,
    )
    return target.read_bytes()


def compared(question: dict[str, Any]) -> dict[str, Any]:
    """What a QTI round trip keeps (hint and pool have no QTI home); the defaults as
    written, so that an absent shuffle and `shuffle: true` compare equal."""
    kept = {
        key: question[key]
        for key in ("id", "type", "prompt", "feedback", "options", "answer", "items", "points")
        if key in question
    }
    kept.update({key: question[key] for key in question if key.startswith("feedback_")})
    if question["type"] in ("single", "multiple"):
        kept["shuffle"] = question.get("shuffle", True)
        kept["options"] = [{"fixed": False, **option} for option in question["options"]]
    kept["tags"] = sorted(question.get("tags") or [])
    kept["findings"] = sorted(set(question.get("findings") or []) - {PLACEHOLDER_FINDING})
    return kept


def assert_same_questions(content: dict[str, Any], package: bytes, source_format: str) -> None:
    report = read(package)
    assert report.problems == []
    assert report.skipped == []
    assert report.adjusted == []
    assert report.source_format == source_format
    assert report.title == content["title"]
    draft = report.as_bank()
    BankFile.model_validate(draft)  # the draft is a loadable bank
    assert [compared(q) for q in draft["questions"]] == [compared(q) for q in content["questions"]]


@pytest.fixture(params=sorted(BANKS))
def content(request: pytest.FixtureRequest) -> dict[str, Any]:
    return BANKS[request.param]()


@pytest.mark.parametrize("version", ["3.0", "2.2"])
def test_our_package_reads_back_equal(content: dict[str, Any], version: str) -> None:
    exported = write_package(content, version)
    assert exported.skipped == []
    assert_same_questions(content, exported.data, f"QTI {version}")


def test_upgraded_to_3_0_by_the_converter_reads_back_equal(
    content: dict[str, Any], tmp_path: Path
) -> None:
    upgraded = convert("upgrade", write_package(content, "2.2").data, tmp_path)
    with zipfile.ZipFile(io.BytesIO(upgraded)) as archive:
        manifest = archive.read("imsmanifest.xml").decode()
    assert manifest.count('type="imsqti_item_xmlv3p0"') == len(content["questions"])
    assert_same_questions(content, upgraded, "QTI 3.0")


def test_downgraded_to_2_1_by_the_converter_reads_back_equal(
    content: dict[str, Any], tmp_path: Path
) -> None:
    downgraded = convert("downgrade", write_package(content, "3.0").data, tmp_path)
    with zipfile.ZipFile(io.BytesIO(downgraded)) as archive:
        manifest = archive.read("imsmanifest.xml").decode()
    assert manifest.count('type="imsqti_item_xmlv2p1"') == len(content["questions"])
    assert_same_questions(content, downgraded, "QTI 2.1")


def items_of(package: bytes) -> dict[str, Any]:
    """Each item's root element by file name."""
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return {
            name: ElementTree.fromstring(archive.read(name))
            for name in archive.namelist()
            if name.startswith("items/")
        }


def qti(version: str, name: str) -> str:
    return f"{{{ITEM_NAMESPACES[version]}}}{name}"


def test_items_are_named_by_our_ids_as_xml_names() -> None:
    content = BANKS["small"]()
    with zipfile.ZipFile(io.BytesIO(write_package(content, "3.0").data)) as archive:
        manifest = archive.read("imsmanifest.xml").decode()
        names = archive.namelist()
    assert names[0] == "imsmanifest.xml"
    # an id starting with a digit is no XML name: the identifier gets a leading "_"
    assert "items/_1-first-contact.xml" in names
    assert 'identifier="_1-first-contact" type="imsqti_item_xmlv3p0"' in manifest
    assert f'<imsmd:string language="en">{FINDING_TAG}good-chairing</imsmd:string>' in manifest
    root = items_of(write_package(content, "3.0").data)["items/_1-first-contact.xml"]
    assert root.tag == qti("3.0", "qti-assessment-item")
    assert root.get("identifier") == "_1-first-contact"
    assert root.get("title").startswith("A health visitor is worried about a baby.")


def test_choices_shuffle_and_fixed_options_and_feedback_keys() -> None:
    items = items_of(write_package(BANKS["small"](), "2.2").data)
    single = items["items/_1-first-contact.xml"]
    interaction = single.find(f".//{qti('2.2', 'choiceInteraction')}")
    assert interaction.get("maxChoices") == "1"
    assert interaction.get("shuffle") == "false"
    choices = interaction.findall(qti("2.2", "simpleChoice"))
    assert [c.get("fixed") for c in choices] == [None, None, "true"]
    feedback = single.findall(qti("2.2", "modalFeedback"))
    assert [f.get("identifier") for f in feedback] == [
        "GENERAL",
        "choice-1",
        "choice-2",
        "choice-3",
    ]
    assert {f.get("outcomeIdentifier") for f in feedback} == {"FEEDBACK"}
    many = items["items/who-to-tell.xml"].find(f".//{qti('2.2', 'choiceInteraction')}")
    assert (many.get("maxChoices"), many.get("shuffle")) == ("0", "true")


def test_single_choice_worth_one_point_uses_match_correct() -> None:
    content = BANKS["small"]()
    content["questions"][0]["points"] = 1
    items = items_of(write_package(content, "3.0").data)
    processing = items["items/_1-first-contact.xml"].find(qti("3.0", "qti-response-processing"))
    assert processing.get("template") == (
        "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml"
    )
    worth_two = items_of(write_package(BANKS["small"](), "3.0").data)
    processing = worth_two["items/_1-first-contact.xml"].find(qti("3.0", "qti-response-processing"))
    assert processing.get("template") is None  # match_correct gives 1, not 2


def test_multiple_choice_mapping_marks_every_answer_as_we_do() -> None:
    content = BANKS["small"]()
    question = content["questions"][1]
    item = items_of(write_package(content, "2.2").data)["items/who-to-tell.xml"]
    mapping = item.find(f".//{qti('2.2', 'mapping')}")
    values = {e.get("mapKey"): float(e.get("mappedValue")) for e in mapping}
    lower, upper = float(mapping.get("lowerBound")), float(mapping.get("upperBound"))
    processing = item.find(qti("2.2", "responseProcessing"))
    assert processing.get("template").endswith("/rptemplates/map_response")
    keys = sorted(values)
    for size in range(1, len(keys) + 1):
        for chosen in itertools.combinations(range(len(keys)), size):
            qti_score = min(upper, max(lower, sum(values[f"choice-{i + 1}"] for i in chosen)))
            ours = QUESTION_TYPES["multiple"].score(question, list(chosen)) * question["points"]
            assert qti_score == pytest.approx(ours), chosen


def test_ordering_scores_each_neighbouring_pair_kept() -> None:
    content = BANKS["small"]()
    item = items_of(write_package(content, "3.0").data)["items/escalation-steps.xml"]
    assert item.find(f".//{qti('3.0', 'qti-order-interaction')}") is not None
    pairs = [
        [value.text for value in contains.iter(qti("3.0", "qti-base-value"))]
        for contains in item.iter(qti("3.0", "qti-contains"))
    ]
    assert pairs == [["choice-1", "choice-2"], ["choice-2", "choice-3"], ["choice-3", "choice-4"]]
    divide = item.find(f".//{qti('3.0', 'qti-divide')}")
    assert divide.find(qti("3.0", "qti-base-value")).text == "3"
    correct = item.find(f".//{qti('3.0', 'qti-correct-response')}")
    assert [v.text for v in correct] == ["choice-1", "choice-2", "choice-3", "choice-4"]


def test_reflection_is_free_text_and_not_scored() -> None:
    items = items_of(write_package(BANKS["small"](), "3.0").data)
    with_feedback, without = items["items/my-practice.xml"], items["items/my-team.xml"]
    assert with_feedback.find(f".//{qti('3.0', 'qti-extended-text-interaction')}") is not None
    for item in (with_feedback, without):
        outcomes = [o.get("identifier") for o in item.iter(qti("3.0", "qti-outcome-declaration"))]
        assert "SCORE" not in outcomes
    assert without.find(qti("3.0", "qti-response-processing")) is None
    assert with_feedback.find(qti("3.0", "qti-modal-feedback")).get("identifier") == "GENERAL"


def test_branching_scenarios_are_skipped_with_the_reason() -> None:
    path = REPO / "question_banks" / "hs-baby-2016-conference.yaml"
    content = content_of(path.read_text(encoding="utf-8"), path.name)
    scenarios = [q["id"] for q in content["questions"] if q["type"] == "scenario"]
    assert scenarios
    exported = write_package(content, "3.0")
    assert [s.name for s in exported.skipped] == scenarios
    assert all("no QTI equivalent" in s.reason for s in exported.skipped)
    kept = len(content["questions"]) - len(scenarios)
    assert len(items_of(exported.data)) == kept


def test_unknown_version_is_refused() -> None:
    with pytest.raises(ValueError, match=r"3\.0 or 2\.2"):
        write_package(BANKS["small"](), "2.1")


# Items written by other systems

QTI21 = "http://www.imsglobal.org/xsd/imsqti_v2p1"


def item_21(body: str, declarations: str = "", rest: str = "", identifier: str = "Item1") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="{QTI21}" identifier="{identifier}" title="An item"
    adaptive="false" timeDependent="false">
  {declarations}
  <itemBody>{body}</itemBody>
  {rest}
</assessmentItem>""".encode()


def test_a_qti_2_1_item_with_two_right_choices_is_multiple_choice() -> None:
    data = item_21(
        """<p>Which <b>two</b>?</p><script>alert(1)</script>
        <choiceInteraction responseIdentifier="RESPONSE" maxChoices="2" shuffle="true">
          <prompt>Choose two.</prompt>
          <simpleChoice identifier="A">Alpha</simpleChoice>
          <simpleChoice identifier="B">Beta <feedbackInline outcomeIdentifier="FEEDBACK"
            identifier="B" showHide="show">Beta is right.</feedbackInline></simpleChoice>
          <simpleChoice identifier="C">Gamma</simpleChoice>
        </choiceInteraction>""",
        """<responseDeclaration identifier="RESPONSE" cardinality="multiple" baseType="identifier">
          <correctResponse><value>A</value><value>B</value></correctResponse>
        </responseDeclaration>
        <outcomeDeclaration identifier="MAXSCORE" cardinality="single" baseType="float">
          <defaultValue><value>2</value></defaultValue></outcomeDeclaration>""",
        """<modalFeedback outcomeIdentifier="FEEDBACK" identifier="correct" showHide="show">
        Well done.</modalFeedback>""",
    )
    report = read(data)
    assert report.source_format == "QTI 2.1"
    assert report.problems == []
    [question] = report.questions
    assert question["id"] == "an-item"  # "Item1" is no slug: made from the title
    assert question["type"] == "multiple"
    assert question["prompt"] == "Which **two**?\n\nChoose two."  # the script is gone
    assert [o["text"] for o in question["options"]] == ["Alpha", "Beta", "Gamma"]
    assert [o["correct"] for o in question["options"]] == [True, True, False]
    assert question["options"][1]["feedback"] == "Beta is right."
    assert question["options"][0]["feedback"].startswith("[")  # a placeholder to fill in
    assert question["points"] == 2
    assert [a.message for a in report.adjusted] == [
        # no mapping in the file: all or nothing there
        "marked as our multiple choice: each right option earns a share of the points and"
        " each wrong one costs a share, not as the file marks it",
        "feedback correct not imported: a question here has one general feedback and one"
        " per option",
    ]


def test_a_true_false_choice_is_true_or_false() -> None:
    data = item_21(
        """<choiceInteraction responseIdentifier="RESPONSE" maxChoices="1">
          <prompt>Sigmund Freud<br/>was a psychologist.</prompt>
          <simpleChoice identifier="t">True</simpleChoice>
          <simpleChoice identifier="f">False</simpleChoice>
        </choiceInteraction>""",
        """<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">
          <correctResponse><value>t</value></correctResponse></responseDeclaration>""",
        identifier="freud",
    )
    [question] = read(data).questions
    assert (question["id"], question["type"], question["answer"]) == ("freud", "true_false", True)
    assert question["prompt"] == "Sigmund Freud  \nwas a psychologist."  # one line break
    assert question["points"] == 1


def test_other_interactions_are_skipped_with_the_reason() -> None:
    data = item_21(
        """<p>Capital of France? <textEntryInteraction responseIdentifier="RESPONSE"/></p>""",
        """<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="string">
          <correctResponse><value>Paris</value></correctResponse></responseDeclaration>""",
    )
    report = read(data)
    assert report.questions == []
    [skipped] = report.skipped
    assert (skipped.name, skipped.kind) == ("Item1", "textEntryInteraction")
    assert "choices, ordering and free text" in skipped.reason


def test_a_choice_without_a_correct_response_is_skipped() -> None:
    data = item_21(
        """<choiceInteraction responseIdentifier="RESPONSE" maxChoices="1">
          <simpleChoice identifier="A">Alpha</simpleChoice>
          <simpleChoice identifier="B">Beta</simpleChoice></choiceInteraction>""",
        """<responseDeclaration identifier="RESPONSE" cardinality="single"
          baseType="identifier"/>""",
    )
    report = read(data)
    assert report.questions == []
    assert [s.reason for s in report.skipped] == [
        "no correct response is given, so it can't be marked"
    ]


def test_broken_xml_is_a_problem_not_a_traceback() -> None:
    report = read(b"<assessmentItem><itemBody></assessmentItem>")
    assert not report.ok
    [problem] = report.problems
    assert problem.name == "item"
    assert problem.message.startswith("not readable XML")


def test_entities_are_refused() -> None:
    bomb = b'<!DOCTYPE x [<!ENTITY a "aaaa">]><assessmentItem>&a;</assessmentItem>'
    report = read(bomb)
    assert report.questions == []
    assert len(report.problems) == 1


def test_a_zip_without_a_manifest_is_a_problem() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("item.xml", item_21("<p>x</p>"))
    report = read(buffer.getvalue())
    assert [p.message for p in report.problems] == [
        "the zip has no imsmanifest.xml: not a QTI content package"
    ]


def test_duplicate_option_texts_are_a_problem_for_the_question() -> None:
    data = item_21(
        """<choiceInteraction responseIdentifier="RESPONSE" maxChoices="1">
          <prompt>Pick</prompt>
          <simpleChoice identifier="A">Same</simpleChoice>
          <simpleChoice identifier="B">Same</simpleChoice></choiceInteraction>""",
        """<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">
          <correctResponse><value>A</value></correctResponse></responseDeclaration>""",
    )
    report = read(data)
    assert report.questions == []
    assert [p.name for p in report.problems] == ["Item1"]
    assert "options[1].text" in report.problems[0].message


def test_a_qti_3_order_item_marked_all_or_nothing_says_it_is_marked_our_way() -> None:
    data = f"""<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="{ITEM_NAMESPACES["3.0"]}" identifier="steps" title="Steps"
    adaptive="false" time-dependent="false">
  <qti-response-declaration identifier="RESPONSE" cardinality="ordered" base-type="identifier">
    <qti-correct-response><qti-value>B</qti-value><qti-value>A</qti-value>
      <qti-value>C</qti-value></qti-correct-response>
  </qti-response-declaration>
  <qti-item-body>
    <qti-order-interaction response-identifier="RESPONSE" shuffle="true">
      <qti-prompt>Put these in order.</qti-prompt>
      <qti-simple-choice identifier="A">Second</qti-simple-choice>
      <qti-simple-choice identifier="B">First</qti-simple-choice>
      <qti-simple-choice identifier="C">Third</qti-simple-choice>
    </qti-order-interaction>
    <qti-feedback-block outcome-identifier="FEEDBACK" identifier="GENERAL" show-hide="show">
      <qti-content-body><p>Start at the start.</p></qti-content-body>
    </qti-feedback-block>
  </qti-item-body>
  <qti-response-processing
    template="https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml"/>
</qti-assessment-item>""".encode()
    report = read(data)
    assert report.source_format == "QTI 3.0"
    [question] = report.questions
    assert question["type"] == "ordering"
    assert question["items"] == ["First", "Second", "Third"]
    assert question["prompt"] == "Put these in order."
    assert question["feedback"] == "Start at the start."
    assert [a.message for a in report.adjusted] == [
        "marked as our ordering: each pair of neighbours kept in order earns a share of the"
        " points, not all or nothing"
    ]


def test_a_package_that_unpacks_too_large_or_damaged_is_a_problem_not_a_crash():
    import io
    import zipfile

    from quizapp.interchange import qti

    big = io.BytesIO()
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("imsmanifest.xml", "<manifest/>")
        archive.writestr("padding.bin", b"\0" * (qti.MAX_UNPACKED + 1))
    assert len(big.getvalue()) < 1_000_000  # small on disk, large unpacked
    report = qti.read(big.getvalue())
    assert [str(p) for p in report.problems] == [
        "(file): the package unpacks to more than 50 MB: it is not read"
    ]
    assert not report.questions

    good = io.BytesIO()
    with zipfile.ZipFile(good, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("imsmanifest.xml", "<manifest>" + "x" * 5000 + "</manifest>")
    damaged = bytearray(good.getvalue())
    start = damaged.index(b"imsmanifest.xml") + len("imsmanifest.xml")
    damaged[start : start + 40] = b"\xff" * 40  # the compressed bytes of the manifest
    report = qti.read(bytes(damaged))
    assert len(report.problems) == 1
    assert report.problems[0].name in ("(file)", "imsmanifest.xml")
