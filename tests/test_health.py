"""`/healthz`: 200 "ok" while the database answers, 503 when it doesn't; never cached,
never rate limited, and no session cookie for the probe."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from quizapp.extensions import db


def test_ok_while_the_database_answers(client):
    for _ in range(3):  # a proxy probes every few seconds: no limit applies
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.get_data(as_text=True) == "ok\n"
    assert response.content_type == "text/plain; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_unavailable_when_the_database_fails(client, monkeypatch):
    real_execute = db.session.execute

    def failing(statement, *args, **kwargs):
        if isinstance(statement, sa.TextClause) and statement.text == "SELECT 1":
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))
        return real_execute(statement, *args, **kwargs)

    monkeypatch.setattr(db.session, "execute", failing)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "database unavailable\n"
