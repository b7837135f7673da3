"""A team manager's weekly digest names only the people their teams' page shows: people
of the manager's own agency in teams of that agency (quizapp.managers.queries). A
team_managers row that crosses agencies (made before managers were limited to their
own agency's teams) must not send another agency's names by email."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from quizapp.extensions import db
from quizapp.managers.queries import team_people
from quizapp.models import Team, team_managers
from quizapp.reminders.operations import messages
from quizapp.reminders.rules import Kind

from .test_reminders_send import T0, build_world


def _digest_names(app, user_id: int, now) -> str | None:
    with app.test_request_context(base_url="http://quizapp.test"):
        found = [m for m in messages(now) if m.kind is Kind.DIGEST and m.user_id == user_id]
        if not found:
            return None
        (message,) = found
        return message.compose()[1]


def test_a_managers_digest_leaves_out_a_team_of_another_agency(app):
    world = build_world()
    team_b = db.session.scalar(sa.select(Team).where(Team.agency_id == world.eve.agency_id))
    db.session.execute(sa.insert(team_managers).values(user_id=world.manager.id, team_id=team_b.id))
    db.session.commit()
    now = T0 + timedelta(days=31)
    # The manager's own page does not show Eve (agency B) ...
    shown = {row.name for row in team_people(world.manager.id, now=now)}
    assert "Eve Evans" not in shown and "Ann Able" in shown
    # ... so neither may their digest.
    body = _digest_names(app, world.manager.id, now)
    assert body is not None and "Ann Able" in body
    assert "Eve Evans" not in body


def test_a_managers_digest_leaves_out_a_person_of_another_agency_in_their_team(app):
    world = build_world()
    team_a1 = db.session.get(Team, world.ann.team_id)
    # Eve's record points at team A1 while she is in agency B (inconsistent data).
    world.eve.team_id = team_a1.id
    db.session.commit()
    now = T0 + timedelta(days=31)
    shown = {row.name for row in team_people(world.manager.id, now=now)}
    assert "Eve Evans" not in shown
    body = _digest_names(app, world.manager.id, now)
    assert body is not None and "Eve Evans" not in body
