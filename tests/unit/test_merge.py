"""Three-way comparison of a draft, the version it started from and a newer version."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from quizapp.authoring.merge import MissingChoices, apply, three_way

from .test_version_diff import data, question


def ids(content: dict[str, Any], kind: str = "questions") -> list[str]:
    return [item["id"] for item in content[kind]]


def status(merge, key: str) -> str:
    return next(item for item in merge.items if item.key == key).status


def new_question(question_id: str, prompt: str) -> dict[str, Any]:
    return {"id": question_id, "stage": "first", "type": "reflection", "prompt": prompt}


@pytest.fixture
def base() -> dict[str, Any]:
    return data()


def test_nothing_changed_on_either_side(base):
    merge = three_way(base, copy.deepcopy(base), copy.deepcopy(base))
    assert merge.changed == ()
    assert merge.unchanged_count == 5 + 2 + 2 + 1
    assert apply(merge, {}) == base


def test_the_same_question_edited_differently_on_both_sides_is_a_conflict(base):
    mine, theirs = copy.deepcopy(base), copy.deepcopy(base)
    question(mine, "q-single")["prompt"] = "Mine?"
    question(theirs, "q-single")["prompt"] = "Theirs?"
    merge = three_way(base, mine, theirs)
    assert [item.key for item in merge.changed] == ["questions:q-single"]
    item = merge.conflicts[0]
    assert item.status == "conflict" and item.default is None
    assert item.fields("mine") == ("prompt",) == item.fields("theirs")
    assert [line.text for line in item.lines("mine") if line.kind == "added"] == ["prompt: Mine?"]
    with pytest.raises(MissingChoices) as refused:
        apply(merge, {})
    assert [i.key for i in refused.value.items] == ["questions:q-single"]
    with pytest.raises(MissingChoices):
        apply(merge, {"questions:q-single": "both"})
    assert question(apply(merge, {"questions:q-single": "mine"}), "q-single")["prompt"] == "Mine?"
    chose_theirs = apply(merge, {"questions:q-single": "theirs"})
    assert question(chose_theirs, "q-single")["prompt"] == "Theirs?"


def test_the_same_edit_on_both_sides_is_not_a_conflict(base):
    mine, theirs = copy.deepcopy(base), copy.deepcopy(base)
    question(mine, "q-single")["prompt"] = "Same?"
    question(theirs, "q-single")["prompt"] = "Same?"
    merge = three_way(base, mine, theirs)
    assert status(merge, "questions:q-single") == "same_change"
    assert merge.conflicts == ()
    assert question(apply(merge, {}), "q-single")["prompt"] == "Same?"


def test_an_edit_on_one_side_is_kept_by_default_whichever_side(base):
    mine, theirs = copy.deepcopy(base), copy.deepcopy(base)
    question(mine, "q-single")["prompt"] = "Mine?"
    question(theirs, "q-multiple")["points"] = 3
    merge = three_way(base, mine, theirs)
    assert status(merge, "questions:q-single") == "changed_mine"
    assert status(merge, "questions:q-multiple") == "changed_theirs"
    assert merge.defaults()["questions:q-multiple"] == "theirs"
    merged = apply(merge, {})
    assert question(merged, "q-single")["prompt"] == "Mine?"
    assert question(merged, "q-multiple")["points"] == 3
    # The author may still undo either change.
    undone = apply(merge, {"questions:q-multiple": "mine"})
    assert question(undone, "q-multiple")["points"] == 2


def test_a_question_added_on_one_side_is_kept_in_place(base):
    mine, theirs = copy.deepcopy(base), copy.deepcopy(base)
    mine["questions"].insert(1, new_question("q-mine", "Added in the draft"))
    theirs["questions"].append(new_question("q-theirs", "Added in the newer version"))
    theirs["questions"].reverse()  # the newer version's order wins for shared items
    merge = three_way(base, mine, theirs)
    assert status(merge, "questions:q-mine") == "added_mine"
    assert status(merge, "questions:q-theirs") == "added_theirs"
    merged = apply(merge, {})
    assert ids(merged) == [
        "q-theirs",
        "q-reflect",
        "q-ordering",
        "q-true-false",
        "q-multiple",
        "q-single",
        "q-mine",  # after q-single, as in the draft
    ]
    # Choosing the other side of an addition leaves it out.
    refused = apply(merge, {"questions:q-mine": "theirs", "questions:q-theirs": "mine"})
    assert "q-mine" not in ids(refused) and "q-theirs" not in ids(refused)


def test_an_addition_at_the_start_of_the_draft_stays_first(base):
    mine = copy.deepcopy(base)
    mine["questions"].insert(0, new_question("q-first", "First"))
    mine["questions"].insert(1, new_question("q-second", "Second"))
    merged = apply(three_way(base, mine, copy.deepcopy(base)), {})
    assert ids(merged)[:3] == ["q-first", "q-second", "q-single"]


def test_the_same_id_added_on_both_sides_with_different_content_is_a_conflict(base):
    mine, theirs = copy.deepcopy(base), copy.deepcopy(base)
    mine["questions"].append(new_question("q-new", "Mine"))
    theirs["questions"].append(new_question("q-new", "Theirs"))
    merge = three_way(base, mine, theirs)
    assert status(merge, "questions:q-new") == "conflict"
    assert question(apply(merge, {"questions:q-new": "theirs"}), "q-new")["prompt"] == "Theirs"


def test_a_deletion_on_one_side_is_kept_by_default_whichever_side(base):
    mine, theirs = copy.deepcopy(base), copy.deepcopy(base)
    mine["questions"] = [q for q in mine["questions"] if q["id"] != "q-reflect"]
    theirs["findings"] = [f for f in theirs["findings"] if f["id"] != "referral"]
    merge = three_way(base, mine, theirs)
    assert status(merge, "questions:q-reflect") == "deleted_mine"
    assert status(merge, "findings:referral") == "deleted_theirs"
    removed = merge.changed[0].lines("mine")
    assert {line.kind for line in removed} == {"removed"}
    assert "prompt: How do you share information?" in [line.text for line in removed]
    merged = apply(merge, {})
    assert "q-reflect" not in ids(merged)
    assert ids(merged, "findings") == ["sharing"]
    kept = apply(merge, {"questions:q-reflect": "theirs", "findings:referral": "mine"})
    assert "q-reflect" in ids(kept) and ids(kept, "findings") == ["sharing", "referral"]


def test_deleted_on_one_side_and_edited_on_the_other_is_a_conflict(base):
    mine, theirs = copy.deepcopy(base), copy.deepcopy(base)
    mine["questions"] = [q for q in mine["questions"] if q["id"] != "q-ordering"]
    question(theirs, "q-ordering")["prompt"] = "Put these in order."
    question(mine, "q-single")["prompt"] = "Edited in mine"
    theirs["questions"] = [q for q in theirs["questions"] if q["id"] != "q-single"]
    merge = three_way(base, mine, theirs)
    assert [item.key for item in merge.conflicts] == ["questions:q-single", "questions:q-ordering"]
    merged = apply(merge, {"questions:q-ordering": "mine", "questions:q-single": "mine"})
    assert ids(merged) == ["q-single", "q-multiple", "q-true-false", "q-reflect"]
    kept = apply(merge, {"questions:q-ordering": "theirs", "questions:q-single": "theirs"})
    assert question(kept, "q-ordering")["prompt"] == "Put these in order."
    assert "q-single" not in ids(kept)


def test_deleted_on_both_sides_is_not_a_conflict(base):
    mine, theirs = copy.deepcopy(base), copy.deepcopy(base)
    for content in (mine, theirs):
        content["questions"] = [q for q in content["questions"] if q["id"] != "q-reflect"]
    merge = three_way(base, mine, theirs)
    assert status(merge, "questions:q-reflect") == "same_change"
    assert "q-reflect" not in ids(apply(merge, {}))


def test_the_details_are_one_item(base):
    mine, theirs = copy.deepcopy(base), copy.deepcopy(base)
    mine["title"] = "My title"
    theirs["check"]["pass_mark"] = 70
    merge = three_way(base, mine, theirs)
    details = merge.items[-1]
    assert details.key == "details:details" and details.status == "conflict"
    assert details.fields("mine") == ("title",) and details.fields("theirs") == ("check",)
    assert "pass_mark: 70" in [line.text.strip() for line in details.lines("theirs")]
    merged = apply(merge, {"details:details": "theirs"})
    assert merged["title"] == base["title"] and merged["check"]["pass_mark"] == 70
    # Only one side changing the details takes that side.
    only_mine = three_way(base, mine, copy.deepcopy(base))
    assert only_mine.items[-1].status == "changed_mine"
    assert apply(only_mine, {})["title"] == "My title"


def test_items_are_asked_about_questions_first(base):
    mine, theirs = copy.deepcopy(base), copy.deepcopy(base)
    mine["title"] = "My title"
    mine["stages"][0]["title"] = "Start"
    theirs["findings"][0]["text"] = "Shared late."
    question(theirs, "q-reflect")["prompt"] = "How?"
    keys = [item.key for item in three_way(base, mine, theirs).changed]
    assert keys == ["questions:q-reflect", "findings:sharing", "stages:first", "details:details"]


def test_a_findings_confidence_phrasing_is_merged_like_its_other_fields(base):
    """The draft phrases a finding as practice while a newer version rewrites its text:
    without a conflict either edit would be lost, so the author chooses; an edit on one
    side alone is kept by default."""
    mine, theirs = copy.deepcopy(base), copy.deepcopy(base)
    mine["findings"][0]["confidence"] = "to share what you know the same day"
    merge = three_way(base, mine, copy.deepcopy(base))
    item = next(i for i in merge.items if i.key == "findings:sharing")
    assert item.status == "changed_mine"
    assert item.fields("mine") == ("confidence",)
    assert [change.label for change in item.changes("mine")] == ["Confidence phrasing"]
    assert "confidence: to share what you know the same day" in [
        line.text for line in item.lines("mine") if line.kind == "added"
    ]
    assert apply(merge, {})["findings"][0] == mine["findings"][0]

    theirs["findings"][0]["text"] = "Information was shared too late."
    merge = three_way(base, mine, theirs)
    assert status(merge, "findings:sharing") == "conflict"
    assert apply(merge, {"findings:sharing": "mine"})["findings"][0] == mine["findings"][0]

    # Taken out in the draft, kept in the newer version: the draft's removal wins by default.
    base["findings"][0]["confidence"] = "to share information"
    theirs = copy.deepcopy(base)
    mine = copy.deepcopy(base)
    del mine["findings"][0]["confidence"]
    merged = apply(three_way(base, mine, theirs), {})
    assert "confidence" not in merged["findings"][0]
