from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from quizapp.demo import DEMO_PASSWORD, SIGN_INS, demo_check, load_demo_people, prepare_demo
from quizapp.demo_crowd import CROWD_DOMAIN
from quizapp.extensions import db
from quizapp.models import Agency, Attempt, Bank, Requirement, Role, User, utcnow
from quizapp.models.impact import ConfidenceRating, FollowUp, FollowUpResponse, Reaction
from quizapp.take.operations import start_attempt
from quizapp.take.queries import checks_for
from quizapp.workforce.status import Status


def test_demo_accounts_exist_only_in_demo_mode(app):
    with pytest.raises(RuntimeError, match="demo mode"):
        load_demo_people()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_demo_loads_agencies_people_and_sign_ins_and_is_safe_to_rerun(app):
    """The full demo: about 1,000 people (the named ones and the crowd), the sign-ins,
    a year of impact data, and the demo practitioner's follow-up due. Built once here:
    the other tests of this module need no crowd."""
    app.config["DEMO_MODE"] = True
    messages: list[str] = []
    prepare_demo(app, out=messages.append)
    counts = _row_counts()
    prepare_demo(app, out=messages.append)
    assert _row_counts() == counts
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Agency)) == 10
    people = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    assert 900 <= people <= 1100
    crowd = db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(User.email.like(f"%@{CROWD_DOMAIN}"))
    )
    assert 850 <= crowd <= 950
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
    check = demo_check()
    _assert_attempts_are_a_plausible_year(check)
    _assert_impact_data(check)
    _assert_practitioner_follow_up_is_due(check)
    # The crowd's rows were written with ids of their own: a check started in the app
    # afterwards (as the browser tests and every demo visitor do) gets a new one. On
    # PostgreSQL the sequences must have been moved past them.
    newcomer = db.session.scalars(
        sa.select(User).where(User.email == "ella.khan.4@demo.test")
    ).one()
    started = start_attempt(newcomer, check, now=utcnow())
    db.session.commit()
    assert started.id > db.session.scalar(
        sa.select(sa.func.max(Attempt.id)).where(Attempt.id != started.id)
    )


def _row_counts() -> dict[str, int]:

    return {
        model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (User, Attempt, ConfidenceRating, Reaction, FollowUp, FollowUpResponse)
    }


def _assert_attempts_are_a_plausible_year(check) -> None:
    """Passes and fails, people not started, skill that differs by agency."""

    now = utcnow()
    attempts = db.session.scalars(sa.select(Attempt).where(Attempt.check_id == check.id)).all()
    assert all(a.submitted_at is not None for a in attempts)
    passed = sum(a.passed for a in attempts)
    assert 0.4 * len(attempts) < passed < 0.85 * len(attempts)
    recent = [a for a in attempts if a.submitted_at > now - timedelta(days=366)]
    # Half the crowd has its year of attempts; the rest are newcomers, refreshers and
    # people who never started (demo_crowd.NEWCOMERS, REFRESHERS, ABSENT).
    assert len(recent) > 600
    required = set(db.session.scalars(sa.select(Requirement.user_id)))
    attempted = {a.user_id for a in attempts}
    assert len(required - attempted) > 50  # not started: due or overdue
    percents: dict[str, list[float]] = {}
    for attempt in recent:
        agency = attempt.user.agency
        if agency is not None and attempt.number == 1:
            percents.setdefault(agency.name, []).append(attempt.percent)
    means = [sum(v) / len(v) for v in percents.values() if len(v) >= 20]
    assert len(means) >= 5 and max(means) - min(means) > 3


def _findings_of_responses(attempt_id: int) -> dict[str, list[tuple[float, int, float, int]]]:
    """finding key -> (mark, points, fraction, certainty) of the attempt's scored answers."""
    from quizapp.models import Finding, Question, Response, question_findings

    found: dict[str, list[tuple[float, int, float, int]]] = {}
    rows = db.session.execute(
        sa.select(Finding.key, Response.mark, Question.points, Response.fraction,
                  Response.certainty)
        .join(Question, Question.id == Response.question_id)
        .join(question_findings, question_findings.c.question_id == Question.id)
        .join(Finding, Finding.id == question_findings.c.finding_id)
        .where(Response.attempt_id == attempt_id, Response.fraction.is_not(None))
    )  # fmt: skip
    for key, mark, points, fraction, certainty in rows:
        found.setdefault(key, []).append((mark, points, fraction, certainty))
    return found


def _weak(attempt) -> set[str]:
    """Findings on which the share of marks was below the pass mark, or an answer was
    wrong (no marks) at "very sure"."""
    return {
        key
        for key, answers in _findings_of_responses(attempt.id).items()
        if 100 * sum(a[0] for a in answers) / sum(a[1] for a in answers) < attempt.pass_mark
        or any(a[2] == 0 and a[3] == 3 for a in answers)
    }


def _assert_impact_data(check) -> None:
    from quizapp.models import Question, question_findings

    moments = Counter(
        db.session.scalars(
            sa.select(ConfidenceRating.moment).where(ConfidenceRating.rating.is_not(None))
        )
    )
    assert moments["before"] > 1000 and moments["after"] > 1000 and moments["follow-up"] > 500
    skipped = db.session.scalar(
        sa.select(sa.func.count(ConfidenceRating.id)).where(ConfidenceRating.rating.is_(None))
    )
    assert skipped  # some chose to skip

    def mean(moment: str) -> float:
        average = sa.func.avg(ConfidenceRating.rating)  # a Decimal on PostgreSQL
        return float(db.session.scalar(sa.select(average).where(ConfidenceRating.moment == moment)))

    assert mean("before") + 0.5 < mean("after")
    assert mean("before") < mean("follow-up") < mean("after")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reaction)) > 500

    now = utcnow()
    practitioner = db.session.scalar(sa.select(User.id).where(User.email == SIGN_INS[0][0]))
    old_passes = db.session.scalars(
        sa.select(Attempt).where(
            Attempt.check_id == check.id,
            Attempt.passed.is_(True),
            Attempt.submitted_at < now - timedelta(weeks=check.follow_up_weeks),
            Attempt.user_id != practitioner,
        )
    ).all()
    follow_ups = {f.attempt_id: f for f in db.session.scalars(sa.select(FollowUp))}
    submitted = [follow_ups[a.id] for a in old_passes if a.id in follow_ups
                 and follow_ups[a.id].is_submitted]  # fmt: skip
    assert set(follow_ups) <= {a.id for a in old_passes}
    # Two in three answer (each agency's third pass in turn does not), less the
    # non-answers too recent to have been recorded.
    assert 0.62 <= len(submitted) / len(old_passes) <= 0.72
    on = {}
    for question_id, finding_id in db.session.execute(sa.select(question_findings)):
        on.setdefault(question_id, set()).add(finding_id)
    from quizapp.models import Finding

    key_of = dict(db.session.execute(sa.select(Finding.id, Finding.key)).all())
    practice = Counter(f.used_in_practice for f in submitted)
    assert practice["yes"] > practice["not-yet"] > practice["not-applicable"] > 0
    assert any(f.practice_example for f in submitted)
    for follow_up in submitted:
        weak = _weak(follow_up.attempt)
        assert set(follow_up.weak_findings) == weak
        asked = {key_of[f] for q in follow_up.question_ids for f in on[q]}
        assert weak <= asked  # at least one question on each weak finding
        assert all(on[q] & {i for i, k in key_of.items() if k in weak}
                   for q in follow_up.question_ids)  # fmt: skip
        answers = follow_up.responses
        assert sorted(r.question_id for r in answers) == sorted(follow_up.question_ids)
        assert follow_up.score == pytest.approx(sum(r.mark for r in answers))
        points = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Question.points), 0)).where(
                Question.id.in_(follow_up.question_ids)
            )
        )
        assert follow_up.max_score == points
        assert follow_up.submitted_at >= follow_up.due_at
        assert follow_up.due_at == follow_up.attempt.submitted_at + timedelta(
            weeks=check.follow_up_weeks
        )
    # Every follow-up recorded was invited once, through the reminders.
    from quizapp.models.reminder import ReminderSend

    sent = {
        (r.user_id, r.check_id, r.period, r.sent_at)
        for r in db.session.scalars(sa.select(ReminderSend).where(ReminderSend.kind == "follow-up"))
    }
    assert sent == {
        (f.user_id, f.check_id, str(f.attempt_id), f.invited_at) for f in follow_ups.values()
    }
    assert len(follow_ups) > len(submitted)  # some were invited and never answered
    rated = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(ConfidenceRating.attempt_id))).where(
            ConfidenceRating.moment == "follow-up"
        )
    )
    assert 0 < rated <= len(submitted)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowUpResponse))


def _assert_practitioner_follow_up_is_due(check) -> None:
    """The demo practitioner passed over follow_up_weeks ago with a weak finding, and has
    no follow-up row: the follow-up journey shows on their "Your checks"."""
    from quizapp.models import Certificate, Completion

    person = db.session.scalar(sa.select(User).where(User.email == SIGN_INS[0][0]))
    (attempt,) = db.session.scalars(
        sa.select(Attempt).where(Attempt.user_id == person.id, Attempt.check_id == check.id)
    ).all()
    assert attempt.passed
    assert attempt.submitted_at < utcnow() - timedelta(weeks=check.follow_up_weeks)
    assert attempt.submitted_at > utcnow() - timedelta(weeks=check.follow_up_weeks + 4)
    assert _weak(attempt)
    assert not db.session.scalar(sa.select(FollowUp.id).where(FollowUp.attempt_id == attempt.id))
    from quizapp.models.reminder import ReminderSend

    assert not db.session.scalar(
        sa.select(ReminderSend.id).where(
            ReminderSend.kind == "follow-up", ReminderSend.period == str(attempt.id)
        )
    )
    assert db.session.scalar(sa.select(Completion.attempt_id).where(
        Completion.user_id == person.id)) == attempt.id  # fmt: skip
    assert db.session.scalar(sa.select(Certificate.attempt_id).where(
        Certificate.user_id == person.id)) == attempt.id  # fmt: skip


def test_demo_people_show_every_status(app):
    app.config["DEMO_MODE"] = True
    prepare_demo(app, out=lambda _: None, crowd=0)
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
    prepare_demo(app, out=lambda _: None, crowd=0)
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
    prepare_demo(app, out=lambda _: None, crowd=0)
    prepare_demo(app, out=lambda _: None, crowd=0)
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
