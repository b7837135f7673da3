"""The pure parts of benchmarks/scale_out.py and the load client it drives: nginx's
configuration, reading its access log, the client's resending and form filling. Nothing
here starts nginx, gunicorn or a database."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import httpx
import pytest

from benchmarks import scale_out
from benchmarks.load_take_check import Counts, fill_form


def test_nginx_config_puts_every_server_in_the_upstream_and_retries_only_what_nginx_may():
    config = scale_out.nginx_config(prefix=Path("/tmp/x"), port=8123, servers=[9001, 9002])

    assert "listen 127.0.0.1:8123;" in config
    assert "server 127.0.0.1:9001 max_fails=1 fail_timeout=5s;" in config
    assert "server 127.0.0.1:9002 max_fails=1 fail_timeout=5s;" in config
    assert "proxy_next_upstream error timeout http_502 http_503;" in config
    assert "non_idempotent" not in config
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in config
    # Everything nginx writes stays under the prefix (no system paths, no root needed).
    for directive in ("pid", "error_log", "access_log", "client_body_temp_path"):
        line = next(line for line in config.splitlines() if line.strip().startswith(directive))
        assert " /tmp/x/" in line, line


def test_access_log_names_the_server_that_answered_and_the_ones_tried_first():
    lines = scale_out.parse_access_log(
        [
            '1764550000.123 GET /sign-in 200 "127.0.0.1:9001" "200" 0.010\n',
            '1764550000.200 GET /checks/1 200 "127.0.0.1:9001, 127.0.0.1:9002" "502, 200" 0.020',
            '1764550001.000 POST /checks/attempts/3/questions/q1 502 "127.0.0.1:9001" "502" 0.1',
            '1764550002.000 GET /favicon.ico 404 "-" "-" 0.000',
            "not a log line",
        ]
    )

    assert [line.status for line in lines] == [200, 200, 502, 404]
    assert lines[1].upstreams == ["127.0.0.1:9001", "127.0.0.1:9002"]
    assert lines[0].at == pytest.approx(1764550000.123)
    assert lines[3].upstreams == []
    assert scale_out.requests_per_server(lines) == {
        "127.0.0.1:9001": 2,
        "127.0.0.1:9002": 1,
        "nginx": 1,
    }


def test_answers_compared_lists_only_attempts_that_differ():
    assert scale_out.answers_compared({1: 26, 2: 5}, {1: 26, 2: 5}) == {}
    assert scale_out.answers_compared({1: 26, 2: 5}, {1: 26, 2: 6, 3: 1}) == {
        2: (5, 6),
        3: (0, 1),
    }


def test_kind_of_names_the_page_without_identifiers():
    assert scale_out.kind_of("/checks/attempts/12/questions/small-bruise?return=x") == "question"
    assert scale_out.kind_of("/checks/attempts/12/stages/before-birth") == "stage"
    assert (
        scale_out.kind_of("/checks/attempts/12/check-answers") == "/checks/attempts/N/check-answers"
    )
    assert scale_out.kind_of("/sign-in") == "/sign-in"


def test_markdown_table():
    assert scale_out.markdown_table([("errors", 0), ("servers", "2")]) == (
        "| | |\n|---|---|\n| errors | 0 |\n| servers | 2 |"
    )


def resender(monkeypatch) -> tuple[scale_out.Resender, Counts, scale_out.Resends]:
    monkeypatch.setattr(scale_out, "PAUSE", 0)
    counts, resends = Counts(), scale_out.Resends()
    practitioner = scale_out.Resender(
        "http://proxy",
        "someone@example.org",
        1,
        resends=resends,
        counts=counts,
        deadline=time.monotonic() + 60,
        max_requests=100,
        barrier=threading.Barrier(1),
    )
    return practitioner, counts, resends


def test_a_failed_answer_is_sent_again_and_counted_once(monkeypatch):
    tries = []

    def handler(request: httpx.Request) -> httpx.Response:
        tries.append(request.method)
        if len(tries) == 1:
            raise httpx.ConnectError("refused", request=request)
        if len(tries) == 2:
            return httpx.Response(502)
        return httpx.Response(302, headers={"location": "/checks/attempts/7/questions/q2"})

    practitioner, counts, resends = resender(monkeypatch)
    with httpx.Client(base_url="http://proxy", transport=httpx.MockTransport(handler)) as client:
        response = practitioner.request(
            client, "POST", "/checks/attempts/7/questions/q1", data={"answer": "x"}
        )

    assert response.status_code == 302
    assert tries == ["POST", "POST", "POST"]
    assert (counts.requests, counts.errors) == (1, 0)
    assert (resends.resent, resends.resent_posts, resends.resent_answers) == (2, 2, 2)
    assert resends.reasons == {"ConnectError": 1, "502": 1}
    assert resends.kinds == {"POST question": 2}
    assert resends.answered == {7: {"q1"}}


def test_a_request_failing_every_try_is_one_error(monkeypatch):
    practitioner, counts, resends = resender(monkeypatch)
    transport = httpx.MockTransport(lambda request: httpx.Response(503))
    with (
        httpx.Client(base_url="http://proxy", transport=transport) as client,
        pytest.raises(RuntimeError, match="after 8 tries"),
    ):
        practitioner.request(client, "GET", "/checks/1")

    assert (counts.requests, counts.errors) == (1, 1)
    assert resends.resent == scale_out.TRIES - 1
    assert resends.answered == {}


def test_a_refusal_that_is_not_the_proxys_is_not_sent_again(monkeypatch):
    practitioner, counts, resends = resender(monkeypatch)
    transport = httpx.MockTransport(lambda request: httpx.Response(400))
    with (
        httpx.Client(base_url="http://proxy", transport=transport) as client,
        pytest.raises(RuntimeError, match="400"),
    ):
        practitioner.request(client, "POST", "/checks/attempts/7/questions/q1")

    assert (counts.requests, counts.errors, resends.resent) == (1, 1, 0)


PAGE = """
<header><form method="post" action="/sign-out">
  <input type="hidden" name="csrf_token" value="header-token"></form></header>
<main>
<form method="post" novalidate data-keeps-answer>
  <input type="hidden" name="csrf_token" value="tok">
  <input type="radio" name="answer" value="f68b"><input type="radio" name="answer" value="dc3a">
  <select name="position-1de9"><option value="" selected>Choose</option>
    <option value="1">1</option><option value="2">2</option><option value="3">3</option></select>
  <select name="position-932f"><option value="">Choose</option>
    <option value="1">1</option><option value="2">2</option><option value="3">3</option></select>
  <select name="position-c9cb"><option value="">Choose</option>
    <option value="1">1</option><option value="2">2</option><option value="3">3</option></select>
  <input type="checkbox" name="agencies" value="a"><input type="checkbox" name="agencies" value="b">
  <textarea name="reflection"></textarea>
  <input type="radio" name="certainty" value="1"><input type="radio" name="certainty" value="3">
</form>
<form method="post" action="/elsewhere"><input type="hidden" name="other" value="1"></form>
</main>
"""


@pytest.mark.parametrize("seed", range(5))
def test_fill_form_answers_from_what_the_page_offers(seed):
    filled = fill_form(PAGE, random.Random(seed))

    assert filled["csrf_token"] == "tok"
    assert filled["answer"] in ("f68b", "dc3a")
    assert filled["certainty"] in ("1", "3")
    positions = [filled["position-1de9"], filled["position-932f"], filled["position-c9cb"]]
    assert sorted(positions) == ["1", "2", "3"]  # each place once
    assert filled["agencies"] and set(filled["agencies"]) <= {"a", "b"}
    assert filled["reflection"].startswith("What I will do differently")
    assert "other" not in filled


def test_fill_form_refuses_a_page_without_a_form():
    with pytest.raises(RuntimeError, match="no form"):
        fill_form("<main><p>Nothing to send</p></main>")
