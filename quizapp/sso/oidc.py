"""The OpenID Connect protocol, client side: authorization code flow with PKCE.

Authlib builds the authorization request (state, nonce, S256 code challenge) and makes
the token request; joserfc checks the ID token. Every check the protocol asks for is made
here, and each failure is a SignInRefused with words a person can act on:

- state: the callback's must equal the one kept in this browser's session (routes.py);
- the code is exchanged with the client secret and the PKCE code verifier;
- the ID token's signature against the provider's published keys (JWKS), with only
  asymmetric algorithms allowed (never "none", never a secret-keyed HMAC);
- iss equal to the provider's issuer, aud including our client id (and azp equal to it
  when there are several), exp in the future, iat present, nonce equal to ours.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from .providers import Provider

#: Signing algorithms accepted in ID tokens (asymmetric only).
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
#: Clock difference allowed between us and the provider, in seconds.
LEEWAY = 60
SCOPE = "openid email profile"


class SignInRefused(Exception):
    """Single sign-on did not sign the person in; `title` and `message` are for them."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


def _not_checked(message: str) -> SignInRefused:
    return SignInRefused(400, "Sorry, we could not sign you in", message)


def _unreachable(provider: Provider) -> SignInRefused:
    return SignInRefused(
        502,
        "Sorry, we could not sign you in",
        f"We could not reach {provider.name}. Try again in a few minutes, or ask your"
        " safeguarding lead if it keeps happening.",
    )


def _get_json(url: str, provider: Provider, timeout: float) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=timeout)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError):
        raise _unreachable(provider) from None
    if not isinstance(data, dict):
        raise _unreachable(provider)
    return data


@dataclass(frozen=True)
class Metadata:
    """The parts of the provider's discovery document that we use."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    token_auth_method: str


def discover(provider: Provider, *, timeout: float = 10) -> Metadata:
    data = _get_json(provider.metadata_url, provider, timeout)
    try:
        fields = {
            name: str(data[name])
            for name in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
        }
    except KeyError:
        raise _unreachable(provider) from None
    methods = data.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    method = "client_secret_basic" if "client_secret_basic" in methods else "client_secret_post"
    return Metadata(**fields, token_auth_method=method)


@dataclass(frozen=True)
class Pending:
    """What the session keeps between sending the person to the provider and their return."""

    state: str
    nonce: str
    code_verifier: str


def _session(provider: Provider, metadata: Metadata, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(
        provider.client_id,
        provider.client_secret,
        scope=SCOPE,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method=metadata.token_auth_method,
    )


def authorization_request(
    provider: Provider, metadata: Metadata, redirect_uri: str
) -> tuple[str, Pending]:
    """The provider's sign-in address for this person, and what to keep until they return."""
    pending = Pending(
        state=generate_token(32), nonce=generate_token(32), code_verifier=generate_token(64)
    )
    url, _state = _session(provider, metadata, redirect_uri).create_authorization_url(
        metadata.authorization_endpoint,
        state=pending.state,
        nonce=pending.nonce,
        code_verifier=pending.code_verifier,
    )
    return url, pending


def exchange_code(
    provider: Provider,
    metadata: Metadata,
    *,
    code: str,
    pending: Pending,
    redirect_uri: str,
    timeout: float = 10,
) -> str:
    """The ID token the provider gives for the code (and our secret and code verifier)."""
    client = _session(provider, metadata, redirect_uri)
    try:
        token = client.fetch_token(
            metadata.token_endpoint,
            code=code,
            code_verifier=pending.code_verifier,
            grant_type="authorization_code",
            timeout=timeout,
        )
    except OAuthError:
        raise _not_checked(
            f"{provider.name} did not accept this sign-in. It may have been used already:"
            " start again from the sign-in page."
        ) from None
    except (requests.RequestException, ValueError):
        raise _unreachable(provider) from None
    id_token = token.get("id_token")
    if not isinstance(id_token, str) or not id_token:
        raise _not_checked(f"{provider.name} did not say who you are. Try again.")
    return id_token


def check_id_token(
    id_token: str,
    provider: Provider,
    metadata: Metadata,
    *,
    nonce: str,
    now: float | None = None,
    timeout: float = 10,
) -> dict[str, Any]:
    """The ID token's claims, once signature, issuer, audience, expiry and nonce check out."""
    keys = _get_json(metadata.jwks_uri, provider, timeout)
    try:
        key_set = KeySet.import_key_set(keys)  # type: ignore[arg-type]
        token = jwt.decode(id_token, key_set, algorithms=list(ALGORITHMS))
    except (BadSignatureError, InvalidKeyIdError):
        raise _not_checked(
            f"The answer from {provider.name} was not signed with its key, so we could not"
            " trust it. Start again from the sign-in page."
        ) from None
    except (JoseError, ValueError):
        raise _not_checked(
            f"We could not read the answer from {provider.name}. Start again from the sign-in page."
        ) from None
    claims = token.claims
    registry = jwt.JWTClaimsRegistry(
        now=int(now if now is not None else time.time()),
        leeway=LEEWAY,
        iss={"essential": True, "value": metadata.issuer},
        aud={"essential": True, "value": provider.client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise _not_checked(
            f"The answer from {provider.name} had expired. Start again from the sign-in page."
        ) from None
    except (InvalidClaimError, MissingClaimError) as error:
        raise _not_checked(_claim_problem(provider, getattr(error, "claim", ""))) from None
    except JoseError:
        raise _not_checked(_claim_problem(provider, "")) from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != provider.client_id:
        raise _not_checked(_claim_problem(provider, "azp"))
    return claims


def _claim_problem(provider: Provider, claim: str) -> str:
    what = {
        "iss": f"came from somewhere other than {provider.name}",
        "aud": "was meant for another service",
        "azp": "was meant for another service",
        "nonce": "belongs to another sign-in",
        "exp": "had expired",
    }.get(claim, "could not be checked")
    return f"The answer from {provider.name} {what}. Start again from the sign-in page."
