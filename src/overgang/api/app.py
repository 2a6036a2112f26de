"""The FastAPI application: routers, error handlers, request ids and access logs."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from overgang import __version__, board
from overgang.api import (
    docs_routes,
    episode_routes,
    event_routes,
    fhir_routes,
    health_routes,
    inbox_routes,
    oauth_routes,
    webhook_routes,
)
from overgang.api.admission import AdmissionLimit
from overgang.api.errors import documented_responses, install_error_handlers
from overgang.api.guard import PUBLIC_PATHS, TOKEN_PATH, RequestGuard
from overgang.api.rate_limit import RateLimit, RateLimits
from overgang.api.schemas import Problem
from overgang.checklist import default_checklist_dir, load_checklists
from overgang.config import Settings
from overgang.logs import configure_logging, request_id_var
from overgang.service.caller import CallerCache
from overgang.service.client_keys import ClientKeys
from overgang.service.token_keys import TokenKeys
from overgang.service.worker import DeliveryWorker
from overgang.storage.db import create_db_engine, session_factory

access_log = logging.getLogger("overgang.access")


def _warm_up_fhir_models() -> None:
    # The first import and parse of fhir.resources costs ~0.2 s: pay it at start-up.
    from fhir.resources.R4B.bundle import Bundle

    Bundle.model_validate({"resourceType": "Bundle", "type": "message"})


def app_from_environment() -> FastAPI:
    """The app of one of `overgang serve --workers N`'s processes, set up from OVERGANG_*."""
    settings = Settings()
    configure_logging(settings.log_level)
    return create_app(settings)


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _warm_up_fhir_models()
        # Synchronous routes run on these threads. Python runs one of them at a time, so more
        # threads than a few only queue for the interpreter lock and stretch every request.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        worker = DeliveryWorker(sessions=app.state.sessions, settings=settings)
        if settings.run_worker:
            worker.start()
            app.state.worker = worker
        yield
        worker.stop()
        app.state.engine.dispose()

    app = FastAPI(
        title="Overgang",
        version=__version__,
        summary="Admission and discharge messages between Danish hospitals and municipalities.",
        description=(
            "Hospitals POST MedCom HospitalNotifications and Overgang's discharge-plan and "
            "discharge-handover messages to `/fhir/$process-message`; municipalities read and "
            "acknowledge their inbox under `/api/v1/inbox`. Every call needs "
            "`Authorization: Bearer <token>`. Errors on `/api` are RFC 9457 problem+json; "
            "on `/fhir` a FHIR OperationOutcome or a MedCom Acknowledgement."
        ),
        lifespan=lifespan,
        docs_url=None,  # docs_routes serves /docs from packaged assets, no CDN
    )
    engine = create_db_engine(settings.database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.callers = CallerCache(ttl_seconds=settings.token_cache_seconds)
    # SMART Backend Services: the clock that judges assertions and access tokens (tests set
    # it), Overgang's signing keys, the clients' fetched keys, and each client's request rate.
    app.state.clock = lambda: datetime.now(UTC)
    app.state.token_keys = TokenKeys(settings=settings, sessions=app.state.sessions)
    app.state.client_keys = ClientKeys(settings=settings)
    app.state.rate_limits = RateLimits(
        per_second=settings.rate_limit_per_second, burst=settings.rate_limit_burst
    )
    # A checklist file that breaks its schema stops the start-up, naming the file and the item.
    app.state.checklists = load_checklists(settings.checklist_dir or default_checklist_dir())
    install_error_handlers(app)
    # The outermost runs first: every request gets its id and log line, a refused or shed one
    # too; the caller is authenticated before a slot is taken or a byte of the body is read.
    app.add_middleware(
        AdmissionLimit,
        limit=settings.max_messages_in_progress,
        per_client_limit=settings.max_messages_in_progress_per_client,
        retry_after_seconds=settings.busy_retry_after_seconds,
    )
    app.add_middleware(RateLimit)
    app.add_middleware(
        RequestGuard,
        max_body_bytes=settings.max_body_bytes,
        body_read_timeout_seconds=settings.body_read_timeout_seconds,
    )
    app.add_middleware(RequestContext)
    for module in (
        docs_routes,
        fhir_routes,
        event_routes,
        inbox_routes,
        episode_routes,
        webhook_routes,
        health_routes,
        oauth_routes,
    ):
        app.include_router(module.router)
    board.install(app)  # the transition board's pages for people, outside the API and its document
    _complete_openapi(app)
    return app


class RequestContext:
    """Give each request an id (kept from X-Request-ID when sane) and log one line for it.

    Plain ASGI rather than `BaseHTTPMiddleware`, which runs every request in a task of its own.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id", "")
        request_id = incoming if incoming.isalnum() and len(incoming) <= 64 else uuid.uuid4().hex
        status = 500  # what the client gets when the app fails before it answers

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)
            state = scope.get("state", {})
            access_log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    # The route template, not the path: paths can carry episode identifiers.
                    "route": getattr(scope.get("route"), "path", "unmatched"),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "organisation_id": state.get("organisation_id"),
                    # The calling system's address (a partner's server, never a citizen's).
                    "client_address": (scope.get("client") or (None,))[0],
                    "message_kind": state.get("message_kind"),
                },
            )


def _complete_openapi(app: FastAPI) -> None:
    """Add the Problem schema, and the answers RequestGuard gives before any route runs."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components["Problem"] = Problem.model_json_schema()
            for path, operations in schema["paths"].items():
                if path in PUBLIC_PATHS:
                    continue
                for operation in operations.values():
                    # A body that is not JSON at all (not UTF-8) is 400, before any schema.
                    statuses = (400, 401, 408, 413) if "requestBody" in operation else (401,)
                    if path != TOKEN_PATH:  # an access token without the scope; a rate limit
                        statuses = (*statuses, 403, 429)
                    guarded = {**documented_responses(path, *statuses), **operation["responses"]}
                    operation["responses"] = dict(sorted(guarded.items()))
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
