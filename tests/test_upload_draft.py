"""An uploaded bank file becomes a draft (never replacing a draft unasked); an older
version can be restored as a draft; the command line import refuses placeholders."""

from __future__ import annotations

import pytest
from flask import Flask

from quizapp.models import AuditEvent, Bank, BankVersion, Check, Role, User

from .factories import create_user, import_bank_text, small_bank
from .test_author_banks import (
    CHANGED,
    audit_events,
    count,
    page_text,
    publish,
    upload,
    versions,
)

#: The small bank with the first question's prompt still to be written.
PLACEHOLDER = {"prompt: Who should you tell?": "prompt: '[TO DO: write the question]'"}
#: Another change than CHANGED, for a second file or a draft's own edit.
OTHER = {"pass_mark: 80": "pass_mark: 90"}


@pytest.fixture
def author(auth) -> User:
    user = create_user(email="author@example.org", roles=(Role.AUTHOR,), name="Alex Author")
    auth.sign_in("author@example.org")
    return user


def the_draft() -> BankVersion:
    (draft,) = [version for version in versions() if version.status == "draft"]
    return draft


def actions() -> list[str]:
    return [event.action for event in audit_events()]


# Upload --------------------------------------------------------------------------------


def test_an_upload_to_a_bank_with_a_draft_asks_before_replacing_it(client, author):
    import_bank_text(small_bank())
    assert upload(client, small_bank(**CHANGED), filename="mine.yaml").status_code == 302
    before = the_draft().content

    refused = upload(client, small_bank(**OTHER), filename="other.yaml")
    page = page_text(refused)
    assert refused.status_code == 409
    assert "govuk-error-summary" in page
    assert '<a href="#replace_draft">' in page
    assert "A small check already has a draft, started by Alex Author on" in page
    assert "last changed on" in page
    assert "Replace the current draft with this file" in page
    assert 'href="/author/banks/small-bank/draft"' in page
    assert the_draft().content == before
    assert actions() == ["draft.start"]

    form_with_box = _upload_ticked(client, small_bank(**OTHER), filename="other.yaml")
    assert form_with_box.status_code == 302
    assert form_with_box.location.endswith("/author/banks/small-bank/draft")
    draft = the_draft()
    assert draft.content["check"]["pass_mark"] == 90
    assert draft.content["questions"][0]["prompt"] == "Who should you tell?"
    assert draft.based_on == 1
    assert [v.number for v in versions()] == [1, 2]  # one draft, replaced in place
    assert actions() == ["draft.start", "draft.replace"]
    assert audit_events()[-1].details["file"] == "other.yaml"


def _upload_ticked(client, text: str, *, filename: str):
    """Upload with "Replace the current draft with this file" ticked."""
    import io

    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    form = MultiDict(
        {"file": FileStorage(io.BytesIO(text.encode()), filename=filename), "replace_draft": "y"}
    )
    boundary, body = encode_multipart(form)
    return client.post(
        "/author/upload", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def test_a_file_matching_the_newest_version_leaves_an_existing_draft_alone(client, author):
    import_bank_text(small_bank())
    upload(client, small_bank(**CHANGED))
    response = _upload_ticked(client, small_bank(), filename="same.yaml")
    assert response.status_code == 302
    assert response.location.endswith("/author/banks/small-bank")
    assert (
        "No changes: the file matches version 1, so no draft was made. The bank's draft"
        " (version 2) is as it was"
    ) in page_text(client.get(response.location))
    assert the_draft().content["questions"][0]["prompt"] == "Who must you tell first?"


def test_a_file_with_placeholders_becomes_a_draft_that_cannot_be_published(client, author):
    response = upload(client, small_bank(**PLACEHOLDER))
    assert response.status_code == 302
    draft_page = page_text(client.get(response.location))
    assert "Question 1 (q-single), question text: replace the placeholder text" in draft_page

    refused = publish(client, change_note="First version")
    page = page_text(refused)
    assert refused.status_code == 422
    assert "This version cannot be published yet" in page
    assert "Question 1 (q-single), question text: replace the placeholder text" in page
    (version,) = versions()
    assert version.status == "draft"
    assert count(Check) == 0


# Restore -------------------------------------------------------------------------------


def restore(client, number: int, *, replace: bool = False):
    data = {"replace_draft": "y"} if replace else {}
    return client.post(f"/author/banks/small-bank/versions/{number}/restore", data=data)


def test_an_older_version_is_restored_as_a_draft_in_one_click(client, author):
    import_bank_text(small_bank())
    import_bank_text(small_bank(**CHANGED))
    older = page_text(client.get("/author/banks/small-bank/versions/1"))
    assert 'action="/author/banks/small-bank/versions/1/restore"' in older
    assert "Restore as a new draft" in older
    newest = page_text(client.get("/author/banks/small-bank/versions/2"))
    assert "Restore as a new draft" not in newest

    response = restore(client, 1)
    assert response.status_code == 302
    assert response.location.endswith("/author/banks/small-bank/draft")
    assert (
        "Version 1 restored as a draft. Check it and publish it to make it the newest version."
        in page_text(client.get(response.location))
    )
    first, _second, draft = versions()
    assert draft.status == "draft"
    assert draft.content == first.content
    assert draft.based_on == 2
    assert draft.created_by_id == author.id
    (event,) = audit_events()
    assert (event.action, event.details) == ("draft.restore", {"from_version": 1})

    assert publish(client, change_note="Back to version 1").status_code == 302
    first, _second, third = versions()
    assert third.is_published and third.content_hash == first.content_hash


def test_restoring_over_a_draft_needs_confirming(client, author):
    import_bank_text(small_bank())
    import_bank_text(small_bank(**CHANGED))
    upload(client, small_bank(**OTHER))
    before = the_draft().content

    refused = restore(client, 1)
    page = page_text(refused)
    assert refused.status_code == 409
    assert "govuk-error-summary" in page
    assert "already has a draft, started by Alex Author" in page
    assert "Replace the current draft with version 1" in page
    assert the_draft().content == before

    assert restore(client, 1, replace=True).status_code == 302
    assert the_draft().content == versions()[0].content
    assert actions() == ["draft.start", "draft.replace", "draft.restore"]


@pytest.mark.parametrize("number", [1, 2])
def test_only_an_older_published_version_can_be_restored(client, author, number):
    import_bank_text(small_bank())
    if number == 2:
        upload(client, small_bank(**CHANGED))  # version 2 is the draft: not found
    response = restore(client, number)
    assert response.status_code == (409 if number == 1 else 404)
    if number == 1:
        assert "Version 1 is the newest version" in page_text(response)
    assert [v.status for v in versions()] == ["published"] + (["draft"] if number == 2 else [])


def test_practitioners_cannot_restore(client, auth):
    import_bank_text(small_bank())
    import_bank_text(small_bank(**CHANGED))
    create_user(email="practitioner@example.org")
    auth.sign_in("practitioner@example.org")
    assert restore(client, 1).status_code == 403
    assert len(versions()) == 2


# The command line import ------------------------------------------------------------------


def test_the_command_line_import_refuses_placeholders_and_writes_nothing(app: Flask, tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(small_bank(**{"id: small-bank": "id: good-bank"}))
    unfinished = tmp_path / "unfinished.yaml"
    unfinished.write_text(small_bank(**PLACEHOLDER, **{"The story begins.": "'[todo: the story]'"}))
    result = app.test_cli_runner().invoke(args=["banks", "import", str(good), str(unfinished)])
    assert result.exit_code == 1
    assert f"{unfinished}: stages[0].narrative: replace the placeholder text" in result.output
    assert f"{unfinished}: questions[0].prompt: replace the placeholder text" in result.output
    assert "Nothing imported: 2 placeholders to replace." in result.output
    assert count(Bank) == 0 and count(BankVersion) == 0 and count(AuditEvent) == 0
