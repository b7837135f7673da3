"""`flask reminders send` at partnership scale.

    python -m benchmarks.reminders --db sqlite --people 100000
    python -m benchmarks.reminders --db postgresql --people 100000

Seeds a fresh database with `bench seed` (60 agencies of 3 teams, 20 checks, about 2
attempts a person), adds a lead to each agency and a manager to each team, then times
three runs against a real SMTP server on 127.0.0.1 (aiosmtpd's Sink, its own process):
the first run (every reminder due, as when reminders are first switched on), the same
run again (nothing left to send: the cost of finding that out), and the next day's run
(the daily steady state). Prints seconds, emails sent by kind, and SMTP connections.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from .common import database, environment, free_port, summary


@contextmanager
def smtp_server() -> Iterator[int]:
    """aiosmtpd's Sink (accepts and drops every message) in a process of its own: in this
    process its thread would wait on the GIL at every SMTP round trip."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ]
    )
    try:
        for _ in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait()


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


def record_first(now) -> dict[str, object]:
    """Record every reminder due now as sent (what a first run leaves), in one insert."""
    import sqlalchemy as sa

    from quizapp.extensions import db
    from quizapp.models import ReminderSend
    from quizapp.reminders.operations import messages

    started = time.perf_counter()
    pending = messages(now)
    found = time.perf_counter() - started
    rows = [
        {
            "user_id": m.user_id,
            "check_id": m.check_id,
            "kind": m.kind.value,
            "period": m.period,
            "sent_at": now,
        }
        for m in pending
    ]
    db.session.execute(sa.insert(ReminderSend), rows)
    db.session.commit()
    return {"find_seconds": round(found, 2), "recorded": len(rows)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument(
        "--first-recorded",
        action="store_true",
        help="Instead of the first run, record its emails as sent without rendering or"
        " sending them: at 100,000 people the seed makes about 900,000, hours of SMTP.",
    )
    args = parser.parse_args()

    with smtp_server() as port, database(args.db, f"quizapp_bench_rem_{args.people}") as url:
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
                "MAIL_PORT": port,
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
                started = time.perf_counter()
                if args.first_recorded and name == "first":
                    runs[name] = record_first(moment)
                    print(f"{args.db} {args.people:,} recorded: {runs[name]}", flush=True)
                    continue
                with app.test_request_context():
                    if os.environ.get("PROFILE") and name == "first":
                        import cProfile

                        profile = cProfile.Profile()
                        outcome = profile.runcall(send_reminders, moment)
                        profile.dump_stats("/tmp/reminders.prof")
                    else:
                        outcome = send_reminders(moment)
                seconds = time.perf_counter() - started
                runs[name] = {
                    "seconds": round(seconds, 2),
                    "sent": {kind.value: count for kind, count in outcome.sent.items()},
                    "failed": sum(outcome.failed.values()),
                    "connections": outcome.connections,
                }
                print(f"{args.db} {args.people:,} {name}: {runs[name]}", flush=True)
            db.engine.dispose()
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
