"""People whose pass of nine weeks ago has its follow-up open, on a demo server's database:
run by the page states and the keyboard journey (pages.py, `follow_up_people`), with the
server's environment, as `python -m tests.browser.follow_up_setup EMAIL...`.

Each passed a check of its own bank (the small test bank, with confidence phrasing) wrong
and "very sure" on one finding, so their follow-up has a question and a confidence page.
Safe to run again: people who exist already are left as they are.
"""

from __future__ import annotations

import random
import sys
from datetime import timedelta

import sqlalchemy as sa

from quizapp import create_app
from quizapp.demo import _answer
from quizapp.extensions import db
from quizapp.models import Bank, Check, Role, User, utcnow
from quizapp.take import operations

from ..factories import SMALL_BANK, import_bank_text
from .server import DEMO_PASSWORD

BANK_KEY = "follow-up-states"
CHECK_TITLE = "Follow-up states check"


def main(emails: list[str]) -> None:
    app = create_app()
    with app.app_context():
        bank = db.session.scalar(sa.select(Bank).where(Bank.key == BANK_KEY))
        if bank is None:
            import_bank_text(
                SMALL_BANK.replace("id: small-bank", f"id: {BANK_KEY}").replace(
                    "title: A small check", f"title: {CHECK_TITLE}"
                ),
                confidence={
                    "sharing": "to share information without consent",
                    "referral": "to make a timely referral",
                },
            )
        check = db.session.scalars(
            sa.select(Check).join(Bank, Bank.id == Check.bank_id).where(Bank.key == BANK_KEY)
        ).one()
        then = utcnow() - timedelta(weeks=9)
        for email in emails:
            if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
                continue
            user = User(
                email=email,
                name=email.split("@")[0].replace(".", " ").title(),
                job_role="Health visitor",
                level="Level 3",
                email_confirmed_at=then,
            )
            user.set_password(DEMO_PASSWORD)
            user.grant(Role.PRACTITIONER)
            db.session.add(user)
            db.session.flush()
            attempt = operations.start_attempt(user, check, now=then)
            for question in attempt.bank_version.questions:
                if question.type == "reflection":
                    continue
                right = question.type != "true_false"  # "referral": wrong, very sure
                operations.save_answer(
                    attempt, question, _answer(question, right, random.Random(1)), 3, now=then
                )
            operations.submit_attempt(attempt, now=then)
            assert attempt.passed
        db.session.commit()


if __name__ == "__main__":
    main(sys.argv[1:])
