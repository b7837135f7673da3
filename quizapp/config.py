"""Configuration classes, read from the environment.

`create_app()` picks a class from ``QUIZAPP_ENV`` (development, demo, production);
tests pass their own mapping. Production refuses to start without a real secret key.
"""

from __future__ import annotations

import os
from datetime import timedelta

WEAK_SECRET_KEYS = frozenset({"", "dev", "change-me", "secret", "changeme", "development"})


def database_url(url: str | None) -> str | None:
    """Use psycopg 3 for PostgreSQL URLs written the usual way (postgres://, postgresql://)."""
    if not url:
        return None
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


class Config:
    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    #: None means "an SQLite file in the instance folder", filled in by create_app.
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL"))
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    #: A read replica of the database for dashboard pages (quizapp/replica.py); unset: none.
    DATABASE_REPLICA_URL = database_url(os.environ.get("DATABASE_REPLICA_URL"))
    SERVICE_NAME = os.environ.get("QUIZAPP_SERVICE_NAME", "Safeguarding learning checks")
    PARTNERSHIP_NAME = os.environ.get("QUIZAPP_PARTNERSHIP_NAME", "Demo Safeguarding Partnership")
    WTF_CSRF_TIME_LIMIT = None  # CSRF tokens last as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024
    #: Item statistics are shown once a version has this many first attempts.
    STATISTICS_MINIMUM = int(os.environ.get("QUIZAPP_STATISTICS_MINIMUM", "10"))
    #: Demo accounts are created only where this is true.
    DEMO_MODE = False
    #: Generate and keep a secret key in the instance folder when none is given.
    GENERATE_SECRET_KEY = True
    #: Outgoing email (SMTP). Without MAIL_SERVER, messages are written to the log instead.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT") or 25)
    #: STARTTLS after connecting.
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "").strip().lower() in ("1", "true", "yes", "on")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_FROM = os.environ.get("MAIL_FROM") or "quizapp@localhost"
    #: Seconds to wait for the mail server.
    MAIL_TIMEOUT = 10
    #: How long emailed links work (each works once in any case).
    PASSWORD_RESET_MAX_AGE = timedelta(hours=1)
    EMAIL_CONFIRMATION_MAX_AGE = timedelta(days=7)
    INVITATION_MAX_AGE = timedelta(days=14)
    #: Dashboard figures built from fewer distinct people than this are hidden.
    SMALL_NUMBER_THRESHOLD = int(os.environ.get("QUIZAPP_SMALL_NUMBER_THRESHOLD") or 5)
    # Security and privacy (issue 6) ---------------------------------------------------
    #: Signed-in sessions end after this long without a request (a last-seen time kept in
    #: the session, moved on by requests at most once an activity step, below). Minutes; a
    #: fraction such as 0.25 is allowed (the browser tests use seconds).
    SESSION_IDLE_TIMEOUT = timedelta(
        minutes=float(os.environ.get("QUIZAPP_SESSION_IDLE_MINUTES") or 30)
    )
    #: Pages warn this long before the idle limit (at most half of it), with a way to stay
    #: signed in (quizapp/session_timeout.py).
    SESSION_IDLE_WARNING = timedelta(minutes=2)
    #: The last-seen time is written at most this often (at most a thirtieth of the idle
    #: limit): writing it re-signs and re-sends the session cookie (quizapp.web).
    SESSION_ACTIVITY_STEP = timedelta(minutes=1)
    #: The cookie is sent again only when the session changes (at most once an activity
    #: step for the last-seen time), not on every response.
    SESSION_REFRESH_EACH_REQUEST = False
    #: Strict-Transport-Security on every response (production is served over HTTPS only).
    SEND_HSTS = False
    #: Reverse proxies in front of the app whose X-Forwarded-For/-Proto to trust (0: none).
    #: Rate limits count per client address, so behind a proxy this must be set.
    TRUSTED_PROXIES = int(os.environ.get("QUIZAPP_TRUSTED_PROXIES") or 0)
    #: Where rate-limit counters live: memory (one process) by default; Redis so that
    #: every app server shares them. REDIS_URL is used when RATELIMIT_STORAGE_URI isn't set.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL")
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX") or "quizapp"
    #: Exact: "10 per 15 minutes" means no more than 10 in any 15 minutes.
    RATELIMIT_STRATEGY = "moving-window"
    #: If Redis is down, count in memory rather than refuse every sign-in.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    #: Failed sign-ins allowed per account, and per client address.
    SIGN_IN_LIMIT_PER_ACCOUNT = os.environ.get("QUIZAPP_SIGN_IN_LIMIT") or "10 per 15 minutes"
    SIGN_IN_LIMIT_PER_ADDRESS = (
        os.environ.get("QUIZAPP_SIGN_IN_LIMIT_PER_ADDRESS") or "10 per 15 minutes"
    )
    #: Failed sign-ins allowed per device cookie: a browser that signed in to the account
    #: before is held by this limit instead of the account's (auth/devices.py).
    SIGN_IN_LIMIT_PER_DEVICE = (
        os.environ.get("QUIZAPP_SIGN_IN_LIMIT_PER_DEVICE") or "10 per 15 minutes"
    )
    #: How long a device cookie lasts.
    DEVICE_COOKIE_MAX_AGE = timedelta(days=365)
    #: Emails sent by registering or asking for a password reset, per address and per email.
    EMAIL_LIMIT_PER_ADDRESS = os.environ.get("QUIZAPP_EMAIL_LIMIT_PER_ADDRESS") or "20 per hour"
    EMAIL_LIMIT_PER_EMAIL = os.environ.get("QUIZAPP_EMAIL_LIMIT_PER_EMAIL") or "5 per hour"
    #: Certificate look-ups (/verify/<code>) allowed per client address.
    VERIFY_LIMIT_PER_ADDRESS = os.environ.get("QUIZAPP_VERIFY_LIMIT") or "10 per minute"
    #: Years after leaving before `flask retention apply` anonymises a person.
    RETENTION_YEARS = int(os.environ.get("QUIZAPP_RETENTION_YEARS") or 6)
    #: Single sign-on providers set up by the environment (docs/single-sign-on.md): a JSON
    #: list of {"slug", "name", "metadata_url", "client_id", "client_secret", "agency"}.
    #: Administrators can add more in the admin pages.
    SSO_PROVIDERS = os.environ.get("QUIZAPP_SSO_PROVIDERS") or ""
    #: Seconds to wait for an identity provider (discovery, keys, token exchange).
    SSO_HTTP_TIMEOUT = float(os.environ.get("QUIZAPP_SSO_HTTP_TIMEOUT") or 10)
    #: The learning record store (docs/interchange.md, "xAPI"): its xAPI base URL, without
    #: "/statements". Unset: no statements are written or sent.
    XAPI_ENDPOINT = os.environ.get("XAPI_ENDPOINT") or None
    XAPI_USERNAME = os.environ.get("XAPI_USERNAME") or None
    XAPI_PASSWORD = os.environ.get("XAPI_PASSWORD") or None
    #: The service's address, the base of every activity's IRI and statement id: set it
    #: once and keep it, or the same check is a different activity to the LRS. Unset: the
    #: address of the request that submits the attempt.
    XAPI_SERVICE_URL = os.environ.get("XAPI_SERVICE_URL") or None
    #: The home page people's accounts (and agencies' groups) belong to; default the
    #: service's address.
    XAPI_ACCOUNT_HOMEPAGE = os.environ.get("XAPI_ACCOUNT_HOMEPAGE") or None
    #: Identify people to the LRS by email (mbox) rather than an opaque account id.
    XAPI_ACTOR_EMAIL = os.environ.get("XAPI_ACTOR_EMAIL", "").strip().lower() in (
        "1",
        "true",
        "yes",
        "on",
    )
    #: Statements per POST, and seconds to wait for the LRS.
    XAPI_BATCH_SIZE = int(os.environ.get("XAPI_BATCH_SIZE") or 50)
    XAPI_TIMEOUT = float(os.environ.get("XAPI_TIMEOUT") or 10)


class DevelopmentConfig(Config):
    pass


class DemoConfig(Config):
    ENV_NAME = "demo"
    DEMO_MODE = True


class ProductionConfig(Config):
    ENV_NAME = "production"
    GENERATE_SECRET_KEY = False
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    SESSION_COOKIE_SAMESITE = "Lax"
    SEND_HSTS = True


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "demo": DemoConfig,
    "production": ProductionConfig,
}


def config_from_environment() -> type[Config]:
    name = os.environ.get("QUIZAPP_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"QUIZAPP_ENV={name!r} is not one of {', '.join(sorted(CONFIGS))}"
        ) from None
