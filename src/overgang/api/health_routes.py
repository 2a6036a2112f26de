"""Liveness, readiness and metrics: no authentication, no personal data."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy.exc import SQLAlchemyError

from overgang.metrics import render
from overgang.storage.db import is_migrated

router = APIRouter(tags=["Operations"])


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus exposition"}},
)
def metrics(request: Request) -> PlainTextResponse:
    """Prometheus metrics: messages, deliveries, attempts, outbox depth and age. No personal data."""
    return PlainTextResponse(render(request.app.state.sessions), media_type=CONTENT_TYPE_LATEST)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={503: {"description": "The database is unreachable or not migrated"}},
)
def readyz(request: Request) -> Any:
    """The database is reachable and at the newest schema."""
    try:
        migrated = is_migrated(request.app.state.engine)
    except SQLAlchemyError:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    if not migrated:
        return JSONResponse({"status": "unavailable", "database": "not migrated"}, status_code=503)
    return {"status": "ok", "database": "ok"}
