"""An agency's lead emails everyone overdue: one email each, once a week, recorded."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from quizapp.dashboards import reminders
from quizapp.extensions import db
from quizapp.models import AuditEvent, OverdueReminder, utcnow

from .test_dashboards import build_world, sign_in


def overdue_of(world, agency_id) -> dict[str, list[str]]:
    """Email -> overdue checks, from the overdue list the lead sees (tested against the raw
    rows in test_dashboards)."""
    from quizapp.dashboards.periods import reporting_year, reporting_year_of
    from quizapp.dashboards.queries import Filters, overdue_people
    from quizapp.dashboards.scope import Scope

    now = utcnow()
    filters = Filters(period=reporting_year(reporting_year_of(now)))
    people: dict[str, list[str]] = {}
    for row in overdue_people(Scope(agency_id=agency_id), filters, now=now):
        people.setdefault(row.email, []).append(row.check)
    return people


def test_each_overdue_person_gets_one_email_and_the_week_is_recorded(app, client, mailbox):
    world = build_world(people_a1=9, people_a2=4, people_b=5)
    expected = overdue_of(world, world.agency_a.id)
    assert len(expected) >= 2
    sign_in(client, world.lead_a)
    page = client.get("/dashboards/overdue/email").get_data(as_text=True)
    assert f"Email {len(expected)} people" in page
    response = client.post("/dashboards/overdue/email")
    assert response.status_code == 302 and response.location.endswith("/dashboards/overdue")

    by_address = {m["X-Envelope-To"]: m for m in mailbox.messages}
    assert sorted(by_address) == sorted(expected)  # one each, nobody else
    body = by_address[sorted(expected)[0]].get_content()
    assert "A small check: due" in body and "Lead A" in body
    assert "http://quizapp.test/checks/" in body
    (record,) = db.session.scalars(sa.select(OverdueReminder)).all()
    assert (record.agency_id, record.sent_by_id, record.people) == (
        world.agency_a.id,
        world.lead_a.id,
        len(expected),
    )
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "overdue_reminder.send")
    )
    assert event.details == {"people": len(expected), "failed": 0}

    # A second press within the week sends nothing and says when it may.
    mailbox.messages.clear()
    again = client.post("/dashboards/overdue/email")
    assert again.status_code == 409
    assert "You can email them again from" in again.get_data(as_text=True)
    assert mailbox.messages == []
    overdue_page = client.get("/dashboards/overdue").get_data(as_text=True)
    assert "You can email everyone overdue again from" in overdue_page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OverdueReminder)) == 1


def test_a_week_later_the_lead_may_email_again(app, client, mailbox):
    world = build_world(people_a1=9, people_a2=4, people_b=5)
    db.session.add(
        OverdueReminder(
            agency_id=world.agency_a.id,
            sent_at=utcnow() - reminders.WAIT - timedelta(minutes=1),
            sent_by_id=world.lead_a.id,
            people=3,
        )
    )
    db.session.commit()
    sign_in(client, world.lead_a)
    assert client.post("/dashboards/overdue/email").status_code == 302
    assert mailbox.messages
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OverdueReminder)) == 2


def test_one_agencys_week_does_not_stop_another(app, client, mailbox):
    world = build_world(people_a1=9, people_a2=4, people_b=12)
    db.session.add(
        OverdueReminder(
            agency_id=world.agency_a.id, sent_at=utcnow(), sent_by_id=world.lead_a.id, people=3
        )
    )
    db.session.commit()
    expected = overdue_of(world, world.agency_b.id)
    sign_in(client, world.lead_b)
    assert client.post("/dashboards/overdue/email").status_code == 302
    assert sorted(m["X-Envelope-To"] for m in mailbox.messages) == sorted(expected)


def test_partnership_leads_may_not_email_anyone(app, client, mailbox):
    world = build_world(people_a1=9, people_a2=4, people_b=5)
    sign_in(client, world.partnership_lead)
    assert client.post("/dashboards/overdue/email").status_code == 403
    assert mailbox.messages == []
