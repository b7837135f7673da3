from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa

from quizapp.demo import DEMO_PASSWORD, SIGN_INS, load_demo_people, prepare_demo
from quizapp.extensions import db
from quizapp.models import Agency, Bank, Requirement, Role, User, utcnow
from quizapp.take.queries import checks_for
from quizapp.workforce.status import Status


def test_demo_accounts_exist_only_in_demo_mode(app):
    with pytest.raises(RuntimeError, match="demo mode"):
        load_demo_people()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_demo_loads_agencies_people_and_sign_ins_and_is_safe_to_rerun(app):
    app.config["DEMO_MODE"] = True
    messages: list[str] = []
    prepare_demo(app, out=messages.append)
    prepare_demo(app, out=messages.append)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Agency)) == 10
    people = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    assert 50 <= people <= 60
    assert set(db.session.scalars(sa.select(Bank.key))) == {
        "hs-baby-2016",
        "hs-baby-2016-conference",
    }
    assert any("hs-baby-2016: unchanged" in m for m in messages)
    for email, *_ in SIGN_INS:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        assert user.check_password(DEMO_PASSWORD)
        assert any(email in m for m in messages)
    police_lead = db.session.scalar(sa.select(User).where(User.email == "police-lead@demo.test"))
    assert police_lead.agency.name == "Police" and police_lead.has_role(Role.LEAD)
    lead = db.session.scalar(sa.select(User).where(User.email == "lead@demo.test"))
    assert lead.agency is None and lead.roles == {Role.LEAD}


def test_demo_people_show_every_status(app):
    app.config["DEMO_MODE"] = True
    prepare_demo(app, out=lambda _: None)
    now = utcnow()
    seen = Counter(
        row.status
        for user in db.session.scalars(sa.select(User))
        for row in checks_for(user, now=now)
    )
    assert set(seen) == set(Status)
    practitioner = db.session.scalar(sa.select(User).where(User.email == "practitioner@demo.test"))
    assert checks_for(practitioner, now=now)[0].requirement is not None


def test_demo_shows_a_retired_check_an_ended_assignment_and_the_advice_line(app):
    from quizapp.demo import PILOT_TITLE
    from quizapp.models import Assignment, AssignmentEmail, Check, Requirement
    from quizapp.settings import current_settings

    app.config["DEMO_MODE"] = True
    prepare_demo(app, out=lambda _: None)
    pilot = db.session.scalar(sa.select(Check).where(Check.title == PILOT_TITLE))
    assert pilot.is_retired
    ended = db.session.scalars(sa.select(Assignment).where(Assignment.ended_at.is_not(None))).all()
    assert [a.check_id for a in ended] == [pilot.id]
    assert not db.session.scalar(
        sa.select(sa.func.count()).select_from(Requirement).where(Requirement.check_id == pilot.id)
    )
    assert current_settings().has_advice_line
    waiting = sa.select(sa.func.count()).select_from(AssignmentEmail)
    assert not db.session.scalar(waiting.where(AssignmentEmail.sent_at.is_(None)))


def test_demo_shows_every_account_state_and_invitations_waiting(app):
    from quizapp.admin.queries import AccountState, account_state_case
    from quizapp.models import Invitation

    app.config["DEMO_MODE"] = True
    prepare_demo(app, out=lambda _: None)
    prepare_demo(app, out=lambda _: None)
    now = utcnow()
    housing = db.session.scalar(sa.select(Agency).where(Agency.name == "Housing Service"))
    states = Counter(
        db.session.scalars(
            sa.select(account_state_case(now)).where(User.agency_id == housing.id)
        ).all()
    )
    assert set(states) == {state.value for state in AccountState}
    assert states[AccountState.NEVER_SIGNED_IN.value] == 3  # one's invitation has expired
    invitations = db.session.scalars(sa.select(Invitation).order_by(Invitation.email)).all()
    assert [(i.email, i.is_pending(now), i.roles) for i in invitations] == [
        ("rosa.bianchi@demo.test", True, ["practitioner", "lead"]),
        ("tariq.aziz@demo.test", True, ["practitioner"]),
        ("una.price@demo.test", False, ["practitioner"]),
    ]
    # Nobody in these states has anything the dashboards count.
    required = db.session.scalar(
        sa.select(sa.func.count(Requirement.id)).join(User).where(User.agency_id == housing.id)
    )
    assert required == 0
