"""Two-person publishing: a bank's setting that a second author, who did not edit the
draft, approves it before it is published."""

from __future__ import annotations

import re

import sqlalchemy as sa

from quizapp.author import operations
from quizapp.authoring.editing import copy_of
from quizapp.extensions import db
from quizapp.models import AuditEvent, Bank, BankVersion, Role
from quizapp.web import format_date

from .factories import create_user, import_bank_text, small_bank
from .test_author_drafts import _draft, _question_form

NEEDS_SECOND = "This bank needs a second author to approve a draft before it is published"
APPROVE_BUTTON = "Approve this draft</button>"


def _authors() -> None:
    create_user(email="alex@example.org", name="Alex Author", roles=(Role.AUTHOR,))
    create_user(email="bea@example.org", name="Bea Second", roles=(Role.AUTHOR,))


def _as(auth, email: str) -> None:
    auth.sign_out()
    assert auth.sign_in(email).status_code == 302


def _bank(*, two_person: bool) -> str:
    """The small bank, with the setting as given; its key."""
    bank = import_bank_text(small_bank()).bank
    bank.two_person = two_person
    db.session.commit()
    return bank.key


def _edited_draft(client, auth, key: str, *, prompt: str = "Who should you tell first?") -> None:
    """Alex starts a draft and changes the first question's prompt."""
    _as(auth, "alex@example.org")
    assert client.post(f"/author/banks/{key}/draft/new").status_code == 302
    _edit(client, key, prompt)


def _edit(client, key: str, prompt: str) -> None:
    question = _draft().content["questions"][0]
    response = client.post(
        f"/author/banks/{key}/draft/questions/{question['id']}",
        data={**_question_form(question), "prompt": prompt},
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def _approve(client, key: str, *, seen: dict | None = None):
    """Press "Approve this draft", on a page showing the draft as it is now (or `seen`)."""
    content = seen if seen is not None else _draft().content
    return client.post(
        f"/author/banks/{key}/draft/approve", data={"draft": operations.fingerprint(content)}
    )


def _events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def _published(number: int) -> BankVersion:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(BankVersion).where(
            BankVersion.number == number, BankVersion.status == "published"
        )
    ).one()


def test_the_setting_is_turned_on_and_off_and_audited(app, client, auth):
    _authors()
    key = _bank(two_person=False)
    _as(auth, "alex@example.org")
    page = client.get(f"/author/banks/{key}").get_data(as_text=True)
    assert "Publishing needs a second author" in page
    assert 'name="two_person" type="radio" value="off" checked' in page

    settings = f"/author/banks/{key}/settings"
    assert client.post(settings, data={"two_person": "on"}).status_code == 302
    db.session.expire_all()
    assert db.session.scalars(sa.select(Bank)).one().two_person is True
    page = client.get(f"/author/banks/{key}").get_data(as_text=True)
    assert "Only an administrator can turn this off." in page
    assert 'name="two_person"' not in page

    refused = client.post(settings, data={"two_person": "maybe"})
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "govuk-error-summary" in body
    assert '<a href="#two_person">Select whether publishing needs a second author</a>' in body

    # The author it checks can't turn it off (and then publish alone): an admin can.
    refused = client.post(settings, data={"two_person": "off"})
    assert refused.status_code == 403
    assert "Only an administrator can turn off two-person publishing" in (
        refused.get_data(as_text=True)
    )
    db.session.expire_all()
    assert db.session.scalars(sa.select(Bank)).one().two_person is True
    create_user(email="admin@example.org", roles=(Role.ADMIN,))
    _as(auth, "admin@example.org")
    page = client.get(f"/author/banks/{key}").get_data(as_text=True)
    assert 'name="two_person" type="radio" value="on" checked' in page
    assert client.post(settings, data={"two_person": "off"}).status_code == 302
    db.session.expire_all()
    assert db.session.scalars(sa.select(Bank)).one().two_person is False
    events = _events("bank.settings")
    assert [event.details for event in events] == [
        {"two_person": {"old": False, "new": True}},
        {"two_person": {"old": True, "new": False}},
    ]
    assert [event.user.email for event in events] == ["alex@example.org", "admin@example.org"]
    assert all(event.target == f"bank:{key}" for event in events)


def test_an_editor_cannot_approve_and_another_author_can(app, client, auth):
    _authors()
    key = _bank(two_person=True)
    _edited_draft(client, auth, key)

    page = client.get(f"/author/banks/{key}/draft").get_data(as_text=True)
    assert NEEDS_SECOND in page
    assert "another author must approve it" in page
    assert APPROVE_BUTTON not in page
    refused = _approve(client, key)
    assert refused.status_code == 403
    assert "You have edited this draft, so another author must approve it." in (
        refused.get_data(as_text=True)
    )
    assert _draft().approved_by_id is None
    assert _events("draft.approve") == []

    _as(auth, "bea@example.org")
    page = client.get(f"/author/banks/{key}/draft").get_data(as_text=True)
    assert NEEDS_SECOND in page and APPROVE_BUTTON in page
    assert _approve(client, key).status_code == 302
    draft = _draft()
    assert draft.approved_by.email == "bea@example.org"
    assert draft.approved_at is not None
    page = client.get(f"/author/banks/{key}/draft").get_data(as_text=True)
    assert "Approved by Bea Second on" in page and APPROVE_BUTTON not in page
    (event,) = _events("draft.approve")
    assert event.user.email == "bea@example.org" and event.target == f"bank:{key}"
    assert event.details["number"] == draft.number
    assert len(event.details["content_hash"]) == 64


def test_publishing_is_refused_without_approval_and_allowed_with_it(app, client, auth):
    _authors()
    key = _bank(two_person=True)
    _edited_draft(client, auth, key)

    refused = client.post(f"/author/banks/{key}/draft/publish", data={"change_note": "Mine"})
    assert refused.status_code == 422
    assert "needs a second author to approve the draft before it is published" in (
        refused.get_data(as_text=True)
    )
    assert _draft().status == "draft"

    _as(auth, "bea@example.org")
    _approve(client, key)
    _as(auth, "alex@example.org")  # the original author publishes after approval
    done = client.post(f"/author/banks/{key}/draft/publish", data={"change_note": "Mine"})
    assert done.status_code == 302, done.get_data(as_text=True)
    v2 = _published(2)
    assert v2.approved_by.email == "bea@example.org" and v2.approved_at is not None
    assert v2.content["questions"][0]["prompt"] == "Who should you tell first?"
    # The approval names the very content that was published.
    assert _events("draft.approve")[0].details["content_hash"] == v2.content_hash

    history = client.get(f"/author/banks/{key}").get_data(as_text=True)
    assert f"Approved by Bea Second on {format_date(v2.approved_at)}" in history
    version_page = client.get(f"/author/banks/{key}/versions/2").get_data(as_text=True)
    assert "Approved by Bea Second on" in version_page


def test_the_approver_may_publish(app, client, auth):
    _authors()
    key = _bank(two_person=True)
    _edited_draft(client, auth, key)
    _as(auth, "bea@example.org")
    _approve(client, key)
    done = client.post(f"/author/banks/{key}/draft/publish", data={"change_note": "Checked"})
    assert done.status_code == 302, done.get_data(as_text=True)
    assert _published(2).approved_by.email == "bea@example.org"


def test_an_edit_after_approval_withdraws_it(app, client, auth):
    _authors()
    key = _bank(two_person=True)
    _edited_draft(client, auth, key)
    _as(auth, "bea@example.org")
    _approve(client, key)
    bea = _draft().approved_by_id
    assert bea is not None

    _as(auth, "alex@example.org")
    _edit(client, key, "Who should you tell, and when?")
    draft = _draft()
    assert draft.approved_by_id is None and draft.approved_at is None
    last_edit = _events("draft.edit")[-1]
    assert last_edit.details["approval_withdrawn"] == {
        "approved_by": bea,
        "reason": "the draft changed",
    }
    page = client.get(f"/author/banks/{key}/draft").get_data(as_text=True)
    assert "Approved by" not in page
    # The author is told, not only the audit log.
    assert "The draft&#39;s approval was withdrawn: a second author must approve it again." in page
    refused = client.post(f"/author/banks/{key}/draft/publish", data={"change_note": "Mine"})
    assert refused.status_code == 422
    assert _draft().status == "draft"


def test_a_draft_with_problems_cannot_be_approved(app, client, auth):
    _authors()
    key = _bank(two_person=True)
    _edited_draft(client, auth, key)
    draft = _draft()
    content = copy_of(draft.content)
    content["questions"][0]["prompt"] = ""
    draft.content = content
    db.session.commit()

    _as(auth, "bea@example.org")
    refused = _approve(client, key)
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "This draft cannot be approved" in body
    assert "Question 1 (q-single), question text" in body
    assert _draft().approved_by_id is None
    assert _events("draft.approve") == []


def test_a_bank_with_the_setting_off_publishes_as_before(app, client, auth):
    _authors()
    key = _bank(two_person=False)
    _edited_draft(client, auth, key)
    page = client.get(f"/author/banks/{key}/draft").get_data(as_text=True)
    assert NEEDS_SECOND not in page and APPROVE_BUTTON not in page
    assert _approve(client, key).status_code == 409
    done = client.post(f"/author/banks/{key}/draft/publish", data={"change_note": "Mine"})
    assert done.status_code == 302, done.get_data(as_text=True)
    v2 = _published(2)
    assert v2.approved_by_id is None and v2.approved_at is None
    assert "Approved by" not in client.get(f"/author/banks/{key}").get_data(as_text=True)


def _approved_by_bea(client, auth, key: str) -> None:
    _edited_draft(client, auth, key)
    _as(auth, "bea@example.org")
    assert _approve(client, key).status_code == 302
    assert _draft().approved_by_id is not None


def test_bringing_a_draft_up_to_date_withdraws_the_approval_and_makes_an_editor(app, client, auth):
    """Every change of an approved draft's content withdraws the approval, not only edits
    in the editor: here, Bea merges a newer version into the draft she approved."""
    _authors()
    key = _bank(two_person=True)
    _approved_by_bea(client, auth, key)
    n = import_bank_text(small_bank(**{"The story begins.": "The story begins again."}))
    n = n.version.number

    page = client.get(f"/author/banks/{key}/draft/update").get_data(as_text=True)
    # Keep the draft's side everywhere: the content stays as approved, but it now undoes
    # what the newer version changed, which the approver never saw.
    choices = {name: "mine" for name in set(re.findall(r'<input[^>]*name="(choice-[^"]+)"', page))}
    fingerprint = re.search(r'name="draft" value="([^"]+)"', page)
    assert choices and fingerprint is not None
    response = client.post(
        f"/author/banks/{key}/draft/update",
        data={"newest": str(n), "draft": fingerprint.group(1), **choices},
    )
    assert response.status_code == 302
    draft = _draft()
    assert draft.approved_by_id is None
    assert draft.content["stages"][0]["narrative"] == "The story begins."
    (update,) = _events("draft.update")
    assert update.details["approval_withdrawn"]["reason"] == "the draft changed"
    # Bea changed the draft, so she can't approve it now.
    assert _approve(client, key).status_code == 403


def test_replacing_an_approved_draft_withdraws_the_approval_and_keeps_the_old_content(
    app, client, auth
):
    from .test_upload_draft import _upload_ticked

    _authors()
    key = _bank(two_person=True)
    _approved_by_bea(client, auth, key)
    before = _draft().content
    _as(auth, "alex@example.org")
    changed = small_bank(**{"The story begins.": "A different beginning."})
    assert _upload_ticked(client, changed, filename="new.yaml").status_code == 302
    assert _draft().approved_by_id is None
    (replaced,) = _events("draft.replace")
    assert replaced.details["replaced_content"] == before
    assert replaced.details["approval_withdrawn"]["reason"] == "the draft changed"


def test_an_approval_is_of_the_draft_the_approver_saw(app, client, auth):
    """Bea opens the draft; Alex changes it; Bea's approval, sent from the page she opened,
    must not approve Alex's change (before, it did, and Alex published it)."""
    _authors()
    key = _bank(two_person=True)
    _edited_draft(client, auth, key)
    _as(auth, "bea@example.org")
    page = client.get(f"/author/banks/{key}/draft").get_data(as_text=True)
    shown = re.search(r'name="draft" value="([^"]+)"', page)
    assert shown is not None and shown.group(1) == operations.fingerprint(_draft().content)
    seen = copy_of(_draft().content)

    _as(auth, "alex@example.org")
    _edit(client, key, "Who must you tell, and when?")
    _as(auth, "bea@example.org")
    stale = _approve(client, key, seen=seen)
    assert stale.status_code == 409
    assert "The draft changed after you opened it, so it was not approved" in (
        stale.get_data(as_text=True)
    )
    assert _draft().approved_by_id is None
    assert _events("draft.approve") == []
    _as(auth, "alex@example.org")
    refused = client.post(f"/author/banks/{key}/draft/publish", data={"change_note": "Mine"})
    assert refused.status_code == 422
