"""The OpenID Connect exchange with the single sign-on provider, through authlib's Starlette
client: the redirect with state, nonce and PKCE (S256), and on the way back the state's check,
the code's exchange and the ID token's checks (signature by the provider's JWKS, issuer,
audience, expiry, nonce). What it yields is a ProviderIdentity; who that is, is the service's.

Authlib keeps the exchange's state (state, nonce, PKCE verifier, redirect URI) in
`request.session`. Rather than Starlette's SessionMiddleware, which would give every request of
the app a session cookie, the two SSO routes lend authlib a dict that lives in a cookie of its
own: `__Host-`, HttpOnly, ten minutes, encrypted and authenticated (JWE, A256GCM, with a key
derived from the client secret, so every process of an installation can read it and nothing
else needs configuring). It is deleted when the provider's answer arrives, whatever it is.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import warnings
from typing import Any

import httpx
from authlib.deprecate import AuthlibDeprecationWarning
from fastapi import Request
from fastapi.responses import Response
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwe import JWERegistry
from joserfc.jwk import OctKey

from overgang.board import session as cookies
from overgang.config import Settings
from overgang.domain.people import ProviderIdentity

# Authlib 1.9 prefers the httpx2 package and says so on import; Overgang's pinned httpx is the
# one it then uses (so httpx.HTTPError below is what it raises).
with warnings.catch_warnings():
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.base_client import OAuthError
    from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App

STATE_COOKIE = "__Host-overgang-sso"
STATE_LIFETIME_SECONDS = 600
CALLBACK_ROUTE = "sso_callback"
_SEALING = JWERegistry(algorithms=["dir", "A256GCM"])
_LEEWAY_SECONDS = 60  # clock skew allowed on the ID token's exp and iat


class ProviderAnswerRefused(Exception):
    """The provider's answer failed a check (state, code, ID token): nobody is signed in."""


class ProviderUnavailable(Exception):
    """The provider's discovery document could not be fetched: no redirect can be made."""


def is_configured(request: Request) -> bool:
    settings: Settings = request.app.state.settings
    return settings.sso_enabled


async def redirect_to_provider(request: Request) -> Response:
    """The redirect to the provider's authorisation endpoint, remembering the exchange."""
    request.scope["session"] = {}
    redirect_uri = str(request.url_for(CALLBACK_ROUTE))
    try:
        response: Response = await _client(request).authorize_redirect(request, redirect_uri)
    except (httpx.HTTPError, ValueError, KeyError) as error:
        raise ProviderUnavailable(type(error).__name__) from None
    cookies.set_cookie(
        response,
        STATE_COOKIE,
        _seal(request, dict(request.session)),
        max_age=STATE_LIFETIME_SECONDS,
    )
    return response


async def identity_from_callback(request: Request) -> ProviderIdentity:
    """Who the provider says came back, every check passed; else ProviderAnswerRefused."""
    request.scope["session"] = _unseal(request, request.cookies.get(STATE_COOKIE, ""))
    client = _client(request)
    try:
        metadata = await client.load_server_metadata()
        token = await client.authorize_access_token(
            request,
            # authlib checks the issuer, and the audience only through `azp`: both, exactly.
            claims_options={
                "iss": {"essential": True, "value": metadata["issuer"]},
                "aud": {"essential": True, "value": client.client_id},
            },
            leeway=_LEEWAY_SECONDS,
        )
        claims = token["userinfo"]
        return ProviderIdentity(
            issuer=str(claims["iss"]),
            subject=str(claims["sub"]),
            email=claims.get("email") if isinstance(claims.get("email"), str) else None,
            email_verified=claims.get("email_verified") is True,
        )
    except (OAuthError, JoseError, httpx.HTTPError, KeyError, TypeError, ValueError) as error:
        # Without the error's text: it may quote the token or the provider's answer.
        raise ProviderAnswerRefused(type(error).__name__) from None


def forget_exchange(response: Response) -> None:
    response.delete_cookie(STATE_COOKIE, path="/", secure=True, httponly=True, samesite="lax")


def _client(request: Request) -> StarletteOAuth2App:
    """The provider's client, made once per app: it keeps the discovery document and JWKS."""
    client: StarletteOAuth2App | None = getattr(request.app.state, "sso_client", None)
    if client is None:
        settings: Settings = request.app.state.settings
        assert settings.sso_client_secret is not None  # Settings requires it with the URL
        oauth = OAuth()
        client = oauth.register(
            name="sso",
            server_metadata_url=settings.sso_discovery_url,
            client_id=settings.sso_client_id,
            client_secret=settings.sso_client_secret.get_secret_value(),
            client_kwargs={
                "scope": settings.sso_scopes,
                "code_challenge_method": "S256",
                "timeout": 10.0,
            },
        )
        request.app.state.sso_client = client
    return client


def _key(request: Request) -> OctKey:
    settings: Settings = request.app.state.settings
    assert settings.sso_client_secret is not None
    secret = settings.sso_client_secret.get_secret_value().encode()
    return OctKey.import_key(hmac.new(secret, b"overgang-sso-state", hashlib.sha256).digest())


def _seal(request: Request, state: dict[str, Any]) -> str:
    claims = {"exp": int(time.time()) + STATE_LIFETIME_SECONDS, "session": state}
    return jwt.encode({"alg": "dir", "enc": "A256GCM"}, claims, _key(request), registry=_SEALING)


def _unseal(request: Request, sealed: str) -> dict[str, Any]:
    """The exchange's state from the cookie; empty when missing, altered or expired, which
    authlib then refuses as a mismatching state."""
    if not sealed or len(sealed) > 4096:
        return {}
    try:
        token = jwt.decode(sealed, _key(request), registry=_SEALING)
        jwt.JWTClaimsRegistry(exp={"essential": True}).validate(token.claims)
    except (JoseError, ValueError):
        return {}
    state = token.claims.get("session")
    return state if isinstance(state, dict) else {}
