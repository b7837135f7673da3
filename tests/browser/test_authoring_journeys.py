"""Authors' work is never lost or published by accident, in a real browser.

- Two authors: one edits a draft in the browser while the other publishes a newer version
  of the same bank from the command line (scripted imports publish at once). The first is
  told, cannot publish over it, brings the draft up to date choosing per question, and
  the version published has both authors' work.
- An uploaded file becomes a draft, its placeholder blocks publishing, and an old version
  is restored as a draft in one click.

Each journey uses a bank of its own, so it can run in any order with the page states.
"""

from __future__ import annotations

import re
import secrets

import yaml
from playwright.sync_api import Page, expect

from .conftest import NewContext
from .pages import (
    ADMIN,
    AUTHOR,
    HS_BANK_FILE,
    edit_question_prompt,
    import_from_command_line,
    submit,
)
from .server import Server

EDITED = "assess-both-parents"  # edited in the draft and in the newer version
REMOVED_IN_DRAFT = "engaging-with-another-service"
REMOVED_IN_NEWER = "general-feeling-before-birth"
DUPLICATED = "pre-birth-pathway-order"  # the draft adds a copy of it
ADDED_IN_NEWER = "newer-reflection"


def hs_bank(key: str, title: str) -> dict:
    data = yaml.safe_load(HS_BANK_FILE.read_text())
    data["id"], data["title"] = key, title
    return data


def as_file(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def exported(page: Page, key: str, number: int) -> dict:
    """Version `number` of the bank as its exported file, read as an author would."""
    response = page.request.get(f"/author/banks/{key}/versions/{number}/export")
    assert response.ok, response.status
    return yaml.safe_load(response.text())


def question(data: dict, question_id: str) -> dict | None:
    return next((q for q in data["questions"] if q["id"] == question_id), None)


def start_draft(page: Page, key: str, title: str) -> None:
    page.goto(f"/author/banks/{key}")
    page.get_by_role("button", name="Start a new draft").click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()


def test_two_authors_change_one_bank_and_nothing_is_lost(
    new_context: NewContext, server: Server
) -> None:
    key = f"journey-merge-{secrets.token_hex(3)}"
    title = f"Merge journey {key[-6:]}"
    first = hs_bank(key, title)
    import_from_command_line(server, as_file(first))

    # Alex starts a draft: edits a question, removes another, duplicates a third.
    alex = new_context(AUTHOR).new_page()
    start_draft(alex, key, title)
    edit_question_prompt(alex, EDITED, "Alex's words: whose history do you need?")
    alex.goto(f"/author/banks/{key}/draft")
    alex.get_by_role("button", name=f"Remove {REMOVED_IN_DRAFT}", exact=True).click()
    expect(alex.get_by_text(REMOVED_IN_DRAFT, exact=False)).to_have_count(0)
    alex.get_by_role("link", name=f"Change question {DUPLICATED}", exact=True).click()
    submit(alex, "Duplicate this question")
    expect(alex.get_by_text(f"Question {DUPLICATED} copied as")).to_be_visible()
    copy_id = re.search(r"copied as ([\w-]+)", alex.get_by_text("copied as").inner_text())
    assert copy_id is not None
    copy_id = copy_id.group(1)

    # Ade, the other author, publishes version 2 from a script: the same question
    # reworded, another removed, a reflection added.
    newer = hs_bank(key, title)
    question(newer, EDITED)["prompt"] = "Ade's words: what do you know of each parent?"
    newer["questions"] = [q for q in newer["questions"] if q["id"] != REMOVED_IN_NEWER]
    stage = newer["questions"][-1]["stage"]
    newer["questions"].append(
        {
            "id": ADDED_IN_NEWER,
            "stage": stage,
            "type": "reflection",
            "findings": list(newer["questions"][-1].get("findings", []))[:1],
            "prompt": "What would you do differently now?",
        }
    )
    import_from_command_line(server, as_file(newer))

    # Alex is told, and cannot publish over version 2.
    alex.goto(f"/author/banks/{key}/draft")
    notice = alex.locator("#newer-version")
    expect(notice).to_contain_text("Version 2")
    alex.get_by_label("What changed in this version?").fill("Alex's changes")
    submit(alex, "Publish version")
    expect(alex.get_by_role("alert")).to_contain_text("Version 2")

    # Alex brings the draft up to date, choosing where both changed the same question.
    alex.get_by_role("link", name="Bring your draft up to date with version 2", exact=True).click()
    expect(alex.get_by_role("heading", level=1)).to_have_text("Bring your draft up to date")
    conflict = alex.get_by_role("group", name=re.compile(f"Question {EDITED}"))
    expect(conflict.get_by_role("radio", checked=True)).to_have_count(0)
    submit(alex, "Update my draft")
    expect(alex.get_by_role("alert")).to_contain_text(f"question {EDITED}")
    conflict = alex.get_by_role("group", name=re.compile(f"Question {EDITED}"))
    conflict.get_by_label("Keep your draft's version").check()
    submit(alex, "Update my draft")
    expect(alex.get_by_text("Your draft is up to date with version 2.")).to_be_visible()
    expect(alex.locator("#newer-version")).to_have_count(0)

    alex.get_by_label("What changed in this version?").fill("Alex's changes")
    submit(alex, "Publish version")
    expect(alex.get_by_text("Version 3 published.")).to_be_visible()

    published = exported(alex, key, 3)
    ids = [q["id"] for q in published["questions"]]
    assert question(published, EDITED)["prompt"].strip() == (
        "Alex's words: whose history do you need?"
    )
    assert ADDED_IN_NEWER in ids  # version 2's addition kept
    assert REMOVED_IN_NEWER not in ids  # version 2's removal kept
    assert REMOVED_IN_DRAFT not in ids  # Alex's removal kept
    assert copy_id in ids and ids.index(copy_id) == ids.index(DUPLICATED) + 1
    # Everything else is exactly as version 1 had it.
    untouched = {q["id"] for q in first["questions"]} - {EDITED, REMOVED_IN_DRAFT, REMOVED_IN_NEWER}
    for question_id in untouched:
        assert question(published, question_id) == question(exported(alex, key, 1), question_id)

    # The history says who did what.
    ade = new_context(ADMIN).new_page()
    ade.goto(f"/author/banks/{key}")
    expect(ade.get_by_text("Alex's changes")).to_be_visible()


def test_an_upload_is_a_draft_a_placeholder_blocks_publishing_and_an_old_version_restores(
    new_context: NewContext,
) -> None:
    key = f"journey-upload-{secrets.token_hex(3)}"
    title = f"Upload journey {key[-6:]}"
    data = hs_bank(key, title)
    first_prompt = question(data, EDITED)["prompt"]
    question(data, EDITED)["prompt"] = "[TO DO: write the question about both parents]"
    author = new_context(AUTHOR).new_page()

    author.goto("/author/upload")
    author.get_by_label("Upload a bank file").set_input_files(
        {"name": "journey.yaml", "mimeType": "application/x-yaml", "buffer": as_file(data).encode()}
    )
    submit(author, "Upload as a draft")
    expect(author.get_by_text(f"journey.yaml is now the draft of {title}.")).to_be_visible()
    expect(author.get_by_text("Draft of version 1")).to_be_visible()

    # The placeholder blocks publishing, with the question named in plain words.
    author.get_by_label("What changed in this version?").fill("First version")
    submit(author, "Publish version")
    alert = author.get_by_role("alert")
    expect(alert).to_contain_text(f"({EDITED}), question text: replace the placeholder text")
    author.goto("/checks/")
    expect(author.get_by_role("link", name=title)).to_have_count(0)  # nothing published

    author.goto(f"/author/banks/{key}/draft")
    edit_question_prompt(author, EDITED, first_prompt)
    author.goto(f"/author/banks/{key}/draft")
    author.get_by_label("What changed in this version?").fill("First version")
    submit(author, "Publish version")
    expect(author.get_by_text("Version 1 published.")).to_be_visible()

    start_draft(author, key, title)
    edit_question_prompt(author, EDITED, "A reworded question about both parents")
    author.goto(f"/author/banks/{key}/draft")
    author.get_by_label("What changed in this version?").fill("Reworded")
    submit(author, "Publish version")
    expect(author.get_by_text("Version 2 published.")).to_be_visible()

    # Version 1 back, in one click.
    author.get_by_role("link", name="Version 1", exact=True).click()
    submit(author, "Restore as a new draft")
    expect(author.get_by_text("Version 1 restored as a draft.")).to_be_visible()
    author.get_by_label("What changed in this version?").fill("Back to version 1")
    submit(author, "Publish version")
    expect(author.get_by_text("Version 3 published.")).to_be_visible()
    assert exported(author, key, 3)["questions"] == exported(author, key, 1)["questions"]
