"""Safeguarding leads' dashboards: completion per agency, and whether the learning
landed. Mounted at /dashboards."""

from flask import Blueprint

bp = Blueprint("dashboards", __name__)

from . import routes as routes  # noqa: E402
