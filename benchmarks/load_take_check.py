"""Load test: many practitioners taking the HS check at once, over real HTTP.

    python benchmarks/load_take_check.py [--practitioners 60] [--concurrency 50]
        [--duration 60] [--workers 4] [--max-requests 200000]

Creates a fresh PostgreSQL database (127.0.0.1:5432, user postgres), migrates it, imports
the HS bank and creates the synthetic practitioners; starts gunicorn on 127.0.0.1 (never
another interface); then `concurrency` threads, each a practitioner with its own httpx
client, sign in and repeat for `duration` seconds: start the check and follow its pages
(the confidence questions when due, each stage, each question the attempt drew, answered
with one of the options its form offers and a certainty), check answers, submit, read
the result. It
counts requests, errors and answers sent, then checks in the database that every answer
sent is stored exactly once, prints one JSON summary line (with the machine: nproc,
memory) and drops the database. Needs the `bench` extra (httpx). Not a CI test.

The app runs with development settings (cookies without Secure, because this is plain
HTTP on loopback) but otherwise as in production: gunicorn, PostgreSQL, CSRF on.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PG_HOST = "127.0.0.1"
PASSWORD = "load test password 2026"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
REFLECTION = "What I will do differently: ask about the other adults in the home."
#: A stage page's button to the next step.
NEXT = re.compile(r'<a href="(/checks/attempts/[^"]+)" role="button"')
#: More steps than any check has: a loop of redirects is an error, not a hang.
MAX_STEPS = 500


@dataclass
class Counts:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    errors: int = 0
    answers_sent: int = 0
    submissions: int = 0
    latencies: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)

    def record(self, seconds: float, ok: bool, what: str) -> None:
        with self.lock:
            self.requests += 1
            self.latencies.append(seconds)
            if not ok:
                self.errors += 1
                if len(self.error_samples) < 10:
                    self.error_samples.append(what)


def machine() -> dict[str, object]:
    memory_kb = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
    return {"nproc": int(nproc), "memory_gib": round(memory_kb / 1024 / 1024, 1)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(database_url: str, practitioners: int) -> tuple[int, list[str]]:
    """Migrate, import the HS bank, create practitioners: (check id, emails)."""
    env = {**os.environ, "DATABASE_URL": database_url, "QUIZAPP_ENV": "development"}
    flask = [sys.executable, "-m", "flask", "--app", "quizapp"]
    subprocess.run([*flask, "db", "upgrade"], env=env, check=True, cwd=ROOT, capture_output=True)
    subprocess.run(
        [*flask, "banks", "import", "question_banks/hs-baby-2016.yaml"],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    import sqlalchemy as sa
    from werkzeug.security import generate_password_hash

    from quizapp import create_app
    from quizapp.config import database_url as to_url
    from quizapp.extensions import db
    from quizapp.models import Agency, Check, Role, User, utcnow

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": to_url(database_url), "SECRET_KEY": secrets.token_hex(32)}
    )
    with app.app_context():
        check = db.session.scalars(sa.select(Check)).one()
        check.attempts_allowed = None  # practitioners go round again and again
        agency = Agency(name="Load Test Trust", sector="health")
        db.session.add(agency)
        password_hash = generate_password_hash(PASSWORD, method="scrypt")
        emails = [f"load{number}@loadtest.example.org" for number in range(practitioners)]
        for email in emails:
            user = User(
                email=email,
                name=f"Practitioner {email.split('@')[0]}",
                agency=agency,
                job_role="Health visitor",
                email_confirmed_at=utcnow(),
            )
            user.password_hash = password_hash
            user.grant(Role.PRACTITIONER)
            db.session.add(user)
        db.session.commit()
        check_id = check.id
        db.engine.dispose()
    return check_id, emails


class _Form(HTMLParser):
    """The fields of the page's first POST form inside <main> (the header's sign-out form
    is outside it)."""

    def __init__(self) -> None:
        super().__init__()
        self.in_main = self.in_form = self.done = False
        self.hidden: dict[str, str] = {}
        self.choices: dict[str, list[str]] = {}  # radios
        self.boxes: dict[str, list[str]] = {}  # checkboxes
        self.selects: dict[str, list[str]] = {}
        self.texts: list[str] = []
        self.select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "main":
            self.in_main = True
        elif tag == "form" and self.in_main and not self.done:
            self.in_form = found.get("method", "").lower() == "post"
        elif not self.in_form:
            return
        elif tag == "input" and "name" in found:
            kind, name, value = found.get("type", "text"), found["name"], found.get("value", "")
            if kind == "hidden":
                self.hidden[name] = value
            elif kind == "radio":
                self.choices.setdefault(name, []).append(value)
            elif kind == "checkbox":
                self.boxes.setdefault(name, []).append(value)
            elif kind in ("text", "number", "email"):
                self.texts.append(name)
        elif tag == "select":
            self.select = found.get("name")
            self.selects.setdefault(self.select or "", [])
        elif tag == "option" and self.select and found.get("value"):
            self.selects[self.select].append(found["value"])
        elif tag == "textarea" and "name" in found:
            self.texts.append(found["name"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None
        elif tag == "form" and self.in_form:
            self.in_form, self.done = False, True


def fill_form(html: str, rng: random.Random | None = None) -> dict[str, str | list[str]]:
    """An answer a practitioner could give on this page, read from the page itself:
    option values are opaque per attempt (quizapp/take/layout.py), so the client picks
    among what the form offers. Ordering selects get a permutation of the positions."""
    rng = rng or random.Random()
    form = _Form()
    form.feed(html)
    if not form.done:
        raise RuntimeError("no form on the page")
    filled: dict[str, str | list[str]] = dict(form.hidden)
    for name, values in form.choices.items():
        filled[name] = rng.choice(values)
    for name, values in form.boxes.items():
        filled[name] = rng.sample(values, rng.randint(1, len(values)))
    positions = sorted(name for name in form.selects if name.startswith("position-"))
    if positions:
        places = list(form.selects[positions[0]])
        rng.shuffle(places)
        filled.update(zip(positions, places, strict=True))
    for name, values in form.selects.items():
        if name not in positions and values:
            filled[name] = rng.choice(values)
    for name in form.texts:
        filled[name] = REFLECTION
    return filled


class Practitioner(threading.Thread):
    def __init__(self, base: str, email: str, check_id: int, **run) -> None:
        super().__init__(daemon=True)
        self.base, self.email, self.check_id = base, email, check_id
        self.counts: Counts = run["counts"]
        self.deadline: float = run["deadline"]
        self.max_requests: int = run["max_requests"]
        self.start_line: threading.Barrier = run["barrier"]

    def request(self, client: httpx.Client, method: str, url: str, **kwargs) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = client.request(method, url, **kwargs)
        except httpx.HTTPError as error:
            self.counts.record(time.perf_counter() - started, False, f"{method} {url}: {error}")
            raise
        ok = response.status_code < 400 or (method == "POST" and response.status_code == 422)
        self.counts.record(
            time.perf_counter() - started, ok, f"{method} {url}: {response.status_code}"
        )
        if not ok:
            raise RuntimeError(f"{method} {url}: {response.status_code}")
        return response

    def over(self) -> bool:
        return time.monotonic() >= self.deadline or self.counts.requests >= self.max_requests

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=30, follow_redirects=False) as client:
            self.start_line.wait()
            try:
                page = self.request(client, "GET", "/sign-in")
                token = CSRF.search(page.text)[1]
                signed_in = self.request(
                    client,
                    "POST",
                    "/sign-in",
                    data={"email": self.email, "password": PASSWORD, "csrf_token": token},
                )
                assert signed_in.status_code == 302, signed_in.status_code
                while not self.over():
                    self.take_check(client, token)
            except (httpx.HTTPError, RuntimeError, AssertionError):
                return  # counted as an error already

    def take_check(self, client: httpx.Client, token: str) -> None:
        overview = self.request(client, "GET", f"/checks/{self.check_id}")
        token = CSRF.search(overview.text)[1]  # the signed-in session's token
        started = self.request(
            client, "POST", f"/checks/{self.check_id}/start", data={"csrf_token": token}
        )
        match = re.search(r"/checks/attempts/(\d+)/", started.headers.get("location", ""))
        if match is None:
            raise RuntimeError(f"start did not lead to an attempt: {started.headers}")
        attempt = match[1]
        # The steps as the attempt's pages lead: the confidence questions when due, each
        # stage's narrative (its button leads on), each question (saving it redirects to
        # the next step), until "Check your answers".
        url = started.headers["location"]
        for _ in range(MAX_STEPS):
            if self.over():
                return
            if url.split("?")[0].endswith("/check-answers"):
                break
            page = self.request(client, "GET", url)
            if "/stages/" in url:
                url = NEXT.search(page.text)[1]
                continue
            if "/questions/" in url:
                with self.counts.lock:
                    self.counts.answers_sent += 1
            saved = self.request(client, "POST", url, data=fill_form(page.text))
            if saved.status_code != 302:
                raise RuntimeError(f"{url} not saved: {saved.status_code}")
            url = saved.headers["location"]
        else:
            raise RuntimeError(f"attempt {attempt} never reached check-answers")
        self.request(client, "GET", f"/checks/attempts/{attempt}/check-answers")
        submitted = self.request(
            client,
            "POST",
            f"/checks/attempts/{attempt}/check-answers",
            data={"csrf_token": token},
        )
        if submitted.status_code != 302:
            raise RuntimeError(f"submit refused: {submitted.status_code}")
        with self.counts.lock:
            self.counts.submissions += 1
        self.request(client, "GET", f"/checks/attempts/{attempt}/result")


def stored(database_url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(database_url) as connection:
        one = connection.execute
        return {
            "responses": one("SELECT count(*) FROM responses").fetchone()[0],
            "duplicates": one(
                "SELECT count(*) FROM (SELECT attempt_id, question_id FROM responses"
                " GROUP BY attempt_id, question_id HAVING count(*) > 1) d"
            ).fetchone()[0],
            "submitted": one(
                "SELECT count(*) FROM attempts WHERE submitted_at IS NOT NULL"
            ).fetchone()[0],
        }


def percentiles(latencies: list[float]) -> dict[str, float]:
    if not latencies:
        return {}
    ordered = sorted(latencies)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "p50_ms": round(cut[49] * 1000, 1),
        "p90_ms": round(cut[89] * 1000, 1),
        "p95_ms": round(cut[94] * 1000, 1),
        "p99_ms": round(cut[98] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practitioners", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args(argv)
    if args.concurrency > args.practitioners:
        parser.error("--concurrency can't exceed --practitioners (one session each)")

    name = f"quizapp_load_{os.getpid()}"
    database_url = f"postgresql://postgres@{PG_HOST}:5432/{name}"
    subprocess.run(["createdb", "-h", PG_HOST, "-U", "postgres", name], check=True)
    server = None
    try:
        check_id, emails = prepare(database_url, args.practitioners)
        port = free_port()
        log_path = Path(tempfile.gettempdir()) / f"{name}-gunicorn.log"
        log = log_path.open("w")
        env = {
            **os.environ,
            "QUIZAPP_ENV": "development",
            "DATABASE_URL": database_url,
            "SECRET_KEY": secrets.token_hex(32),
            "RATELIMIT_STORAGE_URI": "memory://",
        }
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(args.workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "60",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/sign-in", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError(f"gunicorn did not start; see {log_path}")

        counts = Counts()
        barrier = threading.Barrier(args.concurrency)
        started = time.monotonic()
        run = {
            "counts": counts,
            "deadline": started + args.duration,
            "max_requests": args.max_requests,
            "barrier": barrier,
        }
        threads = [
            Practitioner(base, email, check_id, **run) for email in emails[: args.concurrency]
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.duration + 120)
        elapsed = time.monotonic() - started
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
            log.close()
    try:
        in_database = stored(database_url)
    finally:
        if not args.keep_database:
            subprocess.run(
                ["dropdb", "-h", PG_HOST, "-U", "postgres", "--if-exists", "--force", name],
                check=True,
            )
    summary = {
        "benchmark": "load_take_check",
        "practitioners": args.practitioners,
        "concurrency": args.concurrency,
        "workers": args.workers,
        "seconds": round(elapsed, 1),
        "requests": counts.requests,
        "requests_per_second": round(counts.requests / elapsed, 1),
        "errors": counts.errors,
        "answers_sent": counts.answers_sent,
        "answers_stored": in_database["responses"],
        "duplicate_answers": in_database["duplicates"],
        "submissions": counts.submissions,
        "attempts_submitted": in_database["submitted"],
        "latency": percentiles(counts.latencies),
        "machine": machine(),
        "error_samples": counts.error_samples,
    }
    print(json.dumps(summary))
    good = (
        counts.errors == 0
        and counts.answers_sent == in_database["responses"]
        and in_database["duplicates"] == 0
        and counts.submissions == in_database["submitted"]
    )
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
