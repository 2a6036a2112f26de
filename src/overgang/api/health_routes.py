"""Liveness and readiness probes: no authentication, no personal data."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from overgang.storage.db import is_migrated

router = APIRouter(tags=["Operations"])


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
