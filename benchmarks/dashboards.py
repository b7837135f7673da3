"""Leads' dashboards at partnership and national scale.

    python -m benchmarks.dashboards --db sqlite --people 10000 --requests 20

Seeds a fresh database with `bench seed` (60 agencies, 20 checks, about 2 attempts a
person), then times every dashboard page and export for a partnership-wide lead and for
an agency lead, in-process (the WSGI app without an HTTP server), reporting the median
and 95th percentile of `--requests` requests each (the whole body read, a streamed one
included; the median time to its first piece too), and the SQL statements per page; and
the time `flask dashboards refresh` (a full recount of the summaries) takes. A process
remembers the cells it hid for a cube until the cube's figures change: `--cold` times every
request as the first one after a change.

    python -m benchmarks.dashboards --db postgresql --people 100000 --existing URL

times the pages of a database already seeded the same way (no seeding, no refresh).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from contextlib import nullcontext

from .common import database, environment, summary

PAGES = {
    "partnership": [
        "/dashboards/",
        "/dashboards/learning",
        "/dashboards/report",
        "/dashboards/report.csv",
    ],
    "agency": [
        "/dashboards/",
        "/dashboards/learning",
        "/dashboards/overdue",
        "/dashboards/overdue.csv",
        "/dashboards/report",
        "/dashboards/report.csv",
    ],
}


PASSWORD = "benchmark password 2026"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument(
        "--all-checks",
        action="store_true",
        help="Also time the partnership pages with every check at once (?check=all).",
    )
    parser.add_argument(
        "--existing", metavar="URL", help="Time this database, already seeded; keep it."
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="Forget remembered suppression results before each request (the first view"
        " after the figures change).",
    )
    args = parser.parse_args()
    pages = {who: list(paths) for who, paths in PAGES.items()}
    if args.all_checks:
        pages["partnership"] += ["/dashboards/?check=all"]

    place = (
        nullcontext(args.existing)
        if args.existing
        else database(args.db, f"quizapp_bench_dash_{args.people}")
    )
    with place as url:
        os.environ.update(environment(url))
        os.environ["QUIZAPP_ENV"] = "development"
        from quizapp import create_app
        from quizapp.extensions import db

        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://"),
                "WTF_CSRF_ENABLED": False,
            }
        )
        with app.app_context():
            prepared = {} if args.existing else prepare(args.people)
            add_leads()
            # The learning page opens on the first check by title, the demo check, which
            # the seeded people never take: time one they do take as well.
            taken = taken_check()
            if taken is not None:
                for paths in pages.values():
                    paths.insert(paths.index("/dashboards/learning") + 1, taken)
        results = time_pages(app, pages, args.requests, cold=args.cold)
        with app.app_context():
            db.engine.dispose()
    for page, figures in results.items():
        print(
            f"{args.db} {args.people:>9,} {page:<40} median {figures['median_ms']:>8.1f} ms"
            f"  p95 {figures['p95_ms']:>8.1f} ms"
            f"  first byte {figures['first_byte_median_ms']:>8.1f} ms"
            f"  statements {figures['statements']}"
        )
    summary(
        "dashboards",
        database=args.db,
        people=args.people,
        requests=args.requests,
        existing=bool(args.existing),
        cold=args.cold,
        **prepared,
        pages=results,
    )


def prepare(people: int) -> dict[str, object]:
    """Migrate, seed, recount the summaries (timed) and ANALYZE."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from quizapp.bench import seed
    from quizapp.extensions import db
    from quizapp.models import utcnow
    from quizapp.workforce import tally

    upgrade()
    started = time.perf_counter()
    counts = seed(people=people, agencies=60, checks=20, attempts_per_person=2, now=utcnow())
    db.session.commit()
    seeded = time.perf_counter() - started
    # What the daily `flask dashboards refresh` costs at this size.
    started = time.perf_counter()
    tally.rebuild(db.session, now=utcnow())
    db.session.commit()
    refresh = time.perf_counter() - started
    with db.engine.begin() as connection:
        connection.execute(sa.text("ANALYZE"))
    return {
        "seed_seconds": round(seeded, 1),
        "refresh_seconds": round(refresh, 2),
        "rows": counts,
    }


def taken_check() -> str | None:
    """The learning page of the first seeded check ("Bench check 1"), if there is one."""
    import sqlalchemy as sa

    from quizapp.extensions import db
    from quizapp.models import Check

    found = db.session.scalar(sa.select(Check.id).where(Check.title == "Bench check 1"))
    return None if found is None else f"/dashboards/learning?check={found}"


def add_leads() -> None:
    """A partnership-wide lead and a lead of the first agency, unless already there."""
    import sqlalchemy as sa

    from quizapp.extensions import db
    from quizapp.models import Agency, Role, User, utcnow

    agency = db.session.scalars(sa.select(Agency).order_by(Agency.id)).first()
    for email, where in (("plead@bench.invalid", None), ("alead@bench.invalid", agency)):
        if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
            continue
        lead = User(email=email, name="Bench lead", agency=where, email_confirmed_at=utcnow())
        lead.set_password(PASSWORD)
        lead.grant(Role.LEAD)
        db.session.add(lead)
    db.session.commit()


def time_pages(
    app: object, pages: dict[str, list[str]], requests: int, *, cold: bool = False
) -> dict[str, dict[str, float]]:
    import sqlalchemy as sa

    from quizapp.dashboards.disclosure import forget
    from quizapp.extensions import db

    results: dict[str, dict[str, float]] = {}
    statements = [0]
    with app.app_context():  # type: ignore[attr-defined]
        sa.event.listen(
            db.engine,
            "before_cursor_execute",
            lambda *_: statements.__setitem__(0, statements[0] + 1),
        )
    for who, email in (
        ("partnership", "plead@bench.invalid"),
        ("agency", "alead@bench.invalid"),
    ):
        client = app.test_client()  # type: ignore[attr-defined]
        response = client.post("/sign-in", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302, response.status_code
        for path in pages[who]:
            assert client.get(path).status_code == 200, (who, path)  # warm
            timings, first_bytes = [], []
            statements[0] = 0
            for _ in range(requests):
                if cold:
                    forget()
                begun = time.perf_counter()
                # A streamed body (the overdue CSV) is produced as it is read: read it
                # all, and note when its first piece came.
                page = client.get(path, buffered=False)
                pieces = iter(page.response)
                next(pieces, b"")
                first_bytes.append((time.perf_counter() - begun) * 1000)
                for _piece in pieces:
                    pass
                page.close()
                timings.append((time.perf_counter() - begun) * 1000)
                assert page.status_code == 200
            results[f"{who} {path}"] = {
                "median_ms": round(statistics.median(timings), 1),
                "p95_ms": round(percentile(timings, 0.95), 1),
                "first_byte_median_ms": round(statistics.median(first_bytes), 1),
                "statements": statements[0] // requests,
            }
    return results


if __name__ == "__main__":
    main()
