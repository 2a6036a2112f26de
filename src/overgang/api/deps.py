"""Request dependencies, as `Annotated` aliases so routes stay one line each.

Each is `async def` although none awaits: FastAPI runs a plain `def` dependency on a worker
thread, one hop per dependency and request, and these only read the app and request state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from overgang.checklist import ChecklistCatalog
from overgang.config import Settings
from overgang.errors import Unauthenticated
from overgang.logs import request_id_var
from overgang.service.audit import AuditContext
from overgang.service.caller import Caller

# Only documents the scheme in openapi.yaml: RequestGuard checked the token before the body.
_bearer = HTTPBearer(
    auto_error=False, description="The API client's token (`overgang client create`)."
)


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_sessions(request: Request) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


async def get_checklists(request: Request) -> ChecklistCatalog:
    checklists: ChecklistCatalog = request.app.state.checklists
    return checklists


async def get_caller(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    return _caller_of(request)


def _caller_of(request: Request) -> Caller:
    """The caller `overgang.api.guard.RequestGuard` authenticated from the request's headers."""
    caller: Caller | None = getattr(request.state, "caller", None)
    if caller is None:  # a public path: the guard let it through unauthenticated
        raise Unauthenticated("send 'Authorization: Bearer <token>'")
    return caller


def wake_delivery_worker(request: Request) -> None:
    """A message with webhook deliveries was just committed: the in-process sender pushes it
    without waiting to poll."""
    worker = getattr(request.app.state, "worker", None)
    if worker is not None:
        worker.wake()


async def get_audit_context(request: Request) -> AuditContext:
    return _audit_context_of(request)


def _audit_context_of(request: Request) -> AuditContext:
    return AuditContext(
        at=datetime.now(UTC),
        request_id=request_id_var.get(),
        client_address=request.client.host if request.client else None,
    )


@dataclass(frozen=True)
class MessageIntake:
    """What a message route hands to intake besides its caller."""

    audit: AuditContext
    sessions: sessionmaker[Session]
    settings: Settings
    checklists: ChecklistCatalog


def message_intake(request: Request) -> MessageIntake:
    """Read by the message routes themselves rather than through `Depends`: FastAPI spends
    more CPU solving a dependency than these reads cost, and the message routes run for every
    message a hospital sends (six dependencies cost about a millisecond per message)."""
    state = request.app.state
    return MessageIntake(
        audit=_audit_context_of(request),
        sessions=state.sessions,
        settings=state.settings,
        checklists=state.checklists,
    )


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionsDep = Annotated[sessionmaker[Session], Depends(get_sessions)]
ChecklistsDep = Annotated[ChecklistCatalog, Depends(get_checklists)]
CallerDep = Annotated[Caller, Depends(get_caller)]
AuditDep = Annotated[AuditContext, Depends(get_audit_context)]
