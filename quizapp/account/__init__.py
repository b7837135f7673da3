"""Your data: see and download what the service holds about you; admins anonymise people.
Mounted at /account."""

from flask import Blueprint

bp = Blueprint("account", __name__)

from . import routes as routes  # noqa: E402
