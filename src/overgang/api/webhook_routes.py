"""A municipality's webhook endpoints and the state of pushes to them."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from overgang.api.deps import AuditDep, CallerDep, SessionsDep, SettingsDep
from overgang.api.errors import problem_responses
from overgang.delivery.states import SigningScheme
from overgang.service import webhooks
from overgang.service.webhook_results import Endpoint
from overgang.service.webhook_secrets import MAX_OVERLAP

router = APIRouter(prefix="/api/v1", tags=["Webhooks (push delivery)"])


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000, examples=["https://eoj.aalborg.dk/overgang/webhook"])
    scheme: Literal["hmac-sha256", "ed25519"] = Field(
        default="hmac-sha256",
        description="hmac-sha256: a shared whsec_ secret (v1 signatures). ed25519: Overgang "
        "keeps the private key and the municipality holds only the whpk_ public key (v1a).",
    )


class RotationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    overlap_seconds: int = Field(
        default=86_400,
        ge=0,
        le=int(MAX_OVERLAP.total_seconds()),
        description="How long the old secret also signs (both signatures are sent); 0: not at all.",
    )


class EndpointOut(BaseModel):
    id: uuid.UUID
    url: str
    active: bool
    health: Literal["healthy", "failing", "disabled"]
    consecutive_failures: int
    disabled_reason: str | None
    created_at: datetime
    scheme: Literal["hmac-sha256", "ed25519"]
    public_key: str | None = Field(
        description="ed25519: the whpk_ public key that verifies the v1a signatures."
    )
    previous_secret_until: datetime | None = Field(
        description="After a rotation: until then the old secret also signs every message."
    )


class EndpointCreated(EndpointOut):
    secret: str | None = Field(
        description="hmac-sha256: the signing secret (whsec_...), shown only this once. "
        "ed25519: null (verify with public_key)."
    )


class DeliveryOut(BaseModel):
    id: uuid.UUID
    inbox_message_id: uuid.UUID
    endpoint_id: uuid.UUID
    sequence: int
    state: Literal["pending", "delivered", "dead", "cancelled", "rerouted"] = Field(
        description="rerouted: a replay sent its message to the municipality's current endpoint "
        "as another delivery."
    )
    attempts: int
    next_attempt_at: datetime
    delivered_at: datetime | None
    last_error: str | None


class ReplayOut(DeliveryOut):
    """The delivery that carries the message now: the one replayed, or a new one to the
    municipality's current endpoint."""

    outcome: Literal["queued", "already-pending", "already-delivered"] = Field(
        description="queued: it will be sent; already-pending: it was on its way already; "
        "already-delivered: the receiver has it, nothing is sent."
    )
    replayed_from: uuid.UUID = Field(description="The delivery asked to be replayed.")


def _created(endpoint: Endpoint, shown: str) -> dict[str, Any]:
    """The endpoint with its secret, or null for ed25519 (its public key is shown anyway)."""
    return {**asdict(endpoint), "secret": None if endpoint.public_key else shown}


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
    created, shown = webhooks.register_for_caller(
        sessions=sessions,
        caller=caller,
        url=endpoint.url,
        settings=settings,
        now=datetime.now(UTC),
        scheme=SigningScheme(endpoint.scheme),
    )
    return _created(created, shown)


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


@router.post(
    "/webhooks/{endpoint_id}/rotate-secret",
    response_model=EndpointCreated,
    responses=problem_responses(401, 403, 404, 422),
)
def rotate_webhook_secret(
    endpoint_id: uuid.UUID,
    caller: CallerDep,
    sessions: SessionsDep,
    settings: SettingsDep,
    rotation: RotationIn | None = None,
) -> Any:
    """A new signing secret (or ed25519 key pair), shown this once; during the overlap every
    message carries signatures by both the new and the old secret."""
    endpoint, shown = webhooks.rotate_for_caller(
        sessions=sessions,
        caller=caller,
        endpoint_id=endpoint_id,
        overlap=timedelta(seconds=(rotation or RotationIn()).overlap_seconds),
        settings=settings,
        now=datetime.now(UTC),
    )
    return _created(endpoint, shown)


@router.post(
    "/webhooks/{endpoint_id}/reactivate",
    response_model=EndpointOut,
    responses=problem_responses(401, 403, 404, 422),
)
def reactivate_webhook(endpoint_id: uuid.UUID, caller: CallerDep, sessions: SessionsDep) -> Any:
    """Push to a disabled endpoint again (new messages from now on; replay what it missed)."""
    endpoint = webhooks.reactivate_for_caller(
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
        Literal["pending", "delivered", "dead", "cancelled", "rerouted"] | None,
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
    response_model=ReplayOut,
    responses=problem_responses(401, 403, 404, 422),
)
def replay_delivery(
    delivery_id: uuid.UUID, caller: CallerDep, sessions: SessionsDep, audit: AuditDep
) -> Any:
    """Push a dead-lettered delivery again, from its first attempt: to its endpoint, or when
    that is disabled to the municipality's current one (422 when it has none)."""
    result = webhooks.replay_for_caller(
        sessions=sessions,
        caller=caller,
        delivery_id=delivery_id,
        audit=audit,
        now=datetime.now(UTC),
    )
    assert result.carrier is not None  # replay_for_caller raises when nothing carries it
    return {
        **asdict(result.carrier),
        "outcome": result.outcome.value,
        "replayed_from": result.delivery_id,
    }
