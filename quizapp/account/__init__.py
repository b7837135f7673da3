"""Your data: see and download what the service holds about you. Mounted at /account.
(Administrators anonymise a person from the person's page: quizapp.admin.person.)"""

from flask import Blueprint

bp = Blueprint("account", __name__)

from . import routes as routes  # noqa: E402
