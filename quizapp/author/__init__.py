"""Authoring area: banks, versions and history, drafts, preview, publishing. Mounted at /author."""

from flask import Blueprint

bp = Blueprint("author", __name__)

from . import banks as banks  # noqa: E402
from . import drafts as drafts  # noqa: E402
from . import preview as preview  # noqa: E402
