"""Editing a draft in the browser, previewing it, publishing it; briefings into drafts."""

from __future__ import annotations

import html
import re
from pathlib import Path

import sqlalchemy as sa

from quizapp.author import operations
from quizapp.extensions import db
from quizapp.models import Attempt, AuditEvent, Bank, BankVersion, Check, Role
from quizapp.questions import get_type

from .factories import (
    answer_form,
    arrangement_of,
    check_for,
    create_user,
    import_bank_text,
    import_hs_bank,
    small_bank,
)
from .question_page import answer_from_page

SEED_BRIEFING = Path(__file__).parent / "unit" / "briefings" / "sandwell-hs.txt"


def _author(auth):
    create_user(email="author@example.org", roles=(Role.AUTHOR,))
    auth.sign_in("author@example.org")


def _small_draft(client, auth) -> str:
    """The small bank imported, and a draft of it started by an author; its key."""
    key = import_bank_text(small_bank()).bank.key
    _author(auth)
    assert client.post(f"/author/banks/{key}/draft/new").status_code == 302
    return key


def _draft() -> BankVersion:
    db.session.expire_all()
    return db.session.scalars(sa.select(BankVersion).where(BankVersion.status == "draft")).one()


def _question_form(question: dict) -> dict:
    """What the question page posts for this question, unchanged."""
    data = {
        "stage": question["stage"],
        "findings": question.get("findings", []),
        "prompt": question["prompt"],
        "hint": question.get("hint", ""),
        "feedback": question.get("feedback", ""),
        "points": str(question.get("points", "")),
    }
    for index, option in enumerate(question.get("options", [])):
        data[f"options-{index}-text"] = option["text"]
        data[f"options-{index}-feedback"] = option["feedback"]
        if option["correct"]:
            data[f"options-{index}-correct"] = "y"
    if "answer" in question:
        data["answer"] = "true" if question["answer"] else "false"
        data["feedback_true"] = question["feedback_true"]
        data["feedback_false"] = question["feedback_false"]
    if "items" in question:
        data["items"] = "\n".join(question["items"])
    return data


def test_edit_preview_publish_and_attempts_keep_their_version(app, client, auth):
    outcome = import_hs_bank()
    check = check_for(outcome)
    key = outcome.bank.key
    create_user(email="hv@example.org")
    auth.sign_in("hv@example.org")
    client.post(f"/checks/{check.id}/start")
    old_attempt = db.session.scalars(sa.select(Attempt)).one()
    auth.sign_out()

    _author(auth)
    assert client.post(f"/author/banks/{key}/draft/new").status_code == 302
    # A question outside any pool, so every attempt shows it.
    index, question = next(
        (i, q) for i, q in enumerate(_draft().content["questions"]) if not q.get("pool")
    )
    edited = _question_form(question)
    edited["prompt"] = "You are the community midwife. EDITED: what should happen now?"
    response = client.post(f"/author/banks/{key}/draft/questions/{question['id']}", data=edited)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert (
        _draft()
        .content["questions"][index]["prompt"]
        .startswith("You are the community midwife. EDITED")
    )

    # Preview: the edited question as a practitioner sees it, scored, with no attempt made.
    first_stage = client.get(f"/author/banks/{key}/draft/preview")
    assert first_stage.status_code == 302
    page = client.get(f"/author/banks/{key}/draft/preview/questions/{question['id']}")
    assert "EDITED: what should happen now?" in page.get_data(as_text=True)
    answered = client.post(
        f"/author/banks/{key}/draft/preview/questions/{question['id']}",
        data={**answer_from_page(page.get_data(as_text=True), question), "certainty": "3"},
    )
    assert answered.status_code == 302
    result = client.get(f"/author/banks/{key}/draft/preview/result").get_data(as_text=True)
    assert "No attempt was recorded" in result
    assert "Correct" in result
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 1

    published = client.post(
        f"/author/banks/{key}/draft/publish", data={"change_note": "Reworded Q1"}
    )
    assert published.status_code == 302, published.get_data(as_text=True)
    db.session.expire_all()
    v2 = db.session.scalars(sa.select(BankVersion).where(BankVersion.number == 2)).one()
    assert v2.status == "published" and v2.change_note == "Reworded Q1"
    assert v2.questions[index].prompt.startswith("You are the community midwife. EDITED")
    auth.sign_out()

    # The attempt started on version 1 finishes on version 1; a new one uses version 2.
    auth.sign_in("hv@example.org")
    page = client.get(f"/checks/attempts/{old_attempt.id}/questions/{question['id']}")
    assert "EDITED" not in page.get_data(as_text=True)
    version_one = db.session.get(BankVersion, old_attempt.bank_version_id)
    for q in version_one.questions:
        data = answer_form(q.spec, arrangement=arrangement_of(old_attempt.id, q))
        if get_type(q.type).scored:
            data["certainty"] = "2"
        client.post(f"/checks/attempts/{old_attempt.id}/questions/{q.key}", data=data)
    client.post(f"/checks/attempts/{old_attempt.id}/check-answers")
    db.session.expire_all()
    assert db.session.get(Attempt, old_attempt.id).bank_version_id == version_one.id
    client.post(f"/checks/{check.id}/start")
    new_attempt = db.session.scalars(sa.select(Attempt).where(Attempt.number == 2)).one()
    assert new_attempt.bank_version_id == v2.id
    page = client.get(f"/checks/attempts/{new_attempt.id}/questions/{question['id']}")
    assert "EDITED: what should happen now?" in page.get_data(as_text=True)

    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["draft.start", "draft.edit", "bank.publish"]
    publish_event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "bank.publish")
    ).one()
    assert publish_event.user.email == "author@example.org"
    assert publish_event.details == {"version": 2, "change_note": "Reworded Q1"}


def test_the_editor_validates_like_the_file_validator(app, client, auth):
    key = _small_draft(client, auth)
    question = _draft().content["questions"][0]
    data = _question_form(question)
    data["options-1-correct"] = "y"  # a second right option on a single-choice question
    response = client.post(f"/author/banks/{key}/draft/questions/{question['id']}", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "exactly one option must be correct" in page.lower()
    assert "govuk-error-summary" in page
    assert _draft().content["questions"][0] == question

    data = _question_form(question)
    data["prompt"] = '<script>alert("x")</script> Who?'
    response = client.post(f"/author/banks/{key}/draft/questions/{question['id']}", data=data)
    assert response.status_code == 422
    assert "Raw HTML is not allowed" in response.get_data(as_text=True)


def test_the_editor_refuses_control_characters(app, client, auth):
    """One-line fields refuse tabs and line breaks too; fields of several lines allow
    them. NUL can't be stored in PostgreSQL (a server error before)."""
    key = _small_draft(client, auth)
    draft = _draft().content
    question = draft["questions"][0]
    data = _question_form(question)
    data["prompt"] = "Who\x00 should act?"
    data["hint"] = "Think\tfirst"
    data["feedback"] = "Line one\r\n\tLine two"  # allowed
    response = client.post(f"/author/banks/{key}/draft/questions/{question['id']}", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (
        '<a href="#prompt">This must not include hidden characters other than line breaks'
        " and tabs</a>"
    ) in page
    assert (
        '<a href="#hint">This must not include tabs, line breaks or other hidden characters</a>'
        in page
    )
    assert "#feedback" not in page
    finding = draft["findings"][0]
    response = client.post(
        f"/author/banks/{key}/draft/findings/{finding['id']}",
        data={"kind": finding["kind"], "text": "A finding\x00"},
    )
    assert response.status_code == 422
    assert (
        '<a href="#text">This must not include hidden characters other than line breaks'
        " and tabs</a>"
    ) in response.get_data(as_text=True)
    assert _draft().content == draft


def test_publishing_nothing_new_is_refused(app, client, auth):
    key = _small_draft(client, auth)
    response = client.post(f"/author/banks/{key}/draft/publish", data={"change_note": "None"})
    assert response.status_code == 422
    assert "Nothing has changed since version 1" in response.get_data(as_text=True)
    assert _draft().status == "draft"


def test_add_move_and_remove_items(app, client, auth):
    key = _small_draft(client, auth)
    response = client.post(
        f"/author/banks/{key}/draft/findings/new",
        data={"kind": "concern", "text": "Meetings went ahead without health."},
    )
    assert response.status_code == 302
    findings = _draft().content["findings"]
    assert findings[-1] == {
        "id": "meetings-went-ahead-without-health",
        "kind": "concern",
        "text": "Meetings went ahead without health.",
    }
    # A finding that questions test can't be removed; an unused one can.
    client.post(f"/author/banks/{key}/draft/findings/sharing/delete")
    assert any(f["id"] == "sharing" for f in _draft().content["findings"])
    client.post(f"/author/banks/{key}/draft/findings/meetings-went-ahead-without-health/delete")
    assert [f["id"] for f in _draft().content["findings"]] == ["sharing", "referral"]

    client.post(f"/author/banks/{key}/draft/questions/q-multiple/move", data={"direction": "up"})
    assert [q["id"] for q in _draft().content["questions"]][:2] == ["q-multiple", "q-single"]

    response = client.post(
        f"/author/banks/{key}/draft/questions/new/true_false",
        data={
            "stage": "first",
            "findings": ["sharing"],
            "prompt": "A strategy discussion can include the police.",
            "feedback": "It usually does.",
            "answer": "true",
            "feedback_true": "Right.",
            "feedback_false": "The police usually take part.",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    added = _draft().content["questions"][-1]
    assert added["type"] == "true_false" and added["answer"] is True
    assert added["id"].startswith("q-a-strategy-discussion")

    assert client.post(f"/author/banks/{key}/draft/discard").status_code == 302
    db.session.expire_all()
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(BankVersion).where(BankVersion.status == "draft")
        )
        == 0
    )


def test_a_briefing_becomes_a_draft_that_cannot_be_published_until_written(app, client, auth):
    _author(auth)
    response = client.post(
        "/author/briefings/new",
        data={
            "text": SEED_BRIEFING.read_text(),
            "publisher": "Sandwell Safeguarding Children Partnership",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    draft = _draft()
    data = draft.content
    kinds = [f["kind"] for f in data["findings"]]
    assert len(kinds) == 8 and kinds.count("good-practice") == 2
    reflections = [q for q in data["questions"] if q["type"] == "reflection"]
    assert len(reflections) == 4
    assert "0121 569 4800" in data["signposting"]
    concerns = {f["id"] for f in data["findings"] if f["kind"] == "concern"}
    scaffolded = {f for q in data["questions"] if q["type"] != "reflection" for f in q["findings"]}
    assert concerns <= scaffolded

    key = draft.bank.key
    refused = client.post(f"/author/banks/{key}/draft/publish", data={"change_note": "First"})
    assert refused.status_code == 422
    refused_page = refused.get_data(as_text=True)
    assert "replace the placeholder text" in refused_page
    # Places are named as the editor names them, counting from 1, with the question's id.
    first = data["questions"][0]
    assert f"Question 1 ({first['id']}), question text: replace the placeholder text" in (
        refused_page
    )
    assert "questions[" not in refused_page
    # The error summary lists every problem, not only the first (the library lists one).
    summary = refused_page.split('govuk-error-summary__list">', 1)[1].split("</ul>")[0]
    problems = operations.publish_problems(_draft())
    assert len(problems) > 5
    assert summary.count('href="#form-errors"') == len(problems)
    assert _draft().status == "draft"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Check)) == 0
    assert db.session.scalars(sa.select(Bank.key)).one() == key


#: Made up, in a shape partnerships publish: an incident, key learning, good practice,
#: questions to consider, and lines that belong to none of them.
SEVEN_MINUTE = """\
7 minute briefing: Child R

1. The incident
Child R, aged 4, was seen by several agencies in the year before an injury at home.

2. Key learning
- Referrals to children's social care were delayed by several weeks.
- Practitioners relied on what the parents said without checking it.

3. Good Practice
- The nursery shared its worries with the health visitor on the same day.

4. Questions to consider
- How do you check what parents tell you?
- We thank everyone who took part in this review.

Page 2 of 2
"""


def test_a_draft_from_a_briefing_says_why_each_kind_and_lists_lines_not_used(app, client, auth):
    _author(auth)
    response = client.post("/author/briefings/new", data={"text": SEVEN_MINUTE})
    assert response.status_code == 302, response.get_data(as_text=True)
    draft = _draft()
    kinds = {f["text"][:20]: f["kind"] for f in draft.content["findings"]}
    assert kinds == {
        "Referrals to childre": "concern",
        "Practitioners relied": "concern",
        "The nursery shared i": "good-practice",
    }
    reflections = [q["prompt"] for q in draft.content["questions"] if q["type"] == "reflection"]
    assert reflections == ["How do you check what parents tell you?"]
    page = client.get(f"/author/banks/{draft.bank.key}/draft").get_data(as_text=True)
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "Marked good practice from the briefing: under &#39;3. Good Practice&#39;" in text
    # "Key learning" holds both kinds, so the wording decided these.
    assert text.count("Marked a concern from the briefing: wording:") == 2
    # The statement among the questions is not a reflection, and is not lost.
    not_used = re.search(
        r'<ul class="govuk-list govuk-list--bullet" id="not-used">(.*?)</ul>', page, re.S
    )
    assert not_used and "We thank everyone who took part in this review." in not_used.group(1)
    assert "2 lines of the briefing not used" in text  # with "Page 2 of 2"
    # Once a version is published the reading belongs to history: later drafts don't show it.
    assert draft.number == 1


def test_authoring_is_for_authors(app, client, auth):
    key = import_bank_text(small_bank()).bank.key
    create_user(email="hv@example.org")
    auth.sign_in("hv@example.org")
    for url in (f"/author/banks/{key}/draft", "/author/briefings/new"):
        assert client.get(url).status_code == 403
    assert client.post(f"/author/banks/{key}/draft/new").status_code == 403


def _details_form(data: dict) -> dict:
    """What the details page posts for this draft, unchanged."""
    check = data["check"]
    form = {
        "title": data["title"],
        "summary": data["summary"],
        "publisher": data["source"]["publisher"],
        "source_title": data["source"]["title"],
        "signposting": data["signposting"],
        "pass_mark": str(check["pass_mark"]),
        "refresh_months": str(check["refresh_months"]),
        "after_fail": check.get("after_fail", "feedback"),
    }
    if check.get("certainty"):
        form["certainty"] = "y"
    for name in ("ask_confidence", "ask_reaction"):
        if check.get(name, True):
            form[name] = "y"
    weeks = check.get("follow_up_weeks", 8)
    form["follow_up_weeks"] = "" if weeks is False else str(weeks)
    return form


def _questions() -> dict[str, dict]:
    return {q["id"]: q for q in _draft().content["questions"]}


def test_a_new_pool_with_another_question_checks_the_variants_match(app, client, auth):
    key = _small_draft(client, auth)
    before = _draft().content
    page = client.get(f"/author/banks/{key}/draft/questions/q-single").get_data(as_text=True)
    assert "Pool (optional)" in page
    assert "Each attempt shows one question from a pool, so a retake is not the same" in page
    assert 'value="_none" checked' in page
    # Questions already in no pool are offered; the reflection (not marked) is not.
    assert '<option value="q-multiple">' in page and 'value="q-reflect"' not in page

    # q-multiple is worth 2 marks, q-single 1: the variants don't match. Nothing is saved
    # (neither question gets the pool) and the error is beside the marks.
    data = {**_question_form(before["questions"][0]), "pool": "_new", "pool_with": "q-multiple"}
    response = client.post(f"/author/banks/{key}/draft/questions/q-single", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (
        '<a href="#points">Question q-multiple: every question in pool &#39;single&#39; must'
        " have the same points as question q-single</a>"
    ) in page
    assert 'id="points-error"' in page
    assert _draft().content == before

    # A new pool without a question to pair with is refused beside the list.
    response = client.post(
        f"/author/banks/{key}/draft/questions/q-single",
        data={**data, "points": "2", "pool_with": ""},
    )
    assert response.status_code == 422
    assert '<a href="#pool_with">Select the question to make a pool with</a>' in (
        response.get_data(as_text=True)
    )
    assert _draft().content == before

    response = client.post(
        f"/author/banks/{key}/draft/questions/q-single", data={**data, "points": "2"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    questions = _questions()
    assert questions["q-single"]["pool"] == questions["q-multiple"]["pool"] == "single"
    assert questions["q-single"]["points"] == 2
    assert all(
        "pool" not in q for q in questions.values() if q["id"] not in {"q-single", "q-multiple"}
    )

    overview = client.get(f"/author/banks/{key}/draft").get_data(as_text=True)
    assert "3 questions and 1 reflection in each attempt, from 5 written." in overview
    assert "Pool single" in overview
    assert "Variant 1 of 2; the others: q-multiple" in overview
    assert "Variant 2 of 2; the others: q-single" in overview
    page = client.get(f"/author/banks/{key}/draft/questions/q-multiple").get_data(as_text=True)
    assert "Pool single (this question&#39;s pool)" in page
    assert 'value="single" checked' in page
    assert "This question and q-single" in page

    # Removing one of two variants takes the pool off the other, and says so.
    response = client.post(
        f"/author/banks/{key}/draft/questions/q-multiple/delete", follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert "Question q-single is no longer in a pool: it was the only question left in pool" in (
        page
    )
    questions = _questions()
    assert "q-multiple" not in questions and "pool" not in questions["q-single"]
    assert "3 questions and 1 reflection in each attempt." in page


def test_joining_and_leaving_an_existing_pool(app, client, auth):
    key = _small_draft(client, auth)
    content = _draft().content
    single, multiple = content["questions"][0], content["questions"][1]
    client.post(
        f"/author/banks/{key}/draft/questions/q-multiple",
        data={**_question_form(multiple), "points": "1", "pool": "_new", "pool_with": "q-single"},
    )
    assert _questions()["q-multiple"]["pool"] == "single"  # named after the first variant
    # A new question joins the existing pool, after the variants' checks.
    new = {
        **_question_form(single),
        "prompt": "Who leads on child protection?",
        "pool": "single",
    }
    response = client.post(f"/author/banks/{key}/draft/questions/new/single", data=new)
    assert response.status_code == 302, response.get_data(as_text=True)
    added = _draft().content["questions"][-1]
    assert added["pool"] == "single" and added["id"] == "q-who-leads-on-child-protection"
    # Joining with a different part of the story is refused beside the part.
    other = {**_question_form(content["questions"][2]), "pool": "single"}
    response = client.post(f"/author/banks/{key}/draft/questions/q-true-false", data=other)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<a href="#stage">Every question in pool &#39;single&#39; must have the same stage' in (
        page
    )
    assert "pool" not in _questions()["q-true-false"]
    # A question chosen for a new pool, with another choice: the author is asked which.
    response = client.post(
        f"/author/banks/{key}/draft/questions/q-ordering",
        data={
            **_question_form(content["questions"][3]),
            "pool": "_none",
            "pool_with": "q-true-false",
        },
    )
    assert response.status_code == 422
    assert "to make a pool with q-true-false, or choose no question for a new pool" in (
        response.get_data(as_text=True)
    )
    assert "pool" not in _questions()["q-ordering"]
    # An unknown pool is refused beside the radios.
    response = client.post(
        f"/author/banks/{key}/draft/questions/q-true-false", data={**other, "pool": "nope"}
    )
    assert response.status_code == 422
    assert '<a href="#pool">Select a pool, or not in a pool</a>' in response.get_data(as_text=True)

    # "Take out of pool" on the overview: the pool keeps its other two variants.
    response = client.post(
        f"/author/banks/{key}/draft/questions/q-single/leave-pool", follow_redirects=True
    )
    assert "Question q-single is no longer in pool single." in response.get_data(as_text=True)
    questions = _questions()
    assert "pool" not in questions["q-single"]
    assert questions["q-multiple"]["pool"] == questions[added["id"]]["pool"] == "single"
    # "Not in a pool" on the question page: the last variant leaves the pool too.
    response = client.post(
        f"/author/banks/{key}/draft/questions/q-multiple",
        data={**_question_form(_questions()["q-multiple"]), "pool": "_none"},
        follow_redirects=True,
    )
    assert f"Question {added['id']} is no longer in a pool" in response.get_data(as_text=True)
    assert all("pool" not in q for q in _questions().values())
    # A reflection is not marked: it is offered no pool.
    page = client.get(f"/author/banks/{key}/draft/questions/q-reflect").get_data(as_text=True)
    assert "Pool (optional)" not in page


def test_options_in_the_order_written_and_a_fixed_option(app, client, auth):
    key = _small_draft(client, auth)
    before = _draft().content
    multiple = before["questions"][1]
    page = client.get(f"/author/banks/{key}/draft/questions/q-multiple").get_data(as_text=True)
    assert "Show the options in the order written" in page
    assert page.count("Keep this option in place") == 6
    # Saved unchanged: no shuffle or fixed keys appear (the content is the same).
    client.post(f"/author/banks/{key}/draft/questions/q-multiple", data=_question_form(multiple))
    assert _draft().content == before

    data = {**_question_form(multiple), "options-2-fixed": "y"}
    client.post(f"/author/banks/{key}/draft/questions/q-multiple", data=data)
    saved = _questions()["q-multiple"]
    assert "shuffle" not in saved
    assert [o.get("fixed") for o in saved["options"]] == [None, None, True]

    data = {**_question_form(multiple), "in_order": "y"}
    client.post(f"/author/banks/{key}/draft/questions/q-multiple", data=data)
    saved = _questions()["q-multiple"]
    assert saved["shuffle"] is False and all("fixed" not in o for o in saved["options"])
    page = client.get(f"/author/banks/{key}/draft/questions/q-multiple").get_data(as_text=True)
    assert 'name="in_order" type="checkbox" value="y" checked' in page


def test_after_fail_on_the_draft_details(app, client, auth):
    key = _small_draft(client, auth)
    before = _draft().content
    page = client.get(f"/author/banks/{key}/draft/details").get_data(as_text=True)
    assert "After a fail, while attempts remain, show" in page
    assert 'value="feedback" checked' in page
    # The default, left out of the file, stays out.
    client.post(f"/author/banks/{key}/draft/details", data=_details_form(before))
    assert _draft().content == before

    refused = client.post(
        f"/author/banks/{key}/draft/details",
        data={**_details_form(before), "after_fail": "everything"},
    )
    assert refused.status_code == 422
    assert '<a href="#after_fail">Select what the result shows after a fail</a>' in (
        refused.get_data(as_text=True)
    )
    assert _draft().content == before

    client.post(
        f"/author/banks/{key}/draft/details",
        data={**_details_form(before), "after_fail": "answers"},
    )
    assert _draft().content["check"] == {**before["check"], "after_fail": "answers"}
    overview = client.get(f"/author/banks/{key}/draft").get_data(as_text=True)
    assert "after a fail, the right answers are shown" in overview


def test_a_draft_edited_in_the_browser_exports_and_imports_unchanged(app, client, auth):
    from quizapp.banks import content_hash, load_bank_text

    key = _small_draft(client, auth)
    content = _draft().content
    single, multiple = content["questions"][0], content["questions"][1]
    client.post(
        f"/author/banks/{key}/draft/details",
        data={**_details_form(content), "after_fail": "answers"},
    )
    response = client.post(
        f"/author/banks/{key}/draft/questions/q-multiple",
        data={
            **_question_form(multiple),
            "points": "1",
            "in_order": "y",
            "options-2-fixed": "y",
            "pool": "_new",
            "pool_with": "q-single",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    client.post(
        f"/author/banks/{key}/draft/questions/q-single",
        data={**_question_form(single), "options-1-fixed": "y"},
    )
    edited = _draft().content
    published = client.post(
        f"/author/banks/{key}/draft/publish", data={"change_note": "Pool, order, after a fail"}
    )
    assert published.status_code == 302, published.get_data(as_text=True)
    db.session.expire_all()
    v2 = db.session.scalars(sa.select(BankVersion).where(BankVersion.number == 2)).one()

    exported = client.get(f"/author/banks/{key}/versions/2/export").get_data(as_text=True)
    assert "pool: single" in exported and "shuffle: false" in exported
    assert "fixed: true" in exported and "after_fail: answers" in exported
    result = load_bank_text(exported, "exported.yaml")
    assert not result.errors
    assert content_hash(result.bank) == v2.content_hash
    data = result.bank.to_data()
    questions = {q["id"]: q for q in data["questions"]}
    assert questions["q-single"]["pool"] == questions["q-multiple"]["pool"] == "single"
    assert questions["q-multiple"]["shuffle"] is False and "shuffle" not in questions["q-single"]
    assert [o.get("fixed") for o in questions["q-multiple"]["options"]] == [None, None, True]
    assert [o.get("fixed") for o in questions["q-single"]["options"]] == [None, True]
    assert data["check"]["after_fail"] == "answers"
    assert data["questions"] == edited["questions"] and data["check"] == edited["check"]
    check = check_for_key(key)
    assert check.after_fail == "feedback"  # a check's own setting is not the bank's default

    # Uploading the export back is recognised as the same version.
    from io import BytesIO

    response = client.post(
        "/author/upload",
        data={"file": (BytesIO(exported.encode()), f"{key}-v2.yaml"), "change_note": "again"},
        follow_redirects=True,
    )
    assert "No changes: the file matches version 2" in response.get_data(as_text=True)


def check_for_key(key: str) -> Check:
    return db.session.scalars(sa.select(Check).join(Bank).where(Bank.key == key)).one()


#: Version published by a file while the draft is open: edits q-single, adds q-theirs.
NEWER_BANK = small_bank(
    **{
        "prompt: Who should you tell?": "prompt: Who do you tell first?",
        "    prompt: How do you share information?\n": (
            "    prompt: How do you share information?\n"
            "  - id: q-theirs\n"
            "    stage: second\n"
            "    type: reflection\n"
            "    prompt: What went well?\n"
        ),
    }
)


def _radios(page: str, name: str) -> dict[str, bool]:
    """The radios named `name` on the page: value -> checked."""
    found = {}
    for tag in re.findall(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page):
        value = re.search(r'value="([^"]*)"', tag)
        assert value is not None
        found[value.group(1)] = " checked" in tag
    return found


def _draft_edited_on_both_sides(client, key: str) -> tuple[dict, int]:
    """The draft edits q-single, removes q-reflect and adds a question; then another
    version, NEWER_BANK, is published. Returns the draft's content and that number."""
    question = _draft().content["questions"][0]
    edited = {**_question_form(question), "prompt": "Mine, who do you tell?"}
    url = f"/author/banks/{key}/draft/questions/q-single"
    assert client.post(url, data=edited).status_code == 302
    assert client.post(f"/author/banks/{key}/draft/questions/q-reflect/delete").status_code == 302
    added = {"stage": "first", "prompt": "What would you do differently?"}
    new_url = f"/author/banks/{key}/draft/questions/new/reflection"
    assert client.post(new_url, data=added).status_code == 302
    n = import_bank_text(NEWER_BANK).version.number
    return _draft().content, n


def test_a_version_published_since_the_draft_began_is_not_replaced_without_choosing(
    app, client, auth
):
    """Start a draft from version 1; a file publishes version 2; publishing the draft
    would drop version 2's changes, so it is refused until the draft is brought up to
    date, which asks the author to choose per question."""
    key = _small_draft(client, auth)
    mine, n = _draft_edited_on_both_sides(client, key)
    added_id = next(q["id"] for q in mine["questions"] if q["prompt"].startswith("What would"))

    page = client.get(f"/author/banks/{key}/draft").get_data(as_text=True)
    assert 'id="newer-version"' in page
    assert f"Version {n} was published on" in page
    assert f'href="/author/banks/{key}/draft/update"' in page

    refused = client.post(f"/author/banks/{key}/draft/publish", data={"change_note": "Mine"})
    assert refused.status_code == 409
    body = refused.get_data(as_text=True)
    assert f"Bring your draft up to date with version {n} before you" in body
    assert f'href="/author/banks/{key}/draft/update"' in body
    assert _draft().content == mine
    published = db.session.scalars(
        sa.select(BankVersion.number).where(BankVersion.status == "published")
    ).all()
    assert sorted(published) == [1, n]

    update = client.get(f"/author/banks/{key}/draft/update")
    assert update.status_code == 200
    page = update.get_data(as_text=True)
    # Changed on either side: listed, questions first; the rest only counted.
    names = re.findall(r'name="(choice-[^"]+)"', page)
    assert list(dict.fromkeys(names)) == [
        "choice-questions-q-single",
        f"choice-questions-{added_id}",
        "choice-questions-q-reflect",
        "choice-questions-q-theirs",
    ]
    assert "8 items changed in neither" in page
    assert "Changed in both: choose which to keep" in page
    assert "</span>prompt: Mine, who do you tell?" in page  # an added line
    assert "</span>prompt: Who do you tell first?" in page
    # The conflict has no choice made for the author; the others keep the side that changed.
    assert _radios(page, "choice-questions-q-single") == {"mine": False, "theirs": False}
    assert _radios(page, "choice-questions-q-reflect") == {"mine": True, "theirs": False}
    assert _radios(page, "choice-questions-q-theirs") == {"mine": False, "theirs": True}
    assert _radios(page, f"choice-questions-{added_id}") == {"mine": True, "theirs": False}
    assert "Keep it deleted" in page and "Keep the question, with" not in page
    assert "Keep the question" in page and f"Keep the question version {n} added" in page
    fingerprint = re.search(r'name="draft" value="([^"]+)"', page)
    assert fingerprint is not None
    defaults = {
        "newest": str(n),
        "draft": fingerprint.group(1),
        "choice-questions-q-reflect": "mine",
        "choice-questions-q-theirs": "theirs",
        f"choice-questions-{added_id}": "mine",
    }

    missing = client.post(f"/author/banks/{key}/draft/update", data=defaults)
    assert missing.status_code == 422
    body = missing.get_data(as_text=True)
    assert "There is a problem" in body
    assert body.count("Choose which version of question q-single to keep") == 2  # summary, field
    assert 'href="#choice-questions-q-single"' in body
    assert _draft().content == mine and _draft().based_on == 1

    # Choices made against other content are not applied.
    stale = client.post(
        f"/author/banks/{key}/draft/update",
        data={**defaults, "newest": "1", "choice-questions-q-single": "mine"},
    )
    assert stale.status_code == 409 and _draft().content == mine

    chosen = client.post(
        f"/author/banks/{key}/draft/update",
        data={**defaults, "choice-questions-q-single": "mine"},
    )
    assert chosen.status_code == 302, chosen.get_data(as_text=True)
    draft = _draft()
    assert draft.based_on == n
    questions = {q["id"]: q for q in draft.content["questions"]}
    assert questions["q-single"]["prompt"] == "Mine, who do you tell?"
    assert questions["q-theirs"]["prompt"] == "What went well?"
    assert added_id in questions and "q-reflect" not in questions
    assert [q["id"] for q in draft.content["questions"]] == [
        "q-single",
        "q-multiple",
        "q-true-false",
        "q-ordering",
        added_id,  # after q-ordering, as in the draft
        "q-theirs",
    ]
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "draft.update")
    ).one()
    assert event.details["from_version"] == 1 and event.details["to_version"] == n
    assert event.details["choices"]["questions:q-single"] == "mine"
    assert event.details["choices"]["questions:q-theirs"] == "theirs"

    page = client.get(f"/author/banks/{key}/draft").get_data(as_text=True)
    assert 'id="newer-version"' not in page
    done = client.post(f"/author/banks/{key}/draft/publish", data={"change_note": "Mine"})
    assert done.status_code == 302, done.get_data(as_text=True)
    db.session.expire_all()
    latest = db.session.scalars(
        sa.select(BankVersion).order_by(BankVersion.number.desc()).limit(1)
    ).one()
    assert latest.number == n + 1 and latest.status == "published"
    published_ids = [q["id"] for q in latest.content["questions"]]
    assert published_ids == [q["id"] for q in draft.content["questions"]]
    assert latest.content["questions"][0]["prompt"] == "Mine, who do you tell?"


def test_bringing_a_draft_up_to_date_can_take_the_newer_version_s_side(app, client, auth):
    key = _small_draft(client, auth)
    mine, n = _draft_edited_on_both_sides(client, key)
    added_id = next(q["id"] for q in mine["questions"] if q["prompt"].startswith("What would"))
    page = client.get(f"/author/banks/{key}/draft/update").get_data(as_text=True)
    fingerprint = re.search(r'name="draft" value="([^"]+)"', page)
    assert fingerprint is not None
    response = client.post(
        f"/author/banks/{key}/draft/update",
        data={
            "newest": str(n),
            "draft": fingerprint.group(1),
            "choice-questions-q-single": "theirs",
            "choice-questions-q-reflect": "theirs",  # keep the question after all
            "choice-questions-q-theirs": "mine",  # leave version n's addition out
            f"choice-questions-{added_id}": "mine",
        },
    )
    assert response.status_code == 302
    questions = {q["id"]: q for q in _draft().content["questions"]}
    assert questions["q-single"]["prompt"] == "Who do you tell first?"
    assert "q-reflect" in questions and "q-theirs" not in questions and added_id in questions


def test_the_update_page_of_a_draft_up_to_date_goes_back_to_the_draft(app, client, auth):
    key = _small_draft(client, auth)
    response = client.get(f"/author/banks/{key}/draft/update")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/author/banks/{key}/draft")
    assert client.post(f"/author/banks/{key}/draft/update", data={}).status_code == 302


def test_a_draft_with_nothing_published_since_publishes_without_a_question(app, client, auth):
    key = _small_draft(client, auth)
    question = _draft().content["questions"][0]
    edited = {**_question_form(question), "prompt": "Who should you tell first?"}
    client.post(f"/author/banks/{key}/draft/questions/{question['id']}", data=edited)
    page = client.get(f"/author/banks/{key}/draft").get_data(as_text=True)
    assert 'id="newer-version"' not in page and "/draft/update" not in page
    done = client.post(f"/author/banks/{key}/draft/publish", data={"change_note": "Mine"})
    assert done.status_code == 302


def test_a_problem_no_field_shows_is_in_the_error_summary_in_plain_words(app, client, auth):
    key = _small_draft(client, auth)
    draft = _draft()
    content = {**draft.content, "id": "Bad Id!"}  # no field of the details page shows it
    draft.content = content
    db.session.commit()
    response = client.post(f"/author/banks/{key}/draft/details", data=_details_form(content))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    message = "Id: should be an id of lowercase letters, digits and single hyphens"
    assert f'<a href="#form-errors">{message}' in page  # listed in the summary, linked
    assert f'<span class="govuk-visually-hidden">Error:</span> {message}' in page
    assert _draft().content == content


def test_a_merge_that_leaves_something_to_fix_says_so(app, client, auth):
    """The draft adds a question testing a finding the newer version deleted: both are
    kept by default, and the draft page lists what to fix before publishing."""
    key = _small_draft(client, auth)
    added = {"stage": "first", "findings": ["referral"], "prompt": "When do you refer?"}
    new_url = f"/author/banks/{key}/draft/questions/new/reflection"
    assert client.post(new_url, data=added).status_code == 302
    newer = small_bank(
        **{
            "  - id: referral\n    kind: good-practice\n    text: The referral was timely.\n": "",
            "findings: [referral]": "findings: [sharing]",
        }
    )
    n = import_bank_text(newer).version.number
    page = client.get(f"/author/banks/{key}/draft/update").get_data(as_text=True)
    choices = {
        name: value
        for name, value in re.findall(
            r'<input[^>]*name="(choice-[^"]+)"[^>]*value="([^"]+)"[^>]*checked', page
        )
    }
    assert choices["choice-findings-referral"] == "theirs"
    fingerprint = re.search(r'name="draft" value="([^"]+)"', page)
    assert fingerprint is not None
    response = client.post(
        f"/author/banks/{key}/draft/update",
        data={"newest": str(n), "draft": fingerprint.group(1), **choices},
        follow_redirects=True,
    )
    body = response.get_data(as_text=True)
    assert f"Your draft is up to date with version {n}." in body
    assert "to fix before you publish" in body and "referral" in body
    assert [f["id"] for f in _draft().content["findings"]] == ["sharing"]


# --- a finding's confidence phrasing --------------------------------------------------


def test_an_author_writes_changes_and_clears_a_findings_confidence_phrasing(app, client, auth):
    key = _small_draft(client, auth)
    finding = _draft().content["findings"][0]
    url = f"/author/banks/{key}/draft/findings/{finding['id']}"
    page = client.get(url).get_data(as_text=True)
    assert "The finding as practice (optional)" in page
    assert "Completes: How confident are you ...?" in page
    assert 'name="confidence" type="text" spellcheck="true" value=""' in page  # none yet

    form = {"kind": finding["kind"], "text": finding["text"]}
    phrase = "to share what you know with the social worker the same day"
    assert client.post(url, data={**form, "confidence": f"  {phrase} "}).status_code == 302
    assert _draft().content["findings"][0] == {**finding, "confidence": phrase}
    assert f'value="{phrase}"' in client.get(url).get_data(as_text=True)
    overview = client.get(f"/author/banks/{key}/draft").get_data(as_text=True)
    assert f"Asked as: How confident are you {phrase}?" in overview

    # A form without the field (a script, an old page) keeps it; blank takes it out.
    assert client.post(url, data={**form, "text": "Changed."}).status_code == 302
    assert _draft().content["findings"][0]["confidence"] == phrase
    assert client.post(url, data={**form, "confidence": ""}).status_code == 302
    assert _draft().content["findings"][0] == finding


def test_a_new_finding_can_have_confidence_phrasing(app, client, auth):
    key = _small_draft(client, auth)
    response = client.post(
        f"/author/banks/{key}/draft/findings/new",
        data={
            "kind": "good-practice",
            "text": "Health attended every meeting.",
            "confidence": "to go to every meeting you are invited to about a child",
        },
    )
    assert response.status_code == 302
    assert _draft().content["findings"][-1] == {
        "id": "health-attended-every-meeting",
        "kind": "good-practice",
        "text": "Health attended every meeting.",
        "confidence": "to go to every meeting you are invited to about a child",
    }


def test_bad_confidence_phrasing_is_refused_with_the_files_message(app, client, auth):
    key = _small_draft(client, auth)
    before = _draft().content
    finding = before["findings"][0]
    url = f"/author/banks/{key}/draft/findings/{finding['id']}"
    form = {"kind": finding["kind"], "text": finding["text"]}
    for value, message in [
        ("How confident are you to share?", 'Must not start with "How confident"'),
        ("to share information?", 'Must not end with "?"'),
        ("to", "Must be at least 5 characters"),
        ("to " + "x" * 200, "Must be 200 characters or fewer (it has 203)"),
        ("to share\ninformation", "This must not include tabs, line breaks"),
    ]:
        response = client.post(url, data={**form, "confidence": value})
        page = html.unescape(response.get_data(as_text=True))
        assert response.status_code == 422, value
        assert f'<a href="#confidence">{message}' in page, (value, page)
        assert _draft().content == before  # nothing written


def test_the_check_settings_on_the_draft_details(app, client, auth):
    key = _small_draft(client, auth)
    before = _draft().content
    url = f"/author/banks/{key}/draft/details"
    page = client.get(url).get_data(as_text=True)
    assert "Ask how confident people are, before and after" in page
    assert "Ask three quick questions about the check after the result" in page
    assert "Follow-up after a pass (weeks)" in page
    assert "Blank: no follow-up. Partnerships often use 6 to 8 weeks." in page
    assert 'name="follow_up_weeks" type="text" value="8"' in page
    # The defaults, left out of the file, stay out.
    client.post(url, data=_details_form(before))
    assert _draft().content == before
    overview = client.get(f"/author/banks/{key}/draft").get_data(as_text=True)
    assert (
        "; asks how confident people are; asks three questions about the check; follow-up 8"
        " weeks after a pass"
    ) in overview

    refused = client.post(url, data={**_details_form(before), "follow_up_weeks": "53"})
    assert refused.status_code == 422
    assert '<a href="#follow_up_weeks">Follow-up must be between 1 and 52 weeks</a>' in (
        refused.get_data(as_text=True)
    )
    assert _draft().content == before

    changed = _details_form(before)
    del changed["ask_reaction"]  # the box unticked
    client.post(url, data={**changed, "follow_up_weeks": "6"})
    assert _draft().content["check"] == {
        **before["check"],
        "ask_reaction": False,
        "follow_up_weeks": 6,
    }
    client.post(url, data={**changed, "follow_up_weeks": ""})
    check = _draft().content["check"]
    assert "ask_confidence" not in check  # still the default, so still left out
    assert check["follow_up_weeks"] is False  # blank: no follow-up
    page = client.get(url).get_data(as_text=True)
    assert 'name="follow_up_weeks" type="text" value=""' in page
    overview = client.get(f"/author/banks/{key}/draft").get_data(as_text=True)
    assert (
        "; asks how confident people are; does not ask three questions about the check;"
        " no follow-up"
    ) in overview
