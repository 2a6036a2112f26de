"""Managing webhook endpoints and replaying deliveries: for the municipality's API (the
functions that take `caller`) and for the operator's CLI (a municipality named by its code).
Each call is one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from overgang.config import Settings
from overgang.delivery.outbox import disable_endpoint
from overgang.delivery.signing import new_secret
from overgang.delivery.states import DeliveryState, EndpointHealth
from overgang.delivery.targets import UnsafeWebhookUrl, check_webhook_url
from overgang.errors import NotFound, Unprocessable
from overgang.service.audit import AuditContext, audited
from overgang.service.caller import Caller
from overgang.storage import deliveries as delivery_store
from overgang.storage.db import transaction
from overgang.storage.models import Delivery, Organisation, WebhookEndpoint
from overgang.storage.partners import find_municipality

# The operator's filters: "failing" is a pending delivery that has been tried at least once.
OPERATOR_DELIVERY_FILTERS = {
    "pending": (DeliveryState.PENDING,),
    "failing": (DeliveryState.PENDING,),
    "dead": (DeliveryState.DEAD,),
    "delivered": (DeliveryState.DELIVERED,),
    "cancelled": (DeliveryState.CANCELLED,),
}


@dataclass(frozen=True)
class Endpoint:
    """A webhook endpoint and its health, without its secret."""

    id: uuid.UUID
    url: str
    active: bool
    health: str
    consecutive_failures: int
    disabled_reason: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: WebhookEndpoint) -> Endpoint:
        return cls(
            id=row.id,
            url=row.url,
            active=row.active,
            health=row.health,
            consecutive_failures=row.consecutive_failures,
            disabled_reason=row.disabled_reason,
            created_at=row.created_at,
        )


@dataclass(frozen=True)
class DeliveryStatus:
    """Where one push of an inbox message to one endpoint stands."""

    id: uuid.UUID
    inbox_message_id: uuid.UUID
    endpoint_id: uuid.UUID
    sequence: int
    state: str
    attempts: int
    next_attempt_at: datetime
    delivered_at: datetime | None
    last_error: str | None

    @classmethod
    def of(cls, row: Delivery) -> DeliveryStatus:
        return cls(
            id=row.id,
            inbox_message_id=row.inbox_message_id,
            endpoint_id=row.endpoint_id,
            sequence=row.sequence,
            state=row.state,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            delivered_at=row.delivered_at,
            last_error=row.last_error,
        )


def register_endpoint(
    *,
    sessions: sessionmaker[Session],
    municipality: str,
    url: str,
    settings: Settings,
    now: datetime,
) -> tuple[Endpoint, str]:
    """A new active endpoint of the municipality with this code, and its signing secret."""
    with transaction(sessions) as session:
        return _add_endpoint(
            session=session,
            municipality=_municipality_named(session=session, code=municipality),
            url=url,
            settings=settings,
            now=now,
        )


def list_endpoints(*, sessions: sessionmaker[Session], municipality: str) -> list[Endpoint]:
    """The endpoints of the municipality with this code, oldest first."""
    with transaction(sessions) as session:
        found = _municipality_named(session=session, code=municipality)
        return _endpoints_of(session=session, municipality_id=found.id)


def list_deliveries(
    *,
    sessions: sessionmaker[Session],
    state: str | None,
    municipality: str | None,
    limit: int,
) -> list[DeliveryStatus]:
    """The outbox for the operator, filtered by one of OPERATOR_DELIVERY_FILTERS."""
    with transaction(sessions) as session:
        found = _municipality_named(session=session, code=municipality) if municipality else None
        rows = delivery_store.list_deliveries(
            session=session,
            states=OPERATOR_DELIVERY_FILTERS[state] if state else None,
            municipality_id=found.id if found else None,
            limit=limit,
        )
        if state == "failing":
            rows = [row for row in rows if row.attempts > 0]
        return [DeliveryStatus.of(row) for row in rows]


def replay(
    *,
    sessions: sessionmaker[Session],
    now: datetime,
    delivery_ids: list[uuid.UUID] | None = None,
    municipality: str | None = None,
    since: datetime | None = None,
) -> list[DeliveryStatus]:
    """Send dead-lettered deliveries again: these, or the municipality's since a time."""
    with transaction(sessions) as session:
        found = _municipality_named(session=session, code=municipality) if municipality else None
        rows = _replay(
            session=session,
            now=now,
            delivery_ids=delivery_ids,
            municipality_id=found.id if found else None,
            since=since,
        )
        return [DeliveryStatus.of(row) for row in rows]


def register_for_caller(
    *, sessions: sessionmaker[Session], caller: Caller, url: str, settings: Settings, now: datetime
) -> tuple[Endpoint, str]:
    """A new endpoint of the calling municipality, and its signing secret."""
    caller.require_municipality()
    with transaction(sessions) as session:
        return _add_endpoint(
            session=session,
            municipality=session.get_one(Organisation, caller.organisation_id),
            url=url,
            settings=settings,
            now=now,
        )


def endpoints_of_caller(*, sessions: sessionmaker[Session], caller: Caller) -> list[Endpoint]:
    caller.require_municipality()
    with transaction(sessions) as session:
        return _endpoints_of(session=session, municipality_id=caller.organisation_id)


def deactivate_for_caller(
    *, sessions: sessionmaker[Session], caller: Caller, endpoint_id: uuid.UUID, now: datetime
) -> Endpoint:
    """Stop pushing to an endpoint; what it did not get stays in the inbox for pulling."""
    caller.require_municipality()
    with transaction(sessions) as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None or endpoint.municipality_organisation_id != caller.organisation_id:
            raise NotFound("no such webhook endpoint")
        disable_endpoint(
            session=session, endpoint=endpoint, reason="deactivated by the municipality", now=now
        )
        return Endpoint.of(endpoint)


def deliveries_of_caller(
    *,
    sessions: sessionmaker[Session],
    caller: Caller,
    state: str | None,
    limit: int,
    audit: AuditContext,
) -> list[DeliveryStatus]:
    """The pushes of the calling municipality's messages. Audited: each names an episode."""
    with audited(
        sessions=sessions,
        caller=caller,
        audit=audit,
        action="delivery.list",
        resource_type="delivery",
    ) as access:
        caller.require_municipality()
        rows = delivery_store.list_deliveries(
            session=access.session,
            states=(state,) if state else None,
            municipality_id=caller.organisation_id,
            limit=limit,
        )
        access.touches(*(row.episode_id for row in rows))
        return [DeliveryStatus.of(row) for row in rows]


def replay_for_caller(
    *,
    sessions: sessionmaker[Session],
    caller: Caller,
    delivery_id: uuid.UUID,
    audit: AuditContext,
    now: datetime,
) -> DeliveryStatus:
    """Push one of the calling municipality's deliveries again: its message goes out anew."""
    with audited(
        sessions=sessions,
        caller=caller,
        audit=audit,
        action="delivery.replay",
        resource_type="delivery",
        resource_id=str(delivery_id),
    ) as access:
        caller.require_municipality()
        [row] = _replay(
            session=access.session,
            now=now,
            delivery_ids=[delivery_id],
            municipality_id=caller.organisation_id,
        )
        access.touches(row.episode_id)
        return DeliveryStatus.of(row)


def _municipality_named(*, session: Session, code: str) -> Organisation:
    found = find_municipality(session=session, code=code.zfill(4))
    if found is None:
        raise NotFound(f"municipality {code} is not registered")
    return found


def _add_endpoint(
    *, session: Session, municipality: Organisation, url: str, settings: Settings, now: datetime
) -> tuple[Endpoint, str]:
    # The secret is returned this once and never shown again.
    if municipality.kind != "municipality":
        raise Unprocessable("webhook endpoints belong to municipalities")
    try:
        check_webhook_url(
            url,
            allow_insecure_loopback=settings.allow_insecure_webhooks,
            allow_private=settings.allow_private_webhooks,
        )
    except UnsafeWebhookUrl as error:
        raise Unprocessable(f"the webhook URL is not allowed: {error}") from None
    secret = new_secret()
    endpoint = WebhookEndpoint(
        municipality_organisation_id=municipality.id,
        url=url,
        secret=secret,
        active=True,
        health=EndpointHealth.HEALTHY,
        consecutive_failures=0,
        created_at=now,
    )
    session.add(endpoint)
    session.flush()
    return Endpoint.of(endpoint), secret


def _endpoints_of(*, session: Session, municipality_id: uuid.UUID) -> list[Endpoint]:
    rows = session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.municipality_organisation_id == municipality_id)
        .order_by(WebhookEndpoint.created_at)
    )
    return [Endpoint.of(row) for row in rows]


def _replay(
    *,
    session: Session,
    now: datetime,
    delivery_ids: list[uuid.UUID] | None = None,
    municipality_id: uuid.UUID | None = None,
    since: datetime | None = None,
) -> list[Delivery]:
    """Dead-lettered (or cancelled) deliveries made pending again, from their first attempt."""
    if delivery_ids:
        rows = [row for row in (session.get(Delivery, i) for i in delivery_ids) if row is not None]
        if municipality_id is not None:
            rows = [row for row in rows if row.municipality_organisation_id == municipality_id]
        if len(rows) != len(delivery_ids):
            raise NotFound("no such delivery")
    else:
        rows = delivery_store.list_deliveries(
            session=session,
            states=(DeliveryState.DEAD, DeliveryState.CANCELLED),
            municipality_id=municipality_id,
            since=since,
        )
    for row in rows:
        endpoint = session.get_one(WebhookEndpoint, row.endpoint_id)
        if not endpoint.active:
            raise Unprocessable("the endpoint is not active; activate or replace it first")
        if row.state in (DeliveryState.DEAD, DeliveryState.CANCELLED):
            row.state = DeliveryState.PENDING
            row.attempts = 0
            row.next_attempt_at = now
            row.leased_until = None
    return rows
