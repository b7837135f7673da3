from flask import Blueprint

bp = Blueprint("take", __name__)

from . import impact_pages as impact_pages  # noqa: E402
from . import routes as routes  # noqa: E402
