"""`flask xapi send` against a real learning record store: Ralph (ralph-malph), started
by the test on a free port with its file-system backend, stopped part way and restarted.

100 attempts give 800 statements; whatever happens to the LRS, it ends up holding each
of them exactly once.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import pytest
import requests
import sqlalchemy as sa

from quizapp.extensions import db
from quizapp.models import XapiOutbox

from .factories import check_for, create_agency, import_bank_text, small_bank
from .test_xapi import PER_ATTEMPT, SERVICE, new_user, take_check

USERNAME, PASSWORD = "quizapp", "lrs-password-for-tests"
ATTEMPTS = 100


#: Ralph's API under uvicorn, as `ralph runserver -b fs` runs it, but with its file-system
#: LRS backend appending: in ralph-malph 5.1 it writes with operation CREATE, which
#: refuses every POST after the first ("fs_lrs.jsonl already exists and overwrite is not
#: allowed"), so as shipped it could store only one batch.
SERVE = """
import sys
import uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND
uvicorn.run("ralph.api:app", host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RalphLRS:
    """A Ralph LRS in a folder of its own (users file, statements), started without the
    `ralph` command: its `cli` extra pins click<8.2.1, older than ours."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        (folder / "data").mkdir()
        hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
        user = {
            "agent": {"mbox": "mailto:quizapp@example.org"},
            "scopes": ["all"],
            "hash": hashed,
            "username": USERNAME,
        }
        (folder / "auth.json").write_text(json.dumps([user]))

    def start(self) -> None:
        env = {
            **os.environ,
            "RALPH_APP_DIR": str(self.folder),
            "RALPH_AUTH_FILE": str(self.folder / "auth.json"),
            "RALPH_RUNSERVER_BACKEND": "fs",
            "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(self.folder / "data"),
        }
        with (self.folder / "lrs.log").open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", SERVE, str(self.port)],
                cwd=self.folder,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.folder / "lrs.log").read_text()
            try:
                if requests.get(f"{self.url}/__heartbeat__", timeout=1).ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise AssertionError("the LRS did not start in 30 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=15)
            self.process = None

    def post(self, statements: list[dict]) -> requests.Response:
        return requests.post(
            f"{self.url}/xAPI/statements",
            json=statements,
            auth=(USERNAME, PASSWORD),
            headers={"X-Experience-API-Version": "1.0.3"},
            timeout=30,
        )

    def stored_ids(self) -> list[str]:
        """Every statement's id, page by page as the LRS gives them (following `more`)."""
        ids: list[str] = []
        url: str | None = f"{self.url}/xAPI/statements?limit=100"
        while url:
            answer = requests.get(
                url,
                auth=(USERNAME, PASSWORD),
                headers={"X-Experience-API-Version": "1.0.3"},
                timeout=30,
            )
            assert answer.status_code == 200, answer.text
            page = answer.json()
            ids += [statement["id"] for statement in page["statements"]]
            url = f"{self.url}{page['more']}" if page.get("more") else None
        return ids


@pytest.fixture
def lrs(tmp_path: Path) -> Iterator[RalphLRS]:
    server = RalphLRS(tmp_path)
    server.start()
    yield server
    server.stop()


def count(*where: sa.ColumnElement[bool]) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(XapiOutbox).where(*where))


def test_every_statement_reaches_the_lrs_once_though_it_stops_part_way(app, lrs):
    app.config.update(
        XAPI_ENDPOINT=f"{lrs.url}/xAPI",
        XAPI_USERNAME=USERNAME,
        XAPI_PASSWORD=PASSWORD,
        XAPI_SERVICE_URL=SERVICE,
    )
    check = check_for(import_bank_text(small_bank()))
    agency = create_agency()
    for number in range(ATTEMPTS):
        take_check(new_user(agency, number), check, right=number % 3 != 0)
    db.session.commit()
    total = ATTEMPTS * PER_ATTEMPT
    assert count() == total
    runner = app.test_cli_runner()

    def send(*options: str):
        db.session.commit()  # the test's own reads end before the command writes
        return runner.invoke(args=["xapi", "send", "--batch-size", "50", *options])

    result = send("--max-batches", "6")
    assert result.exit_code == 0, result.output
    assert "Sent 300 statements." in result.output
    assert count(XapiOutbox.sent_at.is_not(None)) == 300

    lrs.stop()
    result = send()
    assert result.exit_code == 1
    assert "The LRS failed (ConnectionError" in result.output
    assert count(XapiOutbox.sent_at.is_not(None)) == 300
    waiting = count(XapiOutbox.attempts == 1, XapiOutbox.next_try_at.is_not(None))
    assert waiting == 50
    assert count() == total  # nothing lost

    lrs.start()
    # The failed batch waits its turn; the rest go now, then `--all` sends the waiting.
    result = send()
    assert result.exit_code == 0, result.output
    assert count(XapiOutbox.sent_at.is_(None)) == 50
    result = send("--all")
    assert result.exit_code == 0, result.output
    assert count(XapiOutbox.sent_at.is_(None)) == 0

    # An answer lost on the way back: the LRS stored a batch we think unsent. Resent, it is
    # stored once.
    db.session.execute(
        sa.update(XapiOutbox).where(XapiOutbox.id <= 100).values(sent_at=None, next_try_at=None)
    )
    result = send()
    assert result.exit_code == 0, result.output
    assert "Sent 100 statements." in result.output

    # ...because the LRS finds it identical (204), not because a conflict (409) was forgiven.
    payloads = list(db.session.scalars(sa.select(XapiOutbox.payload).limit(50)))
    assert lrs.post(payloads).status_code == 204

    stored = lrs.stored_ids()
    ours = set(db.session.scalars(sa.select(XapiOutbox.statement_id)))
    assert len(stored) == total
    assert set(stored) == ours


def test_a_conflicting_statement_counts_as_stored_and_does_not_hold_back_its_batch(app, lrs):
    app.config.update(
        XAPI_ENDPOINT=f"{lrs.url}/xAPI",
        XAPI_USERNAME=USERNAME,
        XAPI_PASSWORD=PASSWORD,
        XAPI_SERVICE_URL=SERVICE,
    )
    check = check_for(import_bank_text(small_bank()))
    agency = create_agency()
    take_check(new_user(agency, 1), check)
    db.session.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["xapi", "send"]).exit_code == 0

    # The LRS holds the first statement; ours now differs from it (as if someone else had
    # used the id), and a second attempt's statements go in the same batch.
    row = db.session.scalars(sa.select(XapiOutbox).order_by(XapiOutbox.id)).first()
    changed = {**row.payload, "timestamp": "2020-01-01T00:00:00.000Z"}
    row.payload, row.sent_at = changed, None
    assert lrs.post([changed]).status_code == 409
    take_check(new_user(agency, 2), check)
    db.session.commit()
    result = runner.invoke(args=["xapi", "send"])
    assert result.exit_code == 0, result.output
    assert f"Sent {PER_ATTEMPT + 1} statements." in result.output
    assert count(XapiOutbox.sent_at.is_(None)) == 0
    stored = lrs.stored_ids()
    assert len(stored) == 2 * PER_ATTEMPT == len(set(stored))
