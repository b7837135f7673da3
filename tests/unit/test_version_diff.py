"""What changed between two versions of a bank: matched by id, told in an author's words."""

from __future__ import annotations

import copy
from typing import Any

from quizapp.authoring.diff import (
    DiffLine,
    ListDiff,
    Words,
    diff_lists,
    diff_versions,
    field_edits,
    item_lines,
    line_diff,
    render_item,
    word_diff,
)
from quizapp.banks import load_bank_text

from ..factories import small_bank


def data(text: str | None = None) -> dict[str, Any]:
    result = load_bank_text(text or small_bank(), "bank.yaml")
    assert result.errors == []
    assert result.bank is not None
    return result.bank.to_data()


def question(content: dict[str, Any], question_id: str) -> dict[str, Any]:
    return next(q for q in content["questions"] if q["id"] == question_id)


def test_the_first_version_has_nothing_to_compare_with():
    diff = diff_versions(None, data())
    assert diff.first
    assert diff.changed
    assert diff.summary() == "First version"
    assert [q["id"] for q in diff.questions.added][:2] == ["q-single", "q-multiple"]


def test_identical_content_has_no_changes():
    diff = diff_versions(data(), data())
    assert not diff.changed
    assert diff.summary() == "No changes"


def test_the_summary_counts_edited_added_and_removed_questions_and_details():
    old = data()
    new = copy.deepcopy(old)
    for question_id in ("q-single", "q-multiple", "q-ordering"):
        question(new, question_id)["prompt"] += " Think again."
    new["questions"] = [q for q in new["questions"] if q["id"] != "q-reflect"]
    new["questions"].append({**question(old, "q-reflect"), "id": "q-new-reflect"})
    new["title"] = "A renamed check"
    diff = diff_versions(old, new)
    assert diff.summary() == "3 questions edited, 1 added, 1 removed; details changed"
    assert [edit.id for edit in diff.questions.edited] == ["q-single", "q-multiple", "q-ordering"]
    assert [q["id"] for q in diff.questions.added] == ["q-new-reflect"]
    assert [q["id"] for q in diff.questions.removed] == ["q-reflect"]
    assert not diff.questions.reordered


def test_an_edited_question_has_a_line_diff_of_its_file_text():
    old = data()
    new = data(small_bank(**{"prompt: Who should you tell?": "prompt: Who must you tell first?"}))
    diff = diff_versions(old, new)
    (edit,) = diff.questions.edited
    assert edit.id == "q-single"
    assert edit.fields == ("prompt",)
    changed = [line for line in edit.lines if line.kind != "same"]
    assert changed == [
        DiffLine("removed", "prompt: Who should you tell?"),
        DiffLine("added", "prompt: Who must you tell first?"),
    ]
    # The whole question is shown, as the exported file writes it.
    assert edit.lines[0] == DiffLine("same", "id: q-single")
    assert DiffLine("same", "findings: [sharing]") in edit.lines
    assert DiffLine("same", "  - text: Children's social care") in edit.lines
    assert diff.summary() == "1 question edited"


def test_markers_are_plus_and_minus_not_only_colour():
    assert DiffLine("added", "x").marker == "+"
    assert DiffLine("removed", "x").marker == "\u2212"
    assert DiffLine("same", "x").marker == " "


def test_line_diff_keeps_every_line_in_order():
    lines = line_diff("a\nb\nc", "a\nB\nc\nd")
    assert [(line.kind, line.text) for line in lines] == [
        ("same", "a"),
        ("removed", "b"),
        ("added", "B"),
        ("same", "c"),
        ("added", "d"),
    ]
    assert line_diff("same", "same") == (DiffLine("same", "same"),)


def test_lines_that_look_like_diff_headers_are_content():
    lines = line_diff("--- a\n+++ b\n@@ c", "--- a\n+++ B\n@@ c")
    assert [line.kind for line in lines] == ["same", "removed", "added", "same"]
    assert lines[-1].text == "@@ c"


def test_reordering_questions_is_a_change():
    old = data()
    new = copy.deepcopy(old)
    new["questions"][0], new["questions"][1] = new["questions"][1], new["questions"][0]
    diff = diff_versions(old, new)
    assert diff.questions.reordered
    assert not diff.questions.edited
    assert diff.summary() == "Questions reordered"


def test_findings_and_stages_are_compared_by_id():
    old = data()
    new = copy.deepcopy(old)
    new["findings"][0]["text"] = "Information was shared too late."
    new["findings"].append({"id": "escalation", "kind": "concern", "text": "No escalation."})
    new["stages"] = [new["stages"][0]]
    for item in new["questions"]:
        item["stage"] = "first"
    diff = diff_versions(old, new)
    assert [edit.id for edit in diff.findings.edited] == ["sharing"]
    assert [f["id"] for f in diff.findings.added] == ["escalation"]
    assert [s["id"] for s in diff.stages.removed] == ["second"]
    assert diff.summary() == ("3 questions edited; 1 finding edited, 1 added; 1 stage removed")
    finding_lines = diff.findings.edited[0].lines
    assert DiffLine("added", "text: Information was shared too late.") in finding_lines


def test_details_and_check_settings_are_shown_as_values_an_author_reads():
    old = data()
    new = copy.deepcopy(old)
    new["source"]["url"] = "https://example.org/review"
    new["summary"] = "A check used in tests.\n\nNow with a second paragraph."
    new["check"]["pass_mark"] = 70
    new["check"]["attempts"] = 3
    new["check"]["certainty"] = False
    diff = diff_versions(old, new)
    details = {change.field: change for change in diff.details}
    assert set(details) == {"summary", "source.url"}
    assert (details["source.url"].old, details["source.url"].new) == (
        "Not given",
        "https://example.org/review",
    )
    assert details["source.url"].lines == ()
    assert DiffLine("added", "Now with a second paragraph.") in details["summary"].lines
    check = {change.field: (change.label, change.old, change.new) for change in diff.check}
    assert check == {
        "check.pass_mark": ("Pass mark", "80%", "70%"),
        "check.certainty": ("Ask \u201cHow sure are you?\u201d", "Yes", "No"),
        "check.attempts": ("Attempts allowed", "Unlimited", "3"),
    }
    assert diff.summary() == "Details changed; check settings changed"


def test_a_change_in_an_unexpected_key_is_not_hidden():
    old = data()
    new = {**copy.deepcopy(old), "extra": 1}
    assert diff_versions(old, new).summary() == "Other changes"


def test_the_phrase_names_the_first_count_only():
    diff = ListDiff(added=({"id": "a"},), removed=({"id": "b"}, {"id": "c"}))
    assert diff.phrase("question") == "1 question added, 2 removed"
    assert ListDiff().phrase("question") == ""


def test_unfinished_draft_content_does_not_break_the_diff():
    old = data()
    new = {"format": 1, "id": "small-bank", "questions": [{"prompt": "No id yet"}, "junk"]}
    diff = diff_versions(old, new)
    assert [q.get("prompt") for q in diff.questions.added] == ["No id yet"]
    assert len(diff.questions.removed) == 5
    assert "details changed" in diff.summary()
    assert diff_lists([{"id": "x", "options": object()}], [{"id": "x"}]).edited


def test_a_question_is_rendered_as_the_file_writes_it():
    text = render_item(question(data(), "q-ordering"))
    assert text.split("\n")[:3] == ["id: q-ordering", "stage: second", "type: ordering"]
    assert text.split("\n")[-4:] == ["items:", "  - Notice", "  - Refer", "  - Follow up"]
    lines = item_lines(question(data(), "q-reflect"), "questions", "removed")
    assert {line.kind for line in lines} == {"removed"}
    assert lines[0].text == "id: q-reflect"


# Field by field, with the changed words marked ------------------------------------------


def marked(runs: tuple[Words, ...]) -> str:
    """Runs as text, removed words in [-...-] and added ones in {+...+}."""
    signs = {"removed": ("[-", "-]"), "added": ("{+", "+}"), "same": ("", "")}
    return "".join(signs[run.kind][0] + run.text + signs[run.kind][1] for run in runs)


def test_word_diff_marks_the_changed_words_only():
    before, after = word_diff("Who should you tell?", "Who must you tell first?")
    assert marked(before) == "Who [-should-] you tell?"
    assert marked(after) == "Who {+must+} you tell{+ first+}?"
    assert [run.text for run in before if run.kind == "same"] == ["Who ", " you tell?"]


def test_word_diff_of_equal_text_marks_nothing_and_empty_text_is_all_new():
    before, after = word_diff("Same words.", "Same words.")
    assert before == after == (Words("same", "Same words."),)
    assert word_diff("", "New text") == ((), (Words("added", "New text"),))
    assert word_diff("Old text", "") == ((Words("removed", "Old text"),), ())


def test_neighbouring_changed_words_are_one_change():
    before, after = word_diff("tell the lead today", "tell a named person today")
    assert marked(before) == "tell [-the lead-] today"
    assert marked(after) == "tell {+a named person+} today"


def test_an_edited_question_is_shown_field_by_field_in_an_author_s_words():
    old = data()
    new = data(small_bank(**{"prompt: Who should you tell?": "prompt: Who must you tell first?"}))
    (edit,) = diff_versions(old, new).questions.edited
    (change,) = edit.changes
    assert change.label == "Question text"
    assert change.status == "changed"
    assert marked(change.before) == "Who [-should-] you tell?"
    assert marked(change.after) == "Who {+must+} you tell{+ first+}?"


def test_options_are_named_by_number_and_added_or_removed_options_say_so():
    old = [
        {"text": "Children's social care", "correct": True, "feedback": "Yes, straight away."},
        {"text": "Nobody", "correct": False, "feedback": "No."},
    ]
    new = [
        {"text": "Children's social care", "correct": True, "feedback": "Yes, today."},
        {"text": "Nobody", "correct": False, "feedback": "No."},
        {"text": "Your lead", "correct": False, "feedback": "Not only."},
    ]
    changes = list(field_edits("options", old, new))
    assert [(c.label, c.status) for c in changes] == [
        ("Option 1 feedback", "changed"),
        ("Option 3 (new)", "new"),
        ("Option 3, right answer (new)", "new"),
        ("Option 3 feedback (new)", "new"),
    ]
    assert marked(changes[0].before) == "Yes, [-straight away-]."
    assert marked(changes[0].after) == "Yes, {+today+}."
    assert changes[1].before == () and marked(changes[1].after) == "{+Your lead+}"
    assert marked(changes[2].after) == "{+No+}"

    (_, removed, *_) = field_edits("options", new, old)
    assert (removed.label, removed.status) == ("Option 3 (removed)", "removed")
    assert marked(removed.before) == "[-Your lead-]" and removed.after == ()


def test_list_fields_are_shown_as_the_names_in_them():
    (findings,) = field_edits("findings", ["sharing", "delay"], ["sharing", "escalation"])
    assert findings.label == "Findings"
    assert marked(findings.before) == "sharing, [-delay-]"
    assert marked(findings.after) == "sharing, {+escalation+}"
    steps = list(field_edits("items", ["Listen", "Record", "Refer"], ["Listen", "Refer"]))
    assert [(s.label, marked(s.before), s.after) for s in steps] == [
        ("Step 2 (removed)", "[-Record-]", ())
    ]
    (answer,) = field_edits("answer", True, False)
    assert (answer.label, marked(answer.before), marked(answer.after)) == (
        "Right answer",
        "[-True-]",
        "{+False+}",
    )


def test_details_have_their_changed_words_marked():
    old = data()
    new = copy.deepcopy(old)
    new["title"] = old["title"] + " (revised)"
    (title,) = diff_versions(old, new).details
    assert marked(title.before) == old["title"]
    assert marked(title.after) == old["title"] + "{+ (revised)+}"
