"""Scheduled jobs run once at a time across servers: on PostgreSQL a second run finds the
job's advisory lock taken and stops; on SQLite (one machine) the lock always succeeds."""

from __future__ import annotations

from quizapp.extensions import db
from quizapp.locks import KEYS, lock_key, run_lock


def on_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def test_a_second_run_of_the_same_job_stops_while_the_first_holds_the_lock(app):
    with run_lock("dashboards-refresh") as first:
        assert first is True
        with run_lock("dashboards-refresh") as second:
            assert second is not on_postgresql()
        with run_lock("xapi-send") as other_job:
            assert other_job is True
        refresh = app.test_cli_runner().invoke(args=["dashboards", "refresh"])
        assert refresh.exit_code == 0
        if on_postgresql():
            assert "Another refresh is running: this one stops." in refresh.output
            assert "recounted" not in refresh.output
        else:
            assert "Status counts recounted" in refresh.output
    # Released when the first run ends.
    with run_lock("dashboards-refresh") as later:
        assert later is True


def test_lock_keys_are_stable_and_distinct():
    assert lock_key("reminders") == KEYS["reminders"] == 0x72656D696E646572
    assert lock_key("dashboards-refresh") == lock_key("dashboards-refresh")
    assert len({lock_key(n) for n in ("reminders", "dashboards-refresh", "xapi-send")}) == 3


def test_a_second_xapi_send_stops_while_one_is_sending(app):
    app.config["XAPI_ENDPOINT"] = "http://127.0.0.1:9/xapi"  # nothing is sent: no rows
    with run_lock("xapi-send"):
        second = app.test_cli_runner().invoke(args=["xapi", "send"])
    assert second.exit_code == 0
    if on_postgresql():
        assert "Another run is sending statements: this one stops." in second.output
    else:
        assert "Sent 0 statements." in second.output
