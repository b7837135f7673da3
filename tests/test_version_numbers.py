"""Version numbers have no gaps: a version is numbered when it is published.

Before, a draft took its number when started, so a file imported meanwhile skipped it
(draft "version 2", upload "version 3", the draft published as 4: no version 2)."""

from __future__ import annotations

import sqlalchemy as sa

from quizapp.author import operations
from quizapp.extensions import db
from quizapp.models import BankVersion, Role, utcnow

from .factories import create_user, import_bank_text, small_bank


def _numbers() -> list[int]:
    return sorted(
        db.session.scalars(sa.select(BankVersion.number).where(BankVersion.status == "published"))
    )


def test_an_import_while_a_draft_is_open_takes_the_next_number(app):
    author = create_user(email="author@example.org", roles=(Role.AUTHOR,))
    bank = import_bank_text(small_bank()).bank
    draft = operations.start_draft(bank, user=author, now=utcnow())
    assert (draft.number, draft.based_on) == (2, 1)

    newer = import_bank_text(small_bank(**{"The story begins.": "The story begins again."}))
    assert newer.version.number == 2
    assert draft.number == 3  # moved up to make room; it is still a draft
    assert _numbers() == [1, 2]

    content = operations.copy_of(draft.content)
    content["title"] = "A new title"
    operations.save_draft(draft, content, user=author, action="draft.edit", what="title")
    assert [v.number for v in operations.published_since(draft)] == [2]


def test_a_discarded_draft_leaves_no_gap(app):
    author = create_user(email="author@example.org", roles=(Role.AUTHOR,))
    bank = import_bank_text(small_bank()).bank
    draft = operations.start_draft(bank, user=author, now=utcnow())
    operations.discard_draft(draft, user=author)
    import_bank_text(small_bank(**{"The story begins.": "The story begins again."}))
    draft = operations.start_draft(bank, user=author, now=utcnow())
    content = operations.copy_of(draft.content)
    content["title"] = "A new title"
    operations.save_draft(draft, content, user=author, action="draft.edit", what="title")
    published = operations.publish_draft(draft, change_note="Title", user=author, now=utcnow())
    assert published.number == 3
    assert _numbers() == [1, 2, 3]
