"""`flask reminders send` at partnership scale.

    python -m benchmarks.reminders --db sqlite --people 100000
    python -m benchmarks.reminders --db postgresql --people 100000

Seeds a fresh database with `bench seed` (60 agencies of 3 teams, 20 checks, about 2
attempts a person), adds a lead to each agency and a manager to each team, then times
three runs against a real SMTP server on 127.0.0.1 (aiosmtpd, counting what it gets):
the first run (every reminder due, as when reminders are first switched on), the same
run again (nothing left to send: the cost of finding that out), and the next day's run
(the daily steady state). Prints seconds, emails sent by kind, and SMTP connections.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import timedelta

from .common import database, environment, free_port, summary


class Counter:
    """An aiosmtpd handler that counts messages and keeps none."""

    def __init__(self) -> None:
        self.messages = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages += 1
        return "250 OK"


def add_leads_and_managers() -> None:
    import sqlalchemy as sa

    from quizapp.extensions import db
    from quizapp.models import Agency, Role, Team, User, team_managers, utcnow

    for agency_id, team_id in db.session.execute(
        sa.select(Agency.id, sa.func.min(Team.id)).join(Team).group_by(Agency.id)
    ).all():
        lead = User(
            email=f"lead{agency_id}@bench.invalid",
            name=f"Lead {agency_id}",
            agency_id=agency_id,
            email_confirmed_at=utcnow(),
        )
        lead.grant(Role.LEAD)
        manager = User(
            email=f"manager{team_id}@bench.invalid",
            name=f"Manager {team_id}",
            agency_id=agency_id,
            email_confirmed_at=utcnow(),
        )
        db.session.add_all([lead, manager])
        db.session.flush()
        db.session.execute(sa.insert(team_managers).values(user_id=manager.id, team_id=team_id))
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--people", type=int, default=10_000)
    args = parser.parse_args()

    from aiosmtpd.controller import Controller

    handler = Counter()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    with database(args.db, f"quizapp_bench_rem_{args.people}") as url:
        os.environ.update(environment(url))
        os.environ["QUIZAPP_ENV"] = "development"
        import logging

        import sqlalchemy as sa
        from flask_migrate import upgrade

        from quizapp import create_app
        from quizapp.bench import seed
        from quizapp.extensions import db
        from quizapp.models import utcnow
        from quizapp.reminders.operations import send_reminders

        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://"),
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": controller.port,
                "SERVER_NAME": "checks.bench.invalid",
            }
        )
        runs = {}
        with app.app_context():
            upgrade()
            logging.getLogger("quizapp.email").setLevel(logging.WARNING)
            now = utcnow()
            started = time.perf_counter()
            counts = seed(
                people=args.people, agencies=60, checks=20, attempts_per_person=2, now=now
            )
            db.session.commit()
            add_leads_and_managers()
            seeded = time.perf_counter() - started
            with db.engine.begin() as connection:
                connection.execute(sa.text("ANALYZE"))
            for name, moment in (
                ("first", now),
                ("again", now),
                ("next day", now + timedelta(days=1)),
            ):
                before = handler.messages
                started = time.perf_counter()
                with app.test_request_context():
                    outcome = send_reminders(moment)
                seconds = time.perf_counter() - started
                runs[name] = {
                    "seconds": round(seconds, 2),
                    "sent": {kind.value: count for kind, count in outcome.sent.items()},
                    "failed": sum(outcome.failed.values()),
                    "received": handler.messages - before,
                    "connections": outcome.connections,
                }
                print(f"{args.db} {args.people:,} {name}: {runs[name]}", flush=True)
            db.engine.dispose()
    controller.stop()
    summary(
        "reminders",
        database=args.db,
        people=args.people,
        seed_seconds=round(seeded, 1),
        rows=counts,
        runs=runs,
    )


if __name__ == "__main__":
    main()
