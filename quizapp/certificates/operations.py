"""Issuing certificates. Operations only flush; the request (or submit) commits."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Attempt, Certificate, Completion
from . import codes


def issue_certificate(attempt: Attempt, *, expires_at: datetime) -> Certificate:
    """The certificate of a passed attempt, written with its Completion (take/operations.py
    record_pass). What it states is copied from the check now."""
    assert attempt.passed and attempt.submitted_at is not None
    check = attempt.check
    certificate = Certificate(
        attempt_id=attempt.id,
        user_id=attempt.user_id,
        check_id=attempt.check_id,
        code=_unused_code(),
        issued_at=attempt.submitted_at,
        passed_at=attempt.submitted_at,
        expires_at=expires_at,
        check_title=check.title,
        version_number=attempt.bank_version.number,
        cpd_minutes=check.cpd_minutes,
        participatory=check.participatory,
    )
    db.session.add(certificate)
    db.session.flush()
    return certificate


def _unused_code() -> str:
    """60 random bits collide about never; looking first keeps even that from a 500."""
    while True:
        code = codes.new_code()
        if db.session.scalar(sa.select(Certificate.id).where(Certificate.code == code)) is None:
            return code


def ensure_certificates(user_id: int) -> int:
    """Certificates for the person's passes from before certificates existed (or whose
    certificate was never written). Returns how many were issued; the caller commits."""
    from ..workforce.requirements import refresh_months_for

    missing = db.session.scalars(
        sa.select(Attempt)
        .outerjoin(Certificate, Certificate.attempt_id == Attempt.id)
        .where(
            Attempt.user_id == user_id,
            Attempt.passed.is_(True),
            Attempt.submitted_at.is_not(None),
            Certificate.id.is_(None),
        )
        .order_by(Attempt.submitted_at)
    ).all()
    for attempt in missing:
        assert attempt.submitted_at is not None
        completion = db.session.scalar(
            sa.select(Completion).where(Completion.attempt_id == attempt.id)
        )
        if completion is not None:
            expires = completion.expires_at
        else:
            months = refresh_months_for(attempt.user_id, attempt.check)
            expires = attempt.submitted_at + relativedelta(months=months)
        issue_certificate(attempt, expires_at=expires)
    return len(missing)


def certificate_for(attempt: Attempt) -> Certificate:
    """The passed attempt's certificate, issued now if it has none yet. Two requests
    racing to issue the same one: the loser reads the winner's."""
    certificate = db.session.scalar(
        sa.select(Certificate).where(Certificate.attempt_id == attempt.id)
    )
    if certificate is not None:
        return certificate
    try:
        with db.session.begin_nested():
            ensure_certificates(attempt.user_id)
    except IntegrityError:
        pass
    return db.session.scalars(
        sa.select(Certificate).where(Certificate.attempt_id == attempt.id)
    ).one()
