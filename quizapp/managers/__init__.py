"""Team managers' pages: the named status of the people in the teams they manage, and
a CSV of it. Mounted at /your-teams."""

from flask import Blueprint

bp = Blueprint("managers", __name__)

from . import routes as routes  # noqa: E402
