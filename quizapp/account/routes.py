from __future__ import annotations

import json

from flask import make_response, render_template
from flask_login import current_user
from werkzeug.wrappers import Response

from .. import privacy
from ..access import roles_required
from ..models import utcnow
from . import bp


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
