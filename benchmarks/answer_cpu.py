"""CPU time of one "save this answer" POST, in-process: steadier than req/s on a busy machine.

    python -m benchmarks.answer_cpu --db sqlite --posts 500 --batches 7
    python -m benchmarks.answer_cpu --db sqlite --profile 30   # cProfile, top 30 entries

Builds the app as bench_wsgi does on a fresh database, signs one practitioner in with the
Flask test client, starts an attempt and then times `--posts` answer POSTs with
`time.process_time()`, `--batches` times; prints each batch's milliseconds per POST and
the best. `/hello` without a session is timed the same way for comparison.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import subprocess
import sys
import time

from .common import ROOT, database, environment, summary
from .take_throughput import PASSWORD, csrf, first_question, prepare


def _per_request_ms(send, posts: int) -> float:
    started = time.process_time()
    for _ in range(posts):
        send()
    return (time.process_time() - started) * 1000 / posts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--batches", type=int, default=7)
    parser.add_argument("--profile", type=int, default=0, help="print this many cProfile rows")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args)
        return
    with database(args.db, "quizapp_bench_answer_cpu") as url:
        prepare(url, 1)
        # The app reads its settings on import: measure in a process started with them.
        subprocess.run(
            [sys.executable, "-m", "benchmarks.answer_cpu", *sys.argv[1:], "--measure"],
            env=environment(url),
            cwd=ROOT,
            check=True,
        )


def measure(args: argparse.Namespace) -> None:
    from .bench_wsgi import app

    client = app.test_client()
    # The test client speaks https (PREFERRED_URL_SCHEME), where CSRF wants a referrer.
    client.environ_base["HTTP_REFERER"] = "https://localhost/"
    page = client.get("/sign-in")
    signed_in = client.post(
        "/sign-in",
        data={
            "csrf_token": csrf(page.text),
            "email": "bench0@example.org",
            "password": PASSWORD,
        },
    )
    assert signed_in.status_code == 302, signed_in.text[:500]
    path, form = first_question(client, "")

    def answer() -> None:
        response = client.post(path, data=form)
        assert response.status_code == 302, response.text[:500]

    hello_client = app.test_client()

    def hello() -> None:
        assert hello_client.get("/hello").status_code == 200

    for send in (answer, hello):
        send()  # warm up
    if args.profile:
        profile = cProfile.Profile(time.process_time)  # CPU, as measured: not the fsync wait
        profile.runcall(_per_request_ms, answer, args.posts)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(args.profile)
        return
    answers = [round(_per_request_ms(answer, args.posts), 3) for _ in range(args.batches)]
    hellos = [round(_per_request_ms(hello, args.posts), 3) for _ in range(args.batches)]
    print(f"answer POST: best {min(answers)} ms CPU, batches {answers}")
    print(f"/hello: best {min(hellos)} ms CPU, batches {hellos}")
    summary(
        "answer_cpu",
        database=args.db,
        posts=args.posts,
        answer_ms=answers,
        hello_ms=hellos,
        load=os.getloadavg()[0],
    )


if __name__ == "__main__":
    main()
