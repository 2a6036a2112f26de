"""A municipality's webhook endpoints and the state of pushes to them."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from overgang.api.deps import AuditDep, CallerDep, SessionsDep, SettingsDep
from overgang.api.errors import problem_responses
from overgang.service import webhooks

router = APIRouter(prefix="/api/v1", tags=["Webhooks (push delivery)"])


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000, examples=["https://eoj.aalborg.dk/overgang/webhook"])


class EndpointOut(BaseModel):
    id: uuid.UUID
    url: str
    active: bool
    health: Literal["healthy", "failing", "disabled"]
    consecutive_failures: int
    disabled_reason: str | None
    created_at: datetime


class EndpointCreated(EndpointOut):
    secret: str = Field(description="The signing secret (whsec_...). Shown only this once.")


class DeliveryOut(BaseModel):
    id: uuid.UUID
    inbox_message_id: uuid.UUID
    endpoint_id: uuid.UUID
    sequence: int
    state: Literal["pending", "delivered", "dead", "cancelled"]
    attempts: int
    next_attempt_at: datetime
    delivered_at: datetime | None
    last_error: str | None


@router.post(
    "/webhooks",
    status_code=201,
    response_model=EndpointCreated,
    responses=problem_responses(401, 403, 422),
)
def register_webhook(
    endpoint: EndpointIn, caller: CallerDep, sessions: SessionsDep, settings: SettingsDep
) -> Any:
    """Register an endpoint; every new inbox message is pushed to it, signed (Standard Webhooks)."""
    created, secret = webhooks.register_for_caller(
        sessions=sessions, caller=caller, url=endpoint.url, settings=settings, now=datetime.now(UTC)
    )
    return {**asdict(created), "secret": secret}


@router.get("/webhooks", response_model=list[EndpointOut], responses=problem_responses(401, 403))
def list_webhooks(caller: CallerDep, sessions: SessionsDep) -> Any:
    """The calling municipality's endpoints and their health (secrets are never shown again)."""
    found = webhooks.endpoints_of_caller(sessions=sessions, caller=caller)
    return [asdict(endpoint) for endpoint in found]


@router.delete(
    "/webhooks/{endpoint_id}",
    response_model=EndpointOut,
    responses=problem_responses(401, 403, 404, 422),
)
def deactivate_webhook(endpoint_id: uuid.UUID, caller: CallerDep, sessions: SessionsDep) -> Any:
    """Stop pushing to an endpoint; its undelivered messages stay in the inbox for pulling."""
    endpoint = webhooks.deactivate_for_caller(
        sessions=sessions, caller=caller, endpoint_id=endpoint_id, now=datetime.now(UTC)
    )
    return asdict(endpoint)


@router.get(
    "/deliveries", response_model=list[DeliveryOut], responses=problem_responses(401, 403, 422)
)
def list_deliveries(
    caller: CallerDep,
    sessions: SessionsDep,
    audit: AuditDep,
    state: Annotated[
        Literal["pending", "delivered", "dead", "cancelled"] | None,
        Query(description="Filter by state."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    """Pushes of the calling municipality's messages: dead-lettered ones can be replayed."""
    rows = webhooks.deliveries_of_caller(
        sessions=sessions, caller=caller, state=state, limit=limit, audit=audit
    )
    return [asdict(row) for row in rows]


@router.post(
    "/deliveries/{delivery_id}/replay",
    response_model=DeliveryOut,
    responses=problem_responses(401, 403, 404, 422),
)
def replay_delivery(
    delivery_id: uuid.UUID, caller: CallerDep, sessions: SessionsDep, audit: AuditDep
) -> Any:
    """Push a dead-lettered delivery again, from its first attempt."""
    row = webhooks.replay_for_caller(
        sessions=sessions,
        caller=caller,
        delivery_id=delivery_id,
        audit=audit,
        now=datetime.now(UTC),
    )
    return asdict(row)
