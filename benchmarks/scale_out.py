"""Scale-out, proven: several gunicorn servers behind nginx, loaded, one killed mid-run.

    python -m benchmarks.scale_out [--servers 2] [--practitioners 200] [--duration 60]
        [--down 5] [--redis-db 12]

On this machine, loopback only, on free ports: a fresh PostgreSQL database
(quizapp_scale_<pid>, dropped at the end) migrated and seeded with the HS check and the
practitioners (benchmarks/load_take_check.py); N app servers (`gunicorn -w 2 wsgi:app`)
sharing DATABASE_URL, SECRET_KEY and a Redis database of their own for rate limits
(flushed before and after), QUIZAPP_TRUSTED_PROXIES=1; nginx in front, round robin,
retrying on the next server only what it may (idempotent requests, or any request that
never reached a server), marking a server down after a failed connection (max_fails).

The practitioners take the check through nginx for `duration` seconds. Half way through,
one app server is killed (SIGKILL to its master and workers) and restarted `down`
seconds later. A request that fails (connection error, 502, 503, 504) is sent again by
the client: answers are saved by an upsert on (attempt, question), so a resent answer
replaces itself, and starting or submitting twice resumes or shows the result. At the
end: answers the clients saw saved against rows stored, per attempt; errors left after
retries; requests per server from nginx's access log; and 12 wrong passwords for one
account, spread over the servers, of which the 11th and 12th must be refused (429)
because the limit is counted in Redis. Markdown summary on stdout; exit 1 if any check
failed. Needs nginx (Debian's package), PostgreSQL and Redis on 127.0.0.1, and the
`bench` extra (httpx). Not a CI test.

The app runs with development settings, as in load_take_check.py: the cookies lack
`Secure` because this is plain HTTP on loopback; everything else is as in production.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from .common import ROOT, free_port, machine
from .load_take_check import CSRF, PG_HOST, Counts, Practitioner, percentiles, prepare

#: Statuses a client sends again: nginx found no server able to answer.
RESEND = frozenset({502, 503, 504})
#: Tries of one request before it counts as an error, and the wait between them.
TRIES = 8
PAUSE = 1.0
ANSWER = re.compile(r"^/checks/attempts/(\d+)/questions/([^/?]+)$")
WRONG_PASSWORD = "not the password at all"


def nginx_config(*, prefix: Path, port: int, servers: Sequence[int], fail_timeout: int = 5) -> str:
    """nginx in front of `servers`, its files all under `prefix`, listening on loopback.

    `proxy_next_upstream` leaves out `non_idempotent`: a POST that reached a server is
    never sent to another by nginx (the client decides), only one refused at connect."""
    upstreams = "\n".join(
        f"        server 127.0.0.1:{server} max_fails=1 fail_timeout={fail_timeout}s;"
        for server in servers
    )
    return f"""\
worker_processes 2;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{
    worker_connections 4096;
}}
http {{
    log_format upstreams '$msec $request_method $uri $status "$upstream_addr" '
                         '"$upstream_status" $request_time';
    access_log {prefix}/access.log upstreams;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream quizapp {{
        zone quizapp 64k;
{upstreams}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://quizapp;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_next_upstream error timeout http_502 http_503;
            proxy_connect_timeout 2s;
            proxy_read_timeout 120s;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


@dataclass
class LogLine:
    #: When nginx logged it (seconds since the epoch).
    at: float
    method: str
    path: str
    status: int
    #: The servers nginx tried, in order; the last one answered.
    upstreams: list[str]


def parse_access_log(lines: Iterable[str]) -> list[LogLine]:
    """Lines in the `upstreams` format above (requests nginx answered itself, with no
    upstream, have "-")."""
    parsed = []
    pattern = re.compile(r'^(\S+) (\S+) (\S+) (\d{3}) "([^"]*)"')
    for line in lines:
        match = pattern.match(line)
        if match is None:
            continue
        at, method, path, status, addresses = match.groups()
        upstreams = [a.strip() for a in addresses.split(",") if a.strip() not in ("", "-")]
        parsed.append(LogLine(float(at), method, path, int(status), upstreams))
    return parsed


def requests_per_server(lines: Iterable[LogLine]) -> Counter[str]:
    return Counter(line.upstreams[-1] if line.upstreams else "nginx" for line in lines)


def answers_compared(sent: dict[int, int], stored: dict[int, int]) -> dict[int, tuple[int, int]]:
    """Attempts whose stored answers differ from the answers the client saw saved."""
    return {
        attempt: (sent.get(attempt, 0), stored.get(attempt, 0))
        for attempt in sorted(set(sent) | set(stored))
        if sent.get(attempt, 0) != stored.get(attempt, 0)
    }


def kind_of(url: str) -> str:
    """A request's page, without the attempt's and question's identifiers."""
    path = url.split("?")[0]
    for word in ("questions", "stages"):
        if f"/{word}/" in path:
            return word[:-1]
    return re.sub(r"/\d+", "/N", path)


def markdown_table(rows: Sequence[tuple[str, object]]) -> str:
    lines = ["| | |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines)


@dataclass
class Resends:
    """What the clients sent again, and the answers they saw saved, per attempt."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    resent: int = 0
    resent_posts: int = 0
    resent_answers: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    #: "POST answer", "POST /sign-in", "GET stage", ...: what was sent again.
    kinds: Counter[str] = field(default_factory=Counter)
    answered: dict[int, set[str]] = field(default_factory=dict)


class Resender(Practitioner):
    """load_take_check's practitioner, sending a failed request again (`TRIES` times)."""

    def __init__(self, *args, resends: Resends, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.resends = resends

    def request(self, client: httpx.Client, method: str, url: str, **kwargs) -> httpx.Response:
        started = time.perf_counter()
        failure = ""
        for attempt in range(TRIES):
            if attempt:
                self.note_resend(method, url, failure)
                time.sleep(PAUSE)
            try:
                response = client.request(method, url, **kwargs)
            except httpx.TransportError as error:
                failure = type(error).__name__
                continue
            if response.status_code in RESEND:
                failure = str(response.status_code)
                continue
            break
        else:
            self.counts.record(time.perf_counter() - started, False, f"{method} {url}: {failure}")
            raise RuntimeError(f"{method} {url}: {failure} after {TRIES} tries")
        ok = response.status_code < 400 or (method == "POST" and response.status_code == 422)
        self.counts.record(
            time.perf_counter() - started, ok, f"{method} {url}: {response.status_code}"
        )
        if not ok:
            raise RuntimeError(f"{method} {url}: {response.status_code}")
        answer = ANSWER.match(url)
        if method == "POST" and answer and response.status_code == 302:
            with self.resends.lock:
                self.resends.answered.setdefault(int(answer[1]), set()).add(answer[2])
        return response

    def note_resend(self, method: str, url: str, failure: str) -> None:
        with self.resends.lock:
            self.resends.resent += 1
            self.resends.reasons[failure] += 1
            self.resends.kinds[f"{method} {kind_of(url)}"] += 1
            if method == "POST":
                self.resends.resent_posts += 1
                if ANSWER.match(url):
                    self.resends.resent_answers += 1


class AppServer:
    """One `gunicorn -w 2 wsgi:app` on its own port, in its own process group."""

    def __init__(self, port: int, env: dict[str, str], log: Path) -> None:
        self.port, self.env, self.log_path = port, env, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-w",
                    "2",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--timeout",
                    "60",
                    "wsgi:app",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_healthy(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process is not None and self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(f"app server on {self.port} did not start; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL to the master and its workers at once: a crash, no graceful anything."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)


class Nginx:
    def __init__(self, port: int, servers: Sequence[int]) -> None:
        self.port = port
        self.prefix = Path(tempfile.mkdtemp(prefix="quizapp-nginx-"))
        # nginx started by root runs its workers as nobody, which must reach the temp paths.
        self.prefix.chmod(0o755)
        self.config = self.prefix / "nginx.conf"
        self.config.write_text(nginx_config(prefix=self.prefix, port=port, servers=servers))
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        command = [nginx, "-p", str(self.prefix), "-e", str(self.prefix / "error.log")]
        subprocess.run([*command, "-c", str(self.config), "-t"], check=True, capture_output=True)
        self.process = subprocess.Popen(
            [*command, "-c", str(self.config), "-g", "daemon off;"], start_new_session=True
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"nginx did not start; see {self.prefix}/error.log")

    def log(self) -> list[LogLine]:
        with (self.prefix / "access.log").open() as log:
            return parse_access_log(log)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            self.process.wait(timeout=30)


def wrong_passwords(base: str, email: str, tries: int = 12) -> list[tuple[int, str]]:
    """(status, server) for each wrong password, one session, one form token.

    One GET for the token, then only POSTs, so that round robin spreads the POSTs."""
    with httpx.Client(base_url=base, timeout=60) as client:
        token = CSRF.search(client.get("/sign-in").text)[1]
        answers = []
        for _ in range(tries):
            response = client.post(
                "/sign-in", data={"email": email, "password": WRONG_PASSWORD, "csrf_token": token}
            )
            answers.append((response.status_code, response.headers.get("x-upstream", "?")))
        return answers


def stored_per_attempt(database_url: str) -> tuple[dict[int, int], int, int]:
    """Answers stored per attempt, (attempt, question) pairs stored more than once, and
    attempts submitted."""
    import psycopg

    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            "SELECT attempt_id, count(*) FROM responses GROUP BY attempt_id"
        ).fetchall()
        twice = connection.execute(
            "SELECT count(*) FROM (SELECT 1 FROM responses GROUP BY attempt_id, question_id"
            " HAVING count(*) > 1) d"
        ).fetchone()[0]
        submitted = connection.execute(
            "SELECT count(*) FROM attempts WHERE submitted_at IS NOT NULL"
        ).fetchone()[0]
    return dict(rows), twice, submitted


def flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--practitioners", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument(
        "--down", type=float, default=5.0, help="seconds the killed server stays down"
    )
    parser.add_argument("--redis-db", type=int, default=12)
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args(argv)
    if args.servers < 2:
        parser.error("--servers: at least 2, or there is no one to fail over to")

    name = f"quizapp_scale_{os.getpid()}"
    database_url = f"postgresql://postgres@{PG_HOST}:5432/{name}"
    redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    flush_redis(redis_url)
    subprocess.run(["createdb", "-h", PG_HOST, "-U", "postgres", name], check=True)
    logs = Path(tempfile.mkdtemp(prefix="quizapp-scale-"))
    servers: list[AppServer] = []
    nginx: Nginx | None = None
    try:  # whatever happens, the database and the Redis counts go
        try:
            # One more account than practitioners: the one the wrong passwords are typed for.
            check_id, emails = prepare(database_url, args.practitioners + 1)
            target, emails = emails[-1], emails[:-1]
            env = {
                **os.environ,
                "QUIZAPP_ENV": "development",
                "DATABASE_URL": database_url,
                "SECRET_KEY": secrets.token_hex(32),
                "RATELIMIT_STORAGE_URI": redis_url,
                "QUIZAPP_TRUSTED_PROXIES": "1",
            }
            servers = [
                AppServer(free_port(), env, logs / f"server-{number}.log")
                for number in range(1, args.servers + 1)
            ]
            for server in servers:
                server.start()
            for server in servers:
                server.wait_healthy()
            nginx = Nginx(free_port(), [server.port for server in servers])
            nginx.start()
            base = f"http://127.0.0.1:{nginx.port}"

            counts, resends = Counts(), Resends()
            load_before = os.getloadavg()[0]
            started = time.monotonic()
            run = {
                "counts": counts,
                "deadline": started + args.duration,
                "max_requests": 10_000_000,
                "barrier": threading.Barrier(len(emails)),
            }
            threads = [Resender(base, email, check_id, resends=resends, **run) for email in emails]
            for thread in threads:
                thread.start()
            victim = servers[0]
            time.sleep(max(0.0, started + args.duration / 2 - time.monotonic()))
            killed_at = time.monotonic() - started
            victim.kill()
            time.sleep(args.down)
            restarted_at = time.monotonic() - started
            victim.start()
            victim.wait_healthy()
            healthy_at = time.monotonic() - started
            back_since = time.time()
            for thread in threads:
                thread.join(timeout=args.duration + 300)
            elapsed = time.monotonic() - started
            load_after = os.getloadavg()[0]
            load_lines = len(nginx.log())
            refusals = wrong_passwords(base, target)
            lines = nginx.log()
        finally:
            if nginx is not None:
                nginx.stop()
            for server in servers:
                server.stop()
        stored, twice, submitted = stored_per_attempt(database_url)
    finally:
        flush_redis(redis_url)
        if not args.keep_database:
            subprocess.run(
                ["dropdb", "-h", PG_HOST, "-U", "postgres", "--if-exists", "--force", name],
                check=True,
            )

    sent = {attempt: len(keys) for attempt, keys in resends.answered.items()}
    differing = answers_compared(sent, stored)
    load = lines[:load_lines]
    per_server = requests_per_server(load)
    after_restart = requests_per_server(line for line in load if line.at >= back_since)
    names = {f"127.0.0.1:{server.port}": f"server {n}" for n, server in enumerate(servers, 1)}
    victim_address = f"127.0.0.1:{victim.port}"
    spread = ", ".join(
        f"{names.get(address, address)}: {count:,}"
        + (f" ({after_restart[address]:,} after its restart)" if address == victim_address else "")
        for address, count in sorted(per_server.items(), key=lambda item: names.get(item[0], ""))
    )
    passed_on = sum(1 for line in load if len(line.upstreams) > 1)
    statuses = [status for status, _ in refusals]
    limit_shared = statuses[:10] == [422] * 10 and all(s == 429 for s in statuses[10:])
    refusing = sorted({server for status, server in refusals if status == 429})
    latency = percentiles(counts.latencies)
    facts = machine()
    rows: list[tuple[str, object]] = [
        ("app servers", f"{args.servers}, each `gunicorn -w 2`, behind nginx"),
        ("practitioners (client threads)", len(emails)),
        ("seconds", round(elapsed, 1)),
        ("requests (client, after resends)", f"{counts.requests:,}"),
        ("requests per second", round(counts.requests / elapsed, 1)),
        ("requests per server (nginx log)", spread),
        ("passed to the next server by nginx", passed_on),
        ("errors after resends", f"**{counts.errors}**"),
        ("requests the client sent again", f"{resends.resent} ({dict(resends.reasons)})"),
        ("of which POSTs / answer POSTs", f"{resends.resent_posts} / {resends.resent_answers}"),
        (
            "requests sent again, by page",
            ", ".join(f"{k}: {n}" for k, n in resends.kinds.most_common()),
        ),
        (
            "answers saved (client) / stored (database)",
            f"**{sum(sent.values()):,} / {sum(stored.values()):,}**",
        ),
        ("attempts whose counts differ", f"**{len(differing)}**"),
        ("(attempt, question) stored twice", twice),
        (
            "submissions (client) / attempts submitted (database)",
            f"{counts.submissions} / {submitted}",
        ),
        (
            "server 1 killed / restarted / healthy again (s into the run)",
            f"{killed_at:.1f} / {restarted_at:.1f} / {healthy_at:.1f}",
        ),
        ("wrong passwords: statuses", " ".join(str(s) for s in statuses)),
        (
            "wrong passwords: servers answering",
            ", ".join(sorted({names.get(s, s) for _, s in refusals})),
        ),
        ("429 from", ", ".join(names.get(s, s) for s in refusing)),
        (
            "latency p50 / p95 / p99 / max (ms)",
            " / ".join(str(latency.get(k, "-")) for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")),
        ),
        ("machine", f"{facts['cores']} cores, {facts['memory_mb']:,} MB, {facts['cpu']}"),
        ("load average (1 min) before / after", f"{load_before:.1f} / {load_after:.1f}"),
    ]
    print(markdown_table(rows))
    print(f"Logs: {logs} (app servers), {nginx.prefix} (nginx)", file=sys.stderr)
    if differing:
        print("\nAttempts whose stored answers differ (sent, stored):", differing)
    if counts.error_samples:
        print("\nErrors:", "; ".join(counts.error_samples))
    good = (
        counts.errors == 0
        and not differing
        and twice == 0
        and counts.submissions == submitted
        and limit_shared
        and len(refusing) == min(args.servers, len(statuses) - 10)
    )
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
