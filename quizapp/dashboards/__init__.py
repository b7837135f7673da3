"""Safeguarding leads' dashboards: completion per agency, and whether the learning
landed. Mounted at /dashboards."""

from flask import Blueprint, request
from flask_login import current_user

from ..replica import read_from_replica, stop_reading_from_replica

bp = Blueprint("dashboards", __name__)


@bp.before_request
def _read_from_replica() -> None:
    """Pages (GET, HEAD) read from the replica when there is one. The signed-in person and
    their roles are loaded from the primary first, so a session ended or a role taken away
    counts at once; only the figures may lag (docs/deployment.md)."""
    if request.method in ("GET", "HEAD"):
        current_user._get_current_object()
        read_from_replica()


bp.teardown_request(stop_reading_from_replica)

from . import routes as routes  # noqa: E402
