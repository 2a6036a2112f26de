"""Authenticate before any work: the caller is known from the headers alone, before a body is
read or an admission slot is taken, and no route can read a body past its size or its deadline.

FastAPI reads a route's body before it solves the route's dependencies, so a token checked in a
dependency came too late: unauthenticated clients could make the server wait for, hold and read
whole bodies. A refusal here is answered at once, and the connection is closed instead of read.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

import anyio
import anyio.to_thread
from fastapi import HTTPException
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from overgang.api.errors import (
    DATABASE_UNAVAILABLE,
    database_unavailable,
    negotiated_in,
    render,
    render_error,
)
from overgang.domain import scopes
from overgang.errors import Forbidden, Unauthenticated
from overgang.service.caller import (
    TOKEN_PREFIX,
    Caller,
    authenticate_cached,
    hash_token,
    smart_caller_cached,
)
from overgang.service.oauth import looks_like_access_token, verify_access_token

# The only routes anyone may call; every other path, a route or not, needs a bearer token.
PUBLIC_PATHS = frozenset(
    {
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
        "/docs",
        "/docs/oauth2-redirect",
        "/redoc",
        "/.well-known/smart-configuration",
        "/.well-known/jwks.json",
        "/fhir/metadata",
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-ui.css",
        "/docs/favicon.png",
    }
)
# Called without a bearer token (the client authenticates in the body), but its body is
# limited as every other.
TOKEN_PATH = "/oauth/token"  # noqa: S105 - a path, not a password


def is_board_path(path: str) -> bool:
    """The transition board's pages and assets (/login, /board and under them): for people,
    who sign in with a cookie that the pages check themselves (overgang.board.session). They
    get no bearer token check, but their bodies are limited as every other."""
    return path in ("/login", "/board") or path.startswith(("/login/", "/board/"))


class BodyRefused(HTTPException):
    """Raised from `receive`. FastAPI passes an HTTPException met while reading a body on to the
    app's handler, which renders it for /api or /fhir; any other error there becomes a 400."""


class RequestGuard:
    """Authenticate every non-public request, then hand the app a body that is refused with 413
    past `max_body_bytes` and with 408 once reading it takes `body_read_timeout_seconds`.

    The caller goes into the request state, where `deps.get_caller` and `AdmissionLimit` read it.
    """

    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, body_read_timeout_seconds: float
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_read_timeout = body_read_timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        body = GuardedBody(
            receive,
            Headers(scope=scope),
            max_bytes=self.max_body_bytes,
            timeout_seconds=self.body_read_timeout,
        )
        send = body.closing_when_unread(send)
        if path != TOKEN_PATH and not is_board_path(path):
            try:
                caller = await _authenticate(scope)
            except Unauthenticated as error:
                await negotiated_in(scope, render_error(path, error))(scope, receive, send)
                return
            except DATABASE_UNAVAILABLE as error:
                await negotiated_in(scope, database_unavailable(path, error))(scope, receive, send)
                return
            if caller.scopes is not None:
                needed = scopes.required(scope["method"], path)
                if not needed & caller.scopes:
                    await negotiated_in(scope, _insufficient_scope(path, needed))(
                        scope, receive, send
                    )
                    return
            state = scope.setdefault("state", {})
            state["caller"] = caller
            state["organisation_id"] = str(caller.organisation_id)
        if body.declared_too_large:
            too_large = render(path, 413, "Content too large", body.too_large)
            await negotiated_in(scope, too_large)(scope, receive, send)
            return
        await self.app(scope, body.receive, send)


async def _authenticate(scope: Scope) -> Caller:
    scheme, _, token = Headers(scope=scope).get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("send 'Authorization: Bearer <token>'")
    state = scope["app"].state
    if looks_like_access_token(token):
        # Verifying the signature takes CPU and a first use may load keys: off the event loop.
        smart: Caller = await anyio.to_thread.run_sync(partial(_smart_caller, state, token))
        return smart
    if not token.startswith(TOKEN_PREFIX):
        raise Unauthenticated("the bearer token is unknown or revoked")
    if not state.settings.static_tokens:
        raise Unauthenticated("static tokens are switched off: get an access token at /oauth/token")
    # A remembered caller costs no thread; only a database lookup leaves the event loop.
    remembered: Caller | None = state.callers.get(hash_token(token))
    if remembered is not None:
        return remembered
    caller: Caller = await anyio.to_thread.run_sync(
        partial(
            authenticate_cached,
            sessions=state.sessions,
            cache=state.callers,
            token=token,
            now=state.clock(),
        )
    )
    return caller


def _smart_caller(state: Any, token: str) -> Caller:
    """The caller of an access token Overgang issued: verified here, its client looked up."""
    verified = verify_access_token(
        token, settings=state.settings, keys=state.token_keys, now=state.clock()
    )
    caller = smart_caller_cached(
        sessions=state.sessions, cache=state.callers, client_id=verified.client_id
    )
    return replace(caller, scopes=verified.scopes)


def _insufficient_scope(path: str, needed: frozenset[str]) -> Response:
    response = render_error(path, Forbidden("the access token's scopes do not allow this request"))
    # RFC 6750 §3.1: which scope would have done.
    response.headers["WWW-Authenticate"] = (
        f'Bearer error="insufficient_scope", scope="{" ".join(sorted(needed))}"'
    )
    return response


class GuardedBody:
    """One request's body as the app reads it: at most `max_bytes`, within `timeout_seconds` of
    the first read. Once refused, every further read is refused too."""

    def __init__(
        self, receive: Receive, headers: Headers, *, max_bytes: int, timeout_seconds: float
    ) -> None:
        self._receive = receive
        self.max_bytes = max_bytes
        self.timeout_seconds = timeout_seconds
        declared = headers.get("content-length", "")
        self.declared = int(declared) if declared.isdigit() else None
        self.unread = bool(self.declared) or "transfer-encoding" in headers
        self.size = 0
        self.deadline: float | None = None
        self.refused: BodyRefused | None = None

    @property
    def declared_too_large(self) -> bool:
        return self.declared is not None and self.declared > self.max_bytes

    @property
    def too_large(self) -> str:
        return f"the body is larger than {self.max_bytes} bytes; nothing was stored"

    async def receive(self) -> Message:
        if self.refused is not None:
            raise self.refused
        if not self.unread:
            # Read to the end: later calls wait for a disconnect, which has no deadline.
            return await self._receive()
        if self.deadline is None:
            self.deadline = anyio.current_time() + self.timeout_seconds
        try:
            with anyio.fail_after(self.deadline - anyio.current_time()):
                message = await self._receive()
        except TimeoutError:
            self.refused = BodyRefused(
                408,
                f"the body did not arrive within {self.timeout_seconds:g} seconds; "
                "nothing was stored",
            )
            raise self.refused from None
        if message["type"] != "http.request" or not message.get("more_body", False):
            self.unread = False
        self.size += len(message.get("body", b""))
        if self.size > self.max_bytes:
            self.refused = BodyRefused(413, self.too_large)
            raise self.refused
        return message

    def closing_when_unread(self, send: Send) -> Send:
        async def send_closing(message: Message) -> None:
            if message["type"] == "http.response.start" and self.unread:
                # Otherwise the server would go on reading (and dropping) the rest of the body.
                MutableHeaders(scope=message)["Connection"] = "close"
            await send(message)

        return send_closing
