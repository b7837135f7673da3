"""Keyword-only factory helpers: each test says only what matters to it."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from quizapp.banks import content_hash, load_bank_file, load_bank_text
from quizapp.banks.importer import ImportOutcome, import_bank
from quizapp.extensions import db
from quizapp.models import Agency, Check, Role, User, utcnow
from quizapp.questions.base import Arrangement

DEFAULT_PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parent.parent
HS_BANK = ROOT / "question_banks" / "hs-baby-2016.yaml"
_numbers = itertools.count(1)


def create_agency(*, name: str | None = None, sector: str = "health") -> Agency:
    agency = Agency(name=name or f"Agency {next(_numbers)}", sector=sector)
    db.session.add(agency)
    db.session.flush()
    return agency


def create_user(
    *,
    email: str | None = None,
    name: str = "Test Person",
    agency: Agency | None = None,
    roles: tuple[Role, ...] = (Role.PRACTITIONER,),
    password: str = DEFAULT_PASSWORD,
    job_role: str = "Health visitor",
    level: str | None = "Level 3",
    confirmed: bool = True,
) -> User:
    user = User(
        email=email or f"person{next(_numbers)}@example.org",
        name=name,
        agency=agency,
        job_role=job_role,
        level=level,
        email_confirmed_at=utcnow() if confirmed else None,
    )
    user.set_password(password)
    for role in roles:
        user.grant(role)
    db.session.add(user)
    db.session.commit()
    return user


def import_bank_text(
    text: str, *, filename: str = "bank.yaml", confidence: dict[str, str] | None = None
) -> ImportOutcome:
    """Import a bank from its text. `confidence`: finding key -> phrasing, as a finding's
    `confidence:` in the file would give it."""
    result = load_bank_text(text, filename)
    assert not result.errors, "\n".join(map(str, result.errors))
    data = result.bank.to_data()
    for finding in data["findings"]:
        if confidence and finding["id"] in confidence:
            finding["confidence"] = confidence[finding["id"]]
    outcome = import_bank(data, content_hash(result.bank), now=utcnow())
    db.session.commit()
    return outcome


def import_hs_bank() -> ImportOutcome:
    result = load_bank_file(HS_BANK)
    assert not result.errors, "\n".join(map(str, result.errors))
    outcome = import_bank(result.bank.to_data(), content_hash(result.bank), now=utcnow())
    db.session.commit()
    return outcome


def check_for(outcome: ImportOutcome) -> Check:
    from sqlalchemy import select

    return db.session.scalars(select(Check).where(Check.bank_id == outcome.bank.id)).one()


SMALL_BANK = """\
format: 1
id: small-bank
title: A small check
summary: A check used in tests.
source:
  publisher: Test Partnership
  title: Test briefing
findings:
  - id: sharing
    kind: concern
    text: Information was not shared.
  - id: referral
    kind: good-practice
    text: The referral was timely.
stages:
  - id: first
    title: First part
    narrative: The story begins.
  - id: second
    title: Second part
    narrative: The story goes on.
questions:
  - id: q-single
    stage: first
    type: single
    findings: [sharing]
    prompt: Who should you tell?
    feedback: Tell children's social care.
    options:
      - text: Children's social care
        correct: true
        feedback: Right, they lead on child protection.
      - text: Nobody
        correct: false
        feedback: Keeping it to yourself leaves the child at risk.
  - id: q-multiple
    stage: first
    type: multiple
    findings: [sharing]
    prompt: Which may mean a risk?
    feedback: Both are signs to explore.
    points: 2
    options:
      - text: Missed appointments
        correct: true
        feedback: A pattern of missed appointments needs exploring.
      - text: Unexplained bruise
        correct: true
        feedback: Any bruise on a non-mobile baby needs referral.
      - text: A tidy house
        correct: false
        feedback: A tidy house tells you little about care.
  - id: q-true-false
    stage: second
    type: true_false
    findings: [referral]
    prompt: Consent is always needed before sharing.
    feedback: Not when a child is at risk of significant harm.
    answer: false
    feedback_true: You can share without consent when a child is at risk.
    feedback_false: Right; the child's safety comes first.
  - id: q-ordering
    stage: second
    type: ordering
    findings: [sharing]
    prompt: Put the steps in order.
    feedback: Refer first, then follow up.
    items: [Notice, Refer, Follow up]
  - id: q-reflect
    stage: second
    type: reflection
    prompt: How do you share information?
signposting: Ask your safeguarding lead.
check:
  pass_mark: 80
  certainty: true
  refresh_months: 12
"""


def small_bank(**replacements: Any) -> str:
    text = SMALL_BANK
    for old, new in replacements.items():
        text = text.replace(old, new)
    return text


def answer_form(
    spec: dict[str, Any], *, right: bool = True, arrangement: Arrangement | None = None
) -> dict[str, Any]:
    """Form data a practitioner would send for a right (or wrong) answer to `spec`, on a
    page laid out as `arrangement` (see `arrangement_of`; default: indexes as values)."""
    arrangement = arrangement or Arrangement(0)
    kind = spec["type"]
    if kind in ("single", "multiple"):
        options = enumerate(spec["options"])
        chosen = [arrangement.value(i) for i, o in options if o["correct"] == right]
        return {"answer": chosen[:1] if kind == "single" else chosen}
    if kind == "true_false":
        return {"answer": "true" if spec["answer"] == right else "false"}
    if kind == "ordering":
        count = len(spec["items"])
        order = list(range(count)) if right else list(reversed(range(count)))
        return {
            f"position-{arrangement.value(item)}": str(order.index(item) + 1)
            for item in range(count)
        }
    return {"answer": "A reflection only I can read."}


def arrangement_of(attempt_id: int, question: Any) -> Arrangement:
    """How the attempt's page for `question` is laid out (its option values and order)."""
    from quizapp.models import Attempt
    from quizapp.take.layout import arrangement_for

    return arrangement_for(db.session.get(Attempt, attempt_id), question)


def create_team(*, agency: Agency, name: str | None = None) -> Any:
    """A team of `agency` (committed)."""
    from quizapp.models import Team

    team = Team(agency=agency, name=name or f"Team {next(_numbers)}")
    db.session.add(team)
    db.session.commit()
    return team
