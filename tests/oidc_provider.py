"""A small, real OpenID Connect provider for the tests, speaking the protocol over HTTP.

Run as its own process (`python -m tests.oidc_provider --port N --client ID:SECRET`), it
serves discovery, its keys (an RSA key made at start), an authorization page and a token
endpoint, as Microsoft Entra ID or NHS CIS2 would:

- /authorize checks the client, `response_type=code` and an S256 code challenge, then
  shows a form asking who you are (the browser tests fill it in), or, given a
  `login_hint`, signs that address in at once and sends the code back;
- /token checks the client secret, that the code is one it gave (once only), the
  redirect_uri and the PKCE code verifier, then issues a signed ID token.

POST /control (JSON) makes it misbehave on the ID tokens it issues next:
{"mode": "wrong-issuer" | "expired" | "wrong-audience" | "bad-signature" | "hmac"
| "wrong-nonce" | "normal", "email_verified": false}. GET /control returns the
authorization and token requests it has seen, so tests can check what the app sent.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import html
import json
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

ROOT = Path(__file__).resolve().parents[1]

AUTHORIZE_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
)


class Provider:
    def __init__(self, issuer: str, clients: dict[str, str]) -> None:
        self.issuer = issuer
        self.clients = clients
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key"}, private=True)
        #: Signs "bad-signature" tokens: same key id, another key.
        self.other_key = RSAKey.generate_key(2048, parameters={"kid": "test-key"}, private=True)
        self.codes: dict[str, dict[str, Any]] = {}
        self.mode = "normal"
        self.email_verified = True
        self.seen: dict[str, list[dict[str, Any]]] = {"authorize": [], "token": []}
        self.lock = threading.Lock()

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "email", "profile"],
        }

    def jwks(self) -> dict[str, Any]:
        return KeySet([self.key]).as_dict(private=False)

    def authorization_problem(self, params: dict[str, str]) -> str | None:
        if params.get("client_id") not in self.clients:
            return "unknown client_id"
        if params.get("response_type") != "code":
            return "response_type must be code"
        if "openid" not in params.get("scope", "").split():
            return "scope must include openid"
        if not params.get("redirect_uri"):
            return "no redirect_uri"
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return "an S256 code_challenge is required"
        return None

    def issue_code(self, params: dict[str, str], email: str, name: str) -> str:
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = {**params, "email": email, "name": name}
        query = {"code": code}
        if params.get("state"):
            query["state"] = params["state"]
        return params["redirect_uri"] + "?" + urlencode(query)

    def token(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict]:
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if authorization and authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization[6:]).decode()
            client_id, _, secret = decoded.partition(":")
        if self.clients.get(client_id) != secret or not secret:
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self.lock:
            grant = self.codes.pop(form.get("code", ""), None)  # a code works once
        if grant is None or grant["client_id"] != client_id:
            return 400, {"error": "invalid_grant", "error_description": "unknown or used code"}
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri differs"}
        verifier = form.get("code_verifier", "")
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if not verifier or challenge != grant["code_challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE check failed"}
        return 200, {
            "access_token": secrets.token_urlsafe(24),
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": self.id_token(grant),
        }

    def id_token(self, grant: dict[str, Any]) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": hashlib.sha256(grant["email"].encode()).hexdigest()[:20],
            "aud": grant["client_id"],
            "iat": now,
            "exp": now + 300,
            "nonce": grant.get("nonce", ""),
            "email": grant["email"],
            "email_verified": self.email_verified,
            "name": grant["name"],
        }
        key = self.key
        if self.mode == "wrong-issuer":
            claims["iss"] = "https://login.example.com/another-tenant/v2.0"
        elif self.mode == "expired":
            claims["iat"], claims["exp"] = now - 3600, now - 1800
        elif self.mode == "wrong-audience":
            claims["aud"] = "another-service"
        elif self.mode == "wrong-nonce":
            claims["nonce"] = "not-the-apps-nonce"
        elif self.mode == "bad-signature":
            key = self.other_key
        elif self.mode == "hmac":
            # Signed with the client secret (HS256), which a careless client would accept.
            secret = OctKey.import_key(self.clients[grant["client_id"]])
            return jwt.encode({"alg": "HS256"}, claims, secret, algorithms=["HS256"])
        return jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, key)


PAGE = """<!doctype html><html lang="en"><head><title>Test identity provider</title></head>
<body><main><h1>Test identity provider</h1>
<form method="post" action="/authorize">{hidden}
<label for="email">Email</label> <input id="email" name="email" type="email">
<label for="name">Full name</label> <input id="name" name="name">
<button type="submit">Continue</button></form></main></body></html>"""


def handler_for(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, data: Any) -> None:
            self._send(status, json.dumps(data).encode(), "application/json")

        def _redirect(self, location: str) -> None:
            self._send(302, b"", "text/plain", Location=location)

        def _form(self) -> dict[str, str]:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            if self.headers.get("Content-Type", "").startswith("application/json"):
                return json.loads(body or "{}")
            return {key: values[0] for key, values in parse_qs(body).items()}

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            params = {key: values[0] for key, values in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                self._json(200, provider.discovery())
            elif url.path == "/jwks":
                self._json(200, provider.jwks())
            elif url.path == "/control":
                self._json(200, provider.seen)
            elif url.path == "/authorize":
                provider.seen["authorize"].append(params)
                problem = provider.authorization_problem(params)
                if problem:
                    self._send(400, problem.encode(), "text/plain")
                elif params.get("login_hint"):
                    email = params["login_hint"]
                    name = params.get("name") or email.split("@")[0].replace(".", " ").title()
                    self._redirect(provider.issue_code(params, email, name))
                else:
                    hidden = "".join(
                        f'<input type="hidden" name="{name}" value="{html.escape(params[name])}">'
                        for name in AUTHORIZE_PARAMS
                        if name in params
                    )
                    self._send(200, PAGE.format(hidden=hidden).encode(), "text/html")
            else:
                self._send(404, b"not found", "text/plain")

        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            form = self._form()
            if path == "/authorize":
                params = {name: form[name] for name in AUTHORIZE_PARAMS if name in form}
                problem = provider.authorization_problem(params)
                if problem or not form.get("email"):
                    self._send(400, (problem or "no email").encode(), "text/plain")
                    return
                self._redirect(provider.issue_code(params, form["email"], form.get("name", "")))
            elif path == "/token":
                provider.seen["token"].append(dict(form))
                status, data = provider.token(form, self.headers.get("Authorization"))
                self._json(status, data)
            elif path == "/control":
                provider.mode = form.get("mode", provider.mode)
                provider.email_verified = form.get("email_verified", provider.email_verified)
                if form.get("forget"):
                    provider.seen = {"authorize": [], "token": []}
                self._json(200, {"mode": provider.mode})
            else:
                self._send(404, b"not found", "text/plain")

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--client", action="append", default=[], help="ID:SECRET")
    args = parser.parse_args(argv)
    clients = dict(client.split(":", 1) for client in args.client)
    issuer = f"http://127.0.0.1:{args.port}"
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(Provider(issuer, clients)))
    print(f"serving {issuer}", flush=True)
    server.serve_forever()


# For the tests: the provider in a process of its own --------------------------------

CLIENT_ID = "quizapp-test"
CLIENT_SECRET = "test-client-secret"


@dataclass
class RunningProvider:
    url: str

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def control(self, **settings: Any) -> None:
        request = urllib.request.Request(
            f"{self.url}/control",
            data=json.dumps(settings).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            response.read()

    def seen(self) -> dict[str, list[dict[str, Any]]]:
        with urllib.request.urlopen(f"{self.url}/control", timeout=5) as response:
            return json.loads(response.read())


@contextlib.contextmanager
def running_provider(
    *, client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET, timeout: float = 20
) -> Iterator[RunningProvider]:
    """Start the provider on a free port; stop it when the block ends."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "tests.oidc_provider", "--port", str(port)),
            *("--client", f"{client_id}:{client_secret}"),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the test provider stopped (exit {process.returncode})")
            try:
                with urllib.request.urlopen(f"{url}/jwks", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise RuntimeError("the test provider did not start") from None
                time.sleep(0.05)
        yield RunningProvider(url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    main(sys.argv[1:])
