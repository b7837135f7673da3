"""Pages about the service itself, open to everyone: the accessibility statement."""

from __future__ import annotations

import os

from flask import Blueprint, current_app, render_template
from flask.blueprints import BlueprintSetupState

from ..access import public

bp = Blueprint("pages", __name__)

#: Where people report an accessibility problem; set QUIZAPP_CONTACT_EMAIL.
DEFAULT_CONTACT_EMAIL = "safeguarding-partnership@example.org"


@bp.record_once
def _read_contact(state: BlueprintSetupState) -> None:
    """Read from the environment when the app starts, like the rest of the configuration;
    a config mapping given to create_app (tests) takes precedence."""
    state.app.config.setdefault(
        "CONTACT_EMAIL", os.environ.get("QUIZAPP_CONTACT_EMAIL") or DEFAULT_CONTACT_EMAIL
    )


@bp.route("/accessibility")
@public
def accessibility() -> str:
    return render_template(
        "pages/accessibility.html", contact_email=current_app.config["CONTACT_EMAIL"]
    )
