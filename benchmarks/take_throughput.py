"""Taking a check: answer submissions against a bare "hello" route, same gunicorn workers.

    python -m benchmarks.take_throughput --db sqlite --workers 2 --seconds 15
    python -m benchmarks.take_throughput --db postgresql --workers 2 --seconds 15

Signs in practitioners with a real HTTP client, starts their attempts, then has wrk
replay "save this answer" POSTs (each practitioner's own session cookie and CSRF token)
for `--seconds` in all, alternating with GET /hello in `--rounds` slices. Prints both
throughputs, their ratio, latency percentiles and errors, and a JSON summary line.
Loopback only; bounded in time.
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

import httpx

from quizapp import sqlite_synchronous

from .common import ROOT, database, flask, gunicorn, summary, worker_rss_mb
from .load_take_check import fill_form

PASSWORD = "benchmark password 2026"
LUA = r"""
local lines = {}
for line in io.lines(os.getenv("WRK_REQUESTS")) do table.insert(lines, line) end
local counter = 0
function init(args)
  counter = math.random(#lines)
end
function request()
  counter = counter % #lines + 1
  local path, cookie, body = lines[counter]:match("([^\t]+)\t([^\t]+)\t(.*)")
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
  }, body)
end
"""


def prepare(url: str, people: int) -> None:
    flask(url, "db", "upgrade")
    flask(url, "banks", "import", str(ROOT / "question_banks"))
    script = f"""
from quizapp import create_app
from quizapp.extensions import db
from quizapp.models import Agency, Role, User, utcnow
app = create_app()
with app.app_context():
    agency = Agency(name="Bench", sector="health")
    db.session.add(agency)
    for n in range({people}):
        user = User(email=f"bench{{n}}@example.org", name=f"Bench {{n}}", agency=agency,
                    email_confirmed_at=utcnow())
        user.set_password({PASSWORD!r})
        user.grant(Role.PRACTITIONER)
        db.session.add(user)
    db.session.commit()
"""
    import os
    import sys

    from .common import environment

    subprocess.run(
        [sys.executable, "-c", script],
        env={**environment(url), "QUIZAPP_ENV": "development"},
        cwd=ROOT,
        check=True,
    )
    del os


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    if not match:
        match = re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def first_question(client: Any, base: str) -> tuple[str, dict[str, Any]]:
    """Start the first check listed and reach its first question (skipping "Before you
    start"): its path and an answer read from its form, since option values are opaque
    per attempt. `client` is an httpx client or Flask's test client (`base` "")."""
    checks = client.get(f"{base}/checks/")
    check_url = re.search(r'href="(/checks/\d+)"', checks.text).group(1)
    overview = client.get(base + check_url)
    started = client.post(f"{base}{check_url}/start", data={"csrf_token": csrf(overview.text)})
    location = started.headers["Location"]
    if location.endswith("/confidence"):
        before = client.get(base + location)
        location = client.post(
            base + location, data={"csrf_token": csrf(before.text), "action": "skip-all"}
        ).headers["Location"]
    stage = client.get(base + location)
    question_path = re.search(r'href="(/checks/attempts/\d+/questions/[^"]+)"', stage.text).group(1)
    question = client.get(base + question_path)
    return question_path, fill_form(question.text, random.Random(0))


class Session:
    """A signed-in practitioner: their client (with its cookies), the page's CSRF token,
    and the answer POST to replay."""

    def __init__(self, client: httpx.Client, token: str, path: str, body: str) -> None:
        self.client, self.token, self.path, self.body = client, token, path, body

    def line(self) -> str:
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.client.cookies.jar)
        return f"{self.path}\t{cookie}\t{self.body}"

    def keep_alive(self, base: str) -> None:
        """ "Stay signed in", as the page's script sends it: the server writes the session's
        last-seen time now, so the cookie wrk replays next is fresh, as a browser's is."""
        response = self.client.post(f"{base}/session/keep-alive", data={"csrf_token": self.token})
        assert response.status_code == 204, response.text[:500]


def sessions(base: str, people: int) -> list[Session]:
    """One signed-in session per practitioner, at their first question."""
    signed_in = []
    for n in range(people):
        client = httpx.Client(follow_redirects=False, timeout=30)
        page = client.get(f"{base}/sign-in")
        response = client.post(
            f"{base}/sign-in",
            data={
                "csrf_token": csrf(page.text),
                "email": f"bench{n}@example.org",
                "password": PASSWORD,
            },
        )
        assert response.status_code == 302, response.text[:500]
        question_path, answer = first_question(client, base)
        body = urllib.parse.urlencode(answer)
        check = client.post(
            base + question_path,
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert check.status_code == 302, check.text[:500]
        token = csrf(client.get(base + question_path).text)
        signed_in.append(Session(client, token, question_path, body))
    return signed_in


def wrk(
    base: str,
    path: str,
    *,
    seconds: int,
    connections: int,
    script: Path | None,
    requests_file: Path | None,
) -> dict[str, float]:
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    env = None
    if script is not None:
        import os

        command += ["-s", str(script)]
        env = {**os.environ, "WRK_REQUESTS": str(requests_file)}
    out = subprocess.run(
        [*command, base + path], capture_output=True, text=True, env=env, check=True
    ).stdout
    figures: dict[str, float] = {}
    figures["requests_per_second"] = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    figures["requests"] = int(re.search(r"(\d+) requests in", out).group(1))
    for label in ("50", "75", "90", "99"):
        match = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(match.group(1)), match.group(2)
        figures[f"p{label}_ms"] = (
            value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
        )
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    figures["errors"] = (int(errors.group(1)) if errors else 0) + (
        sum(int(g) for g in socket_errors.groups()) if socket_errors else 0
    )
    return figures


def combine(runs: list[dict[str, float]]) -> dict[str, float]:
    """Rounds added up: throughput over all of them, the median round's p50/p75/p90 and
    the worst round's p99."""
    middle = sorted(runs, key=lambda run: run["p50_ms"])[len(runs) // 2]
    return {
        "requests_per_second": round(
            sum(run["requests_per_second"] for run in runs) / len(runs), 2
        ),
        "requests": sum(run["requests"] for run in runs),
        "p50_ms": middle["p50_ms"],
        "p75_ms": middle["p75_ms"],
        "p90_ms": middle["p90_ms"],
        "p99_ms": max(run["p99_ms"] for run in runs),
        "errors": sum(run["errors"] for run in runs),
        "rounds": len(runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--people", type=int, default=32)
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="gthread workers with this many threads each (default: gunicorn's sync workers)",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternate hello and answer this many times"
    )
    args = parser.parse_args()
    slice_seconds = max(1, args.seconds // args.rounds)
    with database(args.db, "quizapp_bench_take") as url:
        prepare(url, args.people)
        with (
            gunicorn(url, workers=args.workers, threads=args.threads or None) as base,
            tempfile.TemporaryDirectory() as tmp,
        ):
            people = sessions(base, args.people)
            requests_file = Path(tmp) / "requests.tsv"
            script = Path(tmp) / "answer.lua"
            script.write_text(LUA)
            # Alternate short slices of each, so that both see the same load from
            # anything else running on the machine.
            hellos, answers = [], []
            cookie_age = 0.0
            for _ in range(args.rounds):
                # wrk sends each session's cookie as it is in the file, never the one a
                # response sets: refresh them before each slice (a browser keeps the
                # newest), so that none is older than the server's activity step (a
                # minute, quizapp.session_timeout) while wrk replays it.
                refreshed = time.monotonic()
                for person in people:
                    person.keep_alive(base)
                requests_file.write_text("\n".join(p.line() for p in people) + "\n")
                hellos.append(
                    wrk(
                        base,
                        "/hello",
                        seconds=slice_seconds,
                        connections=args.connections,
                        script=None,
                        requests_file=None,
                    )
                )
                answers.append(
                    wrk(
                        base,
                        "",
                        seconds=slice_seconds,
                        connections=args.connections,
                        script=script,
                        requests_file=requests_file,
                    )
                )
                cookie_age = max(cookie_age, time.monotonic() - refreshed)
            for person in people:
                person.client.close()
            hello, answer = combine(hellos), combine(answers)
            rss = worker_rss_mb(base)
    ratio = answer["requests_per_second"] / hello["requests_per_second"]
    worker_kind = f"gthread x{args.threads}" if args.threads else "sync"
    print(
        f"{args.db} ({worker_kind}): hello {hello['requests_per_second']:.0f}/s, answer "
        f"{answer['requests_per_second']:.0f}/s, ratio {ratio:.0%}; answer p99 "
        f"{answer['p99_ms']:.1f} ms, errors {answer['errors']}"
    )
    summary(
        "take_throughput",
        database=args.db,
        workers=args.workers,
        worker_class="gthread" if args.threads else "sync",
        threads=args.threads or 1,
        sqlite_synchronous=sqlite_synchronous() if args.db == "sqlite" else None,
        seconds=slice_seconds * args.rounds,
        rounds=args.rounds,
        connections=args.connections,
        hello=hello,
        answer=answer,
        ratio=round(ratio, 3),
        worker_rss_mb=rss,
        oldest_cookie_s=round(cookie_age, 1),
    )


if __name__ == "__main__":
    main()
