"""`flask reminders send`: the clock moves day by day over 90 days and the test asserts
exactly which emails reach a real SMTP server (tests/mail.py), on whichever database the
suite runs (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from quizapp.admin.person_operations import mark_left
from quizapp.extensions import db
from quizapp.models import Agency, Check, ReminderSend, Role, Team, User, team_managers
from quizapp.workforce.operations import create_assignment

from .factories import SMALL_BANK, check_for, import_bank_text
from .mail import Mailbox, free_port
from .test_dashboards import REFLECTION, _password_hash, take

#: Day 0 of every test: a Monday, 8am (UK time is UTC in January).
T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
DAYS = 90
URL = "http://quizapp.test"


def run(app, now: datetime, *extra: str):
    result = app.test_cli_runner().invoke(
        args=["reminders", "send", "--url", URL, "--now", now.isoformat(), *extra]
    )
    return result


@dataclass
class World:
    check: Check
    ann: User  # never passes
    bob: User  # passes on day 20
    cat: User  # passed a year ago: the pass runs out on day 50
    dan: User  # left on day 0
    eve: User  # agency B, which does not send "due soon" reminders
    lead_a: User
    lead_b: User
    manager: User  # manages team A1


def person(name: str, agency: Agency, team: Team | None, *, job_role="Health visitor", roles=()):
    user = User(
        email=f"{name.lower().replace(' ', '.')}@example.org",
        name=name,
        agency=agency,
        team=team,
        job_role=job_role,
        level="Level 3",
        email_confirmed_at=T0,
        password_hash=_password_hash(),
    )
    for role in roles:
        user.grant(role)
    db.session.add(user)
    db.session.flush()
    return user


def build_world() -> World:
    """A check due on 4 February 2026, required of health visitors in two agencies."""
    agency_a = Agency(name="Agency A", sector="health")
    agency_b = Agency(name="Agency B", sector="police", reminder_due_soon=False)
    team_a1 = Team(agency=agency_a, name="Team A1")
    team_b = Team(agency=agency_b, name="Team B")
    db.session.add_all([agency_a, agency_b, team_a1, team_b])
    db.session.commit()
    check = check_for(import_bank_text(SMALL_BANK))
    check.attempts_allowed = None
    ann = person("Ann Able", agency_a, team_a1)
    bob = person("Bob Baker", agency_a, team_a1)
    cat = person("Cat Cole", agency_a, team_a1)
    dan = person("Dan Dale", agency_a, team_a1)
    eve = person("Eve Evans", agency_b, team_b)
    lead_a = person("Lead A", agency_a, None, job_role="Lead", roles=(Role.LEAD,))
    lead_b = person("Lead B", agency_b, None, job_role="Lead", roles=(Role.LEAD,))
    manager = person("Mo Manager", agency_a, team_a1, job_role="Team manager")
    db.session.execute(sa.insert(team_managers).values(user_id=manager.id, team_id=team_a1.id))
    db.session.commit()
    create_assignment(
        check=check,
        all_agencies=True,
        job_roles=["Health visitor"],
        due_date=date(2026, 2, 4),
        now=T0 - timedelta(hours=1),
        notify=False,
    )
    db.session.commit()
    rng = random.Random(5)
    take(cat, check, skill=1.0, at=datetime(2025, 2, 24, 8, 0, tzinfo=UTC), rng=rng)
    db.session.commit()
    mark_left(dan, by=lead_a, now=T0 - timedelta(minutes=5))
    db.session.commit()
    return World(check, ann, bob, cat, dan, eve, lead_a, lead_b, manager)


MONDAYS = [35, 42, 49, 56, 63, 70, 77, 84]


def expected(world: World) -> list[tuple[int, str, str]]:
    """(day, recipient, subject) of every email the 90 days should bring, worked out by
    hand from the dates: Ann's check is due at the end of 4 February (day 30), Cat's pass
    runs out at 8:10am on 24 February (day 50); runs are at 8am."""
    due = "Your safeguarding check is due on 4 February 2026"
    ann_overdue = "Your safeguarding check was due on 4 February 2026"
    cat_overdue = "Your safeguarding check was due on 24 February 2026"
    emails = [
        (17, world.ann.email, due),  # 14 days before the end of 4 February
        (17, world.bob.email, due),  # and Bob passes on day 20: nothing more
        (21, world.cat.email, "Your safeguarding check runs out on 24 February 2026"),
    ]
    for day in [31, *MONDAYS]:  # overdue from day 31, then once each week
        emails += [(day, world.ann.email, ann_overdue), (day, world.eve.email, ann_overdue)]
        emails.append((day, world.lead_b.email, "Overdue safeguarding checks in your agency: 1"))
        people = 2 if day > 50 else 1
        emails.append(
            (day, world.lead_a.email, f"Overdue safeguarding checks in your agency: {people}")
        )
        emails.append(
            (day, world.manager.email, f"Overdue safeguarding checks in your team: {people}")
        )
    for day in [51, *(d for d in MONDAYS if d > 51)]:
        emails.append((day, world.cat.email, cat_overdue))
    # Bob's pass (6am on day 20) is due its follow-up 8 weeks later: once, on day 76. Cat's
    # pass of a year ago had its follow-up open for 8 weeks long before day 0.
    emails.append((76, world.bob.email, "A 5-minute follow-up to your safeguarding check"))
    return sorted(emails)


@pytest.fixture
def world(app) -> World:
    return build_world()


def test_ninety_days_bring_exactly_the_reminders_due(app, world, mailbox):
    arrived = []
    for day in range(DAYS):
        now = T0 + timedelta(days=day)
        if day == 20:
            take(
                world.bob, world.check, skill=1.0, at=now - timedelta(hours=2), rng=random.Random(1)
            )
            db.session.commit()
        result = run(app, now)
        assert result.exit_code == 0, result.output
        arrived += [(day, m["X-Envelope-To"], m["Subject"]) for m in mailbox.messages]
        mailbox.messages.clear()
        # Running again the same day sends nothing.
        again = run(app, now)
        assert again.exit_code == 0 and mailbox.messages == [], mailbox.messages
    assert sorted(arrived) == expected(world)
    recorded = db.session.scalar(sa.select(sa.func.count()).select_from(ReminderSend))
    assert recorded == len(arrived)


def test_the_command_prints_counts_per_kind(app, world, mailbox):
    result = run(app, T0 + timedelta(days=31))
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "due-soon: 0 sent",
        "expiring: 1 sent",
        "overdue: 3 sent",
        "digest: 3 sent",
        "follow-up: 0 sent",
    ]


def test_an_email_says_the_check_and_date_and_links_straight_to_it(app, world, mailbox, client):
    run(app, T0 + timedelta(days=17))
    (ann,) = [m for m in mailbox.messages if m["X-Envelope-To"] == world.ann.email]
    body = ann.get_content().replace("\r\n", "\n")
    assert "Your safeguarding check is due on 4 February 2026:\n\nA small check\n" in body
    assert mailbox.link(ann) == f"/checks/{world.check.id}"
    # Signed out, the link asks to sign in first and then comes back to the check.
    response = client.get(mailbox.link(ann))
    assert response.status_code == 302
    assert "/sign-in" in response.location and f"checks%2F{world.check.id}" in response.location
    # No tracking: the only link is the check's.
    assert body.count("http") == 1


def test_a_digest_lists_names_checks_and_due_dates_only(app, world, mailbox):
    take(world.bob, world.check, skill=1.0, at=T0 + timedelta(days=20), rng=random.Random(1))
    db.session.commit()
    run(app, T0 + timedelta(days=56))
    (digest,) = [m for m in mailbox.messages if m["X-Envelope-To"] == world.lead_a.email]
    body = digest.get_content().replace("\r\n", "\n")
    assert "- Ann Able: A small check, due 4 February 2026\n" in body
    assert "- Cat Cole: A small check, due 24 February 2026\n" in body
    assert "2 safeguarding checks are overdue in your agency:" in body
    for other in ("Eve Evans", "Bob Baker", "Dan Dale", REFLECTION):
        assert other not in body
    assert "/dashboards/overdue" in body
    (team,) = [m for m in mailbox.messages if m["X-Envelope-To"] == world.manager.email]
    team_body = team.get_content().replace("\r\n", "\n")
    assert "Ann Able" in team_body and "/dashboards" not in team_body
    # A manager's link goes to their own teams' page, showing who is overdue.
    assert (
        "See your team's people and their dates:\nhttp://quizapp.test/your-teams/?status=overdue\n"
        in team_body
    )


def test_an_agency_turned_off_sends_none_of_that_kind(app, world, mailbox):
    db.session.get(Agency, world.lead_a.agency_id).reminder_overdue = False
    db.session.get(Agency, world.lead_a.agency_id).reminder_digest = False
    db.session.commit()
    run(app, T0 + timedelta(days=31))
    assert sorted(m["X-Envelope-To"] for m in mailbox.messages) == sorted(
        [world.eve.email, world.lead_b.email, world.cat.email]
    )


class RefusingMailbox(Mailbox):
    """Refuses one address for now (451), as a busy mail server does."""

    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused: str | None = refused

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address == self.refused:
            return "451 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_refused_email_is_not_marked_and_goes_on_the_next_run(app, world):
    handler = RefusingMailbox(world.ann.email)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_FROM="c@p.test")
    try:
        now = T0 + timedelta(days=17)
        result = run(app, now)
        assert result.exit_code == 1
        assert "due-soon: 1 sent, 1 failed" in result.output
        assert [m["X-Envelope-To"] for m in handler.messages] == [world.bob.email]
        sent = db.session.scalars(sa.select(ReminderSend.user_id)).all()
        assert sent == [world.bob.id]

        handler.messages.clear()
        handler.refused = None
        result = run(app, now + timedelta(days=1))
        assert result.exit_code == 0
        assert [m["X-Envelope-To"] for m in handler.messages] == [world.ann.email]
        assert handler.messages[0]["Subject"] == "Your safeguarding check is due on 4 February 2026"
    finally:
        controller.stop()


def test_a_run_uses_one_smtp_connection(app, world, mailbox, monkeypatch):
    from quizapp import email

    opened = []
    connect = email._connect
    monkeypatch.setattr(email, "_connect", lambda: opened.append(1) or connect())
    run(app, T0 + timedelta(days=31))
    assert len(mailbox.messages) == 7 and len(opened) == 1


def test_a_mail_server_that_is_down_marks_nothing(app, world):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    result = run(app, T0 + timedelta(days=31))
    assert result.exit_code == 1
    assert "could not be reached" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderSend)) == 0


def test_now_must_be_a_date(app, world):
    result = run(app, T0, "--now", "next tuesday")
    assert result.exit_code == 2 and "2026-12-14T08:00" in result.output


def test_two_runs_at_once_send_each_email_once(app, world, mailbox, tmp_path):
    """Two `flask reminders send` processes at once, on the suite's database. On
    PostgreSQL one holds the advisory lock and the other stops; on SQLite (no such lock)
    both run, and the unique constraint lets only one claim each email."""
    for number in range(30):
        person(f"Racer {number}", db.session.get(Agency, world.lead_a.agency_id), None)
    db.session.commit()
    from quizapp.workforce.requirements import rebuild_all

    rebuild_all(now=T0)
    db.session.commit()
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(app.config["MAIL_PORT"]),
        "QUIZAPP_ENV": "development",
    }
    command = [sys.executable, "-m", "flask", "--app", "quizapp", "reminders", "send"]
    command += ["--url", URL, "--now", (T0 + timedelta(days=31)).isoformat()]
    runs = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120) for process in runs]
    assert [process.returncode for process in runs] == [0, 0], outputs
    recipients = [m["X-Envelope-To"] for m in mailbox.messages]
    assert len(recipients) == len(set(recipients)) == 33 + 1 + 3, sorted(recipients)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderSend)) == 37


def test_without_the_lock_the_unique_claim_still_sends_each_email_once(
    app, world, mailbox, monkeypatch
):
    """Two runs racing for each claim (the advisory lock switched off): still once each."""
    from contextlib import contextmanager

    from quizapp.reminders import operations

    from .test_concurrency import _race

    @contextmanager
    def no_lock():
        yield True

    monkeypatch.setattr(operations, "run_lock", no_lock)
    agency = db.session.get(Agency, world.lead_a.agency_id)
    for number in range(30):
        person(f"Racer {number}", agency, None)
    db.session.commit()
    from quizapp.workforce.requirements import rebuild_all

    rebuild_all(now=T0)
    db.session.commit()

    def work():
        with app.test_request_context(base_url=URL):
            return operations.send_reminders(T0 + timedelta(days=31))

    outcomes = _race(app, work)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sum(sum(o.sent.values()) for o in outcomes) == 37
    recipients = [m["X-Envelope-To"] for m in mailbox.messages]
    assert len(recipients) == len(set(recipients)) == 37


def test_an_admin_turns_kinds_of_reminder_off_for_an_agency(app, world, client, mailbox):
    from quizapp.models import AuditEvent

    from .test_dashboards import sign_in

    admin = person("Ada Admin", db.session.get(Agency, world.lead_a.agency_id), None)
    admin.job_role = "Admin"
    admin.grant(Role.ADMIN)
    db.session.commit()
    sign_in(client, admin)
    agency_id = world.lead_a.agency_id
    page = client.get(f"/admin/agencies/{agency_id}").get_data(as_text=True)
    assert "Check due soon, Pass running out, Check overdue, Weekly list" in page
    form = client.get(f"/admin/agencies/{agency_id}/reminder-emails").get_data(as_text=True)
    assert form.count("checked") == 4
    bad = client.post(f"/admin/agencies/{agency_id}/reminder-emails", data={"reminders": "spam"})
    assert bad.status_code == 422 and "Choose from the list" in bad.get_data(as_text=True)
    response = client.post(
        f"/admin/agencies/{agency_id}/reminder-emails",
        data={"reminders": ["reminder_expiring", "reminder_overdue"]},
    )
    assert response.status_code == 302
    db.session.expire_all()
    agency = db.session.get(Agency, agency_id)
    assert (
        agency.reminder_due_soon,
        agency.reminder_expiring,
        agency.reminder_overdue,
        agency.reminder_digest,
    ) == (False, True, True, False)
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "agency.reminder_emails")
    )
    assert event.details["reminder_digest"] is False and event.user_id == admin.id
    run(app, T0 + timedelta(days=17))  # Ann and Bob due soon: agency A sends none now
    assert mailbox.messages == []
    # Nothing ticked: every kind off.
    client.post(f"/admin/agencies/{agency_id}/reminder-emails", data={})
    db.session.expire_all()
    assert "Reminder emails" in client.get(f"/admin/agencies/{agency_id}").get_data(as_text=True)
    assert db.session.get(Agency, agency_id).reminder_overdue is False
