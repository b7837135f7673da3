"""`/healthz` for load balancers and orchestrators: 200 when this server can reach its
database, 503 when it can't, in plain text. Public, as probes don't sign in; it says
nothing but "ok" or "database unavailable", and is not rate limited (a proxy probes
every few seconds)."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, Response
from sqlalchemy.exc import SQLAlchemyError

from .access import public
from .extensions import db, limiter

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.route("/healthz")
@public
@limiter.exempt
def healthz() -> Response:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except SQLAlchemyError:
        log.exception("health check: the database did not answer")
        db.session.rollback()
        return _plain("database unavailable", 503)
    return _plain("ok", 200)


def _plain(text: str, status: int) -> Response:
    response = Response(text + "\n", status=status, content_type="text/plain; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response
