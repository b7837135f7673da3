"""Pages about the service itself, open to everyone: the accessibility statement and help.

Help is public: it holds nothing private, and people who cannot sign in need it too."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

from flask import Blueprint, abort, current_app, render_template
from flask.blueprints import BlueprintSetupState

from ..access import public
from ..dashboards.suppression import PROTECTED_TEXT, hidden_text

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


@dataclass(frozen=True)
class Guide:
    title: str
    #: Who the guide is for, as the help page lists it.
    audience: str
    summary: str


#: The help guides by address (templates/pages/help/<address>.html), in the order listed.
GUIDES: dict[str, Guide] = {
    "taking-a-check": Guide(
        "Taking a check",
        "Practitioners",
        "Find the checks you need to do, answer the questions, and read your result.",
    ),
    "dashboards": Guide(
        "Reading the dashboards",
        "Safeguarding leads",
        "See who has done a check, which findings have landed, and the yearly report;"
        " and why some figures are hidden.",
    ),
    "agencies-and-people": Guide(
        "Setting up agencies and people",
        "Administrators and agency leads",
        "Add agencies, teams and people, invite people, and say who must take which check.",
    ),
    "question-banks": Guide(
        "Writing and publishing a question bank",
        "Authors",
        "Turn a review's findings into questions, preview them, and publish a version.",
    ),
}


def _minutes(setting: str, default: timedelta) -> int:
    value = current_app.config.get(setting, default)
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    return max(1, round(seconds / 60))


@bp.route("/help", endpoint="help")
@public
def help_index() -> str:
    return render_template(
        "pages/help/index.html", guides=GUIDES, contact_email=current_app.config["CONTACT_EMAIL"]
    )


@bp.route("/help/<slug>")
@public
def help_guide(slug: str) -> str:
    guide = GUIDES.get(slug)
    if guide is None:
        abort(404)
    config = current_app.config
    return render_template(
        f"pages/help/{slug}.html",
        guide=guide,
        contact_email=config["CONTACT_EMAIL"],
        threshold=int(config["SMALL_NUMBER_THRESHOLD"]),
        # The words the dashboards show in place of hidden figures.
        hidden_text=hidden_text(int(config["SMALL_NUMBER_THRESHOLD"])),
        protected_text=PROTECTED_TEXT,
        idle_minutes=_minutes("SESSION_IDLE_TIMEOUT", timedelta(minutes=30)),
        invitation_days=max(1, round(_minutes("INVITATION_MAX_AGE", timedelta(days=14)) / 1440)),
        statistics_minimum=int(config["STATISTICS_MINIMUM"]),
    )
