"""quizapp: scenario-based competency checks built from safeguarding practice reviews."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, render_template
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .config import WEAK_SECRET_KEYS, Config, config_from_environment, database_url
from .extensions import csrf, db, limiter, login_manager, migrate
from .replica import REPLICA, replica_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type[Config] | Mapping[str, Any] | None = None) -> Flask:
    """Build the app. No schema work here: `flask db upgrade` (or `quizapp demo`) does it."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.config.from_object(config_from_environment() if config is None else Config)
    if isinstance(config, Mapping):
        app.config.from_mapping(config)
    elif config is not None:
        app.config.from_object(config)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{Path(app.instance_path) / 'quizapp.sqlite'}"
        )
    _configure_secret_key(app)
    _configure_replica(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    _init_rate_limits(app)
    app.before_request(_refuse_bodies_that_are_not_forms)

    from . import models  # noqa: F401  (registers the models and their guards)
    from .web import init_web
    from .workforce import (
        deadlines,  # noqa: F401  (keeps the stored deadlines in step)
        tally,  # noqa: F401  (keeps the status counts in step)
    )

    init_web(app)

    from .account import bp as account_bp
    from .admin import bp as admin_bp
    from .auth import bp as auth_bp
    from .author import bp as author_bp
    from .certificates import bp as certificates_bp
    from .dashboards import bp as dashboards_bp
    from .health import bp as health_bp
    from .impact.follow_up_routes import bp as follow_up_bp
    from .managers import bp as managers_bp
    from .pages import bp as pages_bp
    from .session_timeout import bp as session_bp
    from .sso import bp as sso_bp
    from .take import bp as take_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(account_bp, url_prefix="/account")
    app.register_blueprint(take_bp, url_prefix="/checks")
    app.register_blueprint(follow_up_bp, url_prefix="/follow-ups")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(author_bp, url_prefix="/author")
    app.register_blueprint(dashboards_bp, url_prefix="/dashboards")
    app.register_blueprint(managers_bp, url_prefix="/your-teams")
    app.register_blueprint(pages_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(certificates_bp)
    app.register_blueprint(session_bp)
    app.register_blueprint(sso_bp)

    from .cli import register_cli

    register_cli(app)
    return app


def _configure_replica(app: Flask) -> None:
    """DATABASE_REPLICA_URL becomes the replica bind that dashboard reads use."""
    url = database_url(app.config.get("DATABASE_REPLICA_URL"))
    if url:
        app.config["SQLALCHEMY_BINDS"] = {
            **(app.config.get("SQLALCHEMY_BINDS") or {}),
            REPLICA: replica_url(url),
        }


def _init_rate_limits(app: Flask) -> None:
    """Limits are counted per client address: behind TRUSTED_PROXIES proxies, take it (and
    the scheme) from X-Forwarded-For/-Proto. Counters live in Redis when configured, so
    every app server shares them."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config.get("REDIS_URL") or "memory://"
    # One limiter serves every app made in a process (the tests make many) and keeps some
    # settings from the first app it is bound to (Flask-Limiter 4): forget them first.
    for attribute, value in (
        ("enabled", True),
        ("_key_prefix", ""),
        ("_strategy", None),
        ("_swallow_errors", None),
        ("_in_memory_fallback_enabled", False),
    ):
        setattr(limiter, attribute, value)
    limiter.init_app(app)
    # Every limit is declared on its view (extensions.py), and the view's wrapper checks
    # it. The check Flask-Limiter adds before every request looks for default, application
    # and blueprint limits, of which there are none: on an answer POST it cost 4% for nothing.
    # (With RATELIMIT_ENABLED off, Flask-Limiter adds no such check.)
    checks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in checks:
        checks.remove(limiter._check_request_limit)


#: What browsers send from our forms; nothing in the app reads any other kind of body.
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def _refuse_bodies_that_are_not_forms() -> None:
    """415 for a body that isn't a form (JSON, text, ...): Flask-WTF would otherwise read
    a JSON body as form data, where a number or a list in a text field fails inside
    WTForms' validators (a 500) instead of as a form error."""
    from flask import abort, request

    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.mimetype and request.mimetype not in FORM_TYPES:
        abort(
            415,
            description="This service only accepts its own forms. Go back to the page,"
            " fill in the form and send it again.",
        )


def _configure_secret_key(app: Flask) -> None:
    key = app.config.get("SECRET_KEY")
    if key and key not in WEAK_SECRET_KEYS and len(key) >= 32:
        return
    if key and app.config.get("TESTING"):
        return
    if not app.config.get("GENERATE_SECRET_KEY"):
        raise RuntimeError(
            "SECRET_KEY must be set to a random value of at least 32 characters in production"
            " (for example: python -c 'import secrets; print(secrets.token_hex(32))')."
        )
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    app.config["SECRET_KEY"] = key_file.read_text().strip()


def sqlite_synchronous() -> str:
    """FULL (the default) makes every saved answer survive a power cut; NORMAL is faster
    and survives an application crash but may lose the last moments before a power cut."""
    value = os.environ.get("QUIZAPP_SQLITE_SYNCHRONOUS", "FULL").upper()
    if value not in {"FULL", "NORMAL", "EXTRA"}:
        raise RuntimeError("QUIZAPP_SQLITE_SYNCHRONOUS must be FULL, NORMAL or EXTRA")
    return value


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite enforces foreign keys only when asked; WAL lets readers and a writer overlap."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={sqlite_synchronous()}")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def render_error(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("errors/error.html", title=title, message=message), status
