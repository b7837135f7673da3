"""Every POST endpoint, as a user allowed to use it (tests/policy.py), given malformed,
oversized or hostile input: always an answer below 500, and a refused form says why.

CSRF is off here so that the input reaches the form code (with it on, every one of these
would stop at the CSRF check: test_app covers that)."""

from __future__ import annotations

import re
import time

import pytest
from flask import url_for

from .policy import KINDS, OK, POLICY, build_world
from .test_authorization import _RULES

MEGABYTE = 1024 * 1024
POST_ENDPOINTS = sorted(
    endpoint for endpoint in POLICY if endpoint in _RULES and "POST" in _RULES[endpoint].methods
)
#: Field names tried everywhere, besides those each page's own form shows.
COMMON_FIELDS = ("email", "password", "name", "answer", "certainty", "title", "text", "file")


def _allowed_kind(endpoint: str) -> str:
    """The first kind the policy lets through (sign-out, which ends on the sign-in page
    for everyone, is tried as a practitioner)."""
    expect = POLICY[endpoint].expect
    return next((kind for kind in KINDS if expect[kind] == OK), "practitioner")


def _client_for(app, world, kind: str):
    client = app.test_client()
    if kind != "anonymous":
        with client.session_transaction() as session:
            session["_user_id"] = world.users[kind].session_token
            session["_fresh"] = True
            session["last_seen"] = int(time.time())
    return client


def _field_names(client, url: str, rule) -> list[str]:
    names = set(COMMON_FIELDS)
    if "GET" in rule.methods:
        page = client.get(url)
        if page.status_code == 200 and page.mimetype == "text/html":
            names.update(re.findall(r'\bname="([^"]+)"', page.get_data(as_text=True)))
    names.discard("csrf_token")
    return sorted(names)


BOUNDARY = "quizapp-hostile-boundary"


def _multipart(fields: dict[str, str], file: bytes) -> bytes:
    """A multipart body built here as bytes (the test client would spool a large one to
    a temporary file it never closes)."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="people.csv"'
        "\r\nContent-Type: text/csv\r\n\r\n".encode()
        + file
        + b"\r\n"
    )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def _hostile_requests(fields: list[str]) -> dict[str, dict]:
    huge = "x" * MEGABYTE
    return {
        "empty body": {"data": {}},
        "1 MB in every field": {"data": {name: huge for name in fields}},
        "1 MB in one field": {"data": {fields[0]: huge}},
        "1 MB file in a multipart form": {
            "data": _multipart(
                {name: "x" for name in fields if name != "file"},
                b"\xff\xfe\x00" * (MEGABYTE // 3),
            ),
            "content_type": f"multipart/form-data; boundary={BOUNDARY}",
        },
        "unexpected names and lists": {
            "data": {
                "unexpected": ["a", "b"],
                "__class__": "x",
                **{name: ["one", "two", "three"] for name in fields},
            }
        },
        # NUL can't be stored in PostgreSQL text: refused by the forms, never a 500.
        "control characters in every field": {
            "data": {name: "Sam\x00Jones\x1b\tx" for name in fields if name != "file"}
        },
        "non-UTF-8 bytes": {
            "data": "&".join(f"{name}=%ff%fe%c3%28" for name in fields).encode() + b"&x=\xff",
            "content_type": "application/x-www-form-urlencoded",
        },
        "raw binary with a form content type": {
            "data": bytes(range(256)) * 64,
            "content_type": "application/x-www-form-urlencoded",
        },
        "JSON instead of a form": {
            "data": '{"email": ["a", {"x": null}], "answer": [1, 2, {"x": null}], "name": 7}',
            "content_type": "application/json",
        },
        "text/plain": {"data": "email=a@b.c", "content_type": "text/plain"},
        "broken multipart": {
            "data": b'--boundary\r\nContent-Disposition: form-data; name="x"\r\n\r\nno end',
            "content_type": "multipart/form-data; boundary=boundary",
        },
    }


def _explains(response) -> bool:
    """A refusal page says what went wrong: an error summary or an error page heading."""
    if response.mimetype != "text/html":
        return True
    page = response.get_data(as_text=True)
    return "govuk-error-summary" in page or "govuk-heading-l" in page


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_hostile_input_never_causes_a_server_error(app, endpoint):
    world = build_world()
    rule = _RULES[endpoint]
    kind = _allowed_kind(endpoint)
    client = _client_for(app, world, kind)
    url = url_for(endpoint, **world.args_for(POLICY[endpoint]))
    fields = _field_names(client, url, rule)
    empty = client.post(url, data={})
    problems = []
    for name, request in _hostile_requests(fields).items():
        response = client.post(url, **request)
        status = response.status_code
        if status >= 500:
            problems.append(f"{name}: {status}")
        elif 400 <= status < 500 and not _explains(response):
            problems.append(f"{name}: {status} without a message")
        elif (
            # A form that refuses an empty body must not accept garbage either.
            empty.status_code in (400, 422)
            and status < 400
            and name not in ("empty body", "unexpected names and lists")
            and not name.startswith("1 MB file")
        ):
            problems.append(f"{name}: accepted ({status}) where an empty form was refused")
        response.close()
    assert not problems, f"POST {url} as {kind}:\n" + "\n".join(problems)
