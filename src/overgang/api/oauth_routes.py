"""SMART Backend Services (profile §8): discovery, Overgang's public keys and the token endpoint.

The token endpoint parses its form itself: its errors must be RFC 6749 §5.2 JSON, never the
422 problem+json of a FastAPI form model, and a parameter sent twice is an error there.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Literal
from urllib.parse import parse_qs

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from overgang.api.deps import SettingsDep
from overgang.api.errors import problem_responses
from overgang.domain import scopes
from overgang.errors import OAuthError
from overgang.service import oauth

router = APIRouter(tags=["Authorization (SMART Backend Services)"])
FORM = "application/x-www-form-urlencoded"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 §5.1


class SmartConfiguration(BaseModel):
    issuer: str
    jwks_uri: str
    token_endpoint: str
    token_endpoint_auth_methods_supported: list[str]
    token_endpoint_auth_signing_alg_values_supported: list[str]
    grant_types_supported: list[str]
    scopes_supported: list[str]
    capabilities: list[str]


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the RFC 6750 token type
    expires_in: int = Field(description="Seconds; at most 300.")
    scope: str = Field(description="The scopes granted, space-separated.")


class TokenError(BaseModel):
    """RFC 6749 §5.2."""

    error: Literal[
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
    ]
    error_description: str


def _error_response(description: str) -> dict[str, Any]:
    return {"model": TokenError, "description": description}


TOKEN_REQUEST = {
    "required": True,
    "content": {
        FORM: {
            "schema": {
                "type": "object",
                "required": [
                    "grant_type",
                    "client_assertion_type",
                    "client_assertion",
                    "scope",
                ],
                "properties": {
                    "grant_type": {"type": "string", "enum": [oauth.GRANT_TYPE]},
                    "client_assertion_type": {"type": "string", "enum": [oauth.ASSERTION_TYPE]},
                    "client_assertion": {
                        "type": "string",
                        "description": "A JWT signed by the client (RS384 or ES384, `kid` of a "
                        "registered key): iss = sub = the client id, aud = the token URL, exp "
                        "at most 5 minutes ahead, a jti never used before.",
                    },
                    "scope": {
                        "type": "string",
                        "description": "Space-separated; each must be allowed to the client's "
                        "organisation: " + ", ".join(scopes.ALL),
                    },
                },
            }
        }
    },
}


def _base(request: Request) -> str:
    settings = request.app.state.settings
    return str(settings.public_base_url).rstrip("/")


@router.get("/.well-known/smart-configuration", response_model=SmartConfiguration)
def smart_configuration(settings: SettingsDep, request: Request) -> SmartConfiguration:
    """How to get an access token: SMART Backend Services with `private_key_jwt`."""
    return SmartConfiguration(
        issuer=settings.public_base_url,
        jwks_uri=_base(request) + "/.well-known/jwks.json",
        token_endpoint=oauth.token_url(settings),
        token_endpoint_auth_methods_supported=["private_key_jwt"],
        token_endpoint_auth_signing_alg_values_supported=list(oauth.ASSERTION_ALGORITHMS),
        grant_types_supported=[oauth.GRANT_TYPE],
        scopes_supported=list(scopes.ALL),
        capabilities=["client-confidential-asymmetric"],
    )


@router.get("/.well-known/jwks.json", responses=problem_responses())
def jwks(request: Request) -> dict[str, Any]:
    """Overgang's public keys, which verify the access tokens it issues."""
    state = request.app.state
    published: dict[str, Any] = state.token_keys.public_jwks(now=state.clock())
    return published


@router.post(
    "/oauth/token",
    response_model=TokenOut,
    openapi_extra={"requestBody": TOKEN_REQUEST},
    responses={
        200: {"headers": {"Cache-Control": {"schema": {"type": "string"}}}},
        400: _error_response(
            "invalid_request, unsupported_grant_type or invalid_scope (RFC 6749 §5.2)"
        ),
        401: _error_response("invalid_client: the client assertion or the client is refused"),
        **problem_responses(),
    },
)
async def token(request: Request) -> JSONResponse:
    """Exchange a signed client assertion for an access token (client_credentials grant)."""
    state = request.app.state
    try:
        form = _form(request.headers.get("content-type", ""), await request.body())
        issued = await anyio.to_thread.run_sync(
            partial(
                oauth.issue_access_token,
                form=form,
                sessions=state.sessions,
                settings=state.settings,
                token_keys=state.token_keys,
                client_keys=state.client_keys,
                now=state.clock(),
            )
        )
    except OAuthError as error:
        headers = dict(NO_STORE)
        if error.status == 401:
            headers["WWW-Authenticate"] = 'Bearer error="invalid_client"'
        body = TokenError.model_validate(
            {"error": error.error, "error_description": error.detail}
        ).model_dump()
        return JSONResponse(body, status_code=error.status, headers=headers)
    out = TokenOut(
        access_token=issued.access_token, expires_in=issued.expires_in, scope=issued.scope
    )
    return JSONResponse(out.model_dump(), headers=NO_STORE)


def _form(content_type: str, body: bytes) -> dict[str, str]:
    if content_type.split(";", 1)[0].strip().lower() != FORM:
        raise OAuthError("invalid_request", f"send the parameters as {FORM}")
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        raise OAuthError("invalid_request", "the body is not a well-formed form") from None
    if any(len(values) > 1 for values in parsed.values()):
        raise OAuthError("invalid_request", "a parameter was sent more than once")  # §3.2
    return {name: values[0] for name, values in parsed.items()}
