"""Drafts and publishing. Operations flush and write the audit log; the route commits."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..audit import record
from ..authoring.editing import copy_of, unique_id, validate
from ..banks import BankError, content_hash, load_bank_text, plain_error
from ..banks.export import dump_bank
from ..banks.importer import default_check, latest_published, next_version_number, populate_version
from ..extensions import db
from ..models import AuditEvent, Bank, BankVersion, Check, User


class PublishRefused(Exception):
    """The draft can't be published yet; `problems` says why, in plain English."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class NewerVersionPublished(PublishRefused):
    """A version was published after the draft was started: publishing the draft would
    drop what that version changed, so the author first brings the draft up to date
    (`update_draft`), choosing per question what to keep."""

    def __init__(self, newest: BankVersion) -> None:
        super().__init__(
            [
                f"Version {newest.number} was published after you started this draft."
                f" Bring your draft up to date with version {newest.number} before you"
                " publish: you choose which changes to keep."
            ]
        )
        self.newest = newest


class ApprovalRefused(Exception):
    """The draft can't be approved by this person now; `problems` says why, `status` is
    the answer's HTTP status (403 for someone who edited the draft)."""

    def __init__(self, problems: list[str], *, status: int = 422) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.status = status


#: Audit actions that change a draft's content: whoever did one since the draft was
#: started edited it, and can't be the second author who approves it.
#: Audit actions that put content into a draft: whoever did one edited it (and so may not
#: approve it on a two-person bank).
EDITING_ACTIONS = (
    "bank.create",
    "draft.start",
    "draft.edit",
    "draft.update",
    "draft.replace",
    "draft.restore",
)


def published_since(draft: BankVersion) -> list[BankVersion]:
    """Versions of the draft's bank published after the one it is based on (by an upload,
    an import or another author's draft), oldest first. A draft without a base (a new
    bank's first draft, or one started before drafts recorded it) counts from when it was
    started."""
    return list(
        db.session.scalars(
            sa.select(BankVersion)
            .where(
                BankVersion.bank_id == draft.bank_id,
                BankVersion.status == "published",
                (
                    BankVersion.number > draft.based_on
                    if draft.based_on is not None
                    else BankVersion.published_at > draft.created_at
                ),
            )
            .order_by(BankVersion.number)
        )
    )


class DraftInTheWay(Exception):
    """The bank already has a draft. Putting a file or an old version in its place would
    drop the draft's edits, so the author must choose to (`replace=True`)."""

    def __init__(self, draft: BankVersion) -> None:
        super().__init__(f"bank {draft.bank.key} already has a draft")
        self.draft = draft


def draft_of(bank: Bank) -> BankVersion | None:
    return db.session.scalar(
        sa.select(BankVersion).where(BankVersion.bank_id == bank.id, BankVersion.status == "draft")
    )


def base_of(draft: BankVersion) -> BankVersion | None:
    """The published version the draft was started from (for a draft started before
    drafts recorded it: the newest published before the draft was started)."""
    query = sa.select(BankVersion).where(
        BankVersion.bank_id == draft.bank_id, BankVersion.status == "published"
    )
    if draft.based_on is not None:
        return db.session.scalar(query.where(BankVersion.number == draft.based_on))
    return db.session.scalar(
        query.where(BankVersion.published_at <= draft.created_at)
        .order_by(BankVersion.number.desc())
        .limit(1)
    )


def update_draft(
    draft: BankVersion,
    merged: dict[str, Any],
    *,
    newest: BankVersion,
    choices: dict[str, str],
    user: User,
) -> None:
    """Make the draft the author's merge of it with `newest` (see authoring/merge.py):
    from now on it counts as started from `newest`. `choices` (item: "mine" or "theirs")
    go in the audit log."""
    if draft.status != "draft" or newest.status != "published":
        raise ValueError("only a draft is brought up to date, with a published version")
    details: dict[str, Any] = {
        "from_version": draft.based_on,
        "to_version": newest.number,
        "choices": choices,
    }
    # Even if the content stays the same, it now replaces a newer version than the one
    # the approver saw it against (keeping the draft's side undoes what that one changed).
    _withdraw_approval(draft, None, details)
    record("draft.update", target(draft.bank), user=user, details=details)
    draft.content = copy_of(merged)
    draft.title = merged.get("title", draft.title)
    draft.based_on = newest.number
    db.session.flush()


def target(bank: Bank) -> str:
    return f"bank:{bank.key}"


def start_draft(bank: Bank, *, user: User, now: datetime) -> BankVersion:
    """A draft copied from the latest published version (or the existing draft)."""
    existing = draft_of(bank)
    if existing is not None:
        return existing
    source = latest_published(bank)
    if source is None:
        raise ValueError(f"bank {bank.key} has nothing published to start a draft from")
    draft = _new_draft(bank, copy_of(source.content), user=user, now=now)
    draft.based_on = source.number
    record("draft.start", target(bank), user=user, details={"from_version": source.number})
    return draft


def _new_draft(
    bank: Bank, data: dict[str, Any], *, user: User | None, now: datetime
) -> BankVersion:
    draft = BankVersion(bank=bank, number=next_version_number(bank), status="draft")
    _fill_draft(draft, data, user=user, now=now)
    db.session.add(draft)
    db.session.flush()
    return draft


def _fill_draft(
    draft: BankVersion, data: dict[str, Any], *, user: User | None, now: datetime
) -> None:
    """Give a (new or replaced) draft its content, started by `user` now."""
    source = data.get("source", {})
    draft.content = data
    draft.content_hash = ""
    draft.title = data.get("title", draft.bank.title)
    draft.summary = data.get("summary", "")
    draft.source_publisher = source.get("publisher", "")
    draft.source_title = source.get("title", "")
    draft.source_url = source.get("url")
    draft.signposting = data.get("signposting", "")
    draft.created_by = user
    draft.created_at = now


def draft_last_changed(draft: BankVersion) -> datetime:
    """When the draft was last started, edited or replaced (from the audit log)."""
    edited = db.session.scalar(
        sa.select(sa.func.max(AuditEvent.at)).where(
            AuditEvent.target == target(draft.bank),
            AuditEvent.action.like("draft.%"),
            AuditEvent.at >= draft.created_at,
        )
    )
    return max(edited, draft.created_at) if edited is not None else draft.created_at


@dataclass(frozen=True)
class FileDraft:
    """What an uploaded bank file became."""

    bank: Bank
    #: The draft holding the file's content; None if the file changed nothing.
    draft: BankVersion | None
    #: The published version the file matches, when it changes nothing.
    unchanged: BankVersion | None = None


def draft_from_file(
    data: dict[str, Any],
    digest: str,
    *,
    filename: str,
    change_note: str,
    user: User,
    now: datetime,
    replace: bool = False,
) -> FileDraft:
    """Put a validated bank file (canonical data, `content_hash` `digest`) into a draft, to
    be checked and published like any draft: a new bank for a new id, else the bank's
    draft, based on its latest published version. A file matching that version changes
    nothing. An existing draft is replaced only if the author chose to (`replace`), else
    `DraftInTheWay`. The change note is kept on the draft as the suggested publish note."""
    data = copy_of(data)
    bank = db.session.scalar(sa.select(Bank).where(Bank.key == data["id"]))
    if bank is None:
        bank = Bank(key=data["id"], title=data["title"], created_at=now)
        db.session.add(bank)
        db.session.flush()
        draft = _new_draft(bank, data, user=user, now=now)
        draft.change_note = change_note.strip()
        record("bank.create", target(bank), user=user, details={"from": "upload", "file": filename})
        return FileDraft(bank, draft)
    latest = latest_published(bank)
    if latest is not None and latest.content_hash == digest:
        return FileDraft(bank, None, unchanged=latest)
    details = {"from": "upload", "file": filename, "based_on": latest.number if latest else None}
    draft = _put_in_draft(
        bank, data, user=user, now=now, replace=replace, details=details, started="draft.start"
    )
    draft.change_note = change_note.strip()
    draft.based_on = latest.number if latest is not None else None
    db.session.flush()
    return FileDraft(bank, draft)


def restore_version(
    version: BankVersion, *, user: User, now: datetime, replace: bool = False
) -> BankVersion:
    """A draft holding an older published version's content, based on the newest
    published version: publishing it makes the old content the newest version. An
    existing draft is replaced only if the author chose to (`replace`)."""
    if not version.is_published:
        raise ValueError("only a published version can be restored")
    bank = version.bank
    newest = latest_published(bank)
    assert newest is not None  # `version` itself is published
    details = {"from_version": version.number}
    draft = _put_in_draft(
        bank, copy_of(version.content), user=user, now=now, replace=replace, details=details
    )
    draft.based_on = newest.number
    draft.change_note = f"Restored version {version.number}"
    record("draft.restore", target(bank), user=user, details=details)
    db.session.flush()
    return draft


def _put_in_draft(
    bank: Bank,
    data: dict[str, Any],
    *,
    user: User,
    now: datetime,
    replace: bool,
    details: dict[str, Any],
    started: str | None = None,
) -> BankVersion:
    """The bank's draft with `data` in it: a new draft (audited as `started`, if given), or
    the existing one replaced if the author chose so ("draft.replace"), else
    `DraftInTheWay`."""
    existing = draft_of(bank)
    if existing is None:
        draft = _new_draft(bank, data, user=user, now=now)
        if started:
            record(started, target(bank), user=user, details=details)
        return draft
    if not replace:
        raise DraftInTheWay(existing)
    # The replaced content goes in the audit log, so the work is never beyond recovery.
    replaced = {
        **details,
        "number": existing.number,
        "started_by": existing.created_by_id,
        "replaced_content": existing.content,
    }
    _withdraw_approval(existing, data, replaced)
    record("draft.replace", target(bank), user=user, details=replaced)
    _fill_draft(existing, data, user=user, now=now)
    db.session.flush()
    return existing


def save_draft(
    draft: BankVersion, data: dict[str, Any], *, user: User, action: str, what: str
) -> None:
    """Replace the draft's content (already checked by the caller) and log the edit."""
    if draft.status != "draft":
        raise ValueError("only a draft can be edited")
    details: dict[str, Any] = {"what": what}
    _withdraw_approval(draft, data, details)
    draft.content = copy_of(data)
    draft.title = data.get("title", draft.title)
    record(action, target(draft.bank), user=user, details=details)
    db.session.flush()


def _withdraw_approval(
    draft: BankVersion, data: dict[str, Any] | None, details: dict[str, Any]
) -> None:
    """The draft is getting `data` (None: a change whatever the content): if that changes
    an approved draft, what was approved is not what would be published any more, so the
    approval goes (noted in `details`, the change's audit details). Every change of a
    draft's content comes through here."""
    if draft.approved_by_id is None or data == draft.content:
        return
    details["approval_withdrawn"] = {
        "approved_by": draft.approved_by_id,
        "reason": "the draft changed",
    }
    draft.approved_by = None
    draft.approved_at = None


def set_two_person(bank: Bank, on: bool, *, user: User) -> bool:
    """Turn "publishing needs a second author" on or off; False if it was already so.
    Turning it off needs no approval: any author may publish the draft as it is."""
    if bank.two_person == on:
        return False
    record(
        "bank.settings",
        target(bank),
        user=user,
        details={"two_person": {"old": bank.two_person, "new": on}},
    )
    bank.two_person = on
    db.session.flush()
    return True


def editors_of(draft: BankVersion) -> set[int]:
    """Ids of the people who edited the draft: who started it and everyone with an
    editing event on its bank since then."""
    editors = set(
        db.session.scalars(
            sa.select(AuditEvent.user_id).where(
                AuditEvent.target == target(draft.bank),
                AuditEvent.action.in_(EDITING_ACTIONS),
                AuditEvent.at >= draft.created_at,
                AuditEvent.user_id.is_not(None),
            )
        )
    )
    if draft.created_by_id is not None:
        editors.add(draft.created_by_id)
    return {editor for editor in editors if editor is not None}


def may_approve(draft: BankVersion, user: User) -> bool:
    return draft.bank.two_person and user.id not in editors_of(draft)


def draft_digest(draft: BankVersion) -> str:
    """The content hash the draft would be published with (it must load)."""
    result = load_bank_text(dump_bank(draft.content), "draft")
    assert result.bank is not None, "a draft with problems has no digest"
    return content_hash(result.bank)


def fingerprint(content: dict[str, Any]) -> str:
    """Which draft content a page showed, so that a choice made on it (an approval, the
    update page's choices) is not applied to content changed since."""
    text = json.dumps(content, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def approve_draft(draft: BankVersion, *, user: User, now: datetime, seen: str) -> None:
    """Record `user` as the second author who approved the draft as it is now, and as they
    saw it (`seen`: its fingerprint on their page). Only someone who did not edit it may;
    a draft that can't be published can't be approved."""
    if not draft.bank.two_person:
        raise ApprovalRefused(
            ["This bank does not need a second author to approve drafts."], status=409
        )
    if user.id in editors_of(draft):
        raise ApprovalRefused(
            ["You have edited this draft, so another author must approve it."], status=403
        )
    if seen != fingerprint(draft.content):
        raise ApprovalRefused(
            [
                "The draft changed after you opened it, so it was not approved."
                " Check it as it is now, then approve it."
            ],
            status=409,
        )
    problems = publish_problems(draft)
    if problems:
        raise ApprovalRefused(problems)
    draft.approved_by = user
    draft.approved_at = now
    record(
        "draft.approve",
        target(draft.bank),
        user=user,
        details={"number": draft.number, "content_hash": draft_digest(draft)},
    )
    db.session.flush()


def discard_draft(draft: BankVersion, *, user: User) -> None:
    bank = draft.bank
    record("draft.discard", target(bank), user=user, details={"number": draft.number})
    db.session.delete(draft)
    db.session.flush()
    if latest_published(bank) is None and not db.session.scalar(
        sa.select(sa.func.count()).select_from(Check).where(Check.bank_id == bank.id)
    ):
        db.session.delete(bank)  # a bank that never had a published version
        db.session.flush()


def publish_problems(draft: BankVersion) -> list[str]:
    """Why the draft can't be published, or nothing: each problem names its place as the
    editor does ("Question 3 (q-refer), option 2, text: ...")."""
    from ..authoring.briefing import find_placeholders

    data = draft.content
    problems = [plain_error(error.path, error.message, data) for error in validate(data)]
    problems += [
        plain_error(path, "replace the placeholder text", data) for path in find_placeholders(data)
    ]
    return problems


def publish_draft(
    draft: BankVersion, *, change_note: str, user: User, now: datetime
) -> BankVersion:
    """Make the draft the bank's newest published version, immutable from now on.

    Refused while versions were published since the draft was started: the author first
    brings the draft up to date (`update_draft`), so nothing another version changed is
    dropped without the author choosing to drop it."""
    problems = publish_problems(draft)
    if problems:
        raise PublishRefused(problems)
    if draft.bank.two_person and draft.approved_by_id is None:
        raise PublishRefused(
            [
                "This bank needs a second author to approve the draft before it is published."
                " Ask an author who has not edited it to approve it."
            ]
        )
    newer = published_since(draft)
    if newer:
        raise NewerVersionPublished(newer[-1])
    bank = draft.bank
    result = load_bank_text(dump_bank(draft.content), "draft")
    assert result.bank is not None
    data = result.bank.to_data()
    digest = content_hash(result.bank)
    current = latest_published(bank)
    if current is not None and current.content_hash == digest:
        raise PublishRefused([f"Nothing has changed since version {current.number}."])
    highest = db.session.scalar(
        sa.select(sa.func.max(BankVersion.number)).where(
            BankVersion.bank_id == bank.id, BankVersion.status == "published"
        )
    )
    draft.number = (highest or 0) + 1  # numbers have no gaps, whatever was published since
    source = data["source"]
    draft.content = data
    draft.content_hash = digest
    draft.title = data["title"]
    draft.summary = data.get("summary", "")
    draft.source_publisher = source["publisher"]
    draft.source_title = source["title"]
    draft.source_url = source.get("url")
    draft.signposting = data.get("signposting", "")
    draft.change_note = change_note.strip()
    populate_version(draft, data)
    draft.status = "published"
    draft.published_at = now
    bank.title = data["title"]
    if not db.session.scalar(
        sa.select(sa.func.count()).select_from(Check).where(Check.bank_id == bank.id)
    ):
        db.session.add(default_check(bank, data))
    db.session.flush()
    record(
        "bank.publish",
        target(bank),
        user=user,
        details={"version": draft.number, "change_note": draft.change_note},
    )
    return draft


def create_bank_from_draft(
    data: dict[str, Any],
    *,
    user: User | None,
    now: datetime,
    reading: dict[str, Any] | None = None,
    origin: str = "briefing",
) -> BankVersion:
    """A new bank whose first version is a draft, made from a learning briefing or
    (`origin="import"`) from another system's questions. `reading` is how the source was
    read (why each finding has its kind and the lines not used; or the questions skipped
    and changed): kept with the bank's creation in the audit log, and shown on its first
    draft."""
    taken = set(db.session.scalars(sa.select(Bank.key)))
    key = data["id"] if data["id"] not in taken else unique_id(data["id"], taken)
    data = {**data, "id": key}
    bank = Bank(key=key, title=data.get("title", key), created_at=now)
    db.session.add(bank)
    db.session.flush()
    draft = _new_draft(bank, data, user=user, now=now)
    record("bank.create", target(bank), user=user, details={"from": origin, **(reading or {})})
    return draft


def creation_reading(bank: Bank) -> dict[str, Any] | None:
    """How the briefing or file a bank was made from was read, if it was made from one."""
    event = db.session.scalar(
        sa.select(AuditEvent)
        .where(AuditEvent.action == "bank.create", AuditEvent.target == target(bank))
        .order_by(AuditEvent.id)
        .limit(1)
    )
    if event is None or event.details.get("from") not in ("briefing", "import"):
        return None
    return event.details


def draft_errors(draft: BankVersion) -> list[BankError]:
    return validate(draft.content)
