"""quizapp: scenario-based competency checks built from safeguarding practice reviews."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, render_template
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .config import WEAK_SECRET_KEYS, Config, config_from_environment
from .extensions import csrf, db, login_manager, migrate

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

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)

    from . import models  # noqa: F401  (registers the models and their guards)
    from .web import init_web

    init_web(app)

    from .admin import bp as admin_bp
    from .auth import bp as auth_bp
    from .author import bp as author_bp
    from .take import bp as take_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(take_bp, url_prefix="/checks")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(author_bp, url_prefix="/author")

    from .cli import register_cli

    register_cli(app)
    return app


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


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite enforces foreign keys only when asked; WAL lets readers and a writer overlap."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def render_error(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("errors/error.html", title=title, message=message), status
