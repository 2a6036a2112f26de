"""Liveness, readiness and metrics: no authentication, no personal data."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST

from overgang.metrics import render
from overgang.service.database import database_state

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
    responses={
        503: {
            "description": "The database is unreachable or not migrated, or this process's "
            "webhook sender has stopped"
        }
    },
)
def readyz(request: Request) -> Any:
    """The database is reachable and at the newest schema; this process's sender, if any, runs."""
    database = database_state(engine=request.app.state.engine)
    worker = getattr(request.app.state, "worker", None)  # set when this process sends
    sender = "not run" if worker is None else "ok" if worker.is_running() else "stopped"
    ready = database == "ok" and sender != "stopped"
    body = {"status": "ok" if ready else "unavailable", "database": database, "sender": sender}
    return body if ready else JSONResponse(body, status_code=503)
