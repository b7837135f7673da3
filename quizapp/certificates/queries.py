"""Queries feeding the certificate, verification and learning-record pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import (
    Attempt,
    Certificate,
    Completion,
    Finding,
    Question,
    Response,
    User,
    question_findings,
)
from . import codes, record


@dataclass(frozen=True)
class Standing:
    """A certificate as a verifier sees it."""

    certificate: Certificate
    expires_at: datetime
    current: bool


def expiry_of(certificate: Certificate) -> datetime:
    """While the certificate's pass is the person's latest, its expiry follows the
    Completion (a refresh period changed later moves both); once a later pass replaces
    it, it keeps the expiry it was issued with."""
    live = db.session.scalar(
        sa.select(Completion.expires_at).where(Completion.attempt_id == certificate.attempt_id)
    )
    return live or certificate.expires_at


def standing(certificate: Certificate, *, now: datetime) -> Standing:
    expires = expiry_of(certificate)
    return Standing(certificate, expires, current=now < expires)


def by_code(typed: str) -> Certificate | None:
    code = codes.normalise(typed)
    if code is None:
        return None
    return db.session.scalar(
        sa.select(Certificate).where(Certificate.code == code).options(joinedload(Certificate.user))
    )


def learning_record(user: User, *, with_reflections: bool) -> list[record.Entry]:
    """Every check the person passed, oldest first, with the findings the attempt's
    questions covered and (only when asked, for the person's own eyes) their reflections.
    Three queries whatever the number of passes."""
    certificates = db.session.scalars(
        sa.select(Certificate)
        .where(Certificate.user_id == user.id)
        .order_by(Certificate.passed_at, Certificate.id)
    ).all()
    attempt_ids = [c.attempt_id for c in certificates]
    drawn = dict(
        db.session.execute(
            sa.select(Attempt.id, Attempt.question_ids).where(Attempt.id.in_(attempt_ids))
        ).all()
    )
    findings: dict[int, list[str]] = {}
    rows = db.session.execute(
        sa.select(Attempt.id, Question.id, Finding.text)
        .join(Question, Question.version_id == Attempt.bank_version_id)
        .join(question_findings, question_findings.c.question_id == Question.id)
        .join(Finding, Finding.id == question_findings.c.finding_id)
        .where(Attempt.id.in_(attempt_ids))
        .order_by(Attempt.id, Finding.position)
    ).all()
    for attempt_id, question_id, text in rows:
        chosen = drawn.get(attempt_id)
        if chosen is not None and question_id not in chosen:
            continue
        texts = findings.setdefault(attempt_id, [])
        if text not in texts:
            texts.append(text)
    reflections: dict[int, list[tuple[str, str]]] = {}
    if with_reflections:
        for attempt_id, spec, answer in db.session.execute(
            sa.select(Response.attempt_id, Question.spec, Response.answer)
            .join(Question, Question.id == Response.question_id)
            .join(Attempt, Attempt.id == Response.attempt_id)
            .where(
                Response.attempt_id.in_(attempt_ids),
                Attempt.user_id == user.id,
                Question.type == "reflection",
            )
            .order_by(Response.attempt_id, Question.position)
        ):
            if isinstance(answer, str) and answer.strip():
                reflections.setdefault(attempt_id, []).append(
                    (str(spec.get("prompt", "")), answer.strip())
                )
    return [
        record.Entry(
            attempt_id=c.attempt_id,
            passed_at=c.passed_at,
            check_title=c.check_title,
            version_number=c.version_number,
            cpd_minutes=c.cpd_minutes,
            participatory=c.participatory,
            code=c.code,
            findings=tuple(record.plain(text) for text in findings.get(c.attempt_id, [])),
            reflections=tuple(reflections.get(c.attempt_id, [])),
        )
        for c in certificates
    ]
