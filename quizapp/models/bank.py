"""Question banks and their immutable published versions.

A bank is the stable identity of a set of questions (its file `id`); every change of
content makes a new BankVersion. Findings, stages and questions belong to a version, so
an attempt pinned to a version always sees exactly what it was started on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import JSONType, UTCDateTime, one_of, utcnow
from .user import User

FINDING_KINDS = ("concern", "good-practice")
VERSION_STATUSES = ("draft", "published")


class Bank(db.Model):
    __tablename__ = "banks"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The bank file's stable `id`, e.g. "hs-baby-2016".
    key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    #: Title of the latest version, kept here for listings.
    title: Mapped[str] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Publishing needs a second author: someone who did not edit the draft approves it
    #: first (recorded on the version and in the audit log; see author/operations.py).
    two_person: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    versions: Mapped[list[BankVersion]] = relationship(
        back_populates="bank", order_by="BankVersion.number"
    )

    def __repr__(self) -> str:
        return f"<Bank {self.key}>"


question_findings = sa.Table(
    "question_findings",
    db.metadata,
    sa.Column("question_id", sa.ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("finding_id", sa.ForeignKey("findings.id", ondelete="CASCADE"), primary_key=True),
)


class BankVersion(db.Model):
    __tablename__ = "bank_versions"
    __table_args__ = (
        sa.UniqueConstraint("bank_id", "number"),
        sa.CheckConstraint(one_of("status", VERSION_STATUSES), name="status"),
        sa.CheckConstraint(
            "status = 'draft' OR published_at IS NOT NULL", name="published_has_date"
        ),
        sa.CheckConstraint("number > 0", name="number_positive"),
        # Authors work on at most one draft of a bank at a time.
        sa.Index(
            "uq_bank_versions_one_draft",
            "bank_id",
            unique=True,
            sqlite_where=sa.text("status = 'draft'"),
            postgresql_where=sa.text("status = 'draft'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("banks.id", ondelete="RESTRICT"))
    #: 1, 2, 3... within the bank.
    number: Mapped[int]
    #: draft or published; a published version never changes again.
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    #: The whole bank as canonical data (what the file holds): the source for export.
    content: Mapped[dict[str, Any]] = mapped_column(JSONType, deferred=True)
    #: sha256 of the canonical content: an unchanged import is recognised by it.
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(300))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    source_publisher: Mapped[str] = mapped_column(sa.String(300))
    source_title: Mapped[str] = mapped_column(sa.String(300))
    source_url: Mapped[str | None] = mapped_column(sa.String(2000))
    signposting: Mapped[str] = mapped_column(sa.Text, default="")
    #: What changed, in the author's words.
    change_note: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The published version a draft was started from (or last brought up to date with);
    #: None for a bank's first draft. Kept when the draft is published.
    based_on: Mapped[int | None]
    #: The second author who approved the draft for publishing (banks with `two_person`).
    #: (People are anonymised, never deleted, so no ON DELETE: SQLite cannot add one.)
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    bank: Mapped[Bank] = relationship(back_populates="versions")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    findings: Mapped[list[Finding]] = relationship(
        back_populates="version", order_by="Finding.position", cascade="all, delete-orphan"
    )
    stages: Mapped[list[Stage]] = relationship(
        back_populates="version", order_by="Stage.position", cascade="all, delete-orphan"
    )
    questions: Mapped[list[Question]] = relationship(
        back_populates="version", order_by="Question.position", cascade="all, delete-orphan"
    )

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    def __repr__(self) -> str:
        return f"<BankVersion {self.bank_id} v{self.number} {self.status}>"


class Finding(db.Model):
    __tablename__ = "findings"
    __table_args__ = (
        sa.UniqueConstraint("version_id", "key"),
        sa.CheckConstraint(one_of("kind", FINDING_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("bank_versions.id", ondelete="CASCADE"))
    #: The finding's id in the bank file; stable across versions.
    key: Mapped[str] = mapped_column(sa.String(100))
    #: concern or good-practice.
    kind: Mapped[str] = mapped_column(sa.String(20))
    #: Markdown.
    text: Mapped[str] = mapped_column(sa.Text)
    #: The finding as practice, completing "How confident are you ...?", e.g. "to
    #: challenge a decision made at a child protection conference". None: not asked.
    confidence: Mapped[str | None] = mapped_column(sa.String(300))
    position: Mapped[int]

    version: Mapped[BankVersion] = relationship(back_populates="findings")


class Stage(db.Model):
    __tablename__ = "stages"
    __table_args__ = (sa.UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("bank_versions.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(100))
    title: Mapped[str] = mapped_column(sa.String(300))
    #: Markdown: the part of the story the practitioner reads before its questions.
    narrative: Mapped[str] = mapped_column(sa.Text)
    position: Mapped[int]

    version: Mapped[BankVersion] = relationship(back_populates="stages")
    questions: Mapped[list[Question]] = relationship(
        back_populates="stage", order_by="Question.position"
    )


class Question(db.Model):
    __tablename__ = "questions"
    __table_args__ = (
        sa.UniqueConstraint("version_id", "key"),
        sa.CheckConstraint("points >= 0 AND points <= 10", name="points_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("bank_versions.id", ondelete="CASCADE"), index=True
    )
    stage_id: Mapped[int] = mapped_column(sa.ForeignKey("stages.id", ondelete="CASCADE"))
    #: The question's id in the bank file; stable across versions.
    key: Mapped[str] = mapped_column(sa.String(100))
    #: A name in the question-type registry (quizapp.questions).
    type: Mapped[str] = mapped_column(sa.String(30))
    #: The question as the bank file holds it (prompt, options, feedback...).
    spec: Mapped[dict[str, Any]] = mapped_column(JSONType)
    #: Marks for a fully right answer; 0 for unscored types (reflection).
    points: Mapped[int] = mapped_column(default=1)
    #: Order in the check, across stages.
    position: Mapped[int]

    version: Mapped[BankVersion] = relationship(back_populates="questions")
    stage: Mapped[Stage] = relationship(back_populates="questions")
    findings: Mapped[list[Finding]] = relationship(
        secondary=question_findings, order_by="Finding.position"
    )

    @property
    def prompt(self) -> str:
        return str(self.spec.get("prompt", ""))
