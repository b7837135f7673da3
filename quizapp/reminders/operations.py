"""Send the reminders due now: `flask reminders send` calls `send_reminders`.

Recipients come from a few set-based queries (requirements with their completions,
the reminders already sent this period, the leads and the team managers), so a run's
cost grows with the people to email, not with queries per person. The emails are then
claimed, sent and committed in batches: the claim is an insert into reminder_sends that
the unique constraint lets only one run make (INSERT ... ON CONFLICT DO NOTHING), so a
second run, at once or later, sends nothing twice; a refused email's row is deleted
before the commit, so the next run tries again. On PostgreSQL a run also holds an
advisory lock, so that a second server's run stops at once instead of racing for each
claim.

Follow-up invitations (quizapp/impact/follow_up.py) go the same way, once per passing
attempt; when one is sent, its FollowUp row (and the draw of its questions) is made in
the batch's transaction, beside the claim, inside a savepoint: if making it fails, the
error is logged and only the row is lost (the person's first visit makes it), never the
batch's claims, so no email goes twice.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.dialects import postgresql, sqlite

from .. import locks
from ..email import EmailError, Mailer, MailServerDown, render_email
from ..extensions import db
from ..impact import follow_up
from ..impact.follow_up import DueFollowUp
from ..models import (
    Agency,
    Check,
    Completion,
    ReminderSend,
    Requirement,
    Role,
    Team,
    User,
    UserRole,
    team_managers,
)
from ..web import format_date, format_datetime
from ..workforce.tally import requirements_joined
from .rules import DUE_SOON, EXPIRING, Kind, Reminder, day, iso_week, reminder_for

log = logging.getLogger(__name__)

#: Emails claimed, sent and committed together (see send_reminders). On SQLite a batch
#: holds the write lock while it sends: about 3 ms an email.
BATCH = 100
#: The most overdue checks a digest lists; it says how many more there are.
DIGEST_LINES = 50

SUBJECTS = {
    Kind.DUE_SOON: "Your safeguarding check is due on {date}",
    Kind.EXPIRING: "Your safeguarding check runs out on {date}",
    Kind.OVERDUE: "Your safeguarding check was due on {date}",
    Kind.DIGEST: "Overdue safeguarding checks in your {whose}: {count}",
    Kind.FOLLOW_UP: "A 5-minute follow-up to your safeguarding check",
}


@dataclass(frozen=True)
class PersonCheck:
    """A person's reminder about one check."""

    user_id: int
    name: str
    email: str
    agency_id: int | None
    team_id: int | None
    check_id: int
    check_title: str
    reminder: Reminder


@dataclass
class Outcome:
    sent: Counter[Kind] = field(default_factory=Counter)
    failed: Counter[Kind] = field(default_factory=Counter)
    #: True when another run held the lock: this one sent nothing.
    locked_out: bool = False
    #: True when the mail server could not be reached: the rest wait for the next run.
    server_down: bool = False
    #: SMTP connections opened (one for a run unless the server failed).
    connections: int = 0


def due_reminders(now: datetime) -> list[PersonCheck]:
    """Every current reminder (any kind but digest) of people who are active and have not
    left, about checks not retired: one query."""
    soon = now + max(DUE_SOON, EXPIRING)
    rows = db.session.execute(
        requirements_joined(
            sa.select(
                User.id,
                User.name,
                User.email,
                User.agency_id,
                User.team_id,
                Check.id,
                Check.title,
                Requirement.due_at,
                Completion.expires_at,
            )
        )
        .join(Check, Check.id == Requirement.check_id)
        .where(
            User.active.is_(True),
            User.left_at.is_(None),
            Check.retired_at.is_(None),
            # Only rows a rule could pick (rules.reminder_for decides): a pass expiring
            # soon, or no pass that counts and a deadline (then due_at) soon or past.
            sa.or_(
                sa.and_(Completion.expires_at > now, Completion.expires_at <= now + EXPIRING),
                sa.and_(
                    sa.or_(Completion.id.is_(None), Completion.expires_at <= now),
                    Requirement.due_at <= soon,
                ),
            ),
        )
    )
    found = []
    for user_id, name, email, agency_id, team_id, check_id, title, due_at, expires_at in rows:
        reminder = reminder_for(now, due_at=due_at, expires_at=expires_at)
        if reminder is not None:
            found.append(
                PersonCheck(user_id, name, email, agency_id, team_id, check_id, title, reminder)
            )
    return found


def already_sent(now: datetime) -> set[tuple[int, int | None, str, str]]:
    """(user, check, kind, period) of the reminders sent whose period may still come up."""
    week = iso_week(now)
    rows = db.session.execute(
        sa.select(
            ReminderSend.user_id, ReminderSend.check_id, ReminderSend.kind, ReminderSend.period
        ).where(
            sa.or_(
                sa.and_(
                    ReminderSend.kind.in_([Kind.OVERDUE, Kind.DIGEST]), ReminderSend.period == week
                ),
                sa.and_(
                    ReminderSend.kind.in_([Kind.DUE_SOON, Kind.EXPIRING]),
                    ReminderSend.period >= day(now),
                ),
            )
        )
    )
    return {tuple(row) for row in rows}  # type: ignore[misc]


#: The reminders to people (not the digest to leads): with all of them off, an agency's
#: people are not emailed follow-up invitations either.
TO_PEOPLE = frozenset({Kind.DUE_SOON, Kind.EXPIRING, Kind.OVERDUE})


def switches() -> dict[int, frozenset[Kind]]:
    """The kinds each agency sends: follow-up invitations too while it sends any reminder
    to people. People with no agency get every kind."""
    rows = db.session.execute(
        sa.select(
            Agency.id,
            Agency.reminder_due_soon,
            Agency.reminder_expiring,
            Agency.reminder_overdue,
            Agency.reminder_digest,
        )
    )
    kinds = (Kind.DUE_SOON, Kind.EXPIRING, Kind.OVERDUE, Kind.DIGEST)
    found = {}
    for agency_id, *ons in rows:
        on = {kind for kind, is_on in zip(kinds, ons, strict=True) if is_on}
        found[agency_id] = frozenset(on | {Kind.FOLLOW_UP} if on & TO_PEOPLE else on)
    return found


@dataclass(frozen=True)
class DigestRecipient:
    user_id: int
    name: str
    email: str
    agency_id: int | None
    #: The agency whose people they see (agency leads), if any.
    lead_of: int | None
    #: The teams whose people they see (team managers).
    teams: frozenset[int]


def digest_recipients() -> list[DigestRecipient]:
    """Agency leads and team managers who are active and have not left: two queries."""
    active = sa.and_(User.active.is_(True), User.left_at.is_(None))
    found: dict[int, DigestRecipient] = {}
    for user_id, name, email, agency_id in db.session.execute(
        sa.select(User.id, User.name, User.email, User.agency_id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.LEAD, User.agency_id.is_not(None), active)
    ):
        found[user_id] = DigestRecipient(user_id, name, email, agency_id, agency_id, frozenset())
    teams: dict[int, set[int]] = defaultdict(set)
    people: dict[int, tuple[str, str, int | None]] = {}
    for user_id, name, email, agency_id, team_id in db.session.execute(
        sa.select(User.id, User.name, User.email, User.agency_id, team_managers.c.team_id)
        .join(team_managers, team_managers.c.user_id == User.id)
        .join(Team, Team.id == team_managers.c.team_id)
        # As on the managers' page (quizapp.managers.queries): their own agency's teams.
        .where(active, Team.agency_id == User.agency_id)
    ):
        teams[user_id].add(team_id)
        people[user_id] = (name, email, agency_id)
    for user_id, managed in teams.items():
        name, email, agency_id = people[user_id]
        lead_of = found[user_id].lead_of if user_id in found else None
        found[user_id] = DigestRecipient(
            user_id, name, email, agency_id, lead_of, frozenset(managed)
        )
    return sorted(found.values(), key=lambda r: r.user_id)


def run_lock() -> AbstractContextManager[bool]:
    """The reminders' advisory lock (see quizapp.locks); a function of its own so that
    tests can switch it off to race two runs claim by claim."""
    return locks.run_lock("reminders")


def _claim(batch: Sequence[Message], now: datetime) -> dict[tuple, int]:
    """Insert the batch's rows, except those a run has already inserted: the keys this run
    may send, with their rows' ids. (Rows another run is inserting at this moment wait
    for it to finish: then they conflict, or go in if it rolled back.)"""
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(ReminderSend)
        .values(
            [
                {
                    "user_id": m.user_id,
                    "check_id": m.check_id,
                    "kind": m.kind.value,
                    "period": m.period,
                    "sent_at": now,
                }
                for m in batch
            ]
        )
        .on_conflict_do_nothing()
        .returning(
            ReminderSend.id,
            ReminderSend.user_id,
            ReminderSend.check_id,
            ReminderSend.kind,
            ReminderSend.period,
        )
    )
    return {
        (user_id, check_id, kind, period): row_id
        for row_id, user_id, check_id, kind, period in db.session.execute(statement)
    }


@dataclass(frozen=True)
class Message:
    user_id: int
    check_id: int | None
    kind: Kind
    period: str
    to: str
    #: Renders (subject, text) when the email is about to go: a first run may have
    #: hundreds of thousands to send.
    compose: Callable[[], tuple[str, str]]
    #: Called once the email has gone, in a savepoint of the batch's transaction
    #: (follow-ups: makes the FollowUp row); None for most kinds.
    after_send: Callable[[datetime], None] | None = None

    @property
    def key(self) -> tuple[int, int | None, str, str]:
        return (self.user_id, self.check_id, self.kind.value, self.period)


def _person_message(item: PersonCheck) -> Message:
    reminder = item.reminder

    def compose() -> tuple[str, str]:
        date = format_date(reminder.date)
        text = render_email(
            f"reminder_{reminder.kind.value.replace('-', '_')}",
            name=item.name,
            check=item.check_title,
            date=date,
            link=url_for("take.check_overview", check_id=item.check_id, _external=True),
        )
        return SUBJECTS[reminder.kind].format(date=date), text

    return Message(item.user_id, item.check_id, reminder.kind, reminder.period, item.email, compose)


def _digest_message(recipient: DigestRecipient, rows: list[PersonCheck], week: str) -> Message:
    if recipient.lead_of is not None:
        whose = "agency"
    else:
        whose = "team" if len(recipient.teams) == 1 else "teams"

    def compose() -> tuple[str, str]:
        lines = [
            f"{row.name}: {row.check_title}, due {format_date(row.reminder.date)}"
            for row in rows[:DIGEST_LINES]
        ]
        text = render_email(
            "reminder_digest",
            name=recipient.name,
            whose=whose,
            lines=lines,
            more=len(rows) - len(lines),
            count=len(rows),
            lead=recipient.lead_of is not None,
            link=url_for("dashboards.overdue", _external=True)
            if recipient.lead_of is not None
            else url_for("managers.teams", status="overdue", _external=True),
        )
        return SUBJECTS[Kind.DIGEST].format(whose=whose, count=len(rows)), text

    return Message(recipient.user_id, None, Kind.DIGEST, week, recipient.email, compose)


def _follow_up_message(item: DueFollowUp, cache: follow_up.Cache) -> Message:
    def compose() -> tuple[str, str]:
        text = render_email(
            "follow_up_invitation",
            name=item.name,
            check=item.check_title,
            closes=format_datetime(item.closes_at),
            link=url_for("follow_up.start", attempt_id=item.attempt_id, _external=True),
        )
        return SUBJECTS[Kind.FOLLOW_UP], text

    def after_send(now: datetime) -> None:
        follow_up.open_follow_up(item, now=now, invited=True, cache=cache)

    return Message(
        item.user_id,
        item.check_id,
        Kind.FOLLOW_UP,
        str(item.attempt_id),
        item.email,
        compose,
        after_send,
    )


def messages(now: datetime) -> list[Message]:
    """Every reminder to send now and not sent before: people's, then follow-up
    invitations, then digests."""
    sent = already_sent(now)
    kinds_of = switches()
    every = frozenset(Kind)
    due = due_reminders(now)
    found = []
    for item in sorted(due, key=lambda i: (i.user_id, i.check_id)):
        reminder = item.reminder
        if reminder.kind not in kinds_of.get(item.agency_id, every):  # type: ignore[arg-type]
            continue
        if (item.user_id, item.check_id, reminder.kind.value, reminder.period) in sent:
            continue
        found.append(_person_message(item))
    cache: follow_up.Cache = {}  # the run's versions, each read once for every draw
    found.extend(
        _follow_up_message(item, cache)
        for item in follow_up.not_invited(now)
        if Kind.FOLLOW_UP in kinds_of.get(item.agency_id, every)  # type: ignore[arg-type]
    )
    week = iso_week(now)
    overdue = [item for item in due if item.reminder.kind is Kind.OVERDUE]
    by_agency: dict[int | None, list[PersonCheck]] = defaultdict(list)
    by_team: dict[int | None, list[PersonCheck]] = defaultdict(list)
    for item in overdue:
        by_agency[item.agency_id].append(item)
        by_team[item.team_id].append(item)
    for recipient in digest_recipients():
        if Kind.DIGEST not in kinds_of.get(recipient.agency_id, every):  # type: ignore[arg-type]
            continue
        if (recipient.user_id, None, Kind.DIGEST.value, week) in sent:
            continue
        rows = {}
        if recipient.lead_of is not None:
            rows = {(i.user_id, i.check_id): i for i in by_agency[recipient.lead_of]}
        for team_id in recipient.teams:
            rows.update(
                {
                    (i.user_id, i.check_id): i
                    for i in by_team.get(team_id, [])
                    # Only the manager's own agency's people, as their teams' page shows.
                    if i.agency_id == recipient.agency_id
                }
            )
        if rows:
            ordered = sorted(rows.values(), key=lambda i: (i.name, i.check_title, i.user_id))
            found.append(_digest_message(recipient, ordered, week))
    return found


def send_reminders(now: datetime) -> Outcome:
    """Send every reminder due now and not sent before.

    In batches of BATCH: the batch's rows are inserted (claimed), its emails sent, the
    rows of any the mail server refused deleted, and the rest committed. A crash mid-batch
    rolls the whole batch back, so at worst its sent emails go again on the next run;
    nothing refused is ever marked sent.
    """
    outcome = Outcome()
    with run_lock() as got:
        if not got:
            outcome.locked_out = True
            return outcome
        pending = messages(now)
        db.session.commit()
        with Mailer() as mailer:
            for start in range(0, len(pending), BATCH):
                if not _send_batch(pending[start : start + BATCH], mailer, outcome, now):
                    break
        outcome.connections = mailer.connections
    return outcome


def _send_batch(batch: Sequence[Message], mailer: Mailer, outcome: Outcome, now: datetime) -> bool:
    """Claim, send and commit one batch; False if the mail server is down (stop)."""
    claimed = _claim(batch, now)
    unsent: list[int] = []
    down = False
    for message in batch:
        row_id = claimed.get(message.key)
        if row_id is None:
            continue  # sent already by another run
        if down:
            unsent.append(row_id)
            continue
        subject, text = message.compose()
        try:
            mailer.send(message.to, subject, text)
        except MailServerDown:
            down = outcome.server_down = True
            outcome.failed[message.kind] += 1
            unsent.append(row_id)
        except EmailError:
            outcome.failed[message.kind] += 1
            unsent.append(row_id)
        else:
            outcome.sent[message.kind] += 1
            if message.after_send is not None:
                _after_send(message, now)
    if unsent:
        db.session.execute(sa.delete(ReminderSend).where(ReminderSend.id.in_(unsent)))
    db.session.commit()
    return not down


def _after_send(message: Message, now: datetime) -> None:
    """Run the message's after_send in a savepoint: its failure is logged and rolled back
    alone, so the batch's claims still commit and its emails never go twice."""
    assert message.after_send is not None
    try:
        with db.session.begin_nested():
            message.after_send(now)
    except Exception:
        log.exception(
            "After sending %s %s to user %s", message.kind.value, message.period, message.user_id
        )
