"""Command-line interface: `flask --app quizapp banks ...` and the `quizapp` script."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import UTC, datetime

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from .extensions import db
from .interchange.files import EXPORT_FORMATS
from .models import utcnow

banks_cli = AppGroup("banks", help="Validate and import question bank files.")


def _load_or_report(paths: tuple[str, ...]) -> list:
    """Validate every file; print every error as file:line: field: message, and every
    item-writing warning as file:line: warning: field: message (warnings alone pass)."""
    from .banks import load_bank_paths

    results = load_bank_paths(paths)
    failed = False
    for _path, result in results:
        for problem in sorted([*result.errors, *result.warnings], key=lambda p: p.line):
            click.echo(str(problem), err=True)
        failed = failed or bool(result.errors)
    if not results:
        click.echo("No bank files found (looked for *.yaml and *.yml).", err=True)
        failed = True
    if failed:
        raise SystemExit(1)
    return results


@banks_cli.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
def validate_command(paths: tuple[str, ...]) -> None:
    """Check bank files; exit 1 and list every error if any is invalid. Item-writing
    warnings are listed too, but do not make a file invalid."""
    results = _load_or_report(paths)
    for path, result in results:
        bank = result.bank
        click.echo(f"{path}: valid ({len(bank.questions)} questions)")


@banks_cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
def import_command(paths: tuple[str, ...]) -> None:
    """Import bank files in one transaction: all of them, or none if any is invalid."""
    from .audit import record
    from .banks import content_hash
    from .banks.importer import import_bank

    results = _load_or_report(paths)
    _refuse_placeholders(results)
    now = utcnow()
    try:
        outcomes = []
        for path, result in results:
            digest = content_hash(result.bank)
            outcome = import_bank(result.bank.to_data(), digest, now=now)
            if outcome.status != "unchanged":
                details = {
                    "version": outcome.version.number,
                    "status": outcome.status,
                    "file": str(path),
                    "content_hash": digest,
                    "via": "command line",
                }
                record("bank.import", f"bank:{outcome.bank.key}", user=None, details=details)
            outcomes.append((path, outcome))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    for path, outcome in outcomes:
        click.echo(
            f"{path}: {outcome.bank.key} {outcome.status} (version {outcome.version.number})"
        )


def _import_questions(path: str, title: str | None, out: str | None, expected: str) -> None:
    """Read another system's questions and make a draft bank of them (a new bank in the
    database, or a bank file with --out), printing what was imported, skipped and changed.
    A file with any broken question makes nothing."""
    from pathlib import Path

    from .audit import record
    from .author.banks import import_reading
    from .author.operations import create_bank_from_draft
    from .banks import dump_bank
    from .interchange.files import checked_bank, read_file

    report = read_file(Path(path).read_bytes(), Path(path).name)
    data = checked_bank(report, title) if report.ok else None
    for line in report.summary_lines():
        click.echo(f"{path}: {line}")
    if not report.source_format.startswith(expected):
        click.echo(f"{path}: warning: this is {report.source_format}, not {expected}", err=True)
    if data is None:
        click.echo(f"{path}: nothing imported", err=True)
        raise SystemExit(1)
    if out:
        Path(out).write_text(dump_bank(data), encoding="utf-8")
        click.echo(f"Draft written to {out}")
        return
    draft = create_bank_from_draft(
        data,
        user=None,
        now=utcnow(),
        reading=import_reading(report, Path(path).name),
        origin="import",
    )
    record("bank.import", f"bank:{draft.bank.key}", user=None, details={"via": "command line"})
    db.session.commit()
    click.echo(f"Draft of {draft.bank.key} made: write its findings and publish it.")


_title_option = click.option("--title", default=None, help="The new bank's title.")
_out_option = click.option(
    "--out", type=click.Path(dir_okay=False), help="Write the draft as a bank file here instead."
)


@banks_cli.command("import-moodle")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@_title_option
@_out_option
def import_moodle_command(path: str, title: str | None, out: str | None) -> None:
    """Make a draft bank from a Moodle XML or GIFT file (detected from its content)."""
    _import_questions(path, title, out, expected="")


@banks_cli.command("import-qti")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@_title_option
@_out_option
def import_qti_command(path: str, title: str | None, out: str | None) -> None:
    """Make a draft bank from a QTI 2.1, 2.2 or 3.0 content package or item."""
    _import_questions(path, title, out, expected="QTI")


@banks_cli.command("export")
@click.argument("key")
@click.option(
    "--version", "number", type=int, help="Version number (default: the newest published)."
)
@click.option(
    "--format",
    "fmt",
    required=True,
    type=click.Choice(list(EXPORT_FORMATS)),
)
@click.option("--out", type=click.Path(dir_okay=False), required=True)
def export_command(key: str, number: int | None, fmt: str, out: str) -> None:
    """Write a bank version as Moodle XML, GIFT or a QTI package."""
    from pathlib import Path

    from .banks.importer import latest_published
    from .models import Bank, BankVersion

    bank = db.session.scalar(sa.select(Bank).where(Bank.key == key))
    if bank is None:
        raise click.ClickException(f"There is no bank {key}")
    version = (
        latest_published(bank)
        if number is None
        else db.session.scalar(
            sa.select(BankVersion).where(
                BankVersion.bank_id == bank.id, BankVersion.number == number
            )
        )
    )
    if version is None:
        raise click.ClickException(f"{key} has no version {number or '(published)'}")
    exported = EXPORT_FORMATS[fmt].write(version.content)
    Path(out).write_bytes(exported.data)
    for skipped in exported.skipped:
        click.echo(f"skipped {skipped}", err=True)
    click.echo(f"{key} version {version.number} written to {out}")


def _refuse_placeholders(results: list) -> None:
    """Exit 1, listing each placeholder as file: place, if any file still has one: an
    import publishes at once, so unfinished text must not reach practitioners."""
    from .authoring.scaffolds import find_placeholders

    found = [
        (path, place)
        for path, result in results
        for place in find_placeholders(result.bank.to_data())
    ]
    for path, place in found:
        click.echo(f"{path}: {place}: replace the placeholder text", err=True)
    if found:
        click.echo(
            f"Nothing imported: {len(found)} placeholder{'s' if len(found) > 1 else ''}"
            " to replace.",
            err=True,
        )
        raise SystemExit(1)


completions_cli = AppGroup("completions", help="Requirements and completion records.")


@completions_cli.command("rebuild")
def rebuild_command() -> None:
    """Recompute every requirement and completion from assignments and attempts."""
    from .workforce.requirements import rebuild_all

    counts = rebuild_all(now=utcnow())
    db.session.commit()
    click.echo(
        f"Rebuilt for {counts.people} people: {counts.requirements} requirements,"
        f" {counts.completions} completions."
    )


dashboards_cli = AppGroup("dashboards", help="The summary the dashboards read.")


@dashboards_cli.command("refresh")
def dashboards_refresh_command() -> None:
    """Recount the status counts as of now. Run it daily (cron): pages then correct the
    counts for at most a day of dates, whatever the size of the partnership."""
    from .locks import run_lock
    from .workforce import tally

    with run_lock("dashboards-refresh") as got:
        if not got:
            click.echo("Another refresh is running: this one stops.", err=True)
            return
        now = utcnow()
        tally.rebuild(db.session, now=now)
        db.session.commit()
    click.echo(f"Status counts recounted as of {now:%Y-%m-%d %H:%M} UTC.")


@dashboards_cli.command("verify")
def dashboards_verify_command() -> None:
    """Compare the summaries with a recount; exit 1 if any differ."""
    from .workforce import tally

    wrong = tally.mismatches(db.session)
    for (table, key), (stored, recounted) in sorted(wrong.items()):
        click.echo(f"{table} {key}: stored {stored}, recounted {recounted}")
    if wrong:
        raise SystemExit(1)
    click.echo("The dashboards' summaries match a recount.")


assignments_cli = AppGroup("assignments", help="Assignments and the emails they send.")


@assignments_cli.command("send-emails")
@click.option(
    "--url",
    required=True,
    help="The service's address, for the links in the emails: https://checks.example.org",
)
def send_emails_command(url: str) -> None:
    """Send the assignment emails still waiting (a request sends only the first few, and
    none while the mail server is down). Run it every few minutes (cron); exits 1 if the
    mail server failed."""
    from flask import current_app

    from .workforce.emails import deliver

    with current_app.test_request_context(base_url=url):
        outcome = deliver()
    click.echo(f"Sent {outcome.sent} assignment {'email' if outcome.sent == 1 else 'emails'}.")
    if outcome.failed:
        click.echo("The mail server failed: the rest are sent on the next run.", err=True)
        raise SystemExit(1)


reminders_cli = AppGroup("reminders", help="Reminder emails (docs/operations.md).")


def _moment(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime:
    """--now as an aware datetime: an ISO date or date and time, UTC unless it says."""
    if value is None:
        return utcnow()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("give a date and time like 2026-12-14T08:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _service_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An absolute http(s) address: without a scheme the emails' links would not be links,
    and the reminders are recorded as sent, so they could not be sent again."""
    from urllib.parse import urlsplit

    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise click.BadParameter("give the service's full address, like https://checks.example.org")
    return value


@reminders_cli.command("send")
@click.option(
    "--url",
    required=True,
    callback=_service_url,
    help="The service's address, for the links in the emails: https://checks.example.org",
)
@click.option(
    "--now",
    callback=_moment,
    help="Send as if it were this date and time (ISO, UTC): for tests and catching up.",
)
def reminders_send_command(url: str, now: datetime) -> None:
    """Email each reminder due now, once: a check due within 14 days, a pass expiring
    within 30 days, an overdue check (weekly), the leads' and team managers' weekly
    digest, and the invitation to a pass's follow-up (once). Run it daily (cron or a
    systemd timer). Exits 1 if the mail server refused any email (the next run sends it)."""
    from flask import current_app

    from .reminders.operations import send_reminders
    from .reminders.rules import Kind

    with current_app.test_request_context(base_url=url):
        outcome = send_reminders(now)
    if outcome.locked_out:
        click.echo("Another run is in progress: nothing sent.")
        return
    for kind in Kind:
        line = f"{kind.value}: {outcome.sent[kind]} sent"
        if outcome.failed[kind]:
            line += f", {outcome.failed[kind]} failed"
        click.echo(line)
    if outcome.server_down:
        click.echo(
            "The mail server could not be reached: the rest wait for the next run.", err=True
        )
    if sum(outcome.failed.values()):
        click.echo("Some emails failed: the next run tries them again.", err=True)
        raise SystemExit(1)


briefings_cli = AppGroup("briefings", help="Turn learning briefings into draft banks.")


@briefings_cli.command("convert")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Write the draft bank here.")
@click.option("--title", default=None, help="The briefing's title (else taken from the text).")
@click.option("--publisher", default=None, help="The partnership that published it.")
def briefings_convert_command(
    path: str, out: str | None, title: str | None, publisher: str | None
) -> None:
    """Convert a briefing (plain text) into a draft bank and print what was found:
    findings by kind (and why), reflections, the advice line, and the lines not used."""
    from pathlib import Path

    from .authoring.briefing import BriefingError, parse_briefing
    from .authoring.scaffolds import has_placeholder

    text = Path(path).read_bytes().decode("utf-8", errors="replace")
    try:
        draft = parse_briefing(text, title=title, publisher=publisher)
    except BriefingError as error:
        click.echo(f"{path}: {error.message}", err=True)
        raise SystemExit(1) from None
    data = draft.data
    findings = [f for f in data["findings"] if not has_placeholder(f["text"])]
    reflections = [q["prompt"] for q in data["questions"] if q["type"] == "reflection"]
    kinds: dict[str, int] = {}
    for finding in findings:
        kinds[finding["kind"]] = kinds.get(finding["kind"], 0) + 1
    by_kind = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items())) or "none"
    click.echo(f"{path}: {len(findings)} findings ({by_kind})")
    for finding in findings:
        reason = draft.kind_reasons.get(finding["id"], "")
        click.echo(f"  [{finding['kind']}] {finding['text'][:80]} ({reason})")
    click.echo(f"Reflections: {len(reflections)}")
    for prompt in reflections:
        click.echo(f"  ? {prompt[:80]}")
    advice = data["signposting"]
    click.echo(f"Advice: {'none found' if has_placeholder(advice) else advice[:120]}")
    click.echo(f"Lines not used: {len(draft.unused_lines)}")
    for line in draft.unused_lines:
        click.echo(f"  - {line[:80]}")
    for warning in draft.warnings:
        click.echo(f"warning: {warning}", err=True)
    if out:
        Path(out).write_text(draft.to_yaml(), encoding="utf-8")
        click.echo(f"Draft written to {out}")


def register_cli(app: Flask) -> None:
    from .demo import demo_cli

    app.cli.add_command(banks_cli)
    app.cli.add_command(briefings_cli)
    app.cli.add_command(assignments_cli)
    app.cli.add_command(completions_cli)
    app.cli.add_command(dashboards_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(retention_cli)
    from .bench import bench_cli

    app.cli.add_command(bench_cli)
    app.cli.add_command(demo_cli)
    from .interchange.xapi_cli import xapi_cli

    app.cli.add_command(xapi_cli)


def main(argv: list[str] | None = None) -> None:
    """The `quizapp` console script."""
    parser = argparse.ArgumentParser(prog="quizapp", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="Create or upgrade the demo database, load it, and serve the app."
    )
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=5000)
    demo.add_argument(
        "--no-serve", action="store_true", help="Prepare the demo database, then stop."
    )
    args = parser.parse_args(argv)

    if args.command == "demo":
        # Without a mail server, emailed links (confirmation, invitation, reset) are logged:
        # show them in the demo's console.
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
        os.environ.setdefault("QUIZAPP_ENV", "demo")
        from . import create_app
        from .demo import prepare_demo

        app = create_app()
        with app.app_context():
            prepare_demo(app, out=print)
        if not args.no_serve:
            print(f"\nServing on http://{args.host}:{args.port}/  (press Ctrl+C to stop)")
            app.run(host=args.host, port=args.port, debug=False, use_reloader=False)
    sys.exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])


retention_cli = AppGroup("retention", help="Personal data retention (docs/operations.md).")


@retention_cli.command("apply")
@click.option(
    "--years",
    type=click.IntRange(min=1),
    default=None,
    help="Override RETENTION_YEARS: anonymise people who left more than this many years ago.",
)
def retention_apply_command(years: int | None) -> None:
    """Anonymise people who left more than RETENTION_YEARS ago (names and emails go;
    their results stay in every figure). Safe to run again: prints how many it did."""
    from flask import current_app

    from .privacy import apply_retention

    years = years or int(current_app.config["RETENTION_YEARS"])
    count = apply_retention(now=utcnow(), years=years)
    db.session.commit()
    click.echo(
        f"Anonymised {count} {'person' if count == 1 else 'people'} who left more than"
        f" {years} years ago."
    )
