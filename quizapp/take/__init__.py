from flask import Blueprint

bp = Blueprint("take", __name__)

from . import routes as routes  # noqa: E402
