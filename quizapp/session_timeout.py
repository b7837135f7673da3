"""Warning people before an idle sign-out, and letting them stay signed in (WCAG 2.2.1).

A signed-in session ends after SESSION_IDLE_TIMEOUT without a request (quizapp.web).
Every signed-in page carries a warning dialog (templates/_session_timeout.html) that
quizapp/static/session-timeout.js opens SESSION_IDLE_WARNING before then. Its "Stay signed
in" button sends the POST below, which counts as using the service like any other request.
Without JavaScript nothing warns, but an answer sent after the session ended is kept until
the person signs in again (quizapp.take.kept).
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, g
from werkzeug.wrappers import Response

from .access import roles_required

bp = Blueprint("session", __name__, url_prefix="/session")


def idle_limit() -> timedelta:
    """How long a signed-in session may go without a request."""
    limit = current_app.config.get("SESSION_IDLE_TIMEOUT", timedelta(minutes=30))
    return limit if isinstance(limit, timedelta) else timedelta(seconds=float(limit))


def activity_step() -> timedelta:
    """How stale the session's last-seen time may be: it is written at most this often
    (quizapp.web._note_session_activity), SESSION_ACTIVITY_STEP (a minute) but never more
    than a thirtieth of the idle limit. A session therefore ends between the idle limit
    less this step and the idle limit after its last request; the pages tell the script
    when the server last counted a request (web.seconds_since_last_seen)."""
    step = current_app.config.get("SESSION_ACTIVITY_STEP", timedelta(minutes=1))
    if not isinstance(step, timedelta):
        step = timedelta(seconds=float(step))
    return min(step, idle_limit() / 30)


def warning_time() -> timedelta:
    """How long before the limit the warning opens: SESSION_IDLE_WARNING, but never more
    than half the limit (so a short limit still leaves time to do something)."""
    warning = current_app.config.get("SESSION_IDLE_WARNING", timedelta(minutes=2))
    if not isinstance(warning, timedelta):
        warning = timedelta(seconds=float(warning))
    return min(warning, idle_limit() / 2)


def duration_text(duration: timedelta) -> str:
    """GOV.UK style: 30 minutes, 1 minute, 15 seconds, 1 minute 30 seconds."""
    minutes, seconds = divmod(round(duration.total_seconds()), 60)
    parts = [f"{minutes} minute{'' if minutes == 1 else 's'}"] if minutes else []
    if seconds or not minutes:
        parts.append(f"{seconds} second{'' if seconds == 1 else 's'}")
    return " ".join(parts)


@bp.app_context_processor
def timeout_context() -> dict[str, object]:
    from .web import seconds_since_last_seen

    limit = idle_limit()
    return {
        "idle_limit_text": duration_text(limit),
        "idle_limit_seconds": round(limit.total_seconds()),
        "idle_warning_seconds": round(warning_time().total_seconds()),
        # The server counts the idle time from its last-seen time, which may be up to an
        # activity step before this page's request: the script counts from the same.
        "idle_seen_ago_seconds": round(seconds_since_last_seen(), 1),
    }


@bp.route("/keep-alive", methods=["POST"])
@roles_required()
def keep_alive() -> Response:
    """ "Stay signed in". CSRFProtect has checked the form's token; the idle time restarts
    now, not at the next activity step (web._note_session_activity): the script counts
    the full limit again from this request. A session that had already ended gets the usual
    redirect to sign in instead."""
    g.restart_idle_time = True
    return Response(status=204)
