"""Personal data: a person's own copy, anonymising a person, and the retention rule.

UK GDPR asks for the minimum, a retention period, anonymisation for statistics after it,
and that people can see their own data (docs/operations.md). Anonymising removes what
identifies a person (name, email, the ability to sign in) and keeps the figures: their
attempts, scores and completions stay, attached to a placeholder, so every statutory
report counts them as before. Submitted attempts and their responses never change (the
database refuses it), so anonymising touches people, invitations and audit entries, and
clears the free-text practice examples of their follow-ups (which may name children: the
one change the guard lets through on a submitted follow-up, quizapp/models/guards.py).

Operations flush; the caller commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from .extensions import db
from .models import (
    Attempt,
    AuditEvent,
    Certificate,
    Check,
    Completion,
    ConfidenceRating,
    FollowUp,
    FollowUpResponse,
    Invitation,
    KeptAnswer,
    Question,
    Reaction,
    Response,
    ScenarioChoice,
    User,
)
from .models.user import new_session_token

#: Placeholder emails use a reserved domain (RFC 2606) that can never receive mail.
ANONYMISED_DOMAIN = "anonymised.invalid"
ANONYMISED_NAME = "Anonymised person"
#: Changes when the shape of the download changes (3: each attempt's confidence ratings
#: and reaction).
EXPORT_FORMAT = 3


class AnonymiseRefused(Exception):
    """The person can't be anonymised (the message says why, in plain English)."""


def is_anonymised(user: User) -> bool:
    return user.email.endswith("@" + ANONYMISED_DOMAIN)


def placeholder_email(user_id: int) -> str:
    """Unique because the id is: the unique index on users.email keeps holding."""
    return f"anonymised-{user_id}@{ANONYMISED_DOMAIN}"


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def export_person(user: User, *, now: datetime) -> dict[str, Any]:
    """Everything the service holds about `user` that is theirs: profile, roles, every
    attempt with its answers and marks, confidence ratings and reaction, reflections
    (theirs alone), answers kept after an idle sign-out and not saved yet, completions,
    and follow-ups (with their private practice example)."""
    attempts = db.session.scalars(
        sa.select(Attempt)
        .where(Attempt.user_id == user.id)
        .order_by(Attempt.started_at, Attempt.id)
    ).all()
    checks = {
        check.id: check
        for check in db.session.scalars(
            sa.select(Check).where(Check.id.in_({a.check_id for a in attempts}))
        )
    }
    rows = db.session.execute(
        sa.select(Response, Question)
        .join(Question, Question.id == Response.question_id)
        .where(Response.attempt_id.in_([a.id for a in attempts]))
        .order_by(Response.attempt_id, Question.position)
    ).all()
    answers: dict[int, list[dict[str, Any]]] = {}
    reflections: list[dict[str, Any]] = []
    for response, question in rows:
        item = {
            "question": question.key,
            "type": question.type,
            "prompt": question.prompt,
            "answer": response.answer,
            "certainty": response.certainty,
            "mark": response.mark,
            "out_of": question.points,
            "certainty_based_mark": response.cbm_mark,
            "saved_at": _iso(response.saved_at),
        }
        answers.setdefault(response.attempt_id, []).append(item)
        if question.type == "reflection":
            reflections.append(
                {
                    "attempt": response.attempt_id,
                    "prompt": question.prompt,
                    "text": response.answer,
                    "saved_at": _iso(response.saved_at),
                }
            )
    # Confidence before and after each attempt, and in a follow-up to it (quizapp/impact).
    ratings: dict[int, list[dict[str, Any]]] = {}
    for rating in db.session.scalars(
        sa.select(ConfidenceRating)
        .where(ConfidenceRating.attempt_id.in_([a.id for a in attempts]))
        .order_by(ConfidenceRating.attempt_id, ConfidenceRating.id)
    ):
        ratings.setdefault(rating.attempt_id, []).append(
            {
                "finding": rating.finding_key,
                "moment": rating.moment,
                "rating": rating.rating,
                "rated_at": _iso(rating.rated_at),
            }
        )
    reactions = {
        reaction.attempt_id: {
            "relevant": reaction.relevant,
            "clear": reaction.clear,
            "will_change": reaction.will_change,
            "given_at": _iso(reaction.given_at),
        }
        for reaction in db.session.scalars(
            sa.select(Reaction).where(Reaction.attempt_id.in_([a.id for a in attempts]))
        )
    }
    completions = db.session.scalars(
        sa.select(Completion).where(Completion.user_id == user.id).order_by(Completion.id)
    ).all()
    certificates = db.session.scalars(
        sa.select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.id)
    ).all()
    # Answers sent after an idle sign-out and not saved yet (quizapp/take/kept.py).
    kept = db.session.execute(
        sa.select(KeptAnswer, Question.key)
        .join(Question, Question.id == KeptAnswer.question_id)
        .where(KeptAnswer.attempt_id.in_([a.id for a in attempts]))
        .order_by(KeptAnswer.attempt_id, Question.position)
    ).all()
    # Each decision made in a branching scenario, as it was made (quizapp/take/scenario.py).
    choices: dict[int, list[dict[str, Any]]] = {}
    for choice, key in db.session.execute(
        sa.select(ScenarioChoice, Question.key)
        .join(Question, Question.id == ScenarioChoice.question_id)
        .where(ScenarioChoice.attempt_id.in_([a.id for a in attempts]))
        .order_by(ScenarioChoice.attempt_id, ScenarioChoice.question_id, ScenarioChoice.sequence)
    ):
        choices.setdefault(choice.attempt_id, []).append(
            {
                "question": key,
                "sequence": choice.sequence,
                "action": choice.action,
                "decision": choice.node_key,
                "alternative": choice.alternative_key,
                "certainty": choice.certainty,
                "at": _iso(choice.chosen_at),
                "withdrawn_at": _iso(choice.withdrawn_at),
            }
        )
    follow_ups = db.session.scalars(
        sa.select(FollowUp).where(FollowUp.user_id == user.id).order_by(FollowUp.id)
    ).all()
    follow_up_answers: dict[int, list[dict[str, Any]]] = {}
    for response, key in db.session.execute(
        sa.select(FollowUpResponse, Question.key)
        .join(Question, Question.id == FollowUpResponse.question_id)
        .where(FollowUpResponse.follow_up_id.in_([f.id for f in follow_ups]))
        .order_by(FollowUpResponse.id)
    ):
        follow_up_answers.setdefault(response.follow_up_id, []).append(
            {
                "question": key,
                "answer": response.answer,
                "certainty": response.certainty,
                "mark": response.mark,
                "saved_at": _iso(response.saved_at),
            }
        )
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _iso(now),
        "profile": {
            "name": user.name,
            "email": user.email,
            "agency": user.agency.name if user.agency else None,
            "team": user.team.name if user.team else None,
            "job_role": user.job_role,
            "level": user.level,
            "roles": sorted(role.value for role in user.roles),
            "account_created_at": _iso(user.created_at),
            "email_confirmed_at": _iso(user.email_confirmed_at),
            "left_at": _iso(user.left_at),
        },
        "attempts": [
            {
                "id": attempt.id,
                "check": checks[attempt.check_id].title,
                "check_id": attempt.check_id,
                "bank_version_id": attempt.bank_version_id,
                "number": attempt.number,
                "started_at": _iso(attempt.started_at),
                "submitted_at": _iso(attempt.submitted_at),
                "score": attempt.score,
                "max_score": attempt.max_score,
                "percent": attempt.percent,
                "passed": attempt.passed,
                "pass_mark": attempt.pass_mark,
                "certainty_based_percent": attempt.cbm_percent,
                "answers": answers.get(attempt.id, []),
                "scenario_choices": choices.get(attempt.id, []),
                "confidence": ratings.get(attempt.id, []),
                "reaction": reactions.get(attempt.id),
            }
            for attempt in attempts
        ],
        "reflections": reflections,
        "kept_answers": [
            {
                "attempt": row.attempt_id,
                "question": key,
                "form": row.form,
                "kept_at": _iso(row.kept_at),
            }
            for row, key in kept
        ],
        "completions": [
            {
                "check_id": completion.check_id,
                "attempt": completion.attempt_id,
                "passed_at": _iso(completion.passed_at),
                "expires_at": _iso(completion.expires_at),
            }
            for completion in completions
        ],
        "follow_ups": [
            {
                "attempt": row.attempt_id,
                "check_id": row.check_id,
                "due_at": _iso(row.due_at),
                "invited_at": _iso(row.invited_at),
                "submitted_at": _iso(row.submitted_at),
                "score": row.score,
                "max_score": row.max_score,
                "used_in_practice": row.used_in_practice,
                "practice_example": row.practice_example,
                "answers": follow_up_answers.get(row.id, []),
            }
            for row in follow_ups
        ],
        "certificates": [
            {
                "attempt": certificate.attempt_id,
                "code": certificate.code,
                "check": certificate.check_title,
                "bank_version": certificate.version_number,
                "passed_at": _iso(certificate.passed_at),
                "expires_at": _iso(certificate.expires_at),
                "cpd_minutes": certificate.cpd_minutes,
                "participatory": certificate.participatory,
            }
            for certificate in certificates
        ],
    }


def anonymise(user: User, *, now: datetime, by: User | None = None) -> None:
    """Remove name and email (placeholders keep them unique), end every session and the
    password, keep agency, role and level so figures by agency and role still add up."""
    from .audit import record

    if is_anonymised(user):
        raise AnonymiseRefused("This person has already been anonymised.")
    if by is not None and by.id == user.id:
        raise AnonymiseRefused("You can't anonymise your own account.")
    old_email = user.email
    user.name = ANONYMISED_NAME
    user.email = placeholder_email(user.id)
    user.password_hash = None
    user.session_token = new_session_token()
    user.active = False
    if user.left_at is None:
        user.left_at = now
    # Invitations to the same address carry the name and email too.
    for invitation in db.session.scalars(
        sa.select(Invitation).where(Invitation.email == old_email)
    ):
        invitation.email = user.email
        invitation.name = ANONYMISED_NAME
    # Audit entries about the person are kept (who did what), without the address.
    for event in db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.target.contains(old_email))
    ):
        event.target = event.target.replace(old_email, user.email)
    # A follow-up's example is the person's own words and may name a child: not kept.
    for follow_up in db.session.scalars(
        sa.select(FollowUp).where(
            FollowUp.user_id == user.id, FollowUp.practice_example.is_not(None)
        )
    ):
        follow_up.practice_example = None
    db.session.flush()
    record("person.anonymise", f"user:{user.id}", user=by, details={"at": _iso(now)})


def due_for_anonymising(*, now: datetime, years: int) -> list[User]:
    """People who left more than `years` ago and still have their name and email."""
    cutoff = now - relativedelta(years=years)
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.left_at.is_not(None),
                User.left_at < cutoff,
                User.email.not_like(f"%@{ANONYMISED_DOMAIN}"),
            )
            .order_by(User.id)
        )
    )


def apply_retention(*, now: datetime, years: int) -> int:
    """Anonymise everyone past the retention period; the number anonymised."""
    people = due_for_anonymising(now=now, years=years)
    for person in people:
        anonymise(person, now=now)
    return len(people)
