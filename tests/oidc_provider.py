"""A small OpenID Connect provider for the tests, served by uvicorn on a loopback port: discovery,
JWKS, an authorisation endpoint that lets the configured person straight through (redirecting
back with a code), and a token endpoint that checks the client, the redirect URI and PKCE, and
issues an ES256 ID token signed with joserfc.

A test makes it misbehave by changing `claims` (merged into the next ID tokens; None leaves a
claim out) or by `forge_signatures` (a key the JWKS does not publish, under its key's kid).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from fastapi import FastAPI, Form, Header, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

CLIENT_ID = "overgang-test"
CLIENT_SECRET = "provider-test-secret-not-a-real-one"


@dataclass
class _Grant:
    redirect_uri: str
    nonce: str | None
    code_challenge: str
    claims: dict[str, Any]


@dataclass
class TestProvider:
    """The provider's state, which a test changes to make it answer as it wants."""

    issuer: str = ""
    key: ECKey = field(default_factory=lambda: ECKey.generate_key("P-256", auto_kid=True))
    signing_key: ECKey | None = None  # None: sign with `key`, the published one
    claims: dict[str, Any] = field(default_factory=dict)  # the person, and any overrides
    grants: dict[str, _Grant] = field(default_factory=dict)
    tokens_issued: int = 0

    __test__ = False  # not a pytest test class

    def sign_in_as(self, *, sub: str, email: str, email_verified: bool = True) -> None:
        self.claims = {"sub": sub, "email": email, "email_verified": email_verified}

    def forge_signatures(self) -> None:
        """Sign from now on with a key of our own under the published key's kid."""
        self.signing_key = ECKey.generate_key("P-256", parameters={"kid": self.key.kid})

    def id_token(self, grant: _Grant) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            **({"nonce": grant.nonce} if grant.nonce else {}),
            **grant.claims,
        }
        issued = {name: value for name, value in claims.items() if value is not None}
        key = self.signing_key or self.key
        return jwt.encode({"alg": "ES256", "kid": self.key.kid}, issued, key)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/.well-known/openid-configuration")
        def discovery() -> dict[str, Any]:
            return {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["ES256"],
                "code_challenge_methods_supported": ["S256"],
            }

        @app.get("/jwks")
        def jwks() -> dict[str, Any]:
            return KeySet([self.key]).as_dict(private=False)

        @app.get("/authorize")
        def authorize(request: Request) -> Response:
            query = request.query_params
            if (
                query.get("client_id") != CLIENT_ID
                or query.get("response_type") != "code"
                or query.get("code_challenge_method") != "S256"
                or not query.get("code_challenge")
                or "openid" not in query.get("scope", "").split()
            ):
                return JSONResponse({"error": "invalid_request"}, status_code=400)
            code = secrets.token_urlsafe(16)
            self.grants[code] = _Grant(
                redirect_uri=query["redirect_uri"],
                nonce=query.get("nonce"),
                code_challenge=query["code_challenge"],
                claims=dict(self.claims),
            )
            back = {"code": code, "state": query.get("state", "")}
            return RedirectResponse(f"{query['redirect_uri']}?{urlencode(back)}", status_code=302)

        @app.post("/token")
        def token(
            grant_type: str = Form(""),
            code: str = Form(""),
            redirect_uri: str = Form(""),
            code_verifier: str = Form(""),
            authorization: str = Header(""),
        ) -> Response:
            expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if authorization != f"Basic {expected}":
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            grant = self.grants.pop(code, None)  # a code works once
            challenge = (
                base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest())
                .rstrip(b"=")
                .decode()
            )
            if (
                grant_type != "authorization_code"
                or grant is None
                or grant.redirect_uri != redirect_uri
                or grant.code_challenge != challenge
            ):
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            self.tokens_issued += 1
            return JSONResponse(
                {
                    "access_token": secrets.token_urlsafe(16),
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": self.id_token(grant),
                },
                headers={"Cache-Control": "no-store"},
            )

        return app


@contextmanager
def serve_provider() -> Iterator[TestProvider]:
    """The provider on a loopback port, stopped on the way out whatever happened."""
    provider = TestProvider()
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    provider.issuer = f"http://127.0.0.1:{listening.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(provider.app(), log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.started, "the test provider did not start"
        yield provider
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listening.close()
