"""Bank files into the database: each content change becomes a new published version.

Works on the canonical data of a validated bank (`BankFile.to_data()`), flushes only,
and leaves the commit to the caller, so several files import in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import Bank, BankVersion, Check, Finding, Question, Stage, User
from ..questions import get_type


@dataclass(frozen=True)
class ImportOutcome:
    bank: Bank
    version: BankVersion
    #: "created" (new bank), "new version", or "unchanged".
    status: str


def latest_published(bank: Bank) -> BankVersion | None:
    return db.session.scalar(
        sa.select(BankVersion)
        .where(BankVersion.bank_id == bank.id, BankVersion.status == "published")
        .order_by(BankVersion.number.desc())
        .limit(1)
    )


def next_version_number(bank: Bank) -> int:
    """The number the bank's next published version takes: numbers have no gaps, because
    a draft's number is only what it will be if published next (see `make_room`)."""
    highest = db.session.scalar(
        sa.select(sa.func.max(BankVersion.number)).where(
            BankVersion.bank_id == bank.id, BankVersion.status == "published"
        )
    )
    return (highest or 0) + 1


def make_room(bank: Bank, number: int) -> None:
    """Move the bank's draft, if it holds `number`, to the number after it: a version is
    being published first (an import), and the draft will come after it."""
    draft = db.session.scalar(
        sa.select(BankVersion).where(
            BankVersion.bank_id == bank.id,
            BankVersion.status == "draft",
            BankVersion.number == number,
        )
    )
    if draft is not None:
        draft.number = number + 1
        db.session.flush()


def import_bank(
    data: dict[str, Any],
    content_hash: str,
    *,
    now: datetime,
    user: User | None = None,
    change_note: str = "",
) -> ImportOutcome:
    """Import one validated bank. Unchanged content (same hash as the latest published
    version) changes nothing."""
    bank = db.session.scalar(sa.select(Bank).where(Bank.key == data["id"]))
    created = bank is None
    if bank is None:
        bank = Bank(key=data["id"], title=data["title"], created_at=now)
        db.session.add(bank)
        db.session.flush()
    else:
        current = latest_published(bank)
        if current is not None and current.content_hash == content_hash:
            return ImportOutcome(bank, current, "unchanged")
        bank.title = data["title"]

    number = next_version_number(bank)
    make_room(bank, number)
    version = build_version(
        bank,
        data,
        content_hash,
        number=number,
        user=user,
        now=now,
        change_note=change_note or ("Imported from file" if created else "Imported changes"),
    )
    version.status = "published"
    version.published_at = now
    db.session.add(version)
    if created:
        db.session.add(default_check(bank, data))
    db.session.flush()
    return ImportOutcome(bank, version, "created" if created else "new version")


def build_version(
    bank: Bank,
    data: dict[str, Any],
    content_hash: str,
    *,
    number: int,
    user: User | None,
    now: datetime,
    change_note: str,
) -> BankVersion:
    """A version with its findings, stages and questions, not yet published."""
    source = data["source"]
    version = BankVersion(
        bank=bank,
        number=number,
        status="draft",
        content=data,
        content_hash=content_hash,
        title=data["title"],
        summary=data.get("summary", ""),
        source_publisher=source["publisher"],
        source_title=source["title"],
        source_url=source.get("url"),
        signposting=data.get("signposting", ""),
        change_note=change_note,
        created_by=user,
        created_at=now,
    )
    populate_version(version, data)
    return version


def populate_version(version: BankVersion, data: dict[str, Any]) -> None:
    """Give a version the findings, stages and questions of its content, as rows that
    attempts and statistics refer to. Done once, when the version is published."""
    with db.session.no_autoflush:  # the draft may already be persistent
        findings = {}
        for position, item in enumerate(data["findings"]):
            finding = Finding(
                key=item["id"],
                kind=item["kind"],
                text=item["text"],
                confidence=item.get("confidence"),
                position=position,
            )
            version.findings.append(finding)
            findings[item["id"]] = finding
        stages = {}
        for position, item in enumerate(data["stages"]):
            stage = Stage(
                key=item["id"], title=item["title"], narrative=item["narrative"], position=position
            )
            version.stages.append(stage)
            stages[item["id"]] = stage
        for position, item in enumerate(data["questions"]):
            scored = get_type(item["type"]).scored
            question = Question(
                key=item["id"],
                type=item["type"],
                spec=item,
                points=item.get("points", 1) if scored else 0,
                position=position,
                stage=stages[item["stage"]],
                findings=[findings[key] for key in item.get("findings", [])],
            )
            version.questions.append(question)


def default_check(bank: Bank, data: dict[str, Any]) -> Check:
    """The check a bank's file asks for; later changes to it are made on the check."""
    settings = data["check"]
    weeks = follow_up_weeks(settings)
    return Check(
        title=data["title"],
        bank=bank,
        pass_mark=settings["pass_mark"],
        certainty=settings["certainty"],
        attempts_allowed=settings.get("attempts"),
        refresh_months=settings["refresh_months"],
        after_fail=settings.get("after_fail", "feedback"),
        scenario_back=settings.get("scenario_back", False),
        cpd_minutes=settings.get("cpd_minutes", 20),
        participatory=settings.get("participatory", False),
        ask_confidence=settings.get("ask_confidence", True),
        ask_reaction=settings.get("ask_reaction", True),
        # NULL said outright: None alone would let the column's default (8) fire.
        follow_up_weeks=sa.null() if weeks is None else weeks,
    )


def follow_up_weeks(settings: dict[str, Any]) -> int | None:
    """The check's follow-up weeks from a bank's `check:` block: absent is the default
    (8), `false` is no follow-up."""
    weeks = settings.get("follow_up_weeks", 8)
    return None if weeks is False else weeks
