"""Templates, error pages and response headers shared by every blueprint."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Flask, current_app, flash, g, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from markupsafe import Markup
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from .access import refuse_undeclared_routes
from .markdown import render_markdown
from .models import Role, utcnow
from .session_timeout import activity_step, duration_text, idle_limit
from .settings import current_settings

LONDON = ZoneInfo("Europe/London")


def format_date(value: datetime | None) -> str:
    """GOV.UK style: 26 November 2026, in UK time."""
    return "" if value is None else f"{value.astimezone(LONDON):%-d %B %Y}"


def format_datetime(value: datetime | None) -> str:
    """GOV.UK style: 26 November 2026 at 3:05pm, in UK time."""
    if value is None:
        return ""
    local = value.astimezone(LONDON)
    return f"{local:%-d %B %Y} at {local:%-I:%M}{local:%p}".lower().replace(
        local.strftime("%B").lower(), local.strftime("%B")
    )


def format_marks(value: float | None) -> str:
    """Marks without a trailing .0, at most two decimals: 17, 2.5, 0.33."""
    if value is None:
        return ""
    return f"{value:.2f}".rstrip("0").rstrip(".")


ERROR_PAGES = {
    400: ("There is a problem with your request", "Go back and try again."),
    403: ("You do not have permission to see this page", "Sign in with an account that can."),
    404: ("Page not found", "If you typed the web address, check it is correct."),
    405: ("There is a problem with your request", "Go back and try again."),
    413: (
        "What you sent is too large",
        "Choose a smaller file, or shorten the text, and try again. Nothing has been saved.",
    ),
    429: ("Too many requests", "Wait a few minutes and try again."),
    500: ("Sorry, there is a problem with the service", "Try again later."),
}


def init_web(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(app.template_folder),  # type: ignore[arg-type]
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    WTFormsHelpers(app)
    app.add_template_global(error_summary)
    app.add_template_global(current_settings, "partnership_settings")
    app.add_template_global(home_url)
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["marks"] = format_marks
    app.jinja_env.filters["css_string"] = css_string
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def layout_context() -> dict[str, object]:
        return {
            "service_name": app.config["SERVICE_NAME"],
            "partnership_name": app.config["PARTNERSHIP_NAME"],
            "csp_nonce": getattr(g, "csp_nonce", ""),
            "now": utcnow(),
            "navigation": navigation(app),
        }

    app.before_request(_make_nonce)
    app.before_request(_end_idle_session)
    app.before_request(refuse_undeclared_routes)
    app.after_request(_note_session_activity)
    app.after_request(_security_headers)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        return (
            render_template(
                "errors/error.html",
                title="Your form could not be sent",
                message="The page had expired or the form was not sent from this service."
                " Go back, refresh the page and try again. Answers you saved earlier are kept.",
            ),
            400,
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int] | HTTPException:
        status = error.code or 500
        if status < 400:
            return error
        title, message = ERROR_PAGES.get(status, (error.name, error.description or ""))
        return render_template("errors/error.html", title=title, message=message), status

    @app.errorhandler(500)
    def server_error(error: Exception) -> tuple[str, int]:
        title, message = ERROR_PAGES[500]
        return render_template("errors/error.html", title=title, message=message), 500


def _admin_or(predicate: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda user: user.has_role(Role.ADMIN) or predicate(user)


#: (endpoint, text, endpoint prefixes it stands for, who sees it), in display order.
NAVIGATION: list[tuple[str, str, tuple[str, ...], Callable[[Any], bool]]] = [
    ("take.your_checks", "Your checks", ("take.",), lambda u: u.has_role(Role.PRACTITIONER)),
    ("managers.teams", "Your teams", ("managers.",), lambda u: u.is_team_manager),
    ("author.banks", "Question banks", ("author.",), _admin_or(lambda u: u.has_role(Role.AUTHOR))),
    (
        "dashboards.completion",
        "Dashboards",
        ("dashboards.",),
        _admin_or(lambda u: u.has_role(Role.LEAD)),
    ),
    (
        "admin.people",
        "People",
        ("admin.people", "admin.upload", "admin.person", "admin.invit"),
        _admin_or(lambda u: u.is_agency_lead),
    ),
    (
        "admin.assignments",
        "Assignments",
        (
            "admin.assignments",
            "admin.new_assignment",
            "admin.edit_assignment",
            "admin.end_assignment",
        ),
        _admin_or(lambda u: u.is_partnership_lead),
    ),
    (
        "admin.checks",
        "Checks",
        ("admin.check", "admin.retire_check", "admin.restore_check"),
        _admin_or(lambda u: u.is_partnership_lead),
    ),
    ("admin.agencies", "Agencies", ("admin.agenc", "admin.team"), _admin_or(lambda u: False)),
    ("pages.help", "Help", ("pages.help",), lambda u: True),
]


#: Where each role's work starts. A person with several roles starts at the first of
#: theirs in this order and reaches the others from the navigation: administering the
#: service, leading, and writing banks are why someone holds those roles, while nearly
#: everyone is also a practitioner (a lead's own checks are one link away).
HOMES: list[tuple[Role, str]] = [
    (Role.ADMIN, "admin.home"),
    (Role.LEAD, "dashboards.completion"),
    (Role.AUTHOR, "author.banks"),
    (Role.PRACTITIONER, "take.your_checks"),
]
#: For someone signed in without any role: help says what each role does and who to ask.
NO_ROLE_HOME = "pages.help"


def start_session(user: Any) -> None:
    """Sign the person in on a new session (none of the old one's contents carry over),
    whichever way they proved who they are: password or single sign-on."""
    session.clear()
    login_user(user)


def safe_next(target: str | None) -> str | None:
    """Only same-site paths, so a link can't send someone elsewhere after signing in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def home_url(user: Any = None) -> str:
    """The page a person starts on: their role's home (HOMES), or signing in."""
    user = current_user if user is None else user
    if not getattr(user, "is_authenticated", False):
        return url_for("auth.sign_in")
    endpoint = next((home for role, home in HOMES if user.has_role(role)), NO_ROLE_HOME)
    return url_for(endpoint)


def navigation(app: Flask) -> list[dict[str, object]]:
    """Service navigation items for the signed-in person (none when signed out)."""
    if not getattr(current_user, "is_authenticated", False):
        return []
    current = request.endpoint or ""
    return [
        {"href": url_for(endpoint), "text": text, "active": current.startswith(prefixes)}
        for endpoint, text, prefixes, shown in NAVIGATION
        if endpoint in app.view_functions and shown(current_user)
    ]


def error_summary(form: Any, title: str = "There is a problem") -> dict[str, Any]:
    """GOV.UK error summary parameters for a form, with form-wide errors (WTForms'
    `form_errors`) linked to the `form-errors` block that shows them."""
    from govuk_frontend_wtf.main import wtforms_errors

    params = wtforms_errors(form, {"titleText": title})
    # The library lists one error a field; every form-wide problem is listed here (e.g.
    # each placeholder that stops a draft being published).
    listed: list[dict[str, Any]] = []
    for item in params["errorList"]:
        if item.get("href") not in ("#None", "#"):
            listed.append(item)
        elif not any(entry.get("href") == "#form-errors" for entry in listed):
            listed += [{"text": message, "href": "#form-errors"} for message in form.form_errors]
    params["errorList"] = listed
    return params


def _make_nonce() -> None:
    g.csp_nonce = secrets.token_urlsafe(16)


# Session expiry -------------------------------------------------------------------------
#: Seconds since the epoch; tests replace it to move the clock.
session_clock: Callable[[], float] = time.time


def _idle_limit() -> float:
    return idle_limit().total_seconds()


def _end_idle_session() -> None:
    """A signed-in session unused for SESSION_IDLE_TIMEOUT ends: the person signs in
    again (a shared or lost device doesn't stay signed in). A session with no last-seen
    time (made before this rule) counts as idle. Pages warn first (session_timeout.py),
    and an answer sent with the ended session is kept for its owner (take/kept.py)."""
    if "_user_id" not in session or request.endpoint == "static":
        g.idle_checked = True
        return
    last_seen = session.get("last_seen")
    if isinstance(last_seen, int | float) and session_clock() - last_seen <= _idle_limit():
        g.idle_checked = True
        return
    ended_session_token = session.get("_user_id")
    logout_user()
    session.clear()
    from .take.kept import keep_answer_being_sent  # an answer sent just now is not lost

    idle = duration_text(idle_limit())
    if keep_answer_being_sent(ended_session_token):
        flash(
            f"You were signed out because you had not used the service for {idle}."
            " We have kept the answer you sent: sign in again to check it and carry on.",
            "info",
        )
        return
    flash(
        f"You were signed out because you had not used the service for {idle}."
        " Sign in again to carry on. Answers you saved are kept.",
        "info",
    )


def _note_session_activity(response: Response) -> Response:
    """Restart the idle time. Only for a request that got as far as the idle check: one
    refused before it (a form without its CSRF token, a body that isn't a form, too many
    tries) must not keep going a session that had already ended, unnoticed.

    The last-seen time is written at most once an activity step (a minute; see
    session_timeout.activity_step), or when the view asks (g.restart_idle_time: "Stay
    signed in"). Writing it re-signs and re-sends the session cookie, which cost a sixth
    of an answer POST when done on every request. So a session ends between the idle
    limit less one step and the idle limit after its last request, never later; the
    pages' warning counts from the server's last-seen time (seconds_since_last_seen)."""
    if "_user_id" in session and request.endpoint != "static" and g.get("idle_checked"):
        now = session_clock()
        if _moves_last_seen(now):
            session["last_seen"] = int(now)
        if not session.permanent:  # setting it, even to the same value, re-sends the cookie
            session.permanent = True
    return response


def _moves_last_seen(now: float) -> bool:
    last_seen = session.get("last_seen")
    return (
        bool(g.get("restart_idle_time"))
        or not isinstance(last_seen, int | float)
        or now - last_seen >= activity_step().total_seconds()
    )


def seconds_since_last_seen() -> float:
    """How long before this request the server last counted one for the idle time: 0 when
    this request moves the last-seen time on (_note_session_activity), else up to an
    activity step. The warning's script counts the idle limit from then."""
    now = session_clock()
    if "_user_id" not in session or _moves_last_seen(now):
        return 0.0
    return max(0.0, now - session["last_seen"])


def _security_headers(response: Response) -> Response:
    nonce = getattr(g, "csp_nonce", "")
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        f"style-src 'self' 'nonce-{nonce}'; img-src 'self' data:; font-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    if request.is_secure or current_app.config.get("SEND_HSTS"):
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if current_user and getattr(current_user, "is_authenticated", False):
        response.headers["Cache-Control"] = "no-store"
    return response


def css_string(value: object) -> Markup:
    """Text as a quoted CSS string, safe inside a <style> element: every character that
    could end the string or the element is a CSS escape."""
    escaped = "".join(
        ch if ch.isalnum() or ch in " .,:;!?()'-" else f"\\{ord(ch):x} " for ch in str(value)
    )
    return Markup(f'"{escaped}"')
