"""`flask --app quizapp xapi send`: the outbox's statements to the learning record store.

Run it from cron or a worker. Statements go in batches, oldest first; a batch the LRS
accepts is marked sent and committed before the next is tried, so a run cut short loses
nothing. When the LRS fails (down, 5xx, refused), the batch's rows stay, each with its
count of failures and a time before which it is not tried again (doubling each time), and
the run stops: the next run, or `--all` once the LRS is back, sends them. Statement ids are
stable, so a batch sent twice (the LRS stored it but the answer was lost) is stored once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import click
import requests
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from ..locks import run_lock
from ..models import XapiOutbox, utcnow

xapi_cli = AppGroup("xapi", help="Send xAPI statements to the learning record store.")

#: The wait after a first failure, doubled with each further one up to the longest.
FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=6)
#: An LRS answers 409 Conflict for ids it already holds (with other content): the
#: statement is stored, but an LRS refuses the whole batch, so the rest go one by one.
STORED = {200, 204}
CONFLICT = 409


@dataclass
class SendOutcome:
    sent: int = 0
    failed: int = 0
    error: str | None = None


def backoff(failures: int) -> timedelta:
    return min(FIRST_WAIT * 2 ** max(failures - 1, 0), LONGEST_WAIT)


def due_batch(*, now: datetime, size: int, include_waiting: bool) -> list[XapiOutbox]:
    query = sa.select(XapiOutbox).where(XapiOutbox.sent_at.is_(None))
    if not include_waiting:
        query = query.where(sa.or_(XapiOutbox.next_try_at.is_(None), XapiOutbox.next_try_at <= now))
    return list(db.session.scalars(query.order_by(XapiOutbox.id).limit(size)))


def post_batch(rows: list[XapiOutbox]) -> str | None:
    """POST the rows' statements; None if the LRS stored them, else what went wrong."""
    config = current_app.config
    auth = None
    if config.get("XAPI_USERNAME"):
        auth = (config["XAPI_USERNAME"], config.get("XAPI_PASSWORD") or "")
    try:
        answer = requests.post(
            config["XAPI_ENDPOINT"].rstrip("/") + "/statements",
            json=[row.payload for row in rows],
            auth=auth,
            headers={"X-Experience-API-Version": "1.0.3"},
            timeout=config.get("XAPI_TIMEOUT", 10),
        )
    except requests.RequestException as error:
        return f"{type(error).__name__}: {error}"
    if answer.status_code in STORED or (answer.status_code == CONFLICT and len(rows) == 1):
        return None
    if answer.status_code == CONFLICT:
        return next(filter(None, (post_batch([row]) for row in rows)), None)
    return f"HTTP {answer.status_code}: {answer.text[:500]}"


def send_due(
    *, now: datetime, batch_size: int, max_batches: int | None = None, include_waiting: bool
) -> SendOutcome:
    """Send due statements batch by batch, committing each; stop at the first failure."""
    outcome = SendOutcome()
    batches = 0
    while max_batches is None or batches < max_batches:
        rows = due_batch(now=now, size=batch_size, include_waiting=include_waiting)
        if not rows:
            break
        batches += 1
        error = post_batch(rows)
        for row in rows:
            if error is None:
                row.sent_at = utcnow()
            else:
                row.attempts += 1
                row.next_try_at = now + backoff(row.attempts)
                row.last_error = error
        db.session.commit()
        if error is not None:
            outcome.failed = len(rows)
            outcome.error = error
            break
        outcome.sent += len(rows)
    return outcome


@xapi_cli.command("send")
@click.option("--batch-size", type=click.IntRange(1, 1000), default=None)
@click.option("--max-batches", type=click.IntRange(1), default=None, help="Stop after these.")
@click.option(
    "--all",
    "include_waiting",
    is_flag=True,
    help="Also statements waiting after a failure (e.g. once the LRS is back).",
)
def send_command(batch_size: int | None, max_batches: int | None, include_waiting: bool) -> None:
    """Send unsent statements to XAPI_ENDPOINT; exits 1 if the LRS failed."""
    if not current_app.config.get("XAPI_ENDPOINT"):
        click.echo("XAPI_ENDPOINT is not set: there is no LRS to send to.", err=True)
        raise SystemExit(1)
    # One run at a time across servers (a second would only resend: ids are stable).
    with run_lock("xapi-send") as got:
        if not got:
            click.echo("Another run is sending statements: this one stops.", err=True)
            return
        outcome = send_due(
            now=utcnow(),
            batch_size=batch_size or current_app.config.get("XAPI_BATCH_SIZE", 50),
            max_batches=max_batches,
            include_waiting=include_waiting,
        )
    click.echo(f"Sent {outcome.sent} statements.")
    if outcome.error is not None:
        click.echo(
            f"The LRS failed ({outcome.error}); {outcome.failed} statements wait to be retried.",
            err=True,
        )
        raise SystemExit(1)
