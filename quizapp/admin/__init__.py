"""Admin area: agencies and teams, people, assignments. Mounted at /admin."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import agencies as agencies  # noqa: E402
from . import assignments as assignments  # noqa: E402
from . import invitations as invitations  # noqa: E402
from . import people as people  # noqa: E402
from . import person as person  # noqa: E402
from . import settings as settings  # noqa: E402
from . import sso as sso  # noqa: E402
