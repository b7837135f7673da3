"""People: an agency's list, and bulk upload from CSV (check, preview, then save)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from ..access import roles_required
from ..extensions import db
from ..models import Agency, Role, utcnow
from ..workforce.emails import deliver_after_request
from . import bp, operations, people_csv, queries
from .forms import ConfirmForm, PeopleFilterForm, PeopleUploadForm
from .people_csv import MAX_ROWS, Sheet, decode

admins_and_leads = roles_required(Role.ADMIN, Role.LEAD)

#: The session key holding the upload waiting to be saved.
PENDING = "people_upload"

Page = str | Response | tuple[str, int]


def agency_scope() -> Agency | None:
    """The agency an agency lead works in; None for administrators (any agency).

    Partnership-wide leads see aggregates only, never named people: refused.
    """
    if current_user.has_role(Role.ADMIN):
        return None
    if current_user.is_agency_lead:
        return current_user.agency
    abort(403)


def _store() -> operations.UploadStore:
    """Uploads waiting to be saved live in PEOPLE_UPLOAD_FOLDER (default: instance/uploads)."""
    folder = current_app.config.get("PEOPLE_UPLOAD_FOLDER")
    return operations.UploadStore(
        Path(folder) if folder else Path(current_app.instance_path) / "uploads"
    )


def _allow_test_domains() -> bool:
    return bool(current_app.config.get("DEMO_MODE"))


@dataclass(frozen=True)
class NoAgency:
    """What the people list shows in place of an agency for people with none: the
    partnership's administrators and partnership-wide leads (administrators only)."""

    id: int = queries.NO_AGENCY
    name: str = "Partnership-wide (no agency)"
    teams: tuple[()] = ()


NO_AGENCY = NoAgency()


@bp.route("/people/")
@admins_and_leads
def people() -> str:
    scope = agency_scope()
    form = PeopleFilterForm(request.args)
    agency: Agency | None = scope
    if scope is None:
        form.agency.choices = [
            SelectChoice(0, "Choose an agency"),
            *(SelectChoice(i, name) for i, name in queries.agency_choices()),
        ]
        form.agency.choices.append(SelectChoice(queries.NO_AGENCY, NO_AGENCY.name))
        chosen = request.args.get("agency", type=int)
        if chosen == queries.NO_AGENCY:
            agency = NO_AGENCY  # type: ignore[assignment]
        else:
            agency = db.session.get(Agency, chosen) if chosen else None
    teams = sorted(agency.teams, key=lambda team: team.name.casefold()) if agency else []
    form.team.choices = [
        SelectChoice("", "Any"),
        SelectChoice(queries.NO_TEAM, "No team"),
        *(SelectChoice(str(team.id), team.name) for team in teams),
    ]
    team = form.team.data or ""
    if team not in {choice.value for choice in form.team.choices}:
        team = ""  # a team of another agency (the agency was changed): every team
    filters = queries.PeopleFilter(
        search=form.search.data or "", team=team, state=form.chosen_state
    )
    now = utcnow()
    page = (
        queries.people_of(
            agency.id, page=request.args.get("page", 1, type=int), filters=filters, now=now
        )
        if agency
        else None
    )
    invited = queries.invited_emails((p.email for p in page.items), now=now) if page else set()
    query = {
        key: value
        for key, value in {
            "agency": agency.id if agency and scope is None else None,
            "search": filters.search,
            "team": team,
            "state": filters.state.value if filters.state else "",
        }.items()
        if value
    }
    return render_template(
        "admin/people/list.html",
        form=form,
        agency=agency,
        can_choose=scope is None,
        page=page,
        filters=filters,
        query=query,
        states={
            person.id: queries.account_state(person, invited=person.email in invited)
            for person in (page.items if page else [])
        },
    )


@bp.route("/people/upload/template.csv")
@admins_and_leads
def people_template() -> Response:
    """The columns a people file has, as an empty CSV file to fill in."""
    agency_scope()
    header = ",".join(people_csv.COLUMN_TITLES[key] for key in people_csv.COLUMN_TITLES)
    response = make_response("\ufeff" + header + "\r\n")
    response.mimetype = "text/csv"
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="people-template.csv"'
    return response


@bp.route("/people/upload", methods=["GET", "POST"])
@admins_and_leads
def upload_people() -> Page:
    scope = agency_scope()
    form = PeopleUploadForm()
    if form.validate_on_submit():
        text = decode(form.file.data.read())
        if not isinstance(text, str):
            form.file.errors.append(text.message)
        else:
            full_agency = bool(form.full_agency.data)
            # The only time the file is read: the preview and the save use these rows.
            sheet = people_csv.read_people(text, allow_test_domains=_allow_test_domains())
            preview = operations.preview_upload(
                sheet, uploader=current_user, full_agency=full_agency
            )
            for problem in preview.checked.file_problems:
                field = form.full_agency if "full agency" in problem.message else form.file
                field.errors.append(problem.message)
            problems = preview.checked.problems
            if not form.errors and (not problems or preview.checked.unknown_teams):
                # Kept to save, or, with problems, so that teams it names can be created
                # from the preview and the file checked again without uploading it again.
                _forget_pending()
                session[PENDING] = {
                    "token": _store().put(sheet),
                    "full_agency": full_agency,
                    "filename": form.file.data.filename or "",
                }
            if not form.errors and problems:
                page = _preview_page(
                    preview,
                    filename=form.file.data.filename,
                    kept=bool(preview.checked.unknown_teams),
                )
                return page, 422
            if not form.errors:
                return redirect(url_for("admin.upload_preview"))
    page = render_template("admin/people/upload.html", form=form, scope=scope, max_rows=MAX_ROWS)
    return (page, 422) if form.errors else page


def _pending() -> tuple[dict[str, Any], Sheet] | None:
    """The upload waiting to be saved: what the session says of it, and its rows."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    sheet = _store().get(str(pending.get("token", "")))
    return (pending, sheet) if sheet is not None else None


def _forget_pending() -> None:
    pending = session.pop(PENDING, None)
    if isinstance(pending, dict):
        _store().delete(str(pending.get("token", "")))


def _preview_page(preview: operations.UploadPreview, *, filename: str, kept: bool = True) -> str:
    """`kept`: the file is waiting in the session, so missing teams can be created."""
    agency = db.session.get(Agency, preview.agency_id) if preview.agency_id else None
    return render_template(
        "admin/people/preview.html",
        preview=preview,
        checked=preview.checked,
        filename=filename,
        agency=agency,
        form=ConfirmForm(),
        can_create_teams=kept,
    )


def _missing_upload() -> Response:
    flash("There is no file waiting to be saved. Upload the file again.", "info")
    return redirect(url_for("admin.upload_people"))


@bp.route("/people/upload/preview")
@admins_and_leads
def upload_preview() -> Page:
    agency_scope()
    found = _pending()
    if found is None:
        return _missing_upload()
    pending, sheet = found
    preview = operations.preview_upload(
        sheet, uploader=current_user, full_agency=bool(pending.get("full_agency"))
    )
    page = _preview_page(preview, filename=str(pending.get("filename", "")))
    return (page, 422) if preview.checked.problems else page


@bp.route("/people/upload/new-team", methods=["GET", "POST"])
@admins_and_leads
def upload_new_team() -> Page:
    """Create a team the waiting file names but its agency doesn't have, after asking;
    then the file is checked again. Administrators for any agency, an agency's lead for
    their own (the only agency whose rows they may upload)."""
    scope = agency_scope()
    found = _pending()
    if found is None:
        return _missing_upload()
    pending, sheet = found
    preview = operations.preview_upload(
        sheet, uploader=current_user, full_agency=bool(pending.get("full_agency"))
    )
    agency_id = request.values.get("agency", type=int)
    name = " ".join(str(request.values.get("name", "")).split()).lower()
    team = next(
        (
            team
            for team in preview.checked.unknown_teams
            if team.agency_id == agency_id and team.name.lower() == name
        ),
        None,
    )
    if team is None:
        flash("The file doesn't name that team, or the team exists now.", "info")
        return redirect(url_for("admin.upload_preview"))
    if scope is not None and team.agency_id != scope.id:
        abort(403)
    form = ConfirmForm()
    if form.validate_on_submit():
        agency = db.session.get(Agency, team.agency_id)
        if agency is None:
            abort(404)
        try:
            operations.add_team(agency, name=team.name)
        except operations.AdminError as error:
            db.session.rollback()
            flash(error.message + ".", "info")
        else:
            db.session.commit()
            flash(
                f"Team {team.name} added to {team.agency_name}. The file has been checked again.",
                "success",
            )
        return redirect(url_for("admin.upload_preview"))
    return render_template(
        "admin/people/new_team.html",
        team=team,
        form=form,
        filename=str(pending.get("filename", "")),
    )


@bp.route("/people/upload/save", methods=["POST"])
@admins_and_leads
def save_upload() -> Page:
    agency_scope()
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    found = _pending()
    if found is None:
        return _missing_upload()
    pending, sheet = found
    preview = operations.preview_upload(
        sheet, uploader=current_user, full_agency=bool(pending.get("full_agency"))
    )
    if not preview.can_save:
        # The people changed since the preview; show what stands now.
        page = _preview_page(preview, filename=str(pending.get("filename", "")))
        return (page, 422) if preview.checked.problems else page
    try:
        outcome = operations.save_upload(preview, now=utcnow())
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        flash(
            "Someone changed these people while you were saving, so nothing was saved."
            " Check the file again.",
            "info",
        )
        return redirect(url_for("admin.upload_preview"))
    _forget_pending()
    deliver_after_request()  # emails to people an assignment now requires a check of
    flash(f"{outcome.summary()}.", "success")
    agency_id = preview.agency_id
    return redirect(
        url_for("admin.people", agency=agency_id) if agency_id else url_for("admin.people")
    )


@bp.errorhandler(RequestEntityTooLarge)
def file_too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    size = f"{limit / (1024 * 1024):g} MB" if limit else "the limit"
    return (
        render_template(
            "errors/error.html",
            title="The file is too large",
            message=f"The selected file must be smaller than {size}. Nothing has been saved."
            " Split the people into smaller files (for example one for each agency) and"
            " upload each one.",
        ),
        413,
    )
