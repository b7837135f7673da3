from __future__ import annotations

import json

from flask import flash, make_response, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from .. import privacy
from ..access import roles_required
from ..extensions import db
from ..models import Role, User, utcnow
from . import bp
from .forms import AnonymiseForm


@bp.route("/")
@roles_required()
def your_data() -> str:
    return render_template("account/your_data.html", user=current_user)


@bp.route("/your-data.json")
@roles_required()
def download() -> Response:
    """Always the signed-in person's own data: the URL takes no id to change."""
    now = utcnow()
    data = privacy.export_person(current_user, now=now)
    response = make_response(json.dumps(data, indent=2, ensure_ascii=False))
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="your-data-{now:%Y-%m-%d}.json"'
    )
    return response


@bp.route("/people/<int:user_id>/anonymise", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def anonymise_person(user_id: int) -> str | Response | tuple[str, int]:
    person = db.get_or_404(User, user_id)
    form = AnonymiseForm()
    problem = None
    if privacy.is_anonymised(person):
        problem = "This person has already been anonymised."
    elif person.id == current_user.id:
        problem = "You can't anonymise your own account. Ask another administrator."
    if problem is None and form.validate_on_submit():
        agency_id = person.agency_id
        privacy.anonymise(person, now=utcnow(), by=current_user)
        db.session.commit()
        flash(
            "The person has been anonymised. Their name and email address are gone; their"
            " results still count in every report.",
            "success",
        )
        return redirect(
            url_for("admin.people", agency=agency_id) if agency_id else url_for("admin.home")
        )
    page = render_template("account/anonymise.html", person=person, form=form, problem=problem)
    return (page, 409) if problem else page
