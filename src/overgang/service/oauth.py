"""SMART Backend Services (profile §8): a client proves who it is with a JWT signed by its own
key (RFC 7523 `private_key_jwt`) and gets a short-lived access token signed by Overgang.

Every check of RFC 7523 §3 and the SMART Backend Services specification is made, in this order,
and each refusal is the RFC 6749 §5.2 error the specifications name: a malformed request is
`invalid_request`, anything about the assertion or the client `invalid_client` (a replayed `jti`
too), a scope the client may not have `invalid_scope`.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from overgang.config import Settings
from overgang.domain import scopes
from overgang.errors import OAuthError, Unauthenticated
from overgang.service.client_keys import ClientKeys, UnusableJwks, parse_jwks
from overgang.service.token_keys import ALGORITHMS, TokenKeys
from overgang.storage import clients
from overgang.storage.db import transaction

GRANT_TYPE = "client_credentials"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_ALGORITHMS = ("RS384", "ES384")  # the SMART Backend Services algorithms
MAX_ASSERTION_LIFETIME = timedelta(minutes=5)
MAX_ASSERTION_CHARS = 16 * 1024
MAX_JTI_CHARS = 255
ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - the JWT type of RFC 9068 access tokens


def token_url(settings: Settings) -> str:
    """The token endpoint's URL, which is also the `aud` every client assertion must carry."""
    return settings.public_base_url.rstrip("/") + "/oauth/token"


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    scope: str


@dataclass(frozen=True)
class _Assertion:
    client_id: uuid.UUID
    kid: str
    algorithm: str


def issue_access_token(
    *,
    form: dict[str, str],
    sessions: sessionmaker[Session],
    settings: Settings,
    token_keys: TokenKeys,
    client_keys: ClientKeys,
    now: datetime,
) -> IssuedToken:
    """Check a client_credentials request with a client assertion and answer it with a token."""
    assertion = _request_assertion(form)
    unverified = _peek(assertion)
    with transaction(sessions) as session:
        found = clients.find_client(session=session, client_id=unverified.client_id)
    if found is None or found[0].kind != "smart" or found[0].revoked_at is not None:
        raise OAuthError("invalid_client", "the client is unknown or revoked")
    client, organisation = found
    keys = _client_key_set(
        client_id=client.id,
        jwks=client.jwks,
        jwks_url=client.jwks_url,
        kid=unverified.kid,
        client_keys=client_keys,
    )
    claims = _verified_claims(assertion, keys, unverified.algorithm)
    expires_at = _check_claims(claims, settings=settings, now=now)
    try:
        granted = scopes.grant(form.get("scope"), role=organisation.kind)
    except scopes.ScopeRefused as error:
        raise OAuthError("invalid_scope", str(error)) from None
    try:
        with transaction(sessions) as session:
            clients.prune_assertions(session=session, now=now)
            clients.record_assertion(
                session=session, client_id=client.id, jti=claims["jti"], expires_at=expires_at
            )
    except IntegrityError:
        raise OAuthError("invalid_client", "the assertion's jti was used before") from None
    return _sign_access_token(
        client_id=client.id, granted=granted, settings=settings, keys=token_keys, now=now
    )


def _request_assertion(form: dict[str, str]) -> str:
    grant_type = form.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "grant_type is missing")
    if grant_type != GRANT_TYPE:
        raise OAuthError("unsupported_grant_type", f"only {GRANT_TYPE} is supported")
    assertion_type = form.get("client_assertion_type")
    assertion = form.get("client_assertion")
    if not assertion_type or not assertion:
        raise OAuthError("invalid_request", "client_assertion_type and client_assertion are needed")
    if assertion_type != ASSERTION_TYPE:
        raise OAuthError("invalid_client", f"client_assertion_type must be {ASSERTION_TYPE}")
    if len(assertion) > MAX_ASSERTION_CHARS:
        raise OAuthError("invalid_client", "the client assertion is too long")
    return assertion


def _peek(assertion: str) -> _Assertion:
    """The assertion's header and issuer, before its signature is checked: they say whose key."""
    try:
        compact = jws.extract_compact(assertion.encode())
        claims = json.loads(compact.payload)
    except (JoseError, ValueError, UnicodeError):
        raise OAuthError("invalid_client", "the client assertion is not a signed JWT") from None
    header = compact.protected
    algorithm = header.get("alg")
    if algorithm not in ASSERTION_ALGORITHMS:
        raise OAuthError(
            "invalid_client",
            f"the assertion must be signed with {' or '.join(ASSERTION_ALGORITHMS)}",
        )
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise OAuthError("invalid_client", "the assertion's header has no kid")
    if not isinstance(claims, dict):
        raise OAuthError("invalid_client", "the assertion's payload is not a JSON object")
    issuer, subject = claims.get("iss"), claims.get("sub")
    if not isinstance(issuer, str) or issuer != subject:
        raise OAuthError("invalid_client", "iss and sub must both be the client id")
    try:
        client_id = uuid.UUID(issuer)
    except ValueError:
        raise OAuthError("invalid_client", "the client is unknown or revoked") from None
    return _Assertion(client_id=client_id, kid=kid, algorithm=algorithm)


def _client_key_set(
    *,
    client_id: uuid.UUID,
    jwks: dict[str, Any] | None,
    jwks_url: str | None,
    kid: str,
    client_keys: ClientKeys,
) -> KeySet:
    try:
        if jwks_url:
            keys = client_keys.key_set(client_id=client_id, url=jwks_url, kid=kid)
        else:
            keys = parse_jwks(jwks)
    except UnusableJwks as error:
        raise OAuthError("invalid_client", f"the client's keys cannot be used: {error}") from None
    if not any(key.kid == kid for key in keys.keys):
        raise OAuthError("invalid_client", "the client has no key with the assertion's kid")
    return keys


def _verified_claims(assertion: str, keys: KeySet, algorithm: str) -> dict[str, Any]:
    try:
        token = jwt.decode(assertion, keys, algorithms=[algorithm])
    except JoseError:
        raise OAuthError("invalid_client", "the assertion's signature does not verify") from None
    return dict(token.claims)


def _check_claims(claims: dict[str, Any], *, settings: Settings, now: datetime) -> datetime:
    """RFC 7523 §3 on a verified assertion (iss = sub = the client id was checked before its
    key was chosen); the time until which its jti must be remembered."""
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if token_url(settings) not in audiences:
        raise OAuthError("invalid_client", f"aud must be the token URL {token_url(settings)}")
    expiry = claims.get("exp")
    if not isinstance(expiry, int | float) or isinstance(expiry, bool):
        raise OAuthError("invalid_client", "the assertion has no exp")
    now_seconds = now.timestamp()
    if expiry <= now_seconds:
        raise OAuthError("invalid_client", "the assertion has expired")
    if expiry > now_seconds + MAX_ASSERTION_LIFETIME.total_seconds():
        raise OAuthError("invalid_client", "exp may be at most 5 minutes ahead")
    not_before = claims.get("nbf")
    if isinstance(not_before, int | float) and not_before > now_seconds:
        raise OAuthError("invalid_client", "the assertion is not valid yet (nbf)")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI_CHARS:
        raise OAuthError(
            "invalid_client", f"jti must be a string of 1 to {MAX_JTI_CHARS} characters"
        )
    return now + timedelta(seconds=expiry - now_seconds)


def _sign_access_token(
    *,
    client_id: uuid.UUID,
    granted: tuple[str, ...],
    settings: Settings,
    keys: TokenKeys,
    now: datetime,
) -> IssuedToken:
    key, algorithm = keys.signer(now=now)
    issued = int(now.timestamp())
    lifetime = settings.access_token_seconds
    scope = " ".join(granted)
    claims = {
        "iss": settings.public_base_url,
        "aud": settings.public_base_url,
        "sub": str(client_id),
        "client_id": str(client_id),
        "scope": scope,
        "iat": issued,
        "exp": issued + lifetime,
        "jti": secrets.token_urlsafe(16),
    }
    header = {"alg": algorithm, "kid": key.kid, "typ": ACCESS_TOKEN_TYPE}
    token = jwt.encode(header, claims, key, algorithms=[algorithm])
    return IssuedToken(access_token=token, expires_in=lifetime, scope=scope)


@dataclass(frozen=True)
class AccessToken:
    client_id: uuid.UUID
    scopes: frozenset[str]


def looks_like_access_token(token: str) -> bool:
    return token.count(".") == 2


def verify_access_token(
    token: str, *, settings: Settings, keys: TokenKeys, now: datetime
) -> AccessToken:
    """An access token Overgang signed, not expired; raises Unauthenticated otherwise."""
    refused = Unauthenticated("the access token is invalid or has expired")
    try:
        header = jws.extract_compact(token.encode()).protected
        kid = header.get("kid")
        if header.get("typ") != ACCESS_TOKEN_TYPE or not isinstance(kid, str):
            raise refused
        claims = jwt.decode(
            token, keys.verifiers(kid=kid, now=now), algorithms=list(ALGORITHMS.values())
        ).claims
    except (JoseError, ValueError, UnicodeError):
        raise refused from None
    expiry = claims.get("exp")
    if (
        claims.get("iss") != settings.public_base_url
        or claims.get("aud") != settings.public_base_url
        or not isinstance(expiry, int)
        or expiry <= now.timestamp()
        or not isinstance(claims.get("scope"), str)
    ):
        raise refused
    try:
        client_id = uuid.UUID(str(claims.get("sub")))
    except ValueError:
        raise refused from None
    return AccessToken(client_id=client_id, scopes=frozenset(claims["scope"].split()))
