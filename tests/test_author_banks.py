"""Authors' bank pages: the list, history, versions with what changed, export and upload."""

from __future__ import annotations

import html
import io
import re

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from quizapp.access import roles_required
from quizapp.author.banks import bank_rows
from quizapp.banks import content_hash, load_bank_text
from quizapp.demo import import_shipped_banks
from quizapp.extensions import db
from quizapp.models import AuditEvent, Bank, BankVersion, Check, Role, User
from quizapp.web import format_date

from .factories import create_user, import_bank_text, import_hs_bank, small_bank

REFLECTION = """\
  - id: q-reflect
    stage: second
    type: reflection
    prompt: How do you share information?
"""
#: The small bank with the first question's prompt edited and the reflection removed.
CHANGED = {"prompt: Who should you tell?": "prompt: Who must you tell first?", REFLECTION: ""}
BROKEN = {
    "pass_mark: 80": "pass_mark: 800",
    "stage: second\n    type: ordering": "stage: third\n    type: ordering",
    "correct: false\n        feedback: Keeping": "correct: true\n        feedback: Keeping",
}


@pytest.fixture
def author(auth) -> User:
    user = create_user(email="author@example.org", roles=(Role.AUTHOR,), name="Alex Author")
    auth.sign_in("author@example.org")
    return user


def upload(client, text: str | bytes, *, filename: str = "small.yaml", change_note: str = ""):
    data = text.encode("utf-8") if isinstance(text, str) else text
    form = MultiDict({"file": FileStorage(io.BytesIO(data), filename=filename)})
    if change_note:
        form["change_note"] = change_note
    boundary, body = encode_multipart(form)
    return client.post(
        "/author/upload", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def publish(client, key: str = "small-bank", change_note: str = "Published"):
    """Publish the bank's draft (an upload makes a draft; publishing is a second step)."""
    return client.post(f"/author/banks/{key}/draft/publish", data={"change_note": change_note})


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def versions(key: str = "small-bank") -> list[BankVersion]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(BankVersion).join(Bank).where(Bank.key == key).order_by(BankVersion.number)
        )
    )


def audit_events() -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)))


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


PAGES = [
    "/author/",
    "/author/banks/small-bank",
    "/author/banks/small-bank/versions/1",
    "/author/banks/small-bank/versions/1/export",
    "/author/upload",
]


# Access --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_authors_and_administrators_may_use_the_bank_pages(client, auth, path):
    import_bank_text(small_bank())
    create_user(email="admin@example.org", roles=(Role.ADMIN,))
    create_user(email="author@example.org", roles=(Role.AUTHOR,))
    for email in ("author@example.org", "admin@example.org"):
        auth.sign_in(email)
        assert client.get(path).status_code == 200
        auth.sign_out()


@pytest.mark.parametrize("path", PAGES)
def test_practitioners_are_refused(client, auth, path):
    import_bank_text(small_bank())
    create_user(email="practitioner@example.org", roles=(Role.PRACTITIONER, Role.LEAD))
    auth.sign_in("practitioner@example.org")
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", PAGES)
def test_signed_out_people_are_sent_to_sign_in(client, path):
    import_bank_text(small_bank())
    response = client.get(path)
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_a_practitioner_cannot_upload(client, auth):
    create_user(email="practitioner@example.org")
    auth.sign_in("practitioner@example.org")
    assert upload(client, small_bank()).status_code == 403
    assert count(Bank) == 0


@pytest.mark.parametrize(
    "path",
    [
        "/author/banks/no-such-bank",
        "/author/banks/no-such-bank/versions/1",
        "/author/banks/no-such-bank/versions/1/export",
        "/author/banks/small-bank/versions/2",
        "/author/banks/small-bank/versions/2/export",
        "/author/banks/small-bank/versions/0",
    ],
)
def test_an_unknown_bank_or_version_is_not_found(client, author, path):
    import_bank_text(small_bank())
    response = client.get(path)
    assert response.status_code == 404
    assert "Page not found" in page_text(response)


# The list ------------------------------------------------------------------------------


def test_the_list_shows_each_bank_with_its_latest_version(client, author):
    import_bank_text(small_bank())
    latest = import_bank_text(small_bank(**CHANGED)).version
    import_hs_bank()
    response = client.get("/author/")
    page = page_text(response)
    assert response.status_code == 200
    assert '<h1 class="govuk-heading-l">Question banks</h1>' in page
    assert 'href="/author/banks/small-bank">A small check</a>' in page
    assert "Id: small-bank" in page
    assert "Id: hs-baby-2016" in page
    row = page[page.index("Id: small-bank") :].split("</tr>")[0]
    assert "Version 2" in row
    assert f"Published {format_date(latest.published_at)}" in row
    assert ">4</td>" in row  # questions in version 2
    assert "Draft in progress" not in row
    assert 'href="/author/upload"' in page
    assert "Upload a bank file" in page


def test_the_list_says_when_there_are_no_banks(client, author):
    page = page_text(client.get("/author/"))
    assert "There are no question banks yet" in page


def test_the_list_links_to_starting_from_a_briefing_when_that_page_exists(app, client, author):
    if "author.new_from_briefing" not in app.view_functions:
        view = roles_required(Role.AUTHOR)(lambda: "briefing")
        app.add_url_rule("/author/briefings/new", "author.new_from_briefing", view)
    page = page_text(client.get("/author/"))
    assert 'href="/author/briefings/new"' in page
    assert "Start from a learning briefing" in page


def test_the_list_marks_a_bank_with_a_draft(client, author):
    outcome = import_bank_text(small_bank())
    add_draft(outcome.bank)
    page = page_text(client.get("/author/"))
    assert "Draft in progress" in page


def test_the_list_takes_four_statements_however_many_banks(app):
    import_bank_text(small_bank())
    import_bank_text(small_bank(**CHANGED))
    import_hs_bank()
    import_bank_text(small_bank(**{"id: small-bank": "id: other-bank"}))
    statements: list[str] = []

    def count_statement(*args):
        statements.append(args[2])

    sa.event.listen(db.engine, "before_cursor_execute", count_statement)
    try:
        db.session.expire_all()
        rows = bank_rows()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count_statement)
    assert len(statements) == 4
    assert sorted(row.bank.key for row in rows) == ["hs-baby-2016", "other-bank", "small-bank"]
    by_key = {row.bank.key: row for row in rows}
    assert by_key["small-bank"].latest.number == 2
    assert by_key["small-bank"].question_count == 4
    assert by_key["other-bank"].question_count == 5


# History -------------------------------------------------------------------------------


def add_draft(bank: Bank, content: dict | None = None) -> BankVersion:
    latest = versions(bank.key)[-1]
    draft = BankVersion(
        bank_id=bank.id,
        number=latest.number + 1,
        status="draft",
        content=content if content is not None else latest.content,
        content_hash=latest.content_hash,
        title=latest.title,
        source_publisher=latest.source_publisher,
        source_title=latest.source_title,
    )
    db.session.add(draft)
    db.session.commit()
    return draft


def test_the_history_shows_who_changed_what_and_when(client, author):
    import_bank_text(small_bank())
    response = upload(client, small_bank(**CHANGED))
    assert response.status_code == 302
    assert publish(client, change_note="Sharper first question").status_code == 302
    _first, second = versions()
    page = page_text(client.get("/author/banks/small-bank"))
    rows = page[page.index("<tbody") :].split("</tr>")
    assert "Version 2" in rows[0]
    assert format_date(second.published_at) in rows[0]
    assert "By Alex Author" in rows[0]
    assert "1 question edited, 1 removed" in rows[0]
    assert "since version 1" in rows[0]
    assert "Note: Sharper first question" in rows[0]
    assert 'href="/author/banks/small-bank/versions/2/export"' in rows[0]
    assert "Version 1" in rows[1]
    assert "First version" in rows[1]
    assert "By command line or an account since removed" in rows[1]
    assert "Note: Imported from file" in rows[1]
    assert 'href="/author/banks/small-bank/versions/1"' in rows[1]
    assert 'href="/author/banks/small-bank/versions/1/export"' in rows[1]


def test_the_history_summarises_changes_to_details_and_settings(client, author):
    import_bank_text(small_bank())
    import_bank_text(small_bank(**{"title: A small check": "title: A renamed check"}))
    import_bank_text(
        small_bank(
            **{"title: A small check": "title: A renamed check", "pass_mark: 80": "pass_mark: 70"}
        )
    )
    page = page_text(client.get("/author/banks/small-bank"))
    assert "Details changed" in page
    assert "Check settings changed" in page


def test_the_bank_page_links_to_its_draft(client, author):
    outcome = import_bank_text(small_bank())
    add_draft(outcome.bank)
    page = page_text(client.get("/author/banks/small-bank"))
    assert 'href="/author/banks/small-bank/draft">Continue editing the draft (version 2)' in page
    assert "Start a new draft" not in page
    assert "Draft" in page
    # A draft's page shows it, compared with the latest published version.
    version_page = page_text(client.get("/author/banks/small-bank/versions/2"))
    assert "No changes: the content is the same as version 1" in version_page


def test_a_draft_that_is_not_finished_still_shows(client, author):
    outcome = import_bank_text(small_bank())
    add_draft(outcome.bank, {"format": 1, "id": "small-bank", "questions": [{"prompt": "New"}]})
    response = client.get("/author/banks/small-bank/versions/2")
    assert response.status_code == 200
    assert "Added question" in page_text(response)
    assert client.get("/author/banks/small-bank").status_code == 200


def test_the_bank_page_offers_a_new_draft_when_drafts_can_be_started(app, client, author):
    if "author.new_draft" not in app.view_functions:
        view = roles_required(Role.AUTHOR)(lambda key: "draft")
        app.add_url_rule(
            "/author/banks/<key>/draft/new", "author.new_draft", view, methods=["POST"]
        )
    import_bank_text(small_bank())
    page = page_text(client.get("/author/banks/small-bank"))
    assert 'action="/author/banks/small-bank/draft/new"' in page
    assert "Start a new draft" in page


# A version and what changed -------------------------------------------------------------


def test_a_version_shows_what_changed_line_by_line(client, author):
    import_bank_text(small_bank())
    import_bank_text(small_bank(**CHANGED))
    response = client.get("/author/banks/small-bank/versions/2")
    page = page_text(response)
    assert response.status_code == 200
    assert "What changed since version 1" in page
    assert "1 question edited, 1 removed." in page
    assert "Edited question q-single: Who must you tell first?" in page
    # Field by field, the changed words struck through or underlined, and announced.
    assert '<dt class="govuk-summary-list__key">Question text</dt>' in page
    assert (
        'Was: Who <del class="app-diff-removed"><span class="govuk-visually-hidden">removed: '
        "</span>should</del> you tell?"
    ) in page
    assert (
        'Now: Who <ins class="app-diff-added"><span class="govuk-visually-hidden">added: '
        "</span>must</ins> you tell"
        '<ins class="app-diff-added"><span class="govuk-visually-hidden">added: </span>'
        " first</ins>?"
    ) in page
    assert "Changed: prompt" not in page
    # The file's lines stay one click away, marked with a sign on screen and a word for
    # screen readers.
    assert "Show the lines of the file" in page
    assert (
        '<span class="govuk-visually-hidden">removed: </span>'
        '<span aria-hidden="true">\u2212 </span>prompt: Who should you tell?'
    ) in page
    assert (
        '<span class="govuk-visually-hidden">added: </span>'
        '<span aria-hidden="true">+ </span>prompt: Who must you tell first?'
    ) in page
    assert "Removed question q-reflect: How do you share information?" in page
    assert (
        '<span class="govuk-visually-hidden">removed: </span>'
        '<span aria-hidden="true">\u2212 </span>prompt: How do you share information?'
    ) in page
    assert "lines starting “added” are new" in page


def test_a_version_shows_its_content(client, author):
    import_bank_text(small_bank())
    page = page_text(client.get("/author/banks/small-bank/versions/1"))
    assert "This is the first version of the bank" in page
    assert "Content of version 1" in page
    for text in (
        "A check used in tests.",
        "Test briefing, Test Partnership",
        "Information was not shared.",
        "Good practice",
        "The story goes on.",
        "Single choice",
        "Pass mark: 80%",
        "Children's social care <strong>(right)</strong>",
        "Follow up",
        "Feedback for True",
    ):
        assert text in page, text
    positions = [page.index(f"(id: {key})") for key in ("q-single", "q-multiple", "q-reflect")]
    assert positions == sorted(positions)


def test_a_version_shows_changed_settings_and_findings(client, author):
    import_bank_text(small_bank())
    import_bank_text(
        small_bank(
            **{
                "pass_mark: 80": "pass_mark: 70",
                "text: The referral was timely.": "text: The referral was made the same day.",
            }
        )
    )
    page = page_text(client.get("/author/banks/small-bank/versions/2"))
    assert "Edited finding referral" in page
    assert "Pass mark</dt>" in page
    removed = '<del class="app-diff-removed"><span class="govuk-visually-hidden">removed: </span>'
    added = '<ins class="app-diff-added"><span class="govuk-visually-hidden">added: </span>'
    assert f"Was: {removed}80</del>%" in page
    assert f"Now: {added}70</ins>%" in page
    assert f"Now: The referral was {added}made the same day</ins>." in page


# Export --------------------------------------------------------------------------------


def test_every_version_exports_to_a_file_that_imports_back_exactly(client, author):
    import_bank_text(small_bank())
    import_bank_text(small_bank(**CHANGED))
    import_bank_text(small_bank(**{"pass_mark: 80": "pass_mark: 90"}))
    stored = versions()
    assert len(stored) == 3
    for version in stored:
        response = client.get(f"/author/banks/small-bank/versions/{version.number}/export")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/x-yaml; charset=utf-8"
        assert response.headers["Content-Disposition"] == (
            f'attachment; filename="small-bank-v{version.number}.yaml"'
        )
        result = load_bank_text(response.get_data(as_text=True), f"v{version.number}.yaml")
        assert result.errors == []
        assert result.bank is not None
        assert content_hash(result.bank) == version.content_hash
        assert result.bank.to_data() == version.content
        assert {q["type"] for q in version.content["questions"]} <= {
            "single", "multiple", "true_false", "ordering", "reflection"
        }  # fmt: skip
    assert {q["type"] for q in stored[0].content["questions"]} == {
        "single", "multiple", "true_false", "ordering", "reflection"
    }  # fmt: skip
    # The latest version's file, uploaded again, changes nothing.
    latest = client.get("/author/banks/small-bank/versions/3/export").get_data()
    response = upload(client, latest, filename="small-bank-v3.yaml")
    assert response.status_code == 302
    assert "No changes: the file matches version 3" in page_text(client.get(response.location))
    assert len(versions()) == 3


def test_an_older_version_exported_and_uploaded_makes_a_new_version_with_its_content(
    client, author
):
    import_bank_text(small_bank())
    import_bank_text(small_bank(**CHANGED))
    old = client.get("/author/banks/small-bank/versions/1/export").get_data()
    response = upload(client, old, filename="small-bank-v1.yaml")
    assert response.status_code == 302
    assert publish(client).status_code == 302
    first, _second, third = versions()
    assert third.is_published
    assert third.content_hash == first.content_hash
    assert third.content == first.content


def test_the_hs_bank_exports_and_imports_back_exactly(client, author):
    outcome = import_hs_bank()
    assert client.get("/author/banks/hs-baby-2016/versions/1").status_code == 200
    response = client.get("/author/banks/hs-baby-2016/versions/1/export")
    result = load_bank_text(response.get_data(as_text=True), "hs.yaml")
    assert result.bank is not None
    assert content_hash(result.bank) == outcome.version.content_hash
    response = upload(client, response.get_data(), filename="hs.yaml")
    assert "No changes: the file matches version 1" in page_text(client.get(response.location))


# Upload --------------------------------------------------------------------------------


def test_the_upload_page_is_a_file_upload_form(client, author):
    page = page_text(client.get("/author/upload"))
    assert 'enctype="multipart/form-data"' in page
    assert 'type="file"' in page
    assert 'accept=".yaml,.yml"' in page
    assert "Upload a bank file" in page


def test_uploading_a_new_bank_makes_its_first_draft_with_an_audit_event(client, author):
    response = upload(client, small_bank(), filename="small.yaml", change_note="First go")
    assert response.status_code == 302
    assert response.location.endswith("/author/banks/small-bank/draft")
    page = page_text(client.get(response.location))
    assert "small.yaml is now the draft of A small check" in page
    assert "Check it and publish it to make it the newest version." in page
    assert ">First go</textarea>" in page  # the note is suggested for publishing
    (version,) = versions()
    assert version.status == "draft"
    assert version.based_on is None
    assert version.created_by_id == author.id
    assert version.change_note == "First go"
    assert count(Check) == 0  # a check comes with the first published version
    (event,) = audit_events()
    assert (event.action, event.target, event.user_id) == (
        "bank.create",
        "bank:small-bank",
        author.id,
    )
    assert event.details == {"from": "upload", "file": "small.yaml"}
    assert publish(client, change_note="First version").status_code == 302
    (version,) = versions()
    assert version.is_published and version.number == 1
    assert count(Check) == 1


def test_uploading_a_changed_file_makes_a_draft_based_on_the_latest_version(client, author):
    import_bank_text(small_bank())
    response = upload(client, small_bank(**CHANGED), change_note="  Reworded  ")
    assert response.location.endswith("/author/banks/small-bank/draft")
    first, draft = versions()
    assert first.is_published and draft.status == "draft"
    assert draft.based_on == 1
    assert draft.content["questions"][0]["prompt"] == "Who must you tell first?"
    assert draft.change_note == "Reworded"
    assert draft.created_by_id == author.id
    (event,) = audit_events()
    assert event.action == "draft.start"
    assert event.details == {"from": "upload", "file": "small.yaml", "based_on": 1}
    assert publish(client, change_note="Reworded").status_code == 302
    _first, second = versions()
    assert second.is_published and second.number == 2
    assert second.change_note == "Reworded"


def test_uploading_an_unchanged_file_changes_nothing(client, author):
    import_bank_text(small_bank())
    response = upload(client, small_bank())
    assert response.status_code == 302
    assert "No changes: the file matches version 1, so no draft was made" in page_text(
        client.get(response.location)
    )
    assert len(versions()) == 1
    assert audit_events() == []


def test_a_broken_file_lists_every_error_like_the_command_line_and_saves_nothing(client, author):
    response = upload(client, small_bank(**BROKEN), filename="broken.yaml")
    page = page_text(response)
    assert response.status_code == 422
    assert "<title>Error: Upload a bank file" in page
    assert "govuk-error-summary" in page
    assert "The selected file has 3 problems" in page
    assert '<a href="#file">' in page
    assert "3 problems in broken.yaml" in page
    for error in (
        "Line 29: Question 1, options: exactly one option must be correct: true (found 2)",
        "Line 63: Question 4, part of the story: unknown stage 'third'; stages are: first, second",
        "Line 75: Check settings, pass mark: should be at most 100",
    ):
        assert f"<li>{error}</li>" in page
    assert count(Bank) == 0
    assert count(BankVersion) == 0
    assert audit_events() == []


def test_a_broken_change_to_an_existing_bank_saves_nothing(client, author):
    import_bank_text(small_bank())
    response = upload(client, small_bank(**CHANGED, **BROKEN))
    assert response.status_code == 422
    assert len(versions()) == 1


def test_a_yaml_syntax_error_is_reported_with_its_line(client, author):
    response = upload(client, "format: 1\nid: [unclosed\n", filename="bad.yaml")
    assert response.status_code == 422
    assert "problem in bad.yaml" in page_text(response)
    assert "<li>Line 3: The file: YAML syntax error" in page_text(response)


def test_only_the_name_of_the_uploaded_file_is_shown(client, author):
    response = upload(client, small_bank(**BROKEN), filename="../../etc/broken.yaml")
    page = page_text(response)
    assert "3 problems in broken.yaml" in page and "etc" not in page
    assert "<li>Line 75: Check settings, pass mark: should be at most 100</li>" in page


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (
            b"format: 1\nid: caf\xe9\n",
            "latin1.yaml",
            "not saved as UTF-8 text (first problem on line 2)",
        ),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "picture.yaml",
            "The selected file is not a text file",
        ),
        (b"format: 1\n", "bank.docx", "The selected file must be a bank file ending .yaml or .yml"),
        (b"", "", "Select a bank file"),
    ],
)
def test_files_that_are_not_bank_files_get_a_clear_message(
    client, author, content, filename, message
):
    response = upload(client, content, filename=filename)
    page = page_text(response)
    assert response.status_code == 422
    assert "govuk-error-summary" in page
    assert message in page
    assert count(Bank) == 0


def test_a_file_with_a_byte_order_mark_is_read(client, author):
    response = upload(client, b"\xef\xbb\xbf" + small_bank().encode())
    assert response.status_code == 302


def test_a_file_too_large_is_refused_with_413(client, author):
    response = upload(client, b"x" * (5 * 1024 * 1024 + 1))
    assert response.status_code == 413
    assert "What you sent is too large" in page_text(response)
    assert count(Bank) == 0


def test_a_change_note_that_is_too_long_is_refused(client, author):
    response = upload(client, small_bank(), change_note="x" * 2001)
    assert response.status_code == 422
    assert "What has changed must be 2,000 characters or fewer" in page_text(response)
    assert count(Bank) == 0


def test_upload_needs_the_form_token(csrf_app):
    from .conftest import IsolatedClient
    from .factories import DEFAULT_PASSWORD

    csrf_app.test_client_class = IsolatedClient
    client = csrf_app.test_client()
    create_user(email="author@example.org", roles=(Role.AUTHOR,))
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    signed_in = client.post(
        "/sign-in",
        data={"email": "author@example.org", "password": DEFAULT_PASSWORD, "csrf_token": token[1]},
    )
    assert signed_in.status_code == 302
    response = upload(client, small_bank())
    assert response.status_code == 400
    assert count(Bank) == 0


# Imports from the command line and the demo are audited too -----------------------------


def test_the_command_line_import_writes_an_audit_event(app: Flask, tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(small_bank())
    runner = app.test_cli_runner()
    result = runner.invoke(args=["banks", "import", str(path)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["banks", "import", str(path)])  # unchanged: no event
    assert result.exit_code == 0, result.output
    (event,) = audit_events()
    assert (event.action, event.target, event.user_id) == ("bank.import", "bank:small-bank", None)
    assert event.details["version"] == 1
    assert event.details["file"] == str(path)


def test_the_demo_import_writes_an_audit_event(app: Flask):
    said: list[str] = []
    import_shipped_banks(said.append)
    db.session.commit()
    import_shipped_banks(said.append)
    db.session.commit()
    events = audit_events()
    assert events
    assert {event.action for event in events} == {"bank.import"}
    assert all(event.user_id is None for event in events)
    assert len(events) == count(BankVersion)
