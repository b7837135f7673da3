"""Certificates of passed checks, their public verification, and the practitioner's
learning record (CPD log) for revalidation. Routes are mounted without a prefix: the
certificate sits beside its result (/checks/attempts/<id>/...), the record under
/account, and verification at /verify."""

from flask import Blueprint

bp = Blueprint("certificates", __name__)

from . import routes as routes  # noqa: E402
