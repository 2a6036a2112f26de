"""Managing webhook endpoints and replaying deliveries: the municipality's API (the functions
that take `caller`, each in its own transaction) and the CLI (inside the operator's)."""

from __future__ import annotations

import uuid
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


def register_endpoint(
    *, session: Session, municipality: Organisation, url: str, settings: Settings, now: datetime
) -> tuple[WebhookEndpoint, str]:
    """A new active endpoint and its signing secret (returned once, never shown again)."""
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
    return endpoint, secret


def list_endpoints(*, session: Session, municipality_id: uuid.UUID) -> list[WebhookEndpoint]:
    return list(
        session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.municipality_organisation_id == municipality_id)
            .order_by(WebhookEndpoint.created_at)
        )
    )


def deactivate_endpoint(
    *, session: Session, municipality_id: uuid.UUID, endpoint_id: uuid.UUID, now: datetime
) -> WebhookEndpoint:
    """Stop pushing to an endpoint; what it did not get stays in the inbox for pulling."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.municipality_organisation_id != municipality_id:
        raise NotFound("no such webhook endpoint")
    disable_endpoint(
        session=session, endpoint=endpoint, reason="deactivated by the municipality", now=now
    )
    return endpoint


def replay(
    *,
    session: Session,
    now: datetime,
    delivery_ids: list[uuid.UUID] | None = None,
    municipality_id: uuid.UUID | None = None,
    since: datetime | None = None,
) -> list[Delivery]:
    """Send dead-lettered (or cancelled) deliveries again, from their first attempt."""
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


def register_for_caller(
    *, sessions: sessionmaker[Session], caller: Caller, url: str, settings: Settings, now: datetime
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint of the calling municipality, and its signing secret."""
    caller.require_municipality()
    with transaction(sessions) as session:
        return register_endpoint(
            session=session,
            municipality=session.get_one(Organisation, caller.organisation_id),
            url=url,
            settings=settings,
            now=now,
        )


def endpoints_of_caller(
    *, sessions: sessionmaker[Session], caller: Caller
) -> list[WebhookEndpoint]:
    caller.require_municipality()
    with transaction(sessions) as session:
        return list_endpoints(session=session, municipality_id=caller.organisation_id)


def deactivate_for_caller(
    *, sessions: sessionmaker[Session], caller: Caller, endpoint_id: uuid.UUID, now: datetime
) -> WebhookEndpoint:
    caller.require_municipality()
    with transaction(sessions) as session:
        return deactivate_endpoint(
            session=session,
            municipality_id=caller.organisation_id,
            endpoint_id=endpoint_id,
            now=now,
        )


def deliveries_of_caller(
    *,
    sessions: sessionmaker[Session],
    caller: Caller,
    state: str | None,
    limit: int,
    audit: AuditContext,
) -> list[Delivery]:
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
        return rows


def replay_for_caller(
    *,
    sessions: sessionmaker[Session],
    caller: Caller,
    delivery_id: uuid.UUID,
    audit: AuditContext,
    now: datetime,
) -> Delivery:
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
        [row] = replay(
            session=access.session,
            now=now,
            delivery_ids=[delivery_id],
            municipality_id=caller.organisation_id,
        )
        access.touches(row.episode_id)
        return row
