"""Entry point for gunicorn (`gunicorn wsgi:app`): production settings by default."""

import os

from quizapp import create_app

os.environ.setdefault("QUIZAPP_ENV", "production")
app = create_app()
