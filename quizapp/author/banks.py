"""Banks for authors: the list, each bank's history, every version with what changed,
export of a version as a bank file, upload of a bank file, and restoring an old version.

Upload reads the file with the same loader as `flask banks import`, so the browser and
the command line report the same errors in the same `file:line: place: message` form,
and an exported file imports back to exactly the version it came from. In the browser
the file becomes a draft, published through the same checks as any draft.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PureWindowsPath
from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, selectinload
from werkzeug.wrappers import Response

from ..access import roles_required
from ..authoring.diff import diff_versions, item_lines
from ..banks import BankError, BankFile, content_hash, dump_bank, load_bank_text, plain_error
from ..banks.importer import latest_published as latest
from ..extensions import db
from ..interchange import ImportReport, short_name
from ..interchange.files import EXPORT_FORMATS, MAX_BYTES, checked_bank, read_file
from ..models import Bank, BankVersion, Question, Role, utcnow
from ..questions import QUESTION_TYPES
from ..web import format_datetime
from . import bp, operations
from .forms import BankSettingsForm, BankUploadForm, QuestionImportForm, RestoreForm

authors = roles_required(Role.AUTHOR, Role.ADMIN)

Page = str | Response | tuple[str, int]

#: Endpoints written elsewhere in the authoring area; pages link to them only if present.
NEW_FROM_BRIEFING = "author.new_from_briefing"
NEW_DRAFT = "author.new_draft"


# Queries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BankRow:
    bank: Bank
    #: The latest published version (content not loaded); None before the first publish.
    latest: BankVersion | None
    draft: BankVersion | None
    #: Questions in the latest published version.
    question_count: int | None


def bank_rows() -> list[BankRow]:
    """Every bank for the list page, in four statements whatever the number of banks."""
    banks = db.session.scalars(sa.select(Bank).order_by(Bank.title, Bank.key)).all()
    newest = (
        sa.select(BankVersion.bank_id, sa.func.max(BankVersion.number).label("number"))
        .where(BankVersion.status == "published")
        .group_by(BankVersion.bank_id)
        .subquery()
    )
    latest = db.session.scalars(
        sa.select(BankVersion)
        .options(defer(BankVersion.content))
        .join(
            newest,
            sa.and_(BankVersion.bank_id == newest.c.bank_id, BankVersion.number == newest.c.number),
        )
    ).all()
    drafts = db.session.scalars(
        sa.select(BankVersion)
        .options(defer(BankVersion.content))
        .where(BankVersion.status == "draft")
    ).all()
    counts: dict[int, int] = dict(
        db.session.execute(  # type: ignore[arg-type]
            sa.select(Question.version_id, sa.func.count())
            .where(Question.version_id.in_([version.id for version in latest]))
            .group_by(Question.version_id)
        ).all()
    )
    latest_by_bank = {version.bank_id: version for version in latest}
    draft_by_bank = {version.bank_id: version for version in drafts}
    return [
        BankRow(
            bank=bank,
            latest=latest_by_bank.get(bank.id),
            draft=draft_by_bank.get(bank.id),
            question_count=(
                counts.get(latest_by_bank[bank.id].id, 0) if bank.id in latest_by_bank else None
            ),
        )
        for bank in banks
    ]


def bank_or_404(key: str) -> Bank:
    return db.one_or_404(sa.select(Bank).where(Bank.key == key))


def versions_of(bank: Bank) -> list[BankVersion]:
    """Oldest first, with who made each."""
    return list(
        db.session.scalars(
            sa.select(BankVersion)
            .where(BankVersion.bank_id == bank.id)
            .options(selectinload(BankVersion.created_by), selectinload(BankVersion.approved_by))
            .order_by(BankVersion.number)
        )
    )


def version_or_404(bank: Bank, number: int, *, published: bool = False) -> BankVersion:
    """Version `number` of the bank (only a published one if `published`), else 404."""
    query = sa.select(BankVersion).where(
        BankVersion.bank_id == bank.id, BankVersion.number == number
    )
    if published:
        query = query.where(BankVersion.status == "published")
    return db.one_or_404(query)


def previous_published(version: BankVersion) -> BankVersion | None:
    """What a version is compared with: the latest published version before it."""
    return db.session.scalar(
        sa.select(BankVersion)
        .where(
            BankVersion.bank_id == version.bank_id,
            BankVersion.status == "published",
            BankVersion.number < version.number,
        )
        .order_by(BankVersion.number.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class HistoryRow:
    version: BankVersion
    compared_with: BankVersion | None
    #: "3 questions edited, 1 added, 1 removed; details changed".
    summary: str


def history(versions: list[BankVersion]) -> list[HistoryRow]:
    """Newest first; each version against the published version before it."""
    rows = []
    previous: BankVersion | None = None
    for version in versions:
        diff = diff_versions(previous.content if previous else None, version.content)
        rows.append(HistoryRow(version, previous, diff.summary()))
        if version.is_published:
            previous = version
    return rows[::-1]


# Pages ----------------------------------------------------------------------------------


@bp.route("/")
@authors
def banks() -> str:
    return render_template(
        "author/banks/list.html",
        rows=bank_rows(),
        can_start_from_briefing=NEW_FROM_BRIEFING in current_app.view_functions,
    )


@bp.route("/banks/<key>")
@authors
def bank(key: str) -> str:
    bank = bank_or_404(key)
    form = BankSettingsForm(formdata=None, two_person="on" if bank.two_person else "off")
    return _bank_page(bank, form)


def _bank_page(bank: Bank, settings_form: BankSettingsForm) -> str:
    versions = versions_of(bank)
    published = [version for version in versions if version.is_published]
    draft = next((version for version in versions if not version.is_published), None)
    return render_template(
        "author/banks/bank.html",
        bank=bank,
        rows=history(versions),
        latest=published[-1] if published else None,
        draft=draft,
        can_start_draft=NEW_DRAFT in current_app.view_functions,
        settings_form=settings_form,
        may_turn_off=_may_turn_off_two_person(),
    )


def _may_turn_off_two_person() -> bool:
    """Any author may turn two-person publishing on; only an administrator may turn it
    off, or the author it is meant to check could turn it off and publish alone."""
    return bool(current_user.has_role(Role.ADMIN))


@bp.route("/banks/<key>/settings", methods=["POST"])
@authors
def bank_settings(key: str) -> Page:
    """Turn "publishing needs a second author" on or off (recorded in the audit log)."""
    bank = bank_or_404(key)
    form = BankSettingsForm()
    if not form.validate_on_submit():
        return _bank_page(bank, form), 422
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    turning_off = bank.two_person and form.two_person.data == "off"
    if turning_off and not _may_turn_off_two_person():
        form.two_person.errors = [
            "Only an administrator can turn off two-person publishing."
            " Ask one if this bank no longer needs a second author"
        ]
        return _bank_page(bank, form), 403
    if operations.set_two_person(bank, form.two_person.data == "on", user=user):
        db.session.commit()
        flash(
            "Publishing now needs a second author to approve each draft."
            if bank.two_person
            else "Publishing no longer needs a second author.",
            "success",
        )
    else:
        flash("No change: the setting was already so.", "info")
    return redirect(url_for("author.bank", key=key) + "#settings")


@bp.route("/banks/<key>/versions/<int:number>")
@authors
def version(key: str, number: int) -> str:
    bank = bank_or_404(key)
    version = version_or_404(bank, number)
    previous = previous_published(version)
    content = version.content
    newest = latest(bank)
    return render_template(
        "author/banks/version.html",
        bank=bank,
        version=version,
        # An older published version can be restored as a draft (see restore_version).
        restore_form=(
            RestoreForm()
            if version.is_published and newest is not None and newest.number > version.number
            else None
        ),
        draft=operations.draft_of(bank),
        previous=previous,
        diff=diff_versions(previous.content if previous else None, content),
        content=content,
        item_lines=item_lines,
        type_labels={name: kind.label for name, kind in QUESTION_TYPES.items()},
        stage_titles={stage.get("id"): stage.get("title") for stage in _list(content, "stages")},
        export_formats=EXPORT_FORMATS,
    )


@bp.route("/banks/<key>/versions/<int:number>/statistics")
@authors
def version_statistics(key: str, number: int) -> str:
    """Which questions work: item statistics over first attempts at this version."""
    from ..statistics.queries import version_statistics as statistics_for

    bank = bank_or_404(key)
    version = version_or_404(bank, number, published=True)
    result = statistics_for(version.id, minimum=current_app.config["STATISTICS_MINIMUM"])
    prompts = {q.key: q.prompt for q in version.questions}
    return render_template(
        "author/banks/statistics.html",
        bank=bank,
        version=version,
        stats=result.statistics,
        scenarios=result.scenarios,
        prompts=prompts,
        type_labels={name: kind.label for name, kind in QUESTION_TYPES.items()},
    )


@bp.route("/banks/<key>/versions/<int:number>/export")
@authors
def export_version(key: str, number: int) -> Response:
    bank = bank_or_404(key)
    version = version_or_404(bank, number)
    response = Response(
        dump_bank(version.content), content_type="application/x-yaml; charset=utf-8"
    )
    # Bank ids are lowercase letters, digits and hyphens: safe in a header as they are.
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{bank.key}-v{version.number}.yaml"'
    )
    return response


@bp.route("/upload", methods=["GET", "POST"])
@authors
def upload() -> Page:
    """A bank file becomes a draft, to be checked and published like any other draft."""
    form = BankUploadForm()
    errors: list[BankError] = []
    filename = ""
    status = 422
    in_the_way: BankVersion | None = None
    if form.validate_on_submit():
        filename = short_name(PureWindowsPath(form.file.data.filename or "").name or "bank.yaml")
        text = _decode(form.file.data.read())
        if isinstance(text, _Unreadable):
            form.file.errors.append(text.message)
        else:
            result = load_bank_text(text, filename)
            errors = result.errors
            if errors:
                count = len(errors)
                form.file.errors.append(
                    f"The selected file has {count} problem{'s' if count > 1 else ''}."
                    " Each is listed below with its line number. Correct the file and"
                    " upload it again"
                )
            else:
                assert result.bank is not None
                try:
                    return _draft_from_file(result.bank, form, filename)
                except operations.DraftInTheWay as conflict:
                    db.session.rollback()
                    in_the_way = conflict.draft
                    form.replace_draft.errors = [
                        f"{_draft_described(in_the_way)} Select the file again and tick"
                        " the box to replace that draft with it, or go to the draft"
                    ]
                    status = 409
                except IntegrityError:  # another author made a draft at the same time
                    db.session.rollback()
                    form.file.errors.append(
                        "Someone else made a draft of this bank at the same time."
                        " Nothing was saved from your file; upload it again"
                    )
                    status = 409
    page = render_template(
        "author/banks/upload.html",
        form=form,
        bank_errors=[f"Line {e.line}: {plain_error(e.path, e.message)}" for e in errors],
        filename=filename,
        in_the_way=in_the_way,
    )
    return (page, status) if form.errors else page


def _draft_from_file(bank_file: BankFile, form: BankUploadForm, filename: str) -> Response:
    """The file as the bank's draft in one commit, and go to the draft page."""
    outcome = operations.draft_from_file(
        bank_file.to_data(),
        content_hash(bank_file),
        filename=filename,
        change_note=form.change_note.data or "",
        user=current_user._get_current_object(),  # type: ignore[attr-defined]
        now=utcnow(),
        replace=bool(form.replace_draft.data),
    )
    db.session.commit()
    if outcome.draft is None:
        assert outcome.unchanged is not None
        kept = operations.draft_of(outcome.bank)
        flash(
            f"No changes: the file matches version {outcome.unchanged.number},"
            " so no draft was made"
            + (
                f". The bank's draft (version {kept.number}) is as it was: continue or"
                " discard it on its page"
                if kept is not None
                else ""
            ),
            "success",
        )
        return redirect(url_for("author.bank", key=outcome.bank.key))
    flash(
        f"{filename} is now the draft of {outcome.bank.title}."
        " Check it and publish it to make it the newest version.",
        "success",
    )
    return redirect(url_for("author.draft", key=outcome.bank.key))


def _draft_described(draft: BankVersion) -> str:
    """Whose the existing draft is and when it last changed, for a choice to replace it."""
    who = draft.created_by.name if draft.created_by else "an account since removed"
    return (
        f"{draft.bank.title} already has a draft, started by {who} on"
        f" {format_datetime(draft.created_at)} and last changed on"
        f" {format_datetime(operations.draft_last_changed(draft))}."
    )


@bp.route("/banks/<key>/versions/<int:number>/restore", methods=["POST"])
@authors
def restore_version(key: str, number: int) -> Page:
    """An older published version's content as the bank's draft, to publish again."""
    bank = bank_or_404(key)
    version = version_or_404(bank, number, published=True)
    form = RestoreForm()
    if not form.validate_on_submit():
        abort(400)
    newest = latest(bank)
    draft = operations.draft_of(bank)
    if newest is not None and newest.number == version.number:
        form.form_errors.append(
            f"Version {number} is the newest version: start a draft from it on the bank's page"
        )
    elif draft is not None and not form.replace_draft.data:
        form.replace_draft.errors = [
            f"{_draft_described(draft)} Tick the box to replace that draft with version"
            f" {number}, or go to the draft"
        ]
    else:
        operations.restore_version(
            version,
            user=current_user._get_current_object(),  # type: ignore[attr-defined]
            now=utcnow(),
            replace=draft is not None,
        )
        db.session.commit()
        flash(
            f"Version {number} restored as a draft."
            " Check it and publish it to make it the newest version.",
            "success",
        )
        return redirect(url_for("author.draft", key=key))
    page = render_template(
        "author/banks/restore.html", bank=bank, version=version, form=form, draft=draft
    )
    return page, 409


@dataclass(frozen=True)
class _Unreadable:
    message: str


def _decode(raw: bytes) -> str | _Unreadable:
    if b"\x00" in raw:
        return _Unreadable(
            "The selected file is not a text file. Upload the bank's .yaml file, saved as text"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return _Unreadable(
            f"The selected file is not saved as UTF-8 text (first problem on line {line})."
            " Save it as UTF-8 in your editor and upload it again"
        )


def _list(content: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = content.get(key)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


@bp.route("/import", methods=["GET", "POST"])
@authors
def import_questions() -> Page:
    """Another system's questions (Moodle XML or GIFT, QTI) as a new bank's draft. A file
    with any broken question saves nothing: the page lists every problem by question."""
    form = QuestionImportForm()
    report: ImportReport | None = None
    if form.validate_on_submit():
        # Shortened: it goes into the flashed message, held in the session cookie.
        filename = short_name(PureWindowsPath(form.file.data.filename or "").name or "questions")
        data = form.file.data.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            form.file.errors.append("The selected file must be smaller than 10 MB")
        elif not data.strip():
            form.file.errors.append("The selected file is empty")
        else:
            report = read_file(data, filename)
            title = (form.title.data or "").strip() or None
            bank = checked_bank(report, title) if report.ok else None
            if report.problems:
                count = len(report.problems)
                form.file.errors.append(
                    f"The selected file has {count} problem{'s' if count > 1 else ''}. Each"
                    " is listed below with the question's name. Correct the file and"
                    " upload it again"
                )
            elif not report.questions:
                form.file.errors.append(
                    f"The selected file has no questions quizapp can use: {report.source_format}"
                    " questions of these types are listed below"
                    if report.skipped
                    else "The selected file has no questions in it"
                )
            elif bank is not None:
                draft = operations.create_bank_from_draft(
                    bank,
                    user=current_user._get_current_object(),  # type: ignore[attr-defined]
                    now=utcnow(),
                    reading=import_reading(report, filename),
                    origin="import",
                )
                db.session.commit()
                flash(
                    f"Draft made from {filename}: {len(report.questions)} question"
                    f"{'s' if len(report.questions) != 1 else ''} imported. Write the"
                    " findings and replace every placeholder before you publish.",
                    "success",
                )
                return redirect(url_for("author.draft", key=draft.bank.key))
    page = render_template("author/banks/import.html", form=form, report=report)
    return (page, 422) if form.errors else page


def import_reading(report: ImportReport, filename: str) -> dict[str, Any]:
    """What the draft's page shows of how the file was read (kept in the audit log)."""
    return {
        "file": filename,
        "format": report.source_format,
        "imported": len(report.questions),
        "skipped": [str(skipped) for skipped in report.skipped],
        "adjusted": [str(adjusted) for adjusted in report.adjusted],
    }


@bp.route("/banks/<key>/versions/<int:number>/export/<fmt>")
@authors
def export_version_as(key: str, number: int, fmt: str) -> Response:
    """A version in another system's format (see quizapp.interchange.files)."""
    bank = bank_or_404(key)
    version = version_or_404(bank, number)
    chosen = EXPORT_FORMATS.get(fmt)
    if chosen is None:
        abort(404)
    exported = chosen.write(version.content)
    response = Response(exported.data, content_type=chosen.content_type)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{bank.key}-v{version.number}.{chosen.extension}"'
    )
    return response
