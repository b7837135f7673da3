"""Editing a draft in the browser, previewing it, publishing it; briefings into drafts."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

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
    question = _draft().content["questions"][0]
    edited = _question_form(question)
    edited["prompt"] = "You are the community midwife. EDITED: what should happen now?"
    response = client.post(f"/author/banks/{key}/draft/questions/{question['id']}", data=edited)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert (
        _draft()
        .content["questions"][0]["prompt"]
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
    assert v2.questions[0].prompt.startswith("You are the community midwife. EDITED")
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
    key = import_bank_text(small_bank()).bank.key
    _author(auth)
    client.post(f"/author/banks/{key}/draft/new")
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
    key = import_bank_text(small_bank()).bank.key
    _author(auth)
    client.post(f"/author/banks/{key}/draft/new")
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
    key = import_bank_text(small_bank()).bank.key
    _author(auth)
    client.post(f"/author/banks/{key}/draft/new")
    response = client.post(f"/author/banks/{key}/draft/publish", data={"change_note": "None"})
    assert response.status_code == 422
    assert "Nothing has changed since version 1" in response.get_data(as_text=True)
    assert _draft().status == "draft"


def test_add_move_and_remove_items(app, client, auth):
    key = import_bank_text(small_bank()).bank.key
    _author(auth)
    client.post(f"/author/banks/{key}/draft/new")
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
    assert "replace the placeholder text" in refused.get_data(as_text=True)
    assert _draft().status == "draft"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Check)) == 0
    assert db.session.scalars(sa.select(Bank.key)).one() == key


def test_authoring_is_for_authors(app, client, auth):
    key = import_bank_text(small_bank()).bank.key
    create_user(email="hv@example.org")
    auth.sign_in("hv@example.org")
    for url in (f"/author/banks/{key}/draft", "/author/briefings/new"):
        assert client.get(url).status_code == 403
    assert client.post(f"/author/banks/{key}/draft/new").status_code == 403
